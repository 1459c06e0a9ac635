"""`bip-bridge report`: write the dated report folder (and optionally e-mail the bundle)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from bip_bridge.cli.context import AppContext, pass_app


@click.command("report")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write the dated report folder into (default: [reports] out_dir).")
@click.option("--excel/--plain", "excel", default=None,
              help="CSV dialect. --excel: what Swedish and Danish Excel open by double-click "
              "(semicolon, decimal comma, UTF-8 byte-order mark); --plain: comma and dot. "
              "Default: [reports] excel, else by [reports] language (sv, da: --excel; "
              "en: --plain).")
@click.option("--date", "report_date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date that names the folder and is printed in the report, YYYY-MM-DD "
              "(default: today).")
@click.option("--email", "send_email", is_flag=True, default=False,
              help="Also e-mail the analyst bundle (the CSV files and report.html, not the "
              "cards) to [smtp] recipients.")
@click.option("--email-cards", is_flag=True, default=False,
              help="Also e-mail each caseworker their progression cards and index page over "
              "[smtp], to the address LimeSurvey holds for them; each card of a report "
              "date once.")
@click.option("--no-names", is_flag=True, default=False,
              help="Do not read the participants' first names from LimeSurvey: the cards and "
              "index pages show the first 8 characters of the pseudonym instead.")
@pass_app
def command(app: AppContext, out_dir: Path | None, excel: bool | None,
            report_date: dt.datetime | None, send_email: bool, email_cards: bool,
            no_names: bool) -> None:
    """Compute the metrics from the local store and write the reports.

    Writes OUT/YYYY-MM-DD/ at once (built in a hidden folder, then renamed; a second
    run on the same day replaces that day's folder): the analyst bundle scores.csv,
    indices.csv, periods.csv, cohort.csv, outcomes.csv, data_quality.csv and
    data_dictionary.csv; report.html (self-contained, in [reports] language); a
    progression card per participant in cards/<caseworker id>/<pseudonym[:12]>.html, in
    the participant's language, and per caseworker cards/<caseworker id>/index.html
    listing their participants by first name (`bip-bridge participants card ID` prints
    one person's card). The first names are read from LimeSurvey's participant table for
    this run and never stored; when LimeSurvey cannot be reached (or with --no-names)
    the cards show the pseudonym's first 8 characters and the report is still written.
    The cards folder is readable by its owner only.

    Exit codes: 0 written; 66 no store yet (a SQLite file that does not exist; nothing is
    created); 65 the data or templates are invalid; 69 the store (or, with
    --email or --email-cards, the SMTP server) is unavailable; 75 (with --email-cards)
    another command is changing the store; 73 OUT cannot be created or written; 78
    configuration problem (with --email or --email-cards also a missing [smtp] section or
    LimeSurvey password, told before anything is written), or OUT/DATE holds files
    bip-bridge did not write.
    """
    import sqlalchemy as sa

    from bip_bridge.reports import write_reports
    from bip_bridge.store import open_store, require_existing_sqlite, schema
    from bip_bridge.templates import load_templates

    settings = app.settings
    require_existing_sqlite(settings.store.url, needed_for="nothing to report")
    # what the e-mail options need is checked before the report is built, so a missing
    # [smtp] or password is told at once and writes nothing
    if send_email:
        from bip_bridge.mailer import require_bundle_smtp

        require_bundle_smtp(settings.smtp)
    if email_cards:
        from bip_bridge.outreach.cards_mail import require_cards_smtp

        require_cards_smtp(settings)
        settings.require_password()  # the caseworkers' addresses are read from LimeSurvey
    templates = load_templates(settings.surveys.template_dir)
    engine = open_store(settings.store.url)
    try:
        names: dict[str, str] = {}
        if not no_names:
            from bip_bridge.reports.names import first_names_or_empty

            names = first_names_or_empty(settings, engine, templates)
        folder = write_reports(engine, settings, templates,
                               today=report_date.date() if report_date else None,
                               out_dir=out_dir, excel=excel,
                               first_names=names)
        with engine.connect() as conn:
            responses = conn.execute(sa.select(sa.func.count())
                                     .select_from(schema.responses)).scalar_one()
    finally:
        engine.dispose()
    app.echo(f"Reports written to {folder}")
    indexes = sorted((folder / "cards").glob("*/index.html"))
    if indexes:
        cards = sum(1 for p in (folder / "cards").glob("*/*.html") if p.name != "index.html")
        app.echo(f"Progression cards: {cards}, with an index page per caseworker "
                 f"({len(indexes)}) in {folder / 'cards'}/<caseworker id>/index.html; "
                 "`bip-bridge participants card ID` prints one person's card.")
    if responses and not no_names and not names:
        app.echo("First names could not be read from LimeSurvey: the cards show the first 8 "
                 "characters of each pseudonym.")
    if not responses:
        app.echo("The store holds no responses yet, so the report is empty: run "
                 "`bip-bridge sync` first (it pulls the answers from LimeSurvey).")
    if send_email:
        from bip_bridge.mailer import send_bundle
        from bip_bridge.reports.frames import BUNDLE_FILES

        paths = [folder / name for name in (*BUNDLE_FILES, "report.html")]
        delivered = send_bundle(settings.smtp, paths,
                                subject=f"bip-bridge report {folder.name}")
        app.echo(f"Analyst bundle e-mailed to {delivered} recipient(s).")
    if email_cards:
        from bip_bridge.limesurvey import connect
        from bip_bridge.locking import mutation_lock
        from bip_bridge.outreach.cards_mail import send_cards

        with mutation_lock(settings, command="report --email-cards"):
            engine = open_store(settings.store.url)
            try:
                with connect(settings) as api:
                    mailed = send_cards(api, engine, settings, templates, folder)
            finally:
                engine.dispose()
        for line in mailed.skipped:
            click.echo(f"skipped: {line}", err=True)
        app.echo(mailed.summary())
        if mailed.failed is not None:  # exit 69: the cards not sent go on the next run
            raise mailed.failed
