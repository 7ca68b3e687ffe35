"""`init --dsn` writes a spec holding "exactly what the schema has", part 8: a materialized
view's TOAST storage parameters (``toast.autovacuum_enabled``: the reloptions of its TOAST
table, as a table's). Each change below, applied to a copy of the database init read, must
FAIL the audit of init's spec (before, each passed: a false PASS), and the same for the spec
`init --sql` writes of the history that built the database. Real PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from init_mutations import (
    audit_of_changed_copy,
    audit_report,
    change_failures,
    failing_ids,
    init_database,
    static_init_spec,
)
from typer.testing import CliRunner

from schema_audit.cli import app
from schema_audit.sources.live import introspect

BASE = """
CREATE SCHEMA x8;
CREATE TABLE x8.items (id int PRIMARY KEY, name text);
CREATE MATERIALIZED VIEW x8.names AS SELECT id, name FROM x8.items;
CREATE MATERIALIZED VIEW x8.ids WITH (fillfactor = 70) AS SELECT id FROM x8.items;
"""

# each passed the audit of init's spec before (a false PASS); now FAILs, with this in the message
MUTATIONS = {
    "matview toast option set": (
        "ALTER MATERIALIZED VIEW x8.names SET (toast.autovacuum_enabled = false)",
        "x8.names (WITH (toast.autovacuum_enabled=false))",
    ),
}

# init --dsn of BASE with these applied first: the change must FAIL that spec
LIVE_ONLY = {
    "matview toast option reset": (
        "ALTER MATERIALIZED VIEW x8.names SET (toast.autovacuum_enabled = false)",
        "ALTER MATERIALIZED VIEW x8.names RESET (toast.autovacuum_enabled)",
        "materialized view x8.names differs: options.toast.autovacuum_enabled is not set, "
        "expected false",
    ),
}


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


@pytest.fixture(scope="module")
def initialised(pg_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    yield from init_database(pg_server, tmp_path_factory, "exact8", BASE)


@pytest.fixture(scope="module")
def static_spec(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """The spec `init --sql` writes for a history holding BASE."""
    return static_init_spec(tmp_path_factory.mktemp("exact8s"), BASE)


@pytest.mark.parametrize("source", ["dsn", "sql"])
def test_init_then_audit_of_the_same_database_passes(
    initialised, static_spec: Path, source: str
) -> None:  # type: ignore[no-untyped-def]
    _, dsn, live_spec = initialised
    spec = live_spec if source == "dsn" else static_spec
    assert failing_ids(audit_report(spec, dsn)) == []


@pytest.mark.parametrize("source", ["dsn", "sql"])
@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_change_after_init_fails(
    initialised, static_spec: Path, pg_server: Any, mutation: str, source: str
) -> None:  # type: ignore[no-untyped-def]
    template, _, live_spec = initialised
    spec = live_spec if source == "dsn" else static_spec
    sql, message = MUTATIONS[mutation]
    report = audit_of_changed_copy(pg_server, template, "exact8m", sql, spec)
    failing = change_failures(report)
    assert any(message in f["message"] for f in failing), [f["message"] for f in failing]


@pytest.mark.parametrize("mutation", sorted(LIVE_ONLY))
def test_a_change_after_init_of_a_changed_database_fails(
    pg_server: Any, tmp_path_factory: Any, mutation: str
) -> None:
    before, change, message = LIVE_ONLY[mutation]
    for template, _, spec in init_database(pg_server, tmp_path_factory, "exact8b", BASE + before):
        report = audit_of_changed_copy(pg_server, template, "exact8d", change, spec)
        failing = change_failures(report)
        assert any(message in f["message"] for f in failing), [f["message"] for f in failing]
        assert "toast.autovacuum_enabled: 'false'" in spec.read_text()


def test_matview_toast_options_are_deferred_statically(tmp_path: Path) -> None:
    """toast.* options of a materialized view: whether it has a TOAST table that keeps them
    depends on its columns' types, which the static reading of a view lacks: the view's
    finding is DEFERRED against that history (neither PASS nor FAIL); a RESET (toast.x) no
    longer drops the view's own option x."""
    changed = BASE + "ALTER MATERIALIZED VIEW x8.names SET (toast.autovacuum_enabled = false);\n"
    status = static_statuses(static_init_spec(tmp_path, BASE), tmp_path / "audited", changed)
    assert status["materialized_views.x8.names"] == "DEFERRED"
    assert status["materialized_views.x8.ids"] == "PASS"
    reset = BASE + (
        "ALTER MATERIALIZED VIEW x8.ids SET (autovacuum_enabled = false);\n"
        "ALTER MATERIALIZED VIEW x8.ids RESET (toast.autovacuum_enabled);\n"
    )
    (tmp_path / "b").mkdir()
    spec = static_init_spec(tmp_path / "b", reset)
    assert "options: {autovacuum_enabled: 'false', fillfactor: '70'}" in spec.read_text()


def test_range_types_and_statistics_are_named_as_blind_spots(make_db) -> None:  # type: ignore[no-untyped-def]
    """Range types and extended statistics are not modelled: a range type re-created with
    another subtype_diff, or a REVOKE USAGE on it, passed init's spec in silence. The read
    now names each one (the report's blind spots), and none of an extension's."""
    dsn = make_db(
        "exact8r",
        BASE
        + """
        CREATE TYPE x8.span AS RANGE (subtype = float8, subtype_diff = float8mi);
        CREATE STATISTICS x8.items_stats ON id, name FROM x8.items;
        """,
    )
    spots = introspect(dsn, notice=lambda _: None).blind_spots
    assert spots == [
        "range type x8.span is not modelled: its subtype, subtype_diff, canonical function, "
        "collation and privileges are not compared",
        "statistics object x8.items_stats is not modelled: CREATE / DROP / ALTER STATISTICS "
        "are not compared",
    ]
