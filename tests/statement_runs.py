"""Statements run one at a time on a fresh database, and the history of the same text.

What the static == live tests of single statements share: each statement run alone
(autocommit: one PostgreSQL refuses changes nothing; its error kept), the catalog read back
and compared with the static reading of the same text, and init's spec of that database
audited against the history.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import psycopg
from cli_runner import run_cli

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret


def run_each(
    make_db: Callable[..., str], prefix: str, statements: list[str]
) -> tuple[str, dict[int, str]]:
    """(the database's DSN, PostgreSQL's first error line of each refused statement)."""
    dsn = make_db(prefix)
    errors: dict[int, str] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for number, sql in enumerate(statements):
            try:
                conn.execute(sql)
            except psycopg.Error as exc:
                errors[number] = str(exc).splitlines()[0]
    return dsn, errors


def differences(dsn: str, statements: list[str]) -> list[str]:
    """``diff`` of the database and the static reading of the same statements."""
    static = interpret(";\n".join(statements) + ";\n")
    return [str(d) for d in diff_models(live.introspect(dsn), static)]


def one_file_history(tmp_path: Path, statements: list[str]) -> Path:
    """A history folder whose one file holds ``statements``."""
    history = tmp_path / "history"
    history.mkdir(exist_ok=True)
    (history / "001.sql").write_text(";\n".join(statements) + ";\n")
    return history


def init_spec(dsn: str, tmp_path: Path) -> Path:
    """The spec ``init --dsn`` writes of the database."""
    spec = tmp_path / "spec.yaml"
    proc = run_cli("init", "--dsn", dsn, "-o", spec)
    assert proc.returncode == 0, proc.stderr
    return spec


def audit_statuses(spec: Path, history: Path) -> dict[str, str]:
    """Finding id -> status of the spec audited against the history (the command goes on:
    never exit 2)."""
    proc = run_cli("audit", "-s", spec, "--sql", history, "-f", "json")
    assert proc.returncode != 2, proc.stdout + proc.stderr
    return {f["id"]: f["status"] for f in json.loads(proc.stdout)["findings"]}


def audit_failures(spec: Path, history: Path) -> list[str]:
    """The ids of the FAILed findings, in report order."""
    return [i for i, status in audit_statuses(spec, history).items() if status == "FAIL"]
