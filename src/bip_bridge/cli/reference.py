"""Generates docs/cli.md from the click commands themselves, so the reference cannot drift.

Regenerate with ``python -m bip_bridge.cli.reference > docs/cli.md``; a test fails when a
command is missing from docs/cli.md or its text is out of date.
"""

from __future__ import annotations

import click

HEADER = """# Command reference

Generated from the commands' own help by `python -m bip_bridge.cli.reference > docs/cli.md`
(a test fails when this file is out of date). Global options go before the command:
`bip-bridge [--config FILE] [-v|-vv|-q] COMMAND ...`. Exit codes: docs/exit-codes.md.
"""


HELP_OPTIONS = ["-h", "--help"]  # as in the real group's context_settings


def _context(command: click.Command, path: str) -> click.Context:
    # The same help option names as a real run: click caches each command's help option,
    # so rendering must not depend on what ran before.
    return click.Context(command, info_name=path, terminal_width=88, max_content_width=88,
                         help_option_names=HELP_OPTIONS)


def iter_commands(
    group: click.Group, prefix: str = "bip-bridge"
) -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    ctx = _context(group, prefix)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(iter_commands(command, path))
    return found


def render_help(path: str, command: click.Command) -> str:
    return command.get_help(_context(command, path))


def render(group: click.Group) -> str:
    parts = [HEADER]
    parts.append("## bip-bridge\n\n```text\n" + render_help("bip-bridge", group) + "\n```\n")
    for path, command in iter_commands(group):
        parts.append(f"## {path}\n\n```text\n{render_help(path, command)}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover
    from bip_bridge.cli import main

    click.echo(render(main), nl=False)
