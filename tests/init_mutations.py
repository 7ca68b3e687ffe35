"""What the `init` exactness tests share: a database built from SQL and read by `init --dsn`,
its audit as JSON, and a copy of it with one change applied (CREATE DATABASE … TEMPLATE, so
each change starts from the state init read). Real PostgreSQL, through conftest's pg_server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from schema_audit.cli import app


def init_database(pg_server: Any, tmp_path_factory: Any, label: str, sql: str) -> Iterator[Any]:
    """For a module fixture (``yield from``): (database name, DSN, the spec init wrote)."""
    name, dsn = pg_server.create_database(label)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)
    spec = tmp_path_factory.mktemp(label) / "spec.yaml"
    result = CliRunner().invoke(app, ["init", "--dsn", dsn, "-o", str(spec)])
    assert result.exit_code == 0, result.output
    yield name, dsn, spec
    pg_server.drop_database(name)


def audit_report(spec: Path, dsn: str) -> dict[str, Any]:
    """`audit --dsn -f json` of ``spec``: exit 0 or 1, nothing else."""
    result = CliRunner().invoke(app, ["audit", "-s", str(spec), "--dsn", dsn, "-f", "json"])
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


def failing_ids(report: dict[str, Any]) -> list[str]:
    return [f["id"] for f in report["findings"] if f["status"] == "FAIL"]


def change_failures(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The FAIL findings of requirements: rules (SEC…) may FAIL or not on a change, and a
    mutation test asks whether init's spec itself noticed it."""
    return [
        f for f in report["findings"] if f["status"] == "FAIL" and not f["id"].startswith("rules.")
    ]


def static_statuses(spec: Path, history: Path, sql: str) -> dict[str, str]:
    """Each finding's status in `audit --sql` of a one-file history holding ``sql`` (made in
    ``history``) with ``spec`` (exit 0 asserted)."""
    history.mkdir(exist_ok=True)
    (history / "001_base.sql").write_text(sql)
    result = CliRunner().invoke(
        app, ["audit", "-s", str(spec), "--sql", str(history), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    return {f["id"]: f["status"] for f in json.loads(result.output)["findings"]}


def assert_change_fails(
    pg_server: Any, template: str, label: str, sql: str, spec: Path, message: str
) -> None:
    """The audit of ``spec`` against a copy of ``template`` changed by ``sql`` FAILs a
    requirement with ``message`` in its text (the shape of every "init, mutate, audit" test)."""
    failing = change_failures(audit_of_changed_copy(pg_server, template, label, sql, spec))
    assert any(message in f["message"] for f in failing), [f["message"] for f in failing]


def changed_copy(pg_server: Any, template: str, label: str, sql: str) -> tuple[str, str]:
    """A new database copied from ``template`` with ``sql`` applied: (name, DSN)."""
    name, dsn = pg_server.create_database(label)
    pg_server.drop_database(name)
    pg_server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)
    return name, dsn


def audit_of_changed_copy(
    pg_server: Any, template: str, label: str, sql: str, spec: Path
) -> dict[str, Any]:
    """`audit_report` of ``spec`` against a copy of ``template`` with ``sql`` applied; the copy
    is dropped afterwards, whatever the audit did."""
    name, dsn = changed_copy(pg_server, template, label, sql)
    try:
        return audit_report(spec, dsn)
    finally:
        pg_server.drop_database(name)


def static_init_spec(
    tmp_path: Path, sql: str, file: str = "001_base.sql", spec: str = "static.yaml"
) -> Path:
    """The spec `init --sql` writes for a one-file history holding ``sql`` (exit 0 asserted),
    the history left in ``tmp_path / "history"``: the static side of the tests that check
    init's static reading against the catalog."""
    history = tmp_path / "history"
    history.mkdir()
    (history / file).write_text(sql)
    path = tmp_path / spec
    result = CliRunner().invoke(app, ["init", "--sql", str(history), "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


def module_specs(label: str, sql: str) -> tuple[Any, Any]:
    """A test module's two fixtures (module scope), to be bound to the names ``initialised``
    (the database built from ``sql``: name, DSN and the spec `init --dsn` wrote) and
    ``static_spec`` (the spec `init --sql` wrote of a history holding ``sql``)."""

    @pytest.fixture(scope="module", name="initialised")
    def initialised(pg_server: Any, tmp_path_factory: Any) -> Iterator[Any]:
        yield from init_database(pg_server, tmp_path_factory, label, sql)

    @pytest.fixture(scope="module", name="static_spec")
    def static_spec(tmp_path_factory: Any) -> Path:
        return static_init_spec(tmp_path_factory.mktemp(label + "s"), sql)

    return initialised, static_spec


def same_database_passes_test() -> Any:
    """The "init then audit of the same database passes" test of a module whose fixtures
    ``module_specs`` made: both specs (`init --dsn`'s and `init --sql`'s) FAIL nothing."""

    @pytest.mark.parametrize("source", ["dsn", "sql"])
    def test(initialised: Any, static_spec: Path, source: str) -> None:
        _, dsn, live_spec = initialised
        spec = live_spec if source == "dsn" else static_spec
        assert failing_ids(audit_report(spec, dsn)) == []

    return test


def change_after_init_fails_test(label: str, mutations: dict[str, tuple[str, str]]) -> Any:
    """The "a change after init fails" test of a module whose fixtures ``module_specs`` made:
    each of ``mutations`` (name: SQL, a text the FAIL's message holds), applied to a copy of
    the database (named from ``label``), FAILs both specs."""

    @pytest.mark.parametrize("source", ["dsn", "sql"])
    @pytest.mark.parametrize("mutation", sorted(mutations))
    def test(
        initialised: Any, static_spec: Path, pg_server: Any, mutation: str, source: str
    ) -> None:
        template, _, live_spec = initialised
        spec = live_spec if source == "dsn" else static_spec
        sql, message = mutations[mutation]
        assert_change_fails(pg_server, template, label, sql, spec, message)

    return test


def history_change_fails_test(base: str, mutations: dict[str, tuple[str, str]]) -> Any:
    """The static side of ``change_after_init_fails_test``: each of ``mutations`` appended to
    the history that built the database (``base``, then the change as a second file), read
    without a database (`audit --sql`), FAILs the spec `init --dsn` wrote, as the catalog
    after ``psql -f`` of the same SQL does."""

    @pytest.mark.parametrize("mutation", sorted(mutations))
    def test(initialised: Any, tmp_path: Path, mutation: str) -> None:
        _, _, live_spec = initialised
        sql, message = mutations[mutation]
        history = tmp_path / "history"
        history.mkdir()
        (history / "001_base.sql").write_text(base)
        (history / "002_change.sql").write_text(sql + ";\n")
        result = CliRunner().invoke(
            app, ["audit", "-s", str(live_spec), "--sql", str(history), "-f", "json"]
        )
        assert result.exit_code == 1, result.output
        failing = change_failures(json.loads(result.output))
        assert any(message in f["message"] for f in failing), [f["message"] for f in failing]

    return test


def history_audit_of_database_spec(
    make_db: Any, tmp_path: Path, label: str, files: dict[str, str]
) -> dict[str, Any]:
    """``files`` (name -> SQL) as a folder history and as a database built from them;
    `audit --sql` of the folder with `init --dsn`'s spec of the database, as JSON."""
    from cli_runner import run_cli

    folder = tmp_path / "sql"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    dsn = make_db(label, "".join(files.values()))
    spec = tmp_path / "spec.yaml"
    assert (
        run_cli("init", "--dsn", dsn, "-o", str(spec), env={"SCHEMA_AUDIT_CACHE": "0"}).returncode
        == 0
    )
    return history_audit(tmp_path)


def history_audit(tmp_path: Path) -> dict[str, Any]:
    """`audit --sql` of ``tmp_path``/sql with ``tmp_path``/spec.yaml, as JSON (cache off): the
    audit :func:`history_audit_of_database_spec` makes, again after a test changed the folder."""
    from cli_runner import run_cli

    env = {"SCHEMA_AUDIT_CACHE": "0"}
    spec, folder = tmp_path / "spec.yaml", tmp_path / "sql"
    proc = run_cli("audit", "-s", str(spec), "--sql", str(folder), "-f", "json", env=env)
    report: dict[str, Any] = json.loads(proc.stdout)
    return report
