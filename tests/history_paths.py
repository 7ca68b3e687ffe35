"""Helpers for static == live tests of SQL histories: a history written from a dict of files,
``psql -f`` of its files on a real database, and the static reading by either path.

A history is read in this process or through the parsing child (``parse_ahead``, taken by
histories >= 256 KiB): tests of the readers run both (``read_history(…, ahead)``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from schema_audit.audit.undecided import compare_models
from schema_audit.cli import app
from schema_audit.model import SchemaModel
from schema_audit.modeldiff import ModelComparison
from schema_audit.sources import live, parse_ahead
from schema_audit.sources.scratch_cluster import find_bindir
from schema_audit.sources.sqlfile import read_sql

PATHS = pytest.mark.parametrize("ahead", [False, True], ids=["in-process", "parsing-child"])


def write_history(root: Path, files: dict[str, str]) -> Path:
    """``root/history`` holding ``files`` (relative path -> text)."""
    history = root / "history"
    history.mkdir(exist_ok=True)
    for name, text in files.items():
        (history / name).parent.mkdir(parents=True, exist_ok=True)
        (history / name).write_text(text)
    return history


def psql_f(dsn: str, history: Path, *names: str, stop: bool = True) -> str:
    """Each file with ``psql -f``, run in the history's folder (where ``\\i`` starts); its
    stderr. ``stop``: ON_ERROR_STOP (else psql goes on after an error, as by default)."""
    psql = shutil.which("psql") or str(find_bindir() / "psql")
    errors = []
    for name in names:
        run = subprocess.run(
            [psql, "-X", "-q", "-v", f"ON_ERROR_STOP={int(stop)}", "-d", dsn, "-f", name],
            check=True,
            cwd=history,
            capture_output=True,
            text=True,
        )
        errors.append(run.stderr)
    return "".join(errors)


def read_history(history: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool) -> SchemaModel:
    """The static model of ``history``, uncached, in this process or through the parsing child."""
    with monkeypatch.context() as m:
        m.setenv("SCHEMA_AUDIT_CACHE", "0")
        if ahead:
            m.setattr(parse_ahead, "MIN_BYTES", 0)
        else:
            m.setattr(parse_ahead, "wanted", lambda size: False)
        return read_sql(history)[0]


def audit_statuses(spec: Path, history: Path) -> dict[str, str]:
    """Each finding's status of ``audit -f json`` of the static reading of ``history``
    against ``spec``: the verdicts the transaction tests compare with PostgreSQL's."""
    result = CliRunner().invoke(
        app, ["audit", "-f", "json", "-s", str(spec), "--sql", str(history)]
    )
    return {f["id"]: f["status"] for f in json.loads(result.stdout)["findings"]}


def compared_with_catalog(
    dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ahead: bool,
    files: dict[str, str],
) -> tuple[SchemaModel, ModelComparison]:
    """The catalog after ``psql -f`` of ``files`` (which must all apply), and its comparison
    with the static reading."""
    run = _applied_and_read(dsn, tmp_path, monkeypatch, ahead, files, stop=True)
    assert run.errors == ""
    return run.catalog, run.comparison()


@dataclass
class Compared:
    """One history applied both ways: ``psql -f`` of its files on a real database (their
    stderr, and the catalog after them) and the static reading of the same files."""

    history: Path
    errors: str
    catalog: SchemaModel
    static: SchemaModel

    def comparison(self) -> ModelComparison:
        """The catalog compared with the static reading (differences, undecided)."""
        return compare_models(self.catalog, self.static)

    def differences(self) -> list[str]:
        """What the static model has that the catalog has not, and the other way round."""
        return [str(d) for d in self.comparison().differences]

    def statuses(self, spec_text: str, wanted: dict[str, str]) -> dict[str, str]:
        """The static audit's status of each finding of ``wanted`` against ``spec_text``."""
        spec = self.history.parent / "spec.yaml"
        spec.write_text(spec_text)
        statuses = audit_statuses(spec, self.history)
        return {k: statuses.get(k, "missing") for k in wanted}


def run_and_read(
    make_db: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ahead: bool,
    files: dict[str, str],
    db_name: str,
) -> Compared:
    """``files`` written as a history, each run with ``psql -f`` (on after an error, as
    psql goes by default) on a new database ``db_name``, and read statically."""
    return _applied_and_read(make_db(db_name), tmp_path, monkeypatch, ahead, files, stop=False)


def _applied_and_read(
    dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ahead: bool,
    files: dict[str, str],
    stop: bool,
) -> Compared:
    history = write_history(tmp_path, files)
    errors = psql_f(dsn, history, *files, stop=stop)
    catalog = live.introspect(dsn)
    return Compared(history, errors, catalog, read_history(history, monkeypatch, ahead))
