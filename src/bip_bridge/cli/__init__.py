"""The bip-bridge command line: click only.

Each command parses its options, calls one function of the core, prints a summary, and
turns the project's own exceptions into a message and an exit code (docs/exit-codes.md).
Commands live one per module in this package and register themselves in ``COMMANDS``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from bip_bridge import __version__
from bip_bridge.cli.context import AppContext, pass_app
from bip_bridge.errors import BipBridgeError, FileAccessError, redact
from bip_bridge.logs import setup_logging

F = TypeVar("F", bound=Callable[..., Any])

# module name in bip_bridge.cli -> attribute holding the click command or group
COMMAND_MODULES: tuple[str, ...] = (
    "init",
    "check",
    "templates",
    "provision",
    "participants",
    "waves",
    "sync",
    "status",
    "letters",
    "analyse",
    "report",
    "pushback",
    "demo",
)


class BipGroup(click.Group):
    """Turns project exceptions into a message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BipBridgeError as err:
            self._fail(ctx, err)
        except OSError as err:  # a path the user named: missing folder, permission, full disk
            if err.filename is None:  # not about a file (a socket...): a bug, keep the trace
                raise
            self._fail(ctx, FileAccessError.from_oserror(err))
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except click.exceptions.Abort as err:  # Ctrl-C at a prompt arrives as Abort
            if not isinstance(err.__context__, KeyboardInterrupt):
                raise  # the user answered no: click's own "Aborted!"
            click.echo("Interrupted.", err=True)
            ctx.exit(130)

    @staticmethod
    def _fail(ctx: click.Context, err: BipBridgeError) -> None:
        click.secho(f"Error: {err}", fg="red", err=True)
        if err.hint:
            click.echo(f"Fix: {err.hint}", err=True)
        ctx.exit(err.exit_code)


@click.group(cls=BipGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bip-bridge")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    envvar="BIP_BRIDGE_CONFIG",
    show_envvar=True,
    help="Configuration file (default: ./bip-bridge.toml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: int, quiet: bool) -> None:
    """bip-bridge: measure BIP employability progression with LimeSurvey.

    Provision the indicator questionnaires, run the three-monthly waves, sync responses
    into a local store, compute progression and write reports. See docs/cli.md.
    """
    setup_logging(verbose=verbose, quiet=quiet)
    ctx.obj = AppContext(config_path=config_path, verbose=verbose, quiet=quiet)


def _register() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"bip_bridge.cli.{name}")
        except ModuleNotFoundError as exc:  # a command not written yet
            if exc.name != f"bip_bridge.cli.{name}":
                raise
            continue
        command = module.command
        main.add_command(command)


def _interrupted_at_start() -> None:
    """Ctrl-C while the commands load: the same message and exit code as during a
    command (130), never a traceback."""
    sys.stderr.write("Interrupted.\n")
    raise SystemExit(130)


try:
    _register()
except KeyboardInterrupt:
    _interrupted_at_start()

__all__ = ["AppContext", "main", "pass_app", "redact"]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
