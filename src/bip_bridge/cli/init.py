"""`bip-bridge init`: write a commented starter configuration."""

from __future__ import annotations

from pathlib import Path

import click

from bip_bridge.cli.context import AppContext, pass_app
from bip_bridge.config import DEFAULT_CONFIG_NAME, write_starter


@click.command("init")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@pass_app
def command(app: AppContext, path: Path | None, force: bool) -> None:
    """Write a commented starter configuration file (default ./bip-bridge.toml).

    The file holds every section with its defaults and a comment per key, and no secret:
    the LimeSurvey password and the pseudonym key go in environment variables (the file
    says which). Exit codes: 0 written; 78 the file exists (pass --force to overwrite);
    73 the folder does not exist or cannot be written.
    """
    target = path or Path(app.config_path or DEFAULT_CONFIG_NAME)
    write_starter(target, force=force)
    app.echo(
        f"Wrote {target}. Edit it, set BIP_BRIDGE_LIMESURVEY_PASSWORD and "
        "BIP_BRIDGE_PSEUDONYM_KEY, then run `bip-bridge check`."
    )
