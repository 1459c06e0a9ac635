"""`bip-bridge demo`: the whole bridge on the bundled emulator with a synthetic cohort."""

from __future__ import annotations

import time
from pathlib import Path

import click

from bip_bridge.cli.context import AppContext, pass_app


@click.command("demo")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("bip-bridge-demo"), show_default=True,
              help="Folder for the demo's store, configuration, roster and reports. An earlier "
              "demo folder is replaced; any other non-empty folder is refused.")
@click.option("--participants", type=click.IntRange(10, 5000), default=240, show_default=True,
              help="Size of the synthetic cohort.")
@click.option("--months", type=click.IntRange(3, 36), default=12, show_default=True,
              help="Length of the simulated period (waves every three months).")
@click.option("--seed", type=int, default=2026, show_default=True,
              help="Seed of the synthetic cohort; the same seed gives the same demo.")
@pass_app
def command(app: AppContext, out_dir: Path, participants: int, months: int, seed: int) -> None:
    """Run the whole bridge on this machine, with no LimeSurvey of your own.

    Starts the bundled LimeSurvey EMULATOR on a loopback port (for the demo and tests
    only, never production), provisions the questionnaires, enrols a synthetic cohort,
    runs a year of waves with simulated answers, syncs, computes the metrics, writes the
    reports and pushes summaries back, then prints where to look. Needs no configuration
    file. Everything in it is fictional.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from bip_bridge.demo import run_demo
    from bip_bridge.synthetic import describe_truth

    console = Console(stderr=True, quiet=app.quiet)
    started = time.monotonic()
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("starting the LimeSurvey emulator", total=1)

        def step(label: str, done: int, total: int) -> None:
            progress.update(task, description=label, completed=done, total=total)

        result = run_demo(out_dir, participants=participants, months=months, seed=seed,
                          step=step)
    elapsed = time.monotonic() - started
    echo = app.echo
    echo(f"Demo finished in {elapsed:.0f} s on the bundled LimeSurvey emulator (fictional data).")
    for line in result.lines:
        echo(f"  {line}")
    echo(f"  {result.participants} participants; responses: "
         f"{result.responses['participant']} participant, {result.responses['caseworker']} "
         f"caseworker; e-mails: {result.mails['invitations']} invitations, "
         f"{result.mails['reminders']} reminders (LimeSurvey), "
         f"{result.mails.get('digests', 0)} caseworker digests")
    echo("")
    echo(describe_truth(result.truth))
    echo("Recovered from the synthetic LimeSurvey data: mean change of the participant index "
         "per period (raw, 95 % interval) and, next to it, the difference from the reference "
         "group adjusted for the baseline index and the wave (mixed model with a random "
         "intercept per participant):")
    for line in result.recovered:
        echo(f"  {line}")
    echo("")
    echo("Where to look:")
    echo(f"  HTML report:        {result.report_dir / 'report.html'}")
    echo(f"  progression cards:  {result.report_dir / 'cards'}")
    indexes = sorted((result.report_dir / "cards").glob("*/index.html"))
    if indexes:
        echo(f"  a caseworker's list of their participants' cards: {indexes[0]}")
    echo(f"  caseworker digests: {result.out_dir / 'mail'}")
    echo(f"  analyst CSVs:       {result.report_dir}")
    echo(f"  store (SQLite):     {result.out_dir / 'bip-bridge.sqlite'}")
    echo(f"  configuration:      {result.out_dir / 'bip-bridge.toml'}")
    echo(f"  synthetic roster:   {result.out_dir / 'roster.csv'}")
    config = result.out_dir / "bip-bridge.toml"
    echo("Try next (no server needed):")
    echo(f"  bip-bridge --config {config} status      "
         "# where the waves stand, per caseworker")
    echo("  bip-bridge templates preview --out preview  "
         "# every questionnaire page, e-mail and letter")
