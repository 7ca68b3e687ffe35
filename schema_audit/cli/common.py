"""What every command shares: error phrasing, writing, progress and the exit policy.

Exit codes: 0 conformant at the ``--fail-on`` threshold (or nothing found), 1 findings at
or above it (or drift, or a destructive migration), 2 the command could not run or read
only part of its source, with one ``schema-audit: …`` line per problem on stderr and no
traceback. Everything printed or written goes through :func:`stdout` or :func:`write`,
which mask the passwords of every DSN named on the command line.

Library modules are imported inside the functions: a command's ``--help`` pays for none.
"""

from __future__ import annotations

import codecs
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn

import typer

from schema_audit.errors import SchemaAuditError

# The command's large objects (model, spec, findings) when the process ends right after the
# command: cli/entry.py ends it without freeing them one by one (see entry._end).
KEPT: list[object] = []
OWN_PROCESS = [False]  # set by cli/entry.main: the command line is this process's only work


def keep_until_exit(*objects: object) -> None:
    """Hold ``objects`` until the process ends, when the command line owns the process.

    Freeing a 5,000-table model object by object costs ~0.07 CPU s (0.05 for a 1,000-table
    audit's model, spec and findings) of work nobody waits for: entry.main ends the process
    after the output is flushed and the exit handlers ran. Called in-process (tests, an
    embedding program), nothing is held.
    """
    if OWN_PROCESS[0]:
        KEPT.extend(objects)


def fail(problems: list[str]) -> NoReturn:
    """Each problem on its own ``schema-audit: …`` line on stderr, then exit 2."""
    for line in problems:
        fail_line(line)
    raise typer.Exit(2)


def fail_line(line: str) -> None:
    """One ``schema-audit: …`` line on stderr, known passwords masked (the exit code is the caller's)."""
    from schema_audit.redact import mask_secrets

    typer.echo(mask_secrets(f"schema-audit: {line}"), err=True)


def known_dsns(*dsns: str | None) -> None:
    """The passwords in these DSNs are masked in everything printed or written from now on."""
    from schema_audit.redact import register_dsn

    register_dsn(*dsns)


def stdout(text: str | Iterable[bytes]) -> None:
    """Everything the tool prints goes through here: known passwords are masked first.

    ``text`` is a string, or UTF-8 pieces of one (a large JSON document, never whole)."""
    from schema_audit.redact import mask_chunks, mask_secrets

    if isinstance(text, str):
        sys.stdout.write(mask_secrets(text))
        return
    out = sys.stdout
    if _is_utf8(getattr(out, "encoding", None)) and hasattr(out, "buffer"):
        out.flush()
        for piece in mask_chunks(text):
            out.buffer.write(piece)
        out.buffer.flush()
        return
    decoder = codecs.getincrementaldecoder("utf-8")()  # a piece may end inside a character
    for piece in mask_chunks(text):
        out.write(decoder.decode(piece))
    out.write(decoder.decode(b"", final=True))


def _is_utf8(encoding: str | None) -> bool:
    """Whether a stream's encoding writes exactly the UTF-8 bytes given (then they go as they are)."""
    try:
        return codecs.lookup(encoding or "").name == "utf-8"
    except LookupError:
        return False


def write(path: Path, text: str | Iterable[bytes]) -> None:
    """Write atomically: a half-written report must never replace a good one.

    ``text`` is a string, or UTF-8 pieces of one, written as they come (a 5,000-table
    report is never held whole). Whatever goes wrong, the temporary file is removed and
    ``path`` keeps what it had. Only regular files are replaced: ``-o /dev/null`` or a
    named pipe is written to, never swapped for a file (as root, a rename would replace
    the device itself).
    """
    from schema_audit.redact import mask_chunks

    pieces = mask_chunks((text.encode("utf-8"),) if isinstance(text, str) else text)
    tmp: Path | None = None
    try:
        if path.exists() and not path.is_file():
            with path.open("wb") as target:
                target.writelines(pieces)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with tmp.open("wb") as target:
            target.writelines(pieces)
        tmp.replace(path)
        tmp = None
    except OSError as exc:
        fail([f"cannot write {path}: {exc.strerror}"])
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def emit(text: str | Iterable[bytes], output: Path | None) -> None:
    """A command's main output: into ``output`` when given, else on stdout."""
    if output:
        write(output, text)
    else:
        stdout(text)


def report_files(output_dir: Path, stem: str) -> list[tuple[Path, str]]:
    """``--output-dir``: the file of each report format, named after the spec's stem."""
    return [
        (output_dir / f"{stem}_report.md", "md"),
        (output_dir / f"{stem}_report.html", "html"),
        (output_dir / f"{stem}_report.json", "json"),
        (output_dir / f"{stem}_junit.xml", "junit"),
        (output_dir / f"{stem}.sarif", "sarif"),
    ]


def phrase(error: SchemaAuditError) -> list[str]:
    """The library names what is wrong; the CLI names the options that fix it."""
    from schema_audit import errors
    from schema_audit.sources.live import LiveTimeoutError

    if isinstance(error, errors.SourceChoiceError):
        got = ", ".join(f"--{name}" for name in error.given)
        return [
            "name exactly one source: --dsn, --migrations or --sql"
            + (f" (got {got})" if got else "")
        ]
    if isinstance(error, errors.ReplayTargetError):
        return [
            "--replay runs probes only on a scratch database it creates; it never writes to a "
            "--dsn target. Give --migrations or --sql (and --scratch-dsn for a server of your own)."
        ]
    if isinstance(error, errors.ReplayHistoryError):
        return ["--replay needs exactly one history: --migrations or --sql"]
    if isinstance(error, LiveTimeoutError):
        return [f"{line} (--lock-timeout, --statement-timeout)" for line in error.problems]
    return error.problems


def reporter(quiet: bool = False) -> Any:
    """Progress on stderr when someone watches: a terminal, or SCHEMA_AUDIT_PROGRESS=1 (CI
    logs); never with SCHEMA_AUDIT_PROGRESS=0 or --quiet."""
    from schema_audit.progress import SILENT, StderrReporter

    setting = os.environ.get("SCHEMA_AUDIT_PROGRESS", "").strip().lower()
    if quiet or setting in ("0", "no", "never", "false"):
        return SILENT
    if setting in ("1", "yes", "always", "true") or sys.stderr.isatty():
        return StderrReporter()
    return SILENT


def variables(pairs: list[str] | None) -> dict[str, str]:
    """``--var NAME=VALUE`` pairs; exit 2 on one without ``=``."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            fail([f"--var {pair!r}: expected NAME=VALUE"])
        out[name] = value
    return out


def parse_search_path(value: str | None) -> list[str] | None:
    """``--search-path a,b`` as a list (quotes around a name dropped); None when not given.

    An empty name (``--search-path ','``, ``a,,b``) is an error, exit 2: it names no schema,
    and dropping it silently would read the history with another search_path than asked."""
    if value is None:
        return None
    parts = [p.strip().strip('"') for p in value.split(",")]
    if not all(parts):
        fail([f"--search-path {value!r}: an empty schema name (expected e.g. storage,public)"])
    return parts


def read_source(dsn, migrations, sql, schema, no_exec, search_path, jobs=4):
    """The one source a command names, read with the options every reading command shares;
    a problem is phrased for the command line and exits 2."""
    # api.read_source's own body, without importing api: that loads the audit engine, the
    # rule pack and the SQL parser, which inspect --dsn never uses (a fifth of its start-up)
    from schema_audit.sources.select import load_source

    if dsn and not (migrations or sql):
        from schema_audit.cli import early_read

        ahead = early_read.take(dsn, schema, jobs)
        if ahead is not None:  # started as the command line was read, with these parameters
            from schema_audit.sources.live import stderr_notice

            try:
                return ahead.result(stderr_notice)
            except SchemaAuditError as exc:
                fail(phrase(exc))
    try:
        return load_source(
            dsn=dsn,
            migrations=Path(migrations) if migrations is not None else None,
            sql=Path(sql) if sql is not None else None,
            schemas=list(schema) if schema else None,
            execute=not no_exec,
            search_path=parse_search_path(search_path),
            reporter=reporter(),
            jobs=jobs,
        )
    except SchemaAuditError as exc:
        fail(phrase(exc))


def read_ahead(
    dsn: str,
    schema: list[str] | None,
    jobs: int = 4,
    statement_timeout_ms: int = 30000,
    lock_timeout_ms: int = 5000,
) -> Callable[..., Any]:
    """The live read of ``dsn``, started now in a thread (``sources/live_ahead.py``): the
    catalog queries run on the server while this thread imports and loads what the command
    needs next (``audit``: the audit engine and the spec, 5,000 tables with init's spec:
    seconds of client CPU). The call returned waits for the read and returns its source;
    the read's notices and errors come out there, so a command's own errors found before
    it are said first and alone, exactly as when it read afterwards. Its ``meanwhile``
    argument runs in the caller's thread when the read is not over yet (``audit``: the
    imports judging would make after it, ``audit.prefetch``)."""
    from schema_audit.cli import early_read
    from schema_audit.sources import live

    parameters = (dsn, schema, jobs, statement_timeout_ms, lock_timeout_ms)
    ahead = early_read.take(*parameters) or early_read.read_in_thread(*parameters)

    def take(meanwhile: Callable[[], None] | None = None) -> Any:
        return ahead.result(live.stderr_notice, meanwhile)

    return take


def gaps(model: Any, kind: str, allow_unrendered: bool) -> list[str]:
    """The blocking gaps of a static source; accepted ones (--allow-unrendered) are said here."""
    from schema_audit.sources.select import gaps as source_gaps

    if kind not in ("alembic", "sql"):
        return []
    blocking, accepted = source_gaps(model, allow_unrendered=allow_unrendered)
    for line in accepted:
        typer.echo(f"schema-audit: accepted: {line}", err=True)
    return blocking


def exit_on_gaps(model: Any, kind: str, allow_unrendered: bool, what: str = "") -> None:
    """Exit 2 naming each part of a static source missing from the model (never a silent partial)."""
    blocking = gaps(model, kind, allow_unrendered)
    if blocking:
        fail([f"{what}{line}" for line in blocking])
