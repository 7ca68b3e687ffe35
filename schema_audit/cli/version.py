"""The version line, importable without typer or any library: ``schema-audit --version``
answers from here before the command line is even built (schema_audit/cli/entry.py)."""

from __future__ import annotations


def version_line() -> str:
    """``schema-audit 0.2.0 (PostgreSQL 11 or newer; tested against 15)``."""
    from schema_audit import SUPPORTED_POSTGRESQL, __version__

    return f"schema-audit {__version__} (PostgreSQL {SUPPORTED_POSTGRESQL})"
