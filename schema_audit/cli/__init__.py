"""The ``schema-audit`` command line: parse options, call the library, set the exit code.

One module per command (``audit.py``, ``inspect.py``, ``diff.py`` …), each: parse the
options -> call :mod:`schema_audit.api` -> render with :mod:`schema_audit.render` -> write
-> exit code. What they share is in ``options.py`` (options declared once) and
``common.py`` (error phrasing, writing files, progress, the exit policy); the Typer app and
its command table are in ``commands.py``, the entry point in ``entry.py``.

Exit codes: 0 conformant at the ``--fail-on`` threshold, 1 findings at or above it, 2 the
command could not run (bad spec, unreachable database, unreadable migrations), with one
line per problem on stderr and no traceback.

Importing this package imports neither typer nor any command: ``--version`` answers at
once and ``schema-audit audit --help`` loads only the audit command.
"""

from __future__ import annotations

from typing import Any

from schema_audit.cli.entry import main

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    """``app`` (the Typer app, for typer's CliRunner) is built on first use."""
    if name == "app":
        from schema_audit.cli.commands import app

        return app
    raise AttributeError(f"module 'schema_audit.cli' has no attribute {name!r}")
