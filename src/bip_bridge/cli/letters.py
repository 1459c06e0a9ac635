"""`bip-bridge letters`: printable invitations with a QR code, and meeting sheets."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from bip_bridge.cli.context import AppContext, pass_app


@click.command("letters")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None,
              help="Folder to write into (default: [reports] out_dir/letters/YYYY-MM-DD).")
@click.option("--all", "everyone", is_flag=True,
              help="Letters for every participant with an open questionnaire, not only for "
              "those without an e-mail address.")
@click.option("--again", is_flag=True,
              help="Write letters again that an earlier run already wrote.")
@click.option("--today", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Act as if today were this date (YYYY-MM-DD). Default: the real date.")
@pass_app
def command(app: AppContext, out_dir: Path | None, everyone: bool, again: bool,
            today: datetime | None) -> None:
    """Write printable letters and meeting sheets for people without e-mail.

    One letter per participant and wave due whose questionnaire is still open (A4,
    HTML with print CSS; print it from a browser): the first name (read from
    LimeSurvey, never stored), the wave in words, the personal survey link and a QR
    code of it, in the participant's language. By default only for participants
    without an e-mail address in LimeSurvey (--all: everyone). A letter is written
    once per questionnaire; later runs say where the earlier one is (--again writes it
    again). Per caseworker a meeting sheet lists every participant whose current wave
    is open, with their link and QR code and the caseworker's own assessment link.

    Writes OUT/<caseworker id>/letter-w<wave>-<pseudonym prefix>.html and
    OUT/<caseworker id>/meeting-sheet.html, owner-only (folders 0700, files 0600: they
    hold names and personal links). Records each letter in the store.

    Exit codes: 0 written; 66 no store yet or no active surveys; 69/76/77 LimeSurvey unreachable,
    refusing or wrong credentials; 73 OUT cannot be written; 75 another bip-bridge run
    holds the store (docs/exit-codes.md).
    """
    from bip_bridge.limesurvey import connect
    from bip_bridge.locking import mutation_lock
    from bip_bridge.outreach.letters import write_letters
    from bip_bridge.store import open_store, require_existing_sqlite
    from bip_bridge.templates import load_templates

    settings = app.settings
    require_existing_sqlite(settings.store.url, needed_for="no one to write to")
    day = today.date() if today is not None else date.today()
    templates = load_templates(settings.surveys.template_dir)
    with mutation_lock(settings, command="letters"):
        engine = open_store(settings.store.url)
        try:
            with connect(settings) as api:
                report = write_letters(api, engine, settings, templates, today=day,
                                       out_dir=out_dir, everyone=everyone, again=again)
        finally:
            engine.dispose()
    for line in report.lines():
        app.echo(line)
