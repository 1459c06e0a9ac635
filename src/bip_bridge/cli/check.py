"""`bip-bridge check`: is the LimeSurvey connection and configuration ready?"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bip_bridge.cli.context import AppContext, pass_app

if TYPE_CHECKING:  # the checks (SQLAlchemy, the client) are imported when `check` runs
    from bip_bridge.checks import CheckReport

_COLOURS = {"OK": "green", "WARN": "yellow", "FAIL": "red"}


def render(report: CheckReport) -> list[str]:
    """The report as text lines: status, what was checked, what was found, then any fix."""
    width = max((len(r.name) for r in report.results), default=0)
    lines: list[str] = []
    for result in report.results:
        status = click.style(f"{result.status:<4}", fg=_COLOURS[result.status], bold=True)
        lines.append(f"{status}  {result.name:<{width}}  {result.detail}")
        if result.hint and result.status != "OK":
            lines.append(f"{'':<4}  {'':<{width}}  Fix: {result.hint}")
    return lines


@click.command("check")
@pass_app
def command(app: AppContext) -> None:
    """Check the LimeSurvey connection, login, permissions and configured surveys.

    Connects to [limesurvey] url, and prints one line per check (OK, WARN or FAIL, with a
    "Fix:" line for each problem): whether the server answers, whether the RemoteControl
    JSON-RPC interface is on, whether the login works, the LimeSurvey version (readable by
    superadmins only), the read permissions bip-bridge relies on, and whether each survey
    named in [surveys] or recorded in the store exists and can be read. Then the SMTP
    server of [smtp], which the caseworker digests go through: reached, STARTTLS offered
    (unless starttls = false), login accepted; no message is sent (a WARN when there is no
    [smtp] while [waves] caseworker_email = "digest"). Only read-only calls are made (no
    answers are exported) and no store is created. The session key is released at the end.

    Exit codes: 0 all OK (warnings allowed); otherwise the code of the first failure:
    69 server (LimeSurvey or SMTP) unreachable, 77 login refused or locked out, 78 JSON-RPC off or a
    configuration problem, 76 a call refused (missing permission), 66 a configured survey
    does not exist. See docs/exit-codes.md.
    """
    from bip_bridge.checks import run_check

    report = run_check(app.settings)
    for line in render(report):
        click.echo(line)
    if not report.ok:
        click.get_current_context().exit(report.exit_code)
