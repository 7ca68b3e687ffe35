"""Replay a migration history into a scratch PostgreSQL, then read its catalog.

This settles what static reading can only defer: a ``DO`` block's dynamic
SQL, a revision that reads data through ``op.get_bind()``. The scratch database
is always one the tool created itself, on a throwaway cluster started from the
local server binaries (the default) or on a server given with
``--scratch-dsn``; it is dropped afterwards, also on errors and Ctrl-C, unless
``--keep-scratch`` asks to keep it for debugging. A ``--dsn`` target is never
written to: replay has no way to reach one.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from schema_audit.errors import SchemaAuditError
from schema_audit.model import quote_ident
from schema_audit.redact import scrub
from schema_audit.sources.assumed import References
from schema_audit.sources.psqlinclude import Includes
from schema_audit.sources.scratch_cluster import PgCluster, PgServerError, describe_bindir


class ReplayError(SchemaAuditError):
    """The scratch database could not be provided; one line."""


@dataclass(slots=True)
class StepTiming:
    """How long one replayed revision took, and its error if it failed."""

    revision: str
    file: str
    seconds: float
    error: str | None = None
    line: int | None = None  # where in ``file`` the error arose, when known
    setup: bool = False  # the --replay-setup file, not a revision of the history

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(slots=True)
class Scratch:
    """A database the tool created and may write to."""

    dsn: str
    name: str
    admin_dsn: str
    steps: list[StepTiming] = field(default_factory=list)
    # run on every database made for this replay, before the history (assumed schemas, …)
    database_setup: list[str] = field(default_factory=list)
    setup_file: Path | None = None  # --replay-setup, re-run on every new database
    version_table: str | None = None  # Alembic's version table as env.py configured it
    #: which server settled the replay, for the evidence ("PostgreSQL 16.2, embedded")
    server: str = ""

    @property
    def failed(self) -> StepTiming | None:
        return next((s for s in self.steps if s.error), None)

    def runner_role(self) -> str:
        """The role the history ran as: it owns what the history created without OWNER TO."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            row = conn.execute("SELECT current_user").fetchone()
        assert row is not None
        return str(row[0])

    def new_database(self, suffix: str) -> str:
        """Another scratch database on the same server (the rollback probe needs a clean one)."""
        name = f"{self.name}_{suffix}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        _created.append((self.admin_dsn, name))
        dsn = _with_dbname(self.admin_dsn, name)
        if self.setup_file is not None:
            _apply_setup_again(self.setup_file, dsn)
        if self.database_setup:
            with psycopg.connect(dsn, autocommit=True) as conn:
                for statement in self.database_setup:
                    conn.execute(statement)
        return dsn

    def assume(self, refs: References) -> list[str]:
        """Create what the history references but never creates; one line per assumption.

        Roles are created NOLOGIN on the scratch server (and dropped with the scratch
        databases), schemas empty, extensions only when the server has them.
        """
        from psycopg import sql

        notes: list[str] = []
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            existing = {r for (r,) in conn.execute("SELECT rolname FROM pg_roles")}
            roles = [r for r in refs.missing_roles() if r not in existing]
            for role in roles:
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
                _created_roles.append((self.admin_dsn, role))
        if roles:
            notes.append(
                "roles the history grants to or names but never creates, created NOLOGIN: "
                + ", ".join(roles)
            )
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            schemas = [
                s
                for s in refs.missing_schemas()
                if not conn.execute(
                    "SELECT 1 FROM pg_namespace WHERE nspname = %s", (s,)
                ).fetchone()
            ]
            available = {n for (n,) in conn.execute("SELECT name FROM pg_available_extensions")}
            installed = {n for (n,) in conn.execute("SELECT extname FROM pg_extension")}
            wanted = [e for e in refs.missing_extensions() if e not in installed]
            setup = [
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(s)).as_string(conn)
                for s in schemas
            ] + [
                sql.SQL("CREATE EXTENSION IF NOT EXISTS {}")
                .format(sql.Identifier(e))
                .as_string(conn)
                for e in wanted
                if e in available
            ]
            for statement in setup:
                conn.execute(statement)
        self.database_setup += setup
        if schemas:
            notes.append(
                "schemas the history uses but never creates, created empty: " + ", ".join(schemas)
            )
        created = [e for e in wanted if e in available]
        if created:
            notes.append(
                "extensions the history uses but never creates, created: " + ", ".join(created)
            )
        missing = [e for e in wanted if e not in available]
        if missing:
            notes.append(
                "extensions the history uses but never creates, not available on the scratch "
                "server: " + ", ".join(missing)
            )
        return notes


_created: list[tuple[str, str]] = []
_created_roles: list[tuple[str, str]] = []  # (admin DSN, role) made by Scratch.assume


def _with_dbname(dsn: str, name: str) -> str:
    params = conninfo_to_dict(dsn)
    params["dbname"] = name
    return make_conninfo(**params)


@contextmanager
def scratch_database(scratch_dsn: str | None = None, *, keep: bool = False) -> Iterator[Scratch]:
    """Yield a fresh database; drop it (and stop a throwaway cluster) when done."""
    cluster: PgCluster | None = None
    name = f"schema_audit_scratch_{secrets.token_hex(4)}"
    try:
        server = "a server given for scratch databases"
        if scratch_dsn:
            admin = scratch_dsn
        else:
            try:
                cluster = PgCluster(keep=keep).start()
            except PgServerError as exc:
                raise ReplayError(
                    f"cannot start a throwaway PostgreSQL for the replay: {exc}"
                ) from None
            admin = cluster.dsn()
            server = describe_bindir(cluster.bindir)
        try:
            with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as exc:
            raise ReplayError(
                f"cannot create a scratch database on {scrub(admin)}: {str(exc).splitlines()[0]}"
            ) from None
        _created.append((admin, name))
        yield Scratch(_with_dbname(admin, name), name, admin, server=server)
    finally:
        if not keep:
            for admin_dsn, db in reversed(_created):
                try:
                    with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=10) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                except psycopg.Error:
                    pass
        _created.clear()
        if not keep:
            for admin_dsn, role in reversed(_created_roles):
                try:
                    with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=10) as conn:
                        conn.execute(f'DROP ROLE IF EXISTS "{role.replace(chr(34), chr(34) * 2)}"')
                except psycopg.Error:
                    pass
        _created_roles.clear()
        if cluster is not None and not keep:
            cluster.stop()


def _error_line(exc: BaseException) -> str:
    from schema_audit.sources.alembic_runner import error_line

    return error_line(exc)


@dataclass(slots=True)
class AlembicRun:
    """What the replay child reported: one step per command, and the heads it found afterwards."""

    steps: list[StepTiming]
    current: list[str] | None = None
    current_error: str | None = None
    version_table: list[str] | None = None  # [schema, name]


def _target(dsn: str) -> dict[str, str]:
    """(host, port, dbname) of the scratch database as libpq resolved them on a real connection."""
    with psycopg.connect(dsn, connect_timeout=10) as conn:
        info = conn.info
        return {"host": info.host, "port": str(info.port), "dbname": info.dbname}


def _child_env(dsn: str, url: str, target: dict[str, str]) -> dict[str, str]:
    """The environment env.py runs in: libpq defaults pinned to the scratch database."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("PGSERVICE", "PGSERVICEFILE", "PGHOSTADDR")
    }
    env.update(
        PGHOST=target["host"],
        PGPORT=target["port"],
        PGDATABASE=target["dbname"],
        DATABASE_URL=url,
        PYTHONUNBUFFERED="1",
    )
    return env


def run_alembic(
    project: Path,
    dsn: str,
    ops: list[tuple[str, str]],
    *,
    labels: list[tuple[str, str]] | None = None,
    files: list[str] | None = None,
    check_heads: bool = False,
    on_step=None,
) -> AlembicRun:
    """Run Alembic commands against ``dsn`` in a child process that can reach no other database.

    ``labels`` names each command's (revision, file) for the report; a failure
    raised by env.py itself is labelled ``env.py``. The child stops at the first
    failure, so ``steps`` may be shorter than ``ops``.
    """
    import json
    import subprocess
    import sys
    import tempfile

    from schema_audit.sources.alembic import _versions_dirs
    from schema_audit.sources.dburl import sqlalchemy_url

    url = sqlalchemy_url(dsn)
    target = _target(dsn)
    root, _ = _versions_dirs(project)
    job = {
        "project": str(root),
        "source": str(project.resolve()),
        "url": url,
        "target": target,
        "ops": ops,
        "files": files or [],
        "check_heads": check_heads,
    }
    run = AlembicRun([])
    env_display = _env_display(project)
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-P", "-m", "schema_audit.sources.alembic_runner"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=root,
            env=_child_env(dsn, url, target),
            text=True,
            encoding="utf-8",
        )
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(job))
        proc.stdin.close()
        done = False
        for line in proc.stdout:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record["op"] == "done":
                done = True
                continue
            if record["op"] == "current":
                run.current, run.current_error = record["heads"], record["error"]
                run.version_table = record.get("version_table") or None
                continue
            index = len(run.steps)
            revision, file = (labels or [])[index] if index < len(labels or []) else ("", "")
            if record.get("env"):
                revision, file = "env.py", env_display
            step = StepTiming(
                revision or record.get("argument", ""),
                file,
                record.get("seconds", 0.0),
                scrub(record["error"]) if record.get("error") else None,
                record.get("line"),
            )
            run.steps.append(step)
            if on_step:
                on_step(step)
        code = proc.wait()
        if not done:
            stderr.seek(0)
            tail = [line.strip() for line in stderr.read().splitlines() if line.strip()]
            step = StepTiming(
                "env.py",
                env_display,
                0.0,
                scrub(
                    f"the replay process ended unexpectedly (exit {code})"
                    + (f": {tail[-1]}" if tail else "")
                ),
            )
            run.steps.append(step)
            if on_step:
                on_step(step)
    return run


def _env_display(project: Path) -> str:
    """env.py as reports show files: relative to the parent of the folder the user named."""
    from schema_audit.sources.alembic import _display
    from schema_audit.sources.alembic_runner import _script_location

    source = project.resolve()
    ini = source if source.is_file() else source / "alembic.ini"
    script_dir = _script_location(ini) if ini.is_file() else source
    base = source.parent if source.is_file() else source
    return _display(script_dir / "env.py", base)


def replay_alembic(project: Path, scratch: Scratch, *, on_step=None) -> list[str]:
    """``alembic upgrade`` revision by revision, then check the scratch database is at the head.

    Returns the history's heads. A run that ends below the head (env.py wrote
    somewhere else, or skipped the work) is itself a failed step.
    """
    from schema_audit.sources.alembic import render_history

    history = render_history(project)
    run = run_alembic(
        project,
        scratch.dsn,
        [("upgrade", rev.revision) for rev in history.revisions],
        labels=[(rev.revision, rev.file) for rev in history.revisions],
        files=[str(rev.path) for rev in history.revisions if rev.path],
        check_heads=True,
        on_step=on_step,
    )
    scratch.steps.extend(run.steps)
    if run.version_table:
        from schema_audit.model import qualify

        scratch.version_table = qualify(*run.version_table)
    if scratch.failed is None and history.revisions:
        heads = sorted(history.heads)
        if run.current != heads:
            last = history.revisions[-1]
            found = ", ".join(run.current or []) or "no revision"
            why = (
                run.current_error
                or f"the scratch database is at {found}, not at the head {', '.join(heads)}"
            )
            step = StepTiming(
                last.revision,
                last.file,
                0.0,
                scrub(f"replay did not reach the head: {why}"),
            )
            scratch.steps.append(step)
            if on_step:
                on_step(step)
    return history.heads


def replay_setup(path: Path, scratch: Scratch, *, on_step=None) -> None:
    """The --replay-setup file, applied like a SQL migration before the history (a failure
    stops the replay like any other)."""
    before = len(scratch.steps)
    replay_sql(path, scratch, on_step=on_step)
    for step in scratch.steps[before:]:
        step.setup = True
        step.revision = "setup"
    scratch.setup_file = path


def _apply_setup_again(path: Path, dsn: str) -> None:
    """The setup file on another scratch database of the same server: objects it made that are
    global to the server (roles: 42710 duplicate_object) exist already and are skipped."""
    from schema_audit.sources.sqlfile import _up_section
    from schema_audit.sources.statements import split_statements

    with psycopg.connect(dsn, autocommit=True) as conn:
        for stmt in split_statements(_up_section(path.read_text(encoding="utf-8"))):
            try:
                conn.execute(stmt.sql)
            except psycopg.errors.DuplicateObject:
                continue


def sql_statements(path: Path) -> Iterator[str]:
    """Every statement of a SQL history, in replay order (for reading what it references)."""
    from schema_audit.sources.sqlfile import _display, _up_section, order_sql_files

    includes = Includes(path.resolve() if path.is_dir() else path.resolve().parent, str)
    for file in order_sql_files(path)[0] if path.is_dir() else [path]:
        try:
            text = _up_section(file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, OSError):
            continue
        includes.reading = [file]
        yield from _with_includes(text, _display(file, path), includes)


def _with_includes(
    text: str, display: str, includes: Includes, variables: dict[str, str] | None = None
) -> Iterator[str]:
    """The statements of ``text``, an included file's in place (the history's references
    include theirs: a role only an included file grants to is assumed too). An include that
    cannot be followed is left to the replay, which stops there with its file:line."""
    from schema_audit.sources.psqlinclude import IncludeError, is_include
    from schema_audit.sources.psqlvars import variables_at
    from schema_audit.sources.statements import split_statements

    for stmt in split_statements(text, True, variables):
        if not stmt.psql_meta:
            yield stmt.sql
        elif is_include(stmt.sql):
            where = f"{display}:{stmt.line}"
            try:
                path = includes.resolve(stmt.sql, where)
                included = includes.read(path, where)
            except IncludeError:
                continue
            includes.reading.append(path)
            inner = variables_at(text, stmt.line, variables)
            yield from _with_includes(included, str(path), includes, inner)
            includes.reading.pop()


def _read(file: Path) -> str:
    """An included file's whole text (psql reads all of it), empty when it cannot be read."""
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _texts(files: Sequence[Path], path: Path) -> list[tuple[str, str]]:
    """(name as reports give it, the text a runner applies) of each of ``files``; a file that
    cannot be read is left out (the replay did not reach it)."""
    from schema_audit.sources.sqlfile import _display, _up_section

    out = []
    for file in files:
        try:
            out.append((_display(file, path), _up_section(file.read_text(encoding="utf-8"))))
        except (OSError, UnicodeDecodeError):
            continue
    return out


def replay_sql(
    path: Path, scratch: Scratch, *, on_step=None, search_path: Sequence[str] | None = None
) -> None:
    """Apply SQL files in migration order the way ``psql -f`` does, stopping at the first error.

    Each file gets its own session (as one ``psql`` run would) in autocommit mode, and its
    statements are sent one at a time: ``CREATE INDEX CONCURRENTLY``, ``ALTER TYPE … ADD
    VALUE`` followed by a use of the value, and ``VACUUM`` work as they do for psql, and a
    file's own ``BEGIN``/``COMMIT`` makes its statements one transaction. A transaction a
    file leaves open is rolled back when its session ends, as psql's would be. ``search_path``
    (--search-path) is what each session starts with, as the runner's would. A runner that
    wraps each file in a transaction (goose, dbmate, diesel, Flyway: ``runner_transactions``)
    gets it here too: ``LOCK TABLE`` works, and a failing statement leaves nothing of its
    file (the earlier files stay applied, and the replay stops there, as the runner does).
    """
    from schema_audit.sources.replay_psql import NotReplayed, Where, later_meta_commands, run_text
    from schema_audit.sources.runner_tables import SETUP
    from schema_audit.sources.runner_transactions import in_one_transaction
    from schema_audit.sources.sqlfile import _display, _up_section, discover

    layout = discover(path) if path.is_dir() else None
    files = layout.files if layout is not None else [path]
    root = path.resolve() if path.is_dir() else path.resolve().parent
    includes = Includes(root, lambda p: _display(p, path))
    # the runner's own table, made before the first migration (diesel's)
    setup = SETUP.get(layout.name) if layout is not None else None
    for index, file in enumerate(files):
        display = _display(file, path)
        started = time.perf_counter()
        error: str | None = None
        where = Where(display)
        includes.reading = [file]
        text = ""
        try:
            raw = file.read_text(encoding="utf-8")
            text = _up_section(raw)
            with psycopg.connect(scratch.dsn, autocommit=True) as conn:
                wrapped = in_one_transaction(
                    file, raw, layout.name if layout else None, conn.info.server_version
                )
                if search_path:
                    conn.execute(
                        "SELECT set_config('search_path', %s, false)",
                        [", ".join(quote_ident(s) for s in search_path)],
                    )
                if setup is not None and index == 0:
                    conn.execute(setup)
                if wrapped:
                    conn.execute("BEGIN")  # sent as the runner's driver sends it
                # psql's meta-commands: run as psql runs them, or the replay stops (replay_psql)
                run_text(conn, text, where, includes)
                where.line = 0
                if wrapped:
                    conn.execute("COMMIT")
        except NotReplayed as exc:
            error, where.file, where.line = str(exc), exc.file, exc.line
            inner = [(exc.file, _read(includes.reading[-1]))] if exc.file != display else []
            later = [*inner, (display, text), *_texts(files[index + 1 :], path)]
            error += later_meta_commands(exc, later)
        except (psycopg.Error, UnicodeDecodeError, OSError) as exc:
            error = scrub(_error_line(exc))
        if error and where.file != display:  # in an included file: its own file:line
            error = f"{where.file}:{where.line}: {error}"
        line = where.line if error and where.file == display and where.line else None
        step = StepTiming(
            file.stem.split("__")[0], display, time.perf_counter() - started, error, line
        )
        scratch.steps.append(step)
        if on_step:
            on_step(step)
        if error:
            break
