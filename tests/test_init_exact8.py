"""`init --dsn` writes a spec holding "exactly what the schema has", part 8: a materialized
view's TOAST storage parameters (``toast.autovacuum_enabled``: the reloptions of its TOAST
table, as a table's). Each change below, applied to a copy of the database init read, must
FAIL the audit of init's spec (before, each passed: a false PASS), and the same for the spec
`init --sql` writes of the history that built the database. Real PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from init_mutations import (
    assert_change_fails,
    change_after_init_fails_test,
    init_database,
    module_specs,
    same_database_passes_test,
    static_init_spec,
    static_statuses,
)

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


initialised, static_spec = module_specs("exact8", BASE)


test_init_then_audit_of_the_same_database_passes = same_database_passes_test()


test_a_change_after_init_fails = change_after_init_fails_test("exact8m", MUTATIONS)


@pytest.mark.parametrize("mutation", sorted(LIVE_ONLY))
def test_a_change_after_init_of_a_changed_database_fails(
    pg_server: Any, tmp_path_factory: Any, mutation: str
) -> None:
    before, change, message = LIVE_ONLY[mutation]
    for template, _, spec in init_database(pg_server, tmp_path_factory, "exact8b", BASE + before):
        assert_change_fails(pg_server, template, "exact8d", change, spec, message)
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


def test_unmodelled_kinds_are_named_as_blind_spots(make_db) -> None:  # type: ignore[no-untyped-def]
    """Extended statistics, collations and event triggers are not modelled: an event trigger
    created on an existing function passed init's spec in silence. The read now names each
    one (the report's blind spots), and none of an extension's. A range type is modelled
    since the twelfth session (``range_types:``, tests/test_init_exact10_ranges.py): no
    blind spot names it."""
    dsn = make_db(
        "exact8r",
        BASE
        + """
        CREATE TYPE x8.span AS RANGE (subtype = float8, subtype_diff = float8mi);
        CREATE STATISTICS x8.items_stats ON id, name FROM x8.items;
        CREATE COLLATION x8.bytewise (locale = 'C');
        CREATE FUNCTION x8.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END';
        CREATE EVENT TRIGGER x8_ddl ON ddl_command_end EXECUTE FUNCTION x8.on_ddl();
        """,
    )
    spots = introspect(dsn, notice=lambda _: None).blind_spots
    assert spots == [
        "collation x8.bytewise is not modelled: its provider, locale and determinism are not "
        "compared (a column's collation is, by name)",
        "event trigger x8_ddl (ON ddl_command_end) is not modelled: whether it exists, its "
        "function and its state are not compared",
        "statistics object x8.items_stats is not modelled: CREATE / DROP / ALTER STATISTICS "
        "are not compared",
    ]
