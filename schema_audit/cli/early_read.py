"""The live read of ``init`` / ``inspect`` / ``audit --dsn``, started as the command line is read.

Why: a live command's client imports typer, builds its command and imports the command's
modules (≈ 0.05–0.07 CPU s) before ``read_ahead`` / ``read_source`` starts the catalog
read, while the server has nothing to do. At 1,000 tables the read's wall time is about
twice its client CPU (the servers answer meanwhile), so work done by this process while
the read runs is nearly free. Started here (``cli/entry.py``, before typer is imported)
the read's connections and queries run on the server while this process imports typer
and parses the command line.

Only a plain command line starts it: the command, then options this module knows (each
with its value when it takes one), among them one ``--dsn`` (or ``SCHEMA_AUDIT_DSN``), no
other source, no ``--help``, and no configuration file in the current directory (its
defaults are applied by typer's parse). Anything else starts nothing here; the command
reads as before. The command itself still decides: ``read_ahead`` and ``read_source``
call :func:`take` with the parameters the parsed command line gave, and the read started
here is used only when they are exactly the ones it was started with (the same DSN,
schemas, connections and timeouts). A read that is not taken (a usage error, other
parameters) is left to end on its own: its thread is a daemon and its transaction is
read-only, rolled back when the process closes the connections, as when ``audit`` fails
on its spec while its read runs ahead. Its notices and errors are never shown.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

# The options of each command taking a value, and its flags; anything else on the command
# line (another option, an argument, ``--help``, a source other than ``--dsn``) means the
# command line is read by typer alone.
_COMMON_VALUE = frozenset({"--dsn", "--schema", "--jobs", "--output", "-o"})
_VALUE_OPTIONS = {
    "init": _COMMON_VALUE | {"--name", "--tables", "--only", "--expires-in", "--tenant-column"},
    "inspect": _COMMON_VALUE | {"--format", "-f", "--indent"},
    "audit": _COMMON_VALUE
    | {
        "--spec",
        "-s",
        "--var",
        "--spec-allow",
        "--format",
        "-f",
        "--fail-on",
        "--statement-timeout",
        "--lock-timeout",
        "--date",
        "--report",
        "--html",
        "--junit",
        "--sarif",
        "--output-dir",
        "--baseline",
        "--compare",
        "--rules",
        "--rule",
    },
}
_FLAGS = {
    "init": frozenset({"--force", "--strict", "--no-strict", "--allow-unrendered"}),
    "inspect": frozenset({"--allow-unrendered"}),
    "audit": frozenset({"--quiet", "-q", "--allow-unrendered"}),
}
_TIMEOUTS = ("--statement-timeout", "--lock-timeout")
_DEFAULT_TIMEOUTS = (30000, 5000)  # load_source's and audit's defaults, in ms
_PG_INT_MAX = 2**31 - 1
_DEFAULT_JOBS = 4
_OWN_CONFIG, _PYPROJECT = "schema-audit.toml", "pyproject.toml"  # config.load_config's
# configuration keys that would change the read or the source the command reads
_READ_KEYS = frozenset(
    {"schema", "statement-timeout", "lock-timeout", "migrations", "sql", "replay"}
)

# The commands whose early read runs in a child (``sources/live_child.py``): those with
# work of their own while the read runs (init's and audit's imports, audit's spec load), which
# the child's core frees. ``inspect`` has none: it waits for the model, so the child's second
# interpreter and the rows' marshalling at both ends were pure cost there (quiet machine,
# alternating, wall medians: 5,000 tables 1.57 s in process against 1.73 s with the child,
# 1,000 tables 0.489 against 0.502); it reads in this process's threads, as before the child.
_CHILD_COMMANDS = frozenset({"init", "audit"})

# the one read started: (its parameters, the ReadAhead)
_STARTED: list[tuple[tuple[Any, ...], Any]] = []


def start(argv: list[str]) -> None:
    """Start the live read ``argv`` (the command line after the program name) asks for,
    when it is a plain one (module docstring); else nothing."""
    forget()  # one left by an earlier command line of this process is never this one's
    key = parameters(argv)
    if key is None:
        return
    # the read's modules in this thread, before the read's own starts (two threads importing
    # one module graph at once may wait on each other's module locks) and before the fork
    # (the child has them then: imported twice they cost ≈ 0.04 CPU s more); none of them
    # imports psycopg
    from schema_audit.cli import driverversion
    from schema_audit.sources import live, live_ahead, select  # noqa: F401

    driverversion.preset()  # before psycopg is imported (the child inherits the finder)
    if argv[0] not in _CHILD_COMMANDS:  # inspect: the read's threads, no child module either
        _STARTED.append((key, read_in_thread(*key)))
        return
    # the queries in a child forked now: it imports psycopg and opens the read on the second
    # core while this process imports the command; this one builds the model from the rows
    # the child hands over (``sources/live_child.py``; its import, pickle with it, ≈ 5 ms)
    from schema_audit.sources import live_child

    child = live_child.fork(*key)
    if child is None:  # no safe fork here: the read's threads in this process, as before
        _STARTED.append((key, read_in_thread(*key)))
        return
    dsn = key[0]
    _STARTED.append((key, live_ahead.ReadAhead(lambda notice: live_child.read(child, dsn, notice))))


def read_in_thread(
    dsn: str,
    schemas: Sequence[str] | None,
    jobs: int,
    statement_timeout_ms: int,
    lock_timeout_ms: int,
) -> Any:
    """The live read of ``dsn`` started now in a thread: a ``live_ahead.ReadAhead`` of
    ``select.load_source`` (its notices kept until its result is taken)."""
    from schema_audit.cli import driverversion

    driverversion.preset()  # before psycopg is imported: keeps importlib.metadata out
    # psycopg in the caller's thread, not the read's (``live`` imports it only to read): a
    # daemon thread still importing it when the command ends first (a bad option) and the
    # interpreter shuts down crashed the process (SIGSEGV in the extension's import)
    import psycopg  # noqa: F401

    from schema_audit.sources import live_ahead
    from schema_audit.sources.select import load_source

    return live_ahead.ReadAhead(
        lambda notice: load_source(
            dsn=dsn,
            schemas=list(schemas) if schemas else None,
            statement_timeout_ms=statement_timeout_ms,
            lock_timeout_ms=lock_timeout_ms,
            jobs=jobs,
            notice=notice,
        )
    )


def take(
    dsn: str,
    schemas: list[str] | None,
    jobs: int,
    statement_timeout_ms: int = _DEFAULT_TIMEOUTS[0],
    lock_timeout_ms: int = _DEFAULT_TIMEOUTS[1],
) -> Any:
    """The read started by :func:`start` when it was started with exactly these parameters
    (a ``ReadAhead``), else None; either way no later call gets it."""
    if not _STARTED:
        return None
    key, ahead = _STARTED.pop()
    wanted = (dsn, tuple(schemas) if schemas else None, jobs, statement_timeout_ms, lock_timeout_ms)
    return ahead if key == wanted else None


def forget() -> None:
    """Drop a read started and not taken: it read the database as it was when its command
    line began, so no later command of this process (``entry.main`` called again, or a
    command run in process after it) may take it."""
    _STARTED.clear()


def parameters(argv: list[str]) -> tuple[Any, ...] | None:
    """(dsn, schemas or None, jobs, statement timeout, lock timeout) of a plain live command
    line, or None."""
    if not argv or argv[0] not in _VALUE_OPTIONS or _config_file():
        return None
    command, values, flags = argv[0], _VALUE_OPTIONS[argv[0]], _FLAGS[argv[0]]
    given: dict[str, list[str]] = {}
    rest = argv[1:]
    i = 0
    while i < len(rest):
        token = rest[i]
        name, eq, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        if name in flags and not eq:
            i += 1
            continue
        if name not in values:
            return None
        if eq:
            value, i = inline, i + 1
        elif i + 1 < len(rest):
            value, i = rest[i + 1], i + 2
        else:
            return None
        given.setdefault(name, []).append(value)
    dsns = given.get("--dsn") or [os.environ.get("SCHEMA_AUDIT_DSN", "")]
    if len(dsns) != 1 or not dsns[0]:
        return None
    schemas = given.get("--schema")
    if schemas is not None and not all(schemas):
        return None
    jobs = _single_int(given, "--jobs", _DEFAULT_JOBS, 1, None)
    timeouts = [
        _single_int(given, option, default, 0, _PG_INT_MAX) if command == "audit" else default
        for option, default in zip(_TIMEOUTS, _DEFAULT_TIMEOUTS, strict=True)
    ]
    if jobs is None or None in timeouts:
        return None
    return (dsns[0], tuple(schemas) if schemas else None, jobs, *timeouts)


def _single_int(
    given: dict[str, list[str]], option: str, default: int, low: int, high: int | None
) -> int | None:
    """The one integer value of ``option`` within [low, high] (its default when absent), or
    None for anything typer might read otherwise (given twice, not a plain decimal)."""
    found = given.get(option)
    if found is None:
        return default
    if len(found) != 1 or not found[0].isascii() or not found[0].isdigit():
        return None
    value = int(found[0])
    return value if value >= low and (high is None or value <= high) else None


def _config_file() -> bool:
    """Whether a configuration file gives the command a default that may change its read
    (``schema``, the timeouts, another source) or cannot be read (the command says so)."""
    if not (os.path.exists(_OWN_CONFIG) or os.path.exists(_PYPROJECT)):
        return False  # the usual case: nothing to parse
    from schema_audit.config import ConfigError, load_config

    try:
        values = load_config().values
    except (ConfigError, OSError, ValueError):
        return True
    return not _READ_KEYS.isdisjoint(values)
