"""EXCLUDE constraints under ``exactly: [indexes]``, and their keys read statically (fidelity11).

``exactly:`` holds every fact the tool reads about an index the entry matched: an EXCLUDE
constraint's operators were the one fact it did not hold, so a hand-written spec listing the
index by its columns PASSed it re-created with other operators (false PASS). And the static
reading kept an EXCLUDE key as a bare name: its operator class, ordering and collation were
lost, where the catalog keeps them (a false FAIL of init --sql's spec, a difference in `diff`)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from init_mutations import audit_report, change_failures, changed_copy

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret

BASE = """
    CREATE TABLE booking (
      id INTEGER PRIMARY KEY,
      room INTEGER,
      during INT4RANGE,
      net INET,
      code TEXT,
      CONSTRAINT booking_no_overlap EXCLUDE USING gist (during WITH &&)
    );
    ALTER TABLE booking ADD CONSTRAINT booking_net_excl EXCLUDE USING gist (net inet_ops WITH &&);
    ALTER TABLE booking ADD CONSTRAINT booking_code_excl
      EXCLUDE USING btree (code text_pattern_ops WITH =, room DESC NULLS LAST WITH =);
    ALTER TABLE booking ADD CONSTRAINT booking_code_c_excl
      EXCLUDE (code COLLATE "C" WITH =) WHERE (room > 0);
"""

SPEC = """
name: EXCLUDE under exactly
tables:
  booking:
    exactly: [indexes]
    indexes:
      - {{name: booking_no_overlap, columns: [during], method: gist{operators}}}
      - {{name: booking_net_excl, columns: [net inet_ops], method: gist, exclude: ['&&']}}
      - name: booking_code_excl
        columns: [code text_pattern_ops, room DESC NULLS LAST]
        exclude: ['=', '=']
      - {{name: booking_code_c_excl, columns: ['code COLLATE "C"'], where: room > 0,
          exclude: ['=']}}
"""


def _spec(tmp_path: Path, operators: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.format(operators=operators))
    return path


def test_static_exclude_keys_equal_the_catalog(make_db) -> None:  # type: ignore[no-untyped-def]
    """`(net inet_ops WITH &&)`, `(code text_pattern_ops WITH =, room DESC NULLS LAST WITH =)`
    and `(code COLLATE "C" WITH =)`: the static keys are the catalog's (they were bare names)."""
    static = interpret(BASE)
    catalog = live.introspect(make_db("fid11_excl", BASE))
    assert [str(d) for d in diff_models(catalog, static)] == []
    keys = static.tables["public.booking"].indexes["booking_code_excl"].keys
    assert [(k.opclass, k.descending) for k in keys] == [("text_pattern_ops", False), (None, True)]


def test_exactly_indexes_holds_an_exclude_constraint_s_operators(pg_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A hand-written spec under `exactly: [indexes]` listing an EXCLUDE constraint's index by
    its columns without `exclude:` is not exactly what the database has: it FAILs, naming the
    operators (it PASSed, and so did the constraint re-created `WITH =`: a false PASS);
    stating `exclude: ['&&']` PASSes, and the re-created constraint FAILs."""
    template, dsn = pg_server.create_database("fid11_exx")
    try:
        _judge_exclude(pg_server, template, dsn, tmp_path)
    finally:
        pg_server.drop_database(template)


def _judge_exclude(pg_server, template: str, dsn: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(BASE)
    loose = audit_report(_spec(tmp_path, ""), dsn)
    failing = [f["message"] for f in change_failures(loose)]
    assert any("booking_no_overlap" in m and "EXCLUDE" in m and "&&" in m for m in failing), failing
    stated = _spec(tmp_path, ", exclude: ['&&']")
    assert change_failures(audit_report(stated, dsn)) == []
    name, changed = changed_copy(
        pg_server,
        template,
        "fid11_exx_c",
        "ALTER TABLE booking DROP CONSTRAINT booking_no_overlap;"
        " ALTER TABLE booking ADD CONSTRAINT booking_no_overlap EXCLUDE USING gist (during WITH =)",
    )
    try:
        failing = [f["message"] for f in change_failures(audit_report(stated, changed))]
    finally:
        pg_server.drop_database(name)
    assert any("booking_no_overlap" in m for m in failing), failing


def test_exactly_indexes_holds_exclude_statically(tmp_path: Path) -> None:
    """The same spec against the history read without a database: the unstated operators
    FAIL there too, and the stated ones PASS (static == live)."""
    from typer.testing import CliRunner

    from schema_audit.cli import app

    history = tmp_path / "history"
    history.mkdir()
    (history / "001_base.sql").write_text(BASE)
    statuses = {}
    for label, operators in (("loose", ""), ("stated", ", exclude: ['&&']")):
        spec = tmp_path / f"{label}.yaml"
        spec.write_text(SPEC.format(operators=operators))
        result = CliRunner().invoke(
            app, ["audit", "-s", str(spec), "--sql", str(history), "-f", "json"]
        )
        statuses[label] = [f["message"] for f in change_failures(json.loads(result.output))]
    assert any("EXCLUDE" in m for m in statuses["loose"]), statuses
    assert statuses["stated"] == []
