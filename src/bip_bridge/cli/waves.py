"""`bip-bridge waves`: create the tokens that have come due, send invitations and reminders."""

from __future__ import annotations

from datetime import date, datetime

import click

from bip_bridge.cli.context import AppContext, pass_app


@click.command("waves")
@click.option("--dry-run", is_flag=True,
              help="List what would be created and sent, one line per token; change nothing "
              "(reads LimeSurvey and the store only).")
@click.option("--today", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only with --dry-run: show what would be due on this date (YYYY-MM-DD). "
              "Default: the real date.")
@click.option("--send-as-of", "send_as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              default=None,
              help="Create tokens and SEND the invitations and reminders that are due as if "
              "today were this date (YYYY-MM-DD). Real e-mail goes out; preview first with "
              "--dry-run --today DATE.")
@pass_app
def command(app: AppContext, dry_run: bool, today: datetime | None,
            send_as_of: datetime | None) -> None:
    """Run the measurement waves for every enrolled participant.

    Wave 0 is due at enrolment, wave k at enrolment + k x [waves] interval_months
    calendar months (the 31st becomes the last day of a shorter month). For each
    participant who has not ended, this creates the current wave's token in both the
    participant and the caseworker survey (attributes: pseudonym, wave, caseworker id;
    the contact data is copied from the person's previous token in LimeSurvey), sends
    the invitations through LimeSurvey on the due date and reminders [waves]
    reminder_days after the invitation, to tokens not yet completed. Caseworkers get
    one e-mail per run from bip-bridge over [smtp] listing every assessment due (first
    name, wave, personal link), unless [waves] caseworker_email = "limesurvey" lets
    LimeSurvey mail each assessment. It never creates a
    token or sends an e-mail twice, however often it runs or wherever a run was cut
    off; `sync` runs it too. Tokens created in advance for a wave after a participant's
    end are withdrawn.

    Writes: tokens in LimeSurvey, the store's tokens and deliveries tables. Prints a
    summary (with --dry-run, one line per action; participants by pseudonym prefix
    only). Exit codes: 0 done (people whose contact data is missing are listed as
    skipped); 66 no active surveys (run `bip-bridge provision`); 75 another changing
    command holds the lock; 78 no pseudonym key; 69/76/77 LimeSurvey unreachable,
    refusing or wrong credentials (docs/exit-codes.md).
    """
    from bip_bridge.limesurvey import connect
    from bip_bridge.locking import mutation_lock, no_lock
    from bip_bridge.store import open_store
    from bip_bridge.templates import load_templates
    from bip_bridge.waves import run_waves

    if today is not None and not dry_run:
        raise click.UsageError(
            "--today only previews: use it with --dry-run. To send as if it were another "
            "date, name it --send-as-of DATE (real e-mail goes out).")
    if today is not None and send_as_of is not None:
        raise click.UsageError("Give --today (with --dry-run) or --send-as-of, not both.")
    if send_as_of is not None and dry_run:
        today, send_as_of = send_as_of, None
    when = today or send_as_of
    settings = app.settings
    day = when.date() if when is not None else date.today()
    templates = load_templates(settings.surveys.template_dir)
    with no_lock() if dry_run else mutation_lock(settings, command="waves"):
        engine = open_store(settings.store.url)
        try:
            with connect(settings) as api:
                report = run_waves(api, engine, settings, templates, today=day,
                                   dry_run=dry_run)
                digest = None
                if not dry_run and settings.waves.caseworker_email == "digest":
                    from bip_bridge.outreach.digest import send_digests

                    digest = send_digests(api, engine, settings, templates, today=day)
        finally:
            engine.dispose()
    if dry_run:
        for line in report.lines:
            app.echo(line)
        if settings.waves.caseworker_email == "digest":
            from bip_bridge.outreach.digest import dry_run_lines

            for line in dry_run_lines(report.actions):
                app.echo(line)
    for line in report.skipped:
        click.echo(f"skipped: {line}", err=True)
    app.echo(report.summary())
    if digest is not None:
        for line in digest.skipped:
            click.echo(f"skipped: {line}", err=True)
        app.echo(digest.summary())
