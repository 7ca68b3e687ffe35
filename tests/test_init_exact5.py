"""`init --dsn` writes a spec holding "exactly what the schema has", part 5: a view's or a
materialized view's query. A view re-created with its WHERE removed (rows it hid now
exposed), a condition, a column's relation or a join changed must FAIL the next
`audit --dsn` (before, each passed: init wrote only the columns and the relations read).
The query is compared as PostgreSQL stores it: the same query spelled otherwise (bare
columns, ``ORDER BY 1``, ``IN (…)``, whitespace) passes. `init --sql` of the same SQL
writes a spec the database passes (the static reading gives the catalog's text).
Real PostgreSQL.
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

BASE = """
CREATE SCHEMA x5;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION hstore WITH SCHEMA x5 VERSION '1.7';
CREATE TABLE x5.items (id int PRIMARY KEY, name text, qty int, kind varchar(10), at date);
CREATE TABLE x5.parts (id int, item_id int, name text, kind varchar(10));
ALTER TABLE x5.items ALTER qty SET (n_distinct = 100), ALTER name SET (n_distinct = -0.5);
ALTER TABLE x5.items ALTER name SET (n_distinct_inherited = 7), ALTER name RESET (n_distinct);
CREATE SEQUENCE x5.plain_seq;
CREATE SEQUENCE x5.noted_seq;
COMMENT ON SEQUENCE x5.noted_seq IS 'noted';
CREATE TABLE public.plain (id int, v text);
CREATE VIEW x5.big_items AS SELECT id, name FROM x5.items WHERE qty > 10;
CREATE VIEW x5.joined AS SELECT items.id, parts.name, parts.kind FROM x5.items
  JOIN x5.parts ON parts.item_id = items.id WHERE parts.kind IN ('a', 'b') ORDER BY items.id;
CREATE VIEW x5.counts AS SELECT count(*), max(qty) AS m, name FROM x5.items
  GROUP BY name HAVING count(*) > 1 ORDER BY 1;
CREATE VIEW x5.starred AS SELECT * FROM x5.items t
  WHERE EXISTS (SELECT 1 FROM x5.parts WHERE parts.item_id = t.id)
  AND at BETWEEN '2020-01-01' AND now();
CREATE VIEW x5.unioned AS SELECT id, v FROM plain UNION ALL SELECT id, name FROM x5.items;
CREATE VIEW x5.nested AS SELECT s.id FROM (SELECT id FROM x5.items) s, x5.parts;
CREATE VIEW x5.left_using AS SELECT id, parts.name FROM x5.items LEFT JOIN x5.parts USING (id);
CREATE VIEW x5.with_cte AS WITH c AS (SELECT id FROM x5.items) SELECT c.id, name
  FROM c JOIN x5.parts USING (id);
CREATE VIEW x5.windowed AS SELECT id, row_number() OVER (PARTITION BY name ORDER BY at DESC) AS rn,
  (SELECT count(*) FROM x5.parts WHERE item_id = items.id) AS n_parts FROM x5.items;
CREATE VIEW x5.lateral_v AS SELECT i.id, l.kind FROM x5.items i,
  LATERAL (SELECT kind FROM x5.parts WHERE item_id = i.id LIMIT 1) l;
CREATE VIEW x5.literals AS SELECT id, coalesce(name, '') AS nm, qty::numeric AS q,
  CASE WHEN qty > 0 THEN 'pos' ELSE 'neg' END AS sign FROM x5.items
  WHERE name NOT LIKE 'x%' AND kind IS DISTINCT FROM 'z' ORDER BY name NULLS FIRST OFFSET 2;
CREATE VIEW x5.valued AS VALUES (1, 'a'), (2, 'b');
SET search_path = x5;
CREATE VIEW by_alias AS SELECT id AS ident FROM items WHERE NOT (qty = 2) ORDER BY ident;
RESET search_path;
CREATE TABLE x5.renamed_src (id int, plan text);
CREATE VIEW x5.on_renamed AS SELECT id, plan FROM x5.renamed_src r WHERE plan <> 'free';
CREATE VIEW x5.on_renamed_star AS SELECT * FROM x5.renamed_src;
ALTER TABLE x5.renamed_src RENAME COLUMN plan TO tier;
ALTER TABLE x5.renamed_src RENAME TO renamed_dst;
CREATE MATERIALIZED VIEW x5.totals AS SELECT kind, sum(qty) AS total FROM x5.items GROUP BY kind;
CREATE FUNCTION x5.touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER t_origin BEFORE UPDATE ON x5.parts FOR EACH ROW EXECUTE FUNCTION x5.touch();
CREATE TRIGGER t_off BEFORE INSERT ON x5.parts FOR EACH ROW EXECUTE FUNCTION x5.touch();
CREATE TRIGGER t_always BEFORE DELETE ON x5.parts FOR EACH ROW EXECUTE FUNCTION x5.touch();
ALTER TABLE x5.parts DISABLE TRIGGER t_off, ENABLE ALWAYS TRIGGER t_always;
"""

MUTATIONS = {
    "where removed": "CREATE OR REPLACE VIEW x5.big_items AS SELECT id, name FROM x5.items",
    "condition changed": "CREATE OR REPLACE VIEW x5.big_items AS "
    "SELECT id, name FROM x5.items WHERE qty > 1",
    "column taken from the other relation": "CREATE OR REPLACE VIEW x5.joined AS "
    "SELECT items.id, items.name, parts.kind FROM x5.items JOIN x5.parts "
    "ON parts.item_id = items.id WHERE parts.kind IN ('a', 'b') ORDER BY items.id",
    "join made outer": "CREATE OR REPLACE VIEW x5.joined AS "
    "SELECT items.id, parts.name, parts.kind FROM x5.items LEFT JOIN x5.parts "
    "ON parts.item_id = items.id WHERE parts.kind IN ('a', 'b') ORDER BY items.id",
    "list value added": "CREATE OR REPLACE VIEW x5.joined AS "
    "SELECT items.id, parts.name, parts.kind FROM x5.items JOIN x5.parts "
    "ON parts.item_id = items.id WHERE parts.kind IN ('a', 'b', 'c') ORDER BY items.id",
    "having dropped": "CREATE OR REPLACE VIEW x5.counts AS SELECT count(*), max(qty) AS m, name "
    "FROM x5.items GROUP BY name ORDER BY 1",
    "order changed": "CREATE OR REPLACE VIEW x5.counts AS SELECT count(*), max(qty) AS m, name "
    "FROM x5.items GROUP BY name HAVING count(*) > 1 ORDER BY 1 DESC",
    "subquery condition changed": "CREATE OR REPLACE VIEW x5.windowed AS SELECT id, "
    "row_number() OVER (PARTITION BY name ORDER BY at DESC) AS rn, "
    "(SELECT count(*) FROM x5.parts WHERE item_id > items.id) AS n_parts FROM x5.items",
    "union made distinct": "CREATE OR REPLACE VIEW x5.unioned AS "
    "SELECT id, v FROM plain UNION SELECT id, name FROM x5.items",
    "reads another relation": "CREATE TABLE x5.items2 (LIKE x5.items); "
    "CREATE OR REPLACE VIEW x5.big_items AS SELECT id, name FROM x5.items2 WHERE qty > 10",
    "materialized view query changed": "DROP MATERIALIZED VIEW x5.totals; "
    "CREATE MATERIALIZED VIEW x5.totals AS SELECT kind, sum(qty) AS total FROM x5.items "
    "WHERE qty > 0 GROUP BY kind",
    # a trigger's state (pg_trigger.tgenabled)
    "trigger enabled always": "ALTER TABLE x5.parts ENABLE ALWAYS TRIGGER t_origin",
    "trigger enabled replica": "ALTER TABLE x5.parts ENABLE REPLICA TRIGGER t_origin",
    "always trigger made origin": "ALTER TABLE x5.parts ENABLE TRIGGER t_always",
    "always trigger made replica": "ALTER TABLE x5.parts ENABLE REPLICA TRIGGER t_always",
    "disabled trigger enabled": "ALTER TABLE x5.parts ENABLE TRIGGER t_off",
    "disabled trigger enabled always": "ALTER TABLE x5.parts ENABLE ALWAYS TRIGGER t_off",
    # extensions (strict.extensions: the database's set, schema and version)
    "extension added": "CREATE EXTENSION citext",
    "extension dropped": "DROP EXTENSION pgcrypto",
    "extension updated": "ALTER EXTENSION hstore UPDATE",
    "extension moved": "ALTER EXTENSION pgcrypto SET SCHEMA x5",
    # COMMENT ON SEQUENCE
    "sequence comment added": "COMMENT ON SEQUENCE x5.plain_seq IS 'plain'",
    "sequence comment changed": "COMMENT ON SEQUENCE x5.noted_seq IS 'renoted'",
    "sequence comment dropped": "COMMENT ON SEQUENCE x5.noted_seq IS NULL",
    # column attoptions (ALTER COLUMN … SET (n_distinct …))
    "column option set": "ALTER TABLE x5.items ALTER kind SET (n_distinct = 5)",
    "column option changed": "ALTER TABLE x5.items ALTER qty SET (n_distinct = 50)",
    "column option reset": "ALTER TABLE x5.items ALTER qty RESET (n_distinct)",
    "column option added beside": "ALTER TABLE x5.items ALTER name SET (n_distinct = 3)",
}

# the same query spelled otherwise: PostgreSQL stores it alike, so the audit still passes
SAME = {
    "bare columns, other spacing": "CREATE OR REPLACE VIEW x5.big_items AS\n"
    "  select ID, Name  from X5.Items where (qty>10)",
    "qualified columns": "CREATE OR REPLACE VIEW x5.big_items AS "
    "SELECT items.id, items.name FROM x5.items WHERE items.qty > 10",
    "any array for in list": "CREATE OR REPLACE VIEW x5.joined AS "
    "SELECT items.id, parts.name, parts.kind FROM x5.items JOIN x5.parts "
    "ON item_id = items.id WHERE parts.kind = ANY (ARRAY['a', 'b']) ORDER BY 1",
}


@pytest.fixture(scope="module")
def initialised(pg_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    yield from init_database(pg_server, tmp_path_factory, "exact5", BASE)


def _audited_copy(pg_server, template: str, spec: Path, sql: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return audit_of_changed_copy(pg_server, template, "exact5m", sql, spec)


def test_init_then_audit_of_the_same_database_passes(initialised) -> None:  # type: ignore[no-untyped-def]
    _, dsn, spec = initialised
    assert failing_ids(audit_report(spec, dsn)) == []
    text = spec.read_text()
    assert text.count("definition:") == 16  # every view and materialized view
    assert "    hstore: {schema: x5, version: '1.7'}" in text  # strict.extensions


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_change_after_init_fails(initialised, pg_server, mutation: str) -> None:  # type: ignore[no-untyped-def]
    template, _, spec = initialised
    report = _audited_copy(pg_server, template, spec, MUTATIONS[mutation])
    failing = change_failures(report)
    assert failing, f"{mutation}: no FAIL"
    assert all(f["message"] for f in failing)


@pytest.mark.parametrize("spelling", sorted(SAME))
def test_the_same_query_spelled_otherwise_passes(initialised, pg_server, spelling: str) -> None:  # type: ignore[no-untyped-def]
    template, _, spec = initialised
    report = _audited_copy(pg_server, template, spec, SAME[spelling])
    assert [f["message"] for f in report["findings"] if f["status"] == "FAIL"] == []


def test_a_cast_added_fails(initialised, pg_server) -> None:  # type: ignore[no-untyped-def]
    """init wrote pg_get_viewdef's text, which spells out every cast PostgreSQL adds: a
    cast more in the catalog's text is one someone wrote."""
    template, _, spec = initialised
    sql = "CREATE OR REPLACE VIEW x5.big_items AS SELECT id, name FROM x5.items WHERE qty::numeric > 10"
    report = _audited_copy(pg_server, template, spec, sql)
    (finding,) = [f for f in report["findings"] if f["id"] == "views.x5.big_items"]
    assert finding["status"] == "FAIL", finding
    assert "query differs" in finding["message"]


IMPLICIT = """
CREATE TABLE ledger (id int, cents int);
CREATE VIEW revenue AS SELECT id, coalesce(sum(cents), 0) / 100.0 AS total FROM ledger GROUP BY id;
"""


def test_a_cast_postgresql_adds_is_deferred_statically(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`init --sql`'s text has no cast where PostgreSQL adds one (the catalog stores
    ``COALESCE(sum(cents), 0::bigint)::numeric / 100.0``): the text cannot tell that cast
    from one someone wrote, so the audit of the database says DEFERRED, not FAIL or PASS."""
    dsn = make_db("exact5cast", IMPLICIT)
    spec = static_init_spec(tmp_path, IMPLICIT, file="001.sql")
    report = audit_report(spec, dsn)
    (finding,) = [f for f in report["findings"] if f["id"] == "views.revenue"]
    assert finding["status"] == "DEFERRED", finding
    assert "only in casts" in finding["message"]


def test_static_init_agrees_with_the_live_catalog(initialised, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`init --sql` of the same SQL, audited against the database it built: 0 FAIL, with
    every view's query stated (the static text compares equal to pg_get_viewdef's)."""
    _, dsn, _ = initialised
    spec = static_init_spec(tmp_path, BASE)
    assert spec.read_text().count("definition:") == 16
    # a history does not say what the platform installs first: no strict.extensions
    assert "\n  extensions:" not in spec.read_text()
    assert failing_ids(audit_report(spec, dsn)) == []


def test_static_audit_with_the_live_spec_passes(initialised, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The other way round: init --dsn's spec (pg_get_viewdef's text) against the history."""
    _, _, spec = initialised
    history = tmp_path / "history"
    history.mkdir()
    (history / "001_base.sql").write_text(BASE)
    result = CliRunner().invoke(
        app, ["audit", "-s", str(spec), "--sql", str(history), "-f", "json"]
    )
    assert result.exit_code in (0, 1), result.output

    report = json.loads(result.output)
    assert [f["message"] for f in report["findings"] if f["status"] == "FAIL"] == []
