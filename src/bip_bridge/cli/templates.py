"""`bip-bridge templates`: check the questionnaire templates and build the .lss files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bip_bridge.cli.context import AppContext, pass_app
from bip_bridge.config import find_config

if TYPE_CHECKING:  # the templates (YAML) are imported by the commands that read them
    from bip_bridge.templates import TemplateSet

_TEMPLATE_DIR_HELP = (
    "Template folder (holding manifest.yaml). Default: [surveys] template_dir of the "
    "configuration when a configuration file exists, else the templates shipped with "
    "bip-bridge."
)


def resolve_template_dir(app: AppContext, template_dir: Path | None) -> Path | None:
    """The option, else the configuration's template_dir, else None (the shipped set)."""
    if template_dir is not None:
        return template_dir
    if find_config(app.config_path, os.environ).exists():
        return app.settings.surveys.template_dir
    return None


def _load(app: AppContext, template_dir: Path | None) -> TemplateSet:
    from bip_bridge.templates import load_templates

    return load_templates(resolve_template_dir(app, template_dir))


@click.group("templates")
def command() -> None:
    """Check the questionnaire templates and build LimeSurvey .lss files from them.

    The templates (manifest.yaml plus one YAML file per questionnaire) define the
    indicator codes, texts in sv/da/en, scales and token attributes; see
    docs/templates.md.
    """


@command.command("validate")
@click.option("--template-dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help=_TEMPLATE_DIR_HELP)
@pass_app
def validate(app: AppContext, template_dir: Path | None) -> None:
    """Check the templates and list every problem at once.

    Prints the template version, the questions and the token attributes of each
    questionnaire. Writes nothing. Exit code 0 when valid, 65 when a template is invalid
    (each problem is named with its file and place in the file).
    """
    from bip_bridge.templates import structure_fingerprint

    templates = _load(app, template_dir)
    app.echo(f"Templates in {templates.directory}: version {templates.version}, valid.")
    for q in templates.questionnaires:
        codes = ", ".join(
            f"{x.code}[{len(x.items)}]" if x.items else x.code for x in q.questions)
        app.echo(f"  {q.kind}: {len(q.questions)} questions ({codes}); "
                 f"{len(q.token_attributes)} token attributes; "
                 f"structure {structure_fingerprint(q)[:12]}")


@command.command("build")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write participant.lss and caseworker.lss into (created if "
              "missing; existing files of those names are replaced).")
@click.option("--template-dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help=_TEMPLATE_DIR_HELP)
@pass_app
def build(app: AppContext, out_dir: Path, template_dir: Path | None) -> None:
    """Validate the templates and write one LimeSurvey .lss file per questionnaire.

    Writes OUT/participant.lss and OUT/caseworker.lss (LimeSurvey 6 survey structure,
    all template languages), for admins who import surveys by hand (LimeSurvey: Create
    survey > Import). After a hand import, put the survey ids in [surveys]
    participant_sid / caseworker_sid and run `bip-bridge provision`, which checks them
    against the templates and records them. Nothing is written when a template is
    invalid (exit code 65).
    """
    from bip_bridge.templates import compile_lss

    templates = _load(app, template_dir)
    files = {f"{q.kind}.lss": compile_lss(q) for q in templates.questionnaires}
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        tmp = out_dir / f".{name}.tmp"
        tmp.write_bytes(content)
        tmp.replace(out_dir / name)
        app.echo(f"Wrote {out_dir / name} ({len(content):,} bytes, template version "
                 f"{templates.version}).")


@command.command("preview")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the preview into (created if missing; files of the "
              "same names are replaced, nothing else is touched).")
@click.option("--template-dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help=_TEMPLATE_DIR_HELP)
@pass_app
def preview(app: AppContext, out_dir: Path, template_dir: Path | None) -> None:
    """Write the questionnaires and e-mails as HTML pages to review before going live.

    For every language of the templates (sv, da, en): each questionnaire page by page
    as a respondent sees it (welcome page, one page per question group with every
    question, item and answer option, end page; what shows only from wave 1 on is
    marked), and every e-mail (invitation and reminder, to the participant and to the
    caseworker) with sample values for the first name, the wave and the links; also the
    caseworker digest bip-bridge sends and the participant letter with its QR code.
    OUT/index.html links them all. Needs no LimeSurvey and no configuration. Exit
    codes: 0 written; 65 a template is invalid; 73 OUT cannot be written.
    """
    from bip_bridge.templates.preview import write_preview

    templates = _load(app, template_dir)
    written = write_preview(templates, out_dir)
    app.echo(f"Wrote {len(written)} preview page(s) to {out_dir} (template version "
             f"{templates.version}); open {written[0]} in a browser.")
