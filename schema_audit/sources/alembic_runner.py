"""The child process that runs the project's env.py for ``--replay``, fenced in to the scratch database.

Why a child: the connection guard (:mod:`schema_audit.sources.connguard`)
patches SQLAlchemy and the DBAPI drivers for the whole process, and env.py may
also reconfigure logging or leave modules in ``sys.modules``. None of that may
reach the process that audits the result. The child gets one job on stdin (the
project, the scratch DSN, Alembic commands to run), hands Alembic a connection
to the scratch database through ``config.attributes["connection"]`` (Alembic's
documented way to share one), refuses every other connection, and reports one
JSON line per command on the stdout it inherited; whatever env.py prints goes
to stderr instead.

Run as ``python -P -m schema_audit.sources.alembic_runner`` (``-P``: the
working directory, the project's root, is not put on ``sys.path`` ahead of
the installed packages; the project folder and its parent are added after
them, as static rendering does).
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ENV_PY = "env.py"


def alembic_config(project: Path, url: str):
    """An Alembic Config for the project's own alembic.ini / script folder, aimed at ``url``."""
    from alembic.config import Config

    project = project.resolve()
    ini = project if project.is_file() else project / "alembic.ini"
    config = Config(str(ini)) if ini.is_file() else Config()
    config.set_main_option(
        "script_location", str(_script_location(ini) if ini.is_file() else project)
    )
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _script_location(ini: Path) -> Path:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ini, encoding="utf-8")
    location = parser.get("alembic", "script_location", fallback=".").replace(
        "%(here)s", str(ini.parent)
    )
    path = Path(location)
    return path if path.is_absolute() else (ini.parent / path).resolve()


def error_line(exc: BaseException) -> str:
    """The PostgreSQL error behind an exception chain, in one line."""
    import psycopg

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, psycopg.Error):
            return str(seen).strip().splitlines()[0]
        seen = seen.__cause__ or seen.__context__
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _attribute(
    exc: BaseException, env_py: str, revision_files: set[str]
) -> tuple[bool, str, int | None]:
    """(raised by env.py itself, one-line error, line in the revision file): env.py's own when
    no migration ever started."""
    frames = traceback.extract_tb(exc.__traceback__)
    in_revision = [f.lineno for f in frames if os.path.realpath(f.filename) in revision_files]
    migrating = any(
        f.filename.replace("\\", "/").endswith("alembic/runtime/migration.py") for f in frames
    )
    if in_revision or migrating:
        return False, error_line(exc), in_revision[-1] if in_revision else None
    line = next(
        (f.lineno for f in reversed(frames) if os.path.realpath(f.filename) == env_py), None
    )
    return True, f"{ENV_PY}{f':{line}' if line else ''}: {error_line(exc)}", None


def _current_heads(config, script, engine, table: list[str]) -> list[str]:
    """What the scratch database's version table says, read through env.py as ``alembic current`` does."""
    from alembic.runtime.environment import EnvironmentContext

    found: list[str] = []

    def collect(rev, context):
        found.extend(context.get_current_heads())
        table[:] = [context.version_table_schema or "public", context.version_table]
        return []

    with engine.connect() as connection:
        config.attributes["connection"] = connection
        with EnvironmentContext(config, script, fn=collect, dont_mutate=True):
            script.run_env()
    return sorted(found)


def run(job: dict[str, Any], emit) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, pool

    from schema_audit.sources.connguard import ConnectionGuard, Target

    project = Path(job["project"])
    for path in (str(project.parent), str(project)):
        if path not in sys.path:
            sys.path.insert(0, path)
    config = alembic_config(Path(job["source"]), job["url"])
    try:
        script = ScriptDirectory.from_config(config)
        env_py = os.path.realpath(Path(script.dir) / ENV_PY)
    except Exception as exc:
        emit({"op": "setup", "error": f"{ENV_PY}: {error_line(exc)}", "env": True, "seconds": 0})
        return
    revision_files = {os.path.realpath(f) for f in job.get("files", [])}
    # The one connection env.py needs; made before the guard, which then refuses every other target.
    engine = create_engine(job["url"], poolclass=pool.NullPool)
    guard = ConnectionGuard(Target(**job["target"]), (env_py, *sorted(revision_files)))
    guard.install()
    for verb, argument in job["ops"]:
        started = time.perf_counter()
        error, by_env, line = None, False, None
        try:
            with engine.connect() as connection:
                config.attributes["connection"] = connection
                getattr(command, verb)(config, argument)
                if connection.in_transaction():
                    connection.commit()
        except Exception as exc:  # a revision or env.py failed on a real server: report, stop
            by_env, error, line = _attribute(exc, env_py, revision_files)
        if guard.refusals:  # refused, even when env.py swallowed the exception
            error = guard.refusals[0]
            by_env = error.startswith(ENV_PY) or not error.split(":")[0].endswith(".py")
        emit(
            {
                "op": verb,
                "argument": argument,
                "seconds": time.perf_counter() - started,
                "error": error,
                "env": by_env,
                "line": line,
            }
        )
        if error:
            return
    if job.get("check_heads"):
        try:
            table: list[str] = []
            current = _current_heads(config, script, engine, table)
            emit({"op": "current", "heads": current, "error": None, "version_table": table})
        except Exception as exc:
            emit({"op": "current", "heads": None, "error": _attribute(exc, env_py, set())[1]})


def main() -> int:
    job = json.load(sys.stdin)
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # env.py's print() and logging go to stderr, never into the result stream

    def emit(record: dict[str, Any]) -> None:
        out.write(json.dumps(record) + "\n")
        out.flush()

    try:
        run(job, emit)
    except BaseException as exc:  # anything env.py can do, SystemExit included
        emit({"op": "crash", "error": f"{ENV_PY}: {error_line(exc)}", "env": True, "seconds": 0})
    emit({"op": "done"})
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
