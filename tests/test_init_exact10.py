"""Changes after `init` that an audit of init's spec PASSed (a false PASS, each confirmed on
PostgreSQL 15 first): an EXCLUDE constraint re-created with other operators, made (not)
DEFERRABLE or given another COMMENT ON CONSTRAINT; a UNIQUE constraint's INCLUDE columns; a
foreign key's ``ON DELETE SET NULL (columns)``; a view column's COMMENT; ``ALTER TABLE … [NO]
INHERIT``. Each change must FAIL the spec `init --dsn` wrote and the one `init --sql` wrote of
the history that built the database (audited against the changed database), and the spec
`init --dsn` wrote audited against that history with the change, read without a database.
Real PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from init_mutations import (
    change_after_init_fails_test,
    changed_copy,
    history_change_fails_test,
    module_specs,
    same_database_passes_test,
)
from typer.testing import CliRunner

from schema_audit.cli import app

BASE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE SCHEMA x10;
CREATE TABLE x10.booking (id int PRIMARY KEY, room int, during int4range, span int4range,
  CONSTRAINT booking_during_excl EXCLUDE USING gist (during WITH &&),
  CONSTRAINT booking_room_excl EXCLUDE USING gist (room WITH OPERATOR(pg_catalog.=), span WITH &&)
    DEFERRABLE INITIALLY DEFERRED);
COMMENT ON CONSTRAINT booking_during_excl ON x10.booking IS 'no overlap';
CREATE TABLE x10.covered (a int, b int, c int, CONSTRAINT covered_a_key UNIQUE (a) INCLUDE (b));
CREATE TABLE x10.parent (id int, k int, PRIMARY KEY (id, k));
CREATE TABLE x10.child (id int PRIMARY KEY, pid int, kk int,
  CONSTRAINT child_fk FOREIGN KEY (pid, kk) REFERENCES x10.parent (id, k) ON DELETE SET NULL (pid));
ALTER TABLE x10.child RENAME COLUMN pid TO parent_id;
CREATE VIEW x10.rooms AS SELECT id, room FROM x10.booking;
COMMENT ON COLUMN x10.rooms.room IS 'the room';
CREATE OR REPLACE VIEW x10.rooms AS SELECT id, room, during FROM x10.booking;
CREATE MATERIALIZED VIEW x10.spans AS SELECT id, span FROM x10.booking;
COMMENT ON COLUMN x10.spans.span IS 'its span';
CREATE TABLE x10.base1 (a int);
CREATE TABLE x10.base2 (b int);
CREATE TABLE x10.heir (c int) INHERITS (x10.base2, x10.base1);
ALTER TABLE x10.base2 RENAME TO base_two;
CREATE SCHEMA x10b;
ALTER TABLE x10.base1 SET SCHEMA x10b;
CREATE TABLE x10.loner (a int);
CREATE TABLE x10.plain_u (a int, b int, CONSTRAINT plain_u_a_key UNIQUE (a));
CREATE TABLE x10.child2 (id int PRIMARY KEY, pid int, kk int,
  CONSTRAINT child2_fk FOREIGN KEY (pid, kk) REFERENCES x10.parent (id, k) ON DELETE SET NULL);
CREATE VIEW x10.plain_v AS SELECT id FROM x10.booking;
CREATE TABLE x10.heir2 (d int) INHERITS (x10.parent);
CREATE TABLE x10.events (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE x10.events_2020 PARTITION OF x10.events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
ALTER TABLE x10.events RENAME TO happenings;
ALTER TABLE x10.happenings SET SCHEMA x10b;
CREATE TABLE x10.keyed (id int, x int, y int, CONSTRAINT keyed_pkey PRIMARY KEY (id) INCLUDE (x));
CREATE TABLE x10.keyed2 (id int PRIMARY KEY, x int);
"""

# each passed the audit of init's spec before (a false PASS); now FAILs, with this in the message
MUTATIONS = {
    "exclusion_operator_changed": (
        "ALTER TABLE x10.booking DROP CONSTRAINT booking_during_excl, ADD CONSTRAINT"
        " booking_during_excl EXCLUDE USING gist (during WITH =);"
        " COMMENT ON CONSTRAINT booking_during_excl ON x10.booking IS 'no overlap'",
        "exclude is (=), expected (&&)",
    ),
    "exclusion_made_not_deferrable": (
        "ALTER TABLE x10.booking DROP CONSTRAINT booking_room_excl, ADD CONSTRAINT"
        " booking_room_excl EXCLUDE USING gist (room WITH =, span WITH &&)",
        "deferrable is false, expected true",
    ),
    "exclusion_made_initially_immediate": (
        "ALTER TABLE x10.booking DROP CONSTRAINT booking_room_excl, ADD CONSTRAINT"
        " booking_room_excl EXCLUDE USING gist (room WITH =, span WITH &&) DEFERRABLE",
        "initially_deferred is false, expected true",
    ),
    "exclusion_comment_changed": (
        "COMMENT ON CONSTRAINT booking_during_excl ON x10.booking IS 'other'",
        "constraint_comment is other, expected no overlap",
    ),
    "exclusion_comment_dropped": (
        "COMMENT ON CONSTRAINT booking_during_excl ON x10.booking IS NULL",
        "constraint_comment is none",
    ),
    "exclusion_comment_given": (
        "COMMENT ON CONSTRAINT booking_room_excl ON x10.booking IS 'x'",
        "booking_room_excl (COMMENT ON CONSTRAINT)",
    ),
    "exclusion_made_deferrable": (
        "ALTER TABLE x10.booking DROP CONSTRAINT booking_during_excl, ADD CONSTRAINT"
        " booking_during_excl EXCLUDE USING gist (during WITH &&) DEFERRABLE;"
        " COMMENT ON CONSTRAINT booking_during_excl ON x10.booking IS 'no overlap'",
        "booking_during_excl (DEFERRABLE)",
    ),
    "unique_include_given": (
        "ALTER TABLE x10.plain_u DROP CONSTRAINT plain_u_a_key,"
        " ADD CONSTRAINT plain_u_a_key UNIQUE (a) INCLUDE (b)",
        "INCLUDE (b) of plain_u_a_key",
    ),
    "set_null_narrowed": (
        "ALTER TABLE x10.child2 DROP CONSTRAINT child2_fk, ADD CONSTRAINT child2_fk FOREIGN KEY"
        " (pid, kk) REFERENCES x10.parent (id, k) ON DELETE SET NULL (pid)",
        "child2_fk (ON DELETE SET NULL (pid))",
    ),
    "view_column_comment_given_where_none_was": (
        "COMMENT ON COLUMN x10.plain_v.id IS 'x'",
        "x10.plain_v (COMMENT ON COLUMN id)",
    ),
    "pk_include_dropped": (
        "ALTER TABLE x10.keyed DROP CONSTRAINT keyed_pkey, ADD CONSTRAINT keyed_pkey PRIMARY KEY (id)",
        "keyed_pkey (id) INCLUDE (), expected keyed_pkey (id) INCLUDE (x)",
    ),
    "pk_include_changed": (
        "ALTER TABLE x10.keyed DROP CONSTRAINT keyed_pkey,"
        " ADD CONSTRAINT keyed_pkey PRIMARY KEY (id) INCLUDE (y)",
        "keyed_pkey (id) INCLUDE (y), expected keyed_pkey (id) INCLUDE (x)",
    ),
    "pk_include_given": (
        "ALTER TABLE x10.keyed2 DROP CONSTRAINT keyed2_pkey,"
        " ADD CONSTRAINT keyed2_pkey PRIMARY KEY (id) INCLUDE (x)",
        "INCLUDE (x) of keyed2_pkey",
    ),
    "unique_include_dropped": (
        "ALTER TABLE x10.covered DROP CONSTRAINT covered_a_key,"
        " ADD CONSTRAINT covered_a_key UNIQUE (a)",
        "include is [], expected ['b']",
    ),
    "unique_include_changed": (
        "ALTER TABLE x10.covered DROP CONSTRAINT covered_a_key,"
        " ADD CONSTRAINT covered_a_key UNIQUE (a) INCLUDE (c)",
        "include is ['c'], expected ['b']",
    ),
    "set_null_of_every_column": (
        "ALTER TABLE x10.child DROP CONSTRAINT child_fk, ADD CONSTRAINT child_fk FOREIGN KEY"
        " (parent_id, kk) REFERENCES x10.parent (id, k) ON DELETE SET NULL",
        "on_delete_columns is [], expected ['parent_id']",
    ),
    "set_null_of_another_column": (
        "ALTER TABLE x10.child DROP CONSTRAINT child_fk, ADD CONSTRAINT child_fk FOREIGN KEY"
        " (parent_id, kk) REFERENCES x10.parent (id, k) ON DELETE SET NULL (kk)",
        "on_delete_columns is ['kk'], expected ['parent_id']",
    ),
    "view_column_comment_changed": (
        "COMMENT ON COLUMN x10.rooms.room IS 'other'",
        "column comments are {'room': 'other'}, expected {'room': 'the room'}",
    ),
    "view_column_comment_dropped": (
        "COMMENT ON COLUMN x10.rooms.room IS NULL",
        "column comments are none",
    ),
    "view_column_comment_given": (
        "COMMENT ON COLUMN x10.rooms.id IS 'x'",
        "'id': 'x'",
    ),
    "matview_column_comment_changed": (
        "COMMENT ON COLUMN x10.spans.span IS 'other'",
        "column comments are {'span': 'other'}",
    ),
    "no_inherit": (
        "ALTER TABLE x10.heir NO INHERIT x10.base_two",
        "inherits (x10b.base1), expected (x10.base_two, x10b.base1)",
    ),
    "inherit": (
        "ALTER TABLE x10.loner INHERIT x10b.base1",
        "x10.loner (INHERITS (x10b.base1))",
    ),
}


initialised, static_spec = module_specs("exact10", BASE)

test_init_then_audit_of_the_same_database_passes = same_database_passes_test()
test_a_change_after_init_fails = change_after_init_fails_test("exact10m", MUTATIONS)
test_a_change_in_the_history_fails_statically = history_change_fails_test(BASE, MUTATIONS)


def test_both_readings_write_the_same_new_keys(initialised, static_spec: Path) -> None:  # type: ignore[no-untyped-def]
    """`init --dsn` and `init --sql` of the same SQL state the same operators, DEFERRABLE,
    constraint comment, INCLUDE, SET NULL columns, view column comments and INHERITS parents
    (a renamed / moved parent, a renamed column, CREATE OR REPLACE VIEW as the catalog has
    them), and the partition of a renamed, then moved partitioned table names it as the catalog
    does (statically it kept the old name: a false FAIL)."""
    _, _, live_spec = initialised
    keys = (
        "exclude:",
        "deferrable:",
        "initially_deferred:",
        "constraint_comment:",
        "include:",
        "on_delete_columns:",
        "column_comments:",
        "inherits:",
        "partition_of:",
    )

    def stated(spec: Path) -> list[str]:
        return [
            line.strip() for line in spec.read_text().splitlines() if line.strip().startswith(keys)
        ]

    live = stated(live_spec)
    assert live == stated(static_spec)
    for line in (
        "exclude: ['&&']",
        "exclude: ['=', '&&']",
        "deferrable: true",
        "initially_deferred: true",
        "constraint_comment: no overlap",
        "include: [b]",
        "include: [x]",
        "on_delete_columns: [parent_id]",
        "column_comments: {room: the room}",
        "column_comments: {span: its span}",
        "inherits: [x10.base_two, x10b.base1]",
        "inherits: [x10.parent]",
        "partition_of: x10b.happenings",  # a partitioned parent renamed, then moved
    ):
        assert line in live, live


def test_a_missing_exclusion_constraint_is_advised_as_one(initialised, pg_server) -> None:  # type: ignore[no-untyped-def]
    """The advice for a dropped EXCLUDE constraint is ALTER TABLE … ADD CONSTRAINT … EXCLUDE,
    not CREATE INDEX (which makes no constraint): it read so before."""
    template, _, live_spec = initialised
    name, dsn = changed_copy(
        pg_server,
        template,
        "exact10adv",
        "ALTER TABLE x10.booking DROP CONSTRAINT booking_room_excl",
    )
    try:
        report = live_spec.parent / "report.md"
        result = CliRunner().invoke(
            app, ["audit", "-s", str(live_spec), "--dsn", dsn, "--report", str(report)]
        )
        assert result.exit_code == 1, result.output
        text = report.read_text()
    finally:
        pg_server.drop_database(name)
    wanted = (
        "ALTER TABLE x10.booking ADD CONSTRAINT booking_room_excl EXCLUDE USING gist"
        " (room WITH =, span WITH &&) DEFERRABLE INITIALLY DEFERRED"
    )
    assert f"Add the constraint: {wanted}" in text
    assert f"{wanted};" in text  # the fix's SQL
    assert "INDEX CONCURRENTLY booking_room_excl" not in text


# what `diff` says of each change (the history with it against the database without it)
DIFFS = {
    "exclusion_operator_changed": "EXCLUDE operators",
    "exclusion_made_initially_immediate": "DEFERRABLE",
    "exclusion_comment_changed": "constraint comment",
    "unique_include_changed": "INCLUDE",
    "set_null_of_another_column": "ON DELETE SET NULL (kk)",
    "view_column_comment_changed": "column comments",
    "no_inherit": "INHERITS",
}


@pytest.mark.parametrize("mutation", sorted(DIFFS))
def test_diff_names_each_change(initialised, tmp_path: Path, mutation: str) -> None:  # type: ignore[no-untyped-def]
    """`diff` of the history with the change against the database without it names it (it
    saw none of them before); the history without the change has no difference."""
    _, dsn, _ = initialised
    history = tmp_path / "history"
    history.mkdir()
    (history / "001_base.sql").write_text(BASE)
    same = CliRunner().invoke(
        app, ["diff", str(history), dsn, "--schema", "x10", "--schema", "x10b"]
    )
    assert same.exit_code == 0, same.output
    (history / "002_change.sql").write_text(MUTATIONS[mutation][0] + ";\n")
    result = CliRunner().invoke(
        app, ["diff", str(history), dsn, "--schema", "x10", "--schema", "x10b"]
    )
    assert result.exit_code == 1, result.output
    assert DIFFS[mutation] in result.output, result.output
