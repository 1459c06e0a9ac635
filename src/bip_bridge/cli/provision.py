"""`bip-bridge provision`: create the two surveys in LimeSurvey from the templates."""

from __future__ import annotations

import click

from bip_bridge.cli.context import AppContext, pass_app


@click.command("provision")
@click.option("--dry-run", is_flag=True,
              help="Only print the plan: what would be imported, kept or retired. Still "
              "connects to LimeSurvey (read-only) and checks existing surveys for drift.")
@pass_app
def command(app: AppContext, dry_run: bool) -> None:
    """Import, set up and record the participant and caseworker surveys.

    For each questionnaire of the templates ([surveys] template_dir, default: the
    shipped ones) this imports the survey into LimeSurvey (sv base language, da and en),
    creates its participant table with every declared token attribute, activates it, and
    records the survey id LimeSurvey chose in the store's surveys table. It is
    idempotent: when the surveys of the current template version exist and still match
    their templates, it changes nothing and says so. A new template_version is
    provisioned as new surveys; the older ones stay, for syncing only. A survey imported
    by hand and named in [surveys] participant_sid / caseworker_sid is checked and
    adopted instead. A half-made survey (failed import or activation) is deleted again.

    Prints one line per questionnaire (created / unchanged / would create, with the
    survey id). Exit codes: 0 done or nothing to do; 65 a template is invalid or a live
    survey no longer matches its template (each difference is named); 66 a recorded
    survey no longer exists in LimeSurvey; 75 another changing command holds the lock;
    69/76/77/78 LimeSurvey unreachable, refusing,
    wrong credentials or misconfigured (docs/exit-codes.md).
    """
    from bip_bridge.errors import NotFound
    from bip_bridge.limesurvey import connect
    from bip_bridge.locking import mutation_lock, no_lock
    from bip_bridge.provision import Sender, provision
    from bip_bridge.store import open_store
    from bip_bridge.templates import load_templates

    settings = app.settings
    templates = load_templates(settings.surveys.template_dir)
    with no_lock() if dry_run else mutation_lock(settings, command="provision"):
        try:
            engine = open_store(settings.store.url, create=not dry_run)
        except NotFound:  # a dry run before the store exists: plan against an empty one
            engine = open_store("sqlite:///:memory:")
        try:
            with connect(settings) as api:
                report = provision(api, engine, templates, dry_run=dry_run, adopt={
                    "participant": settings.surveys.participant_sid,
                    "caseworker": settings.surveys.caseworker_sid,
                }, sender=Sender(settings.surveys.sender_name, settings.surveys.sender_email))
        finally:
            engine.dispose()
    for line in report.lines():
        app.echo(line)
    if not settings.surveys.sender_email and not all(
            q.admin_email for q in templates.questionnaires):
        app.echo("note: no sender address: LimeSurvey sends the invitations from its site "
                 "default (often the placeholder your-email@example.net); set [surveys] "
                 "sender_name and sender_email and run `bip-bridge provision` again.")
