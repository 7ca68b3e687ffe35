"""Project configuration: defaults for the command line, from ``schema-audit.toml`` or pyproject.toml.

A team writes its spec path, migration folder and thresholds once; the command
line still wins. Only the current directory is searched (no walking up), so
what applies is obvious. Secrets do not belong here: there is no ``dsn`` key;
use ``SCHEMA_AUDIT_DSN`` or the libpq environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schema_audit.errors import SchemaAuditError

# config key -> (command, parameter name) it provides a default for
KEYS: dict[str, list[tuple[str, str]]] = {
    "spec": [("audit", "spec")],
    "migrations": [("audit", "migrations"), ("init", "migrations")],
    "sql": [("audit", "sql"), ("init", "sql")],
    "fail-on": [("audit", "fail_on")],
    "format": [("audit", "fmt")],
    "output-dir": [("audit", "output_dir")],
    "schema": [("audit", "schema")],
    "statement-timeout": [("audit", "statement_timeout")],
    "lock-timeout": [("audit", "lock_timeout")],
    "date": [("audit", "date")],
    "replay": [("audit", "replay")],
    "rules": [("audit", "rules")],
    "scratch-dsn": [("audit", "scratch_dsn")],
    "replay-setup": [("audit", "replay_setup")],
    "allow": [("lint-migrations", "allow")],
    "online": [("lint-migrations", "online")],
    "no-exec": [
        ("audit", "no_exec"),
        ("inspect", "no_exec"),
        ("init", "no_exec"),
        ("lint-migrations", "no_exec"),
        ("diff", "no_exec"),
    ],
    "search-path": [
        ("audit", "search_path"),
        ("inspect", "search_path"),
        ("init", "search_path"),
        ("lint-migrations", "search_path"),
        ("diff", "search_path"),
    ],
    "allow-unrendered": [
        ("audit", "allow_unrendered"),
        ("inspect", "allow_unrendered"),
        ("init", "allow_unrendered"),
        ("lint-migrations", "allow_unrendered"),
        ("diff", "allow_unrendered"),
    ],
}


class ConfigError(SchemaAuditError):
    """The configuration file cannot be used; one line with the file and key."""


@dataclass(slots=True)
class Config:
    """The command-line defaults read from schema-audit.toml or pyproject.toml, and the file they
    came from."""

    values: dict[str, Any] = field(default_factory=dict)
    source: str | None = None  # the file the values came from

    def default_map(self) -> dict[str, dict[str, Any]]:
        """Click's default_map: {command: {parameter: value}}."""
        out: dict[str, dict[str, Any]] = {}
        for key, value in self.values.items():
            for command, parameter in KEYS[key]:
                out.setdefault(command, {})[parameter] = value
        return out


def load_config(directory: Path | None = None) -> Config:
    directory = directory or Path.cwd()
    own = directory / "schema-audit.toml"
    pyproject = directory / "pyproject.toml"
    if own.is_file():
        table, source = _read(own), str(own)
    elif pyproject.is_file():
        table = _read(pyproject).get("tool", {}).get("schema-audit")
        if table is None:
            return Config()
        source = f"{pyproject} [tool.schema-audit]"
    else:
        return Config()
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], list(KEYS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"{source}: unknown key {unknown[0]!r}{hint}; known keys: {', '.join(KEYS)}"
        )
    for key, value in table.items():
        if _empty(value):
            file = own if own.is_file() else pyproject
            line = _line_of(file, key, own.is_file())
            raise ConfigError(
                f"{file}{f':{line}' if line else ''}: {key}: empty value; "
                "give one or leave the key out"
            )
    return Config(dict(table), source)


def _empty(value: Any) -> bool:
    """An empty (or blank) string, or a list holding one: no key has a meaning for it, and
    taken as a default it would read the current directory as a history (``sql = ""``) or
    write the reports there (``output-dir = ""``), as the empty command-line value did
    before it was refused."""
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list) and any(isinstance(v, str) and not v.strip() for v in value)


def _line_of(path: Path, key: str, own: bool) -> int | None:
    """The line that sets ``key`` (in pyproject.toml: under [tool.schema-audit]), if found."""
    inside = own
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = text.strip()
        if stripped.startswith("["):
            inside = own or stripped.replace(" ", "") in (
                "[tool.schema-audit]",
                '[tool."schema-audit"]',
            )
            continue
        name = stripped.partition("=")[0].strip().strip('"').strip("'")
        if inside and name == key and "=" in stripped:
            return number
    return None


def _read(path: Path) -> dict[str, Any]:
    # imported here: every command loads the configuration, and with no file (the usual
    # case) tomllib's import (~10 ms where `python -c pass` takes 20) would be for nothing
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
