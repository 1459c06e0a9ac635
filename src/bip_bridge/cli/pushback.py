"""`bip-bridge pushback`: write the latest indices into LimeSurvey token attributes."""

from __future__ import annotations

import click

from bip_bridge.cli.context import AppContext, pass_app


@click.command("pushback")
@click.option("--dry-run", is_flag=True, default=False,
              help="Read the surveys' attribute declarations and list what would change, "
              "but write nothing to LimeSurvey or the store.")
@pass_app
def command(app: AppContext, dry_run: bool) -> None:
    """Push the latest indices and last answers to the current-wave tokens.

    For every participant, the participant's and the caseworker's current-wave token
    (highest wave in the store) gets p_index, p_change, c_index, c_change and
    prev_<CODE> (the last answers) in the token attributes the templates declare, so
    LimeSurvey's participant list shows them and the next questionnaire can show "last
    time you answered ...". Only changed tokens are written (the store remembers what
    was pushed), so running it twice changes nothing. A survey that lacks the
    attributes is skipped with a warning. `sync` runs this itself when [sync] pushback
    is true.

    Exit codes: 0 done (also when surveys were skipped); 69 LimeSurvey or the store is
    unavailable; 75 another changing command holds the lock; 77 login refused; 78
    configuration problem.
    """
    from bip_bridge.limesurvey import connect
    from bip_bridge.locking import mutation_lock, no_lock
    from bip_bridge.pushback import push_back
    from bip_bridge.store import open_store
    from bip_bridge.templates import load_templates

    settings = app.settings
    templates = load_templates(settings.surveys.template_dir)
    with no_lock() if dry_run else mutation_lock(settings, command="pushback"):
        engine = open_store(settings.store.url)
        try:
            with connect(settings) as api:
                report = push_back(api, engine, templates, dry_run=dry_run,
                                   min_cell=settings.privacy.min_cell)
        finally:
            engine.dispose()
    for warning in report.warnings:
        click.secho(f"Warning: {warning}", fg="yellow", err=True)
    if dry_run:
        for push in report.planned:
            app.echo(f"  survey {push.sid} token {push.tid} ({push.kind}, wave {push.wave}): "
                     + ", ".join(f"{k}={v}" for k, v in sorted(push.values.items())))
    app.echo(report.summary())
