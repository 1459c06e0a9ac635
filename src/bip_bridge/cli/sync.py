"""`bip-bridge sync`: the scheduled job (waves, pull, push-back, reports) once or repeatedly."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from bip_bridge.cli.context import AppContext, pass_app

if TYPE_CHECKING:  # the job (store, client, metrics) is imported when `sync` runs
    from bip_bridge.jobs import JobResult
    from bip_bridge.sync import SurveySync, SyncProgress


class RichProgress:
    """A live bar per survey on the terminal (stderr), counting responses pulled."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress
        self.tasks: dict[int, Any] = {}
        self.done: dict[int, int] = {}

    def survey_started(self, sid: int, kind: str) -> None:
        self.tasks[sid] = self.progress.add_task(f"survey {sid} ({kind})", total=None)
        self.done[sid] = 0

    def rows_done(self, sid: int, count: int) -> None:
        self.done[sid] = self.done.get(sid, 0) + count
        self.progress.advance(self.tasks[sid], count)

    def survey_finished(self, result: SurveySync) -> None:
        if result.sid in self.tasks:
            done = max(self.done.get(result.sid, 0), 1)
            self.progress.update(self.tasks[result.sid], total=done, completed=done)


@contextlib.contextmanager
def choose_progress(quiet: bool) -> Iterator[SyncProgress | None]:
    """A rich bar when stderr is a terminal, plain log lines otherwise, nothing if --quiet."""
    if quiet:
        yield None
        return
    if not sys.stderr.isatty():
        from bip_bridge.sync import LogProgress

        yield LogProgress()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TextColumn("responses"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        yield RichProgress(bar)


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    from bip_bridge.jobs import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("sync")
@click.option("--full-refresh", is_flag=True,
              help="Pull every response again from id 1, not only the new ones; report the "
                   "responses whose data changed (e.g. edited after completion) and mark those "
                   "deleted in LimeSurvey. Slower; the stored cursor never moves back.")
@click.option("--every", "every", metavar="DURATION", callback=_duration, default=None,
              help="Run again every DURATION (30m, 1h, 1h30m, 1d; at least 1m) until SIGTERM or "
                   "Ctrl-C, which stop cleanly after the page being written (exit 0). A run "
                   "that finds the lock held or LimeSurvey unreachable is skipped with a "
                   "warning.")
@click.option("--page-size", type=click.IntRange(10, 100_000), default=None, metavar="N",
              help="Response ids per export call (default: [sync] page_size, 1000). Memory "
                   "use grows with it, not with the number of responses.")
@pass_app
def command(app: AppContext, full_refresh: bool, every: timedelta | None,
            page_size: int | None) -> None:
    """Run the scheduled job: waves, then pull responses into the store, then push back.

    Takes the store's lock for changing commands (waiting up to [store]
    lock_wait_seconds for another one); opens (and migrates) the store at [store] url;
    connects to [limesurvey] url; checks that the surveys still match their templates; creates due
    wave tokens and sends invitations and reminders; exports new responses in pages of
    response ids from the stored cursor, re-checks the ones that were incomplete, and
    marks those deleted in LimeSurvey (kept, flagged deleted_in_source); then writes the
    latest indices into the token attributes ([sync] pushback) and the reports
    ([reports] after_sync). Each page is written with its cursor in one transaction, so
    an interrupted run loses nothing: run it again. The run summary (new, updated,
    still incomplete, deleted per survey) is printed and stored in the sync_runs table.

    Exit codes: 0 done (or stopped by a signal); 75 another changing command holds
    the lock (try again later; the message names it); 69 LimeSurvey or the store
    unreachable; 73 the store's folder does not exist; 77 login refused; 65 a survey no
    longer matches its template; 78 configuration problem. See docs/operations.md.
    """
    from bip_bridge.jobs import sync_job

    settings = app.settings

    def show(result: JobResult) -> None:
        for line in result.lines():
            app.echo(line)

    with choose_progress(app.quiet) as progress:
        sync_job(settings, full_refresh=full_refresh, every=every, page_size=page_size,
                 progress=progress, on_result=show)
