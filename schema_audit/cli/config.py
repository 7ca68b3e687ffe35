"""``schema-audit config``: the effective configuration and where each value comes from.

The values are read once, by the app's callback (schema_audit/cli/commands.py), from
schema-audit.toml or [tool.schema-audit] in pyproject.toml; this command only shows them
next to the defaults the commands declare.
"""

from __future__ import annotations

from typing import Any

import typer


def config(ctx: typer.Context) -> None:
    """Show the effective configuration and where each value comes from.

    Example: schema-audit config
    """
    from schema_audit.config import KEYS

    loaded = ctx.obj
    defaults = _option_defaults(ctx.find_root())
    for key in KEYS:
        if loaded is not None and key in loaded.values:
            typer.echo(f"{key} = {_plain(loaded.values[key])}  ({loaded.source})")
        elif defaults.get(key) is not None:
            typer.echo(f"{key} = {_plain(defaults[key])}  (built-in default)")
        else:
            typer.echo(f"{key}: not set (no default; the command line can set it)")


def _option_defaults(root: Any) -> dict[str, object]:
    """Each long option's default, as the commands declare it (the first command to declare
    an option wins: they share defaults). Every command is loaded for this."""
    group = root.command
    found: dict[str, object] = {}
    for name in group.list_commands(root):
        command = group.get_command(root, name)
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--"):
                    found.setdefault(opt[2:], param.default)
    return found


def _plain(value: object) -> str:
    """A configuration value as a user writes it: no Python quoting, booleans in lower case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value) or "(empty)"
    return str(getattr(value, "value", value))
