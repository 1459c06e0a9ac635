"""`bip-bridge analyse`: the metrics from LimeSurvey export files, without a server."""

from __future__ import annotations

import atexit
import gc
from pathlib import Path

import click

from bip_bridge.cli.context import AppContext, pass_app

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("analyse")
@click.option("--participant-export", "participant_export", type=_FILE, required=True,
              help="The participant survey's response export: LimeSurvey JSON "
              "({\"responses\": [...]}) or CSV (';'-separated), with question codes as "
              "headings and answer codes (not texts). Incomplete responses may be included; "
              "they are listed in data_quality.csv and not counted.")
@click.option("--caseworker-export", "caseworker_export", type=_FILE, required=True,
              help="The caseworker survey's response export, in the same formats.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True,
              help="Folder for the analyst bundle. It must be new, empty, or an earlier "
              "bundle, which is replaced as a whole.")
@click.option("--template-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None,
              help="Survey templates the surveys were made from (default: the templates "
              "shipped with bip-bridge). Indicator codes and thresholds are read from them.")
@click.option("--min-cell", type=click.IntRange(min=1), default=5, show_default=True,
              help="Small-cell minimum: cohort and outcome cells with fewer distinct "
              "participants are published with n and statistics blank and suppressed=true.")
@click.option("--min-count", type=click.IntRange(min=1), default=3, show_default=True,
              help="Small-cell minimum for numerators: a count or share whose count, or n "
              "minus it, is 1 to MIN_COUNT-1 is published blank and flagged.")
@click.option("--language", type=click.Choice(["sv", "da", "en"]), default="sv",
              show_default=True,
              help="Language of the reader: sets the default CSV dialect (sv, da: Excel; "
              "en: plain).")
@click.option("--excel/--plain", "excel", default=None,
              help="CSV dialect. --excel: what Swedish and Danish Excel open by double-click "
              "(semicolon, decimal comma, UTF-8 byte-order mark); --plain: comma and dot, "
              "for pandas and R. Default: by --language.")
@click.option("--mixed-model", is_flag=True, default=False,
              help="Also fit the linear mixed model of ΔP on parallel, combo, continuous, "
              "caseworker_changed and belief_start (random intercept per participant) and "
              "print its coefficients with 95 % intervals (statsmodels).")
@pass_app
def command(app: AppContext, participant_export: Path, caseworker_export: Path, out_dir: Path,
            template_dir: Path | None, min_cell: int, min_count: int, language: str,
            excel: bool | None, mixed_model: bool) -> None:
    """Compute the metrics from LimeSurvey's own response exports and write the bundle.

    For analysts who only hold export files: needs no LimeSurvey server, no store and no
    configuration file. Reads both exports, counts only complete responses (the later
    one where a participant answered a wave twice), computes scores, indices, periods,
    the cohort and outcome tables (docs/metrics.md), and writes OUT/scores.csv,
    indices.csv, periods.csv, cohort.csv, outcomes.csv, data_quality.csv and
    data_dictionary.csv at once (nothing is written when anything fails). The files
    carry pseudonyms only.

    Exit codes: 0 written; 65 an export or template is invalid (the message names the
    file, the problem and the fix); 69 --mixed-model without statsmodels installed;
    78 OUT holds files bip-bridge did not write.
    """
    from bip_bridge.metrics import compute_metrics
    from bip_bridge.metrics.exports import read_export
    from bip_bridge.model import CASEWORKER, PARTICIPANT
    from bip_bridge.reports import write_analyst_bundle
    from bip_bridge.reports.bundle import excel_for
    from bip_bridge.templates import load_templates

    model = load_templates(template_dir).model
    participant = read_export(participant_export, model, PARTICIPANT)
    caseworker = read_export(caseworker_export, model, CASEWORKER)
    result = compute_metrics(participant, caseworker, model, min_cell=min_cell,
                             min_count=min_count)
    fit = None
    if mixed_model:
        from bip_bridge.analysis_model import fit_mixed_model

        fit = fit_mixed_model(result.periods, model)
    paths = write_analyst_bundle(result, out_dir, model=model,
                                 excel=excel_for(language, excel))
    app.echo(f"Read {len(participant)} participant and {len(caseworker)} caseworker responses: "
             f"{len(result.indices)} participant-waves, {len(result.periods)} periods.")
    if len(result.data_quality):
        kinds = result.data_quality["kind"].value_counts().sort_index()
        app.echo("Data-quality findings (see data_quality.csv): "
                 + ", ".join(f"{kind} {count}" for kind, count in kinds.items()))
    app.echo(f"Wrote {len(paths)} files to {out_dir}")
    if fit is not None:
        from bip_bridge.analysis_model import describe

        click.echo(describe(fit))
    # Everything is written. When the process ends, the interpreter's last garbage
    # collections walk every object pandas, numpy and scipy made (about 0.1 s on a
    # large run) and find no cycle worth breaking: the files are closed and the
    # staging folder is gone. Freezing the heap at exit skips that walk; objects are
    # still released by reference counting, and other exit handlers (logging's
    # flush) still run.
    atexit.register(gc.freeze)
