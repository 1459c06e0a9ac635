"""What every command shares: the settings (loaded once, on first use)."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from bip_bridge.config import Settings, load_settings


@dataclass
class AppContext:
    config_path: str | None = None
    verbose: int = 0
    quiet: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def echo(self, message: str = "") -> None:
        """A summary line on stdout, unless --quiet."""
        if not self.quiet:
            click.echo(message)


pass_app = click.make_pass_decorator(AppContext)
