"""`bip-bridge status`: where things stand (waves, caseworkers, last sync, next due dates)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import click

from bip_bridge.cli.context import AppContext, pass_app


@click.command("status")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (today, live, waves, caseworkers, last_sync, "
              "next_due) instead of tables, for scripts.")
@click.option("--live", is_flag=True,
              help="Also ask LimeSurvey which tokens were invited and answered since the "
              "last sync (read only: nothing is written).")
@click.option("--today", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Count as if today were this date (YYYY-MM-DD). Default: the real date.")
@pass_app
def command(app: AppContext, as_json: bool, live: bool, today: datetime | None) -> None:
    """Show where things stand, from the store.

    Per wave: participants due, invited and answered (participant survey P and
    caseworker survey C) and the response rates; per caseworker: participants,
    assessments open and overdue (still open after the last reminder day); the last
    sync (time and result); the next due dates. Reads the store only and creates
    nothing (a store that does not exist yet is reported, exit 66); --live also reads
    LimeSurvey's token tables. No names or e-mail addresses are shown.

    Exit codes: 0 shown; 66 no store yet; 69 the store cannot be read (or, with --live,
    LimeSurvey cannot be reached); 78 configuration problem (docs/exit-codes.md).
    """
    from bip_bridge.outreach.status import status

    day = today.date() if today is not None else date.today()
    result = status(app.settings, today=day, live=live)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
        return
    _print_tables(result)


def _pct(value: Any) -> str:
    return "–" if value is None or value != value else f"{value:.0%}"


def _print_tables(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    where = "store and LimeSurvey" if result.live else "store"
    waves = Table(title=f"Waves on {result.today.isoformat()} (from the {where})")
    for name in ("wave", "due", "invited P", "invited C", "answered P", "answered C",
                 "rate P", "rate C"):
        waves.add_column(name, justify="right")
    for row in result.waves.itertuples(index=False):
        waves.add_row(str(row.wave), str(row.due), str(row.invited_p), str(row.invited_c),
                      str(row.answered_p), str(row.answered_c), _pct(row.rate_p),
                      _pct(row.rate_c))
    console.print(waves if len(result.waves) else "No wave has come due yet.")
    cws = Table(title="Caseworker assessments")
    for name, justify in (("caseworker", "left"), ("participants", "right"),
                          ("open", "right"), ("overdue", "right")):
        cws.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in result.caseworkers.itertuples(index=False):
        cws.add_row(str(row.caseworker_id), str(row.participants), str(row.open),
                    f"[red]{row.overdue}[/red]" if row.overdue else "0")
    console.print(cws if len(result.caseworkers) else "No caseworkers yet.")
    sync = result.last_sync
    if sync is None:
        console.print("Last sync: never (run `bip-bridge sync`).")
    else:
        when = sync["finished_at"] or sync["started_at"]
        stamp = when.strftime("%Y-%m-%d %H:%M UTC") if when is not None else "?"
        extra = f", {sync['new']} new response(s)" if sync.get("new") is not None else ""
        error = f" ({sync['error']})" if sync.get("error") else ""
        console.print(f"Last sync: {stamp}, {sync['status']}{extra}{error}")
    if len(result.next_due):
        dates = ", ".join(f"{r.due_on.isoformat()} ({r.participants})"
                          for r in result.next_due.itertuples(index=False))
        console.print(f"Next due (participants): {dates}")
    else:
        console.print("Next due: nothing planned (no active participants).")
