"""CREATE / ALTER SEQUENCE … OWNED BY checked as PostgreSQL 15's process_owned_by checks it.

PostgreSQL refuses the whole statement when OWNED BY names a relation that does not exist, a
column the table does not have, a relation of another schema, a materialized view or a
sequence, or a single name other than NONE ("invalid OWNED BY option"): the sequence of a
refused CREATE SEQUENCE is not made, and in a transaction everything before it is undone.
The static reading accepted them all: ``CREATE SEQUENCE s OWNED BY missing_table.id`` made
``s`` (a false PASS of ``sequences.s``), and its transaction's tables stayed sure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, audit_statuses, psql_f, read_history, write_history

from schema_audit.sources import live

FILES = {
    "001_owned.sql": (
        "CREATE TABLE keep (id int);\n"
        "CREATE SEQUENCE s OWNED BY missing_table.id;\n"
        "CREATE SEQUENCE s2 OWNED BY keep.nocol;\n"
        "CREATE SEQUENCE s3;\n"
        "ALTER SEQUENCE s3 OWNED BY missing_table.id;\n"
        "CREATE SEQUENCE s5 OWNED BY keep;\n"
        "CREATE SCHEMA other;\n"
        "CREATE SEQUENCE other.s6 OWNED BY keep.id;\n"
        "CREATE VIEW vv AS SELECT 1 AS a;\n"
        "CREATE SEQUENCE s7 OWNED BY vv.a;\n"  # a view's column: accepted
        "CREATE MATERIALIZED VIEW mv AS SELECT 1 AS a;\n"
        "CREATE SEQUENCE s8 OWNED BY mv.a;\n"
        "CREATE SEQUENCE s9 OWNED BY s3.last_value;\n"
        "CREATE SEQUENCE s10 OWNED BY public.keep.id;\n"
        "CREATE TEMP SEQUENCE ts;\n"
        "ALTER SEQUENCE ts OWNED BY keep.id;\n"  # a temporary sequence, a table of public
        "CREATE TEMP TABLE tt (id int);\n"
        "ALTER SEQUENCE ts OWNED BY tt.id;\n"
        "ALTER SEQUENCE s10 OWNED BY keep.nope;\n"
        "ALTER SEQUENCE s7 OWNED BY NONE;\n"
    ),
    "002_tx.sql": (
        "BEGIN;\nCREATE TABLE intx (id int);\nCREATE SEQUENCE s4 OWNED BY nosuch.id;\nCOMMIT;\n"
    ),
}

SPEC = """
name: t
tables:
  keep: {}
  intx: {}
sequences:
  s: {}
  s2: {}
  s4: {}
  s5: {}
  other.s6: {}
  s8: {}
"""


@PATHS
def test_owned_by_is_refused_where_postgresql_refuses_it(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("owned_by")
    errors = psql_f(dsn, history, *FILES, stop=False)
    assert errors.count("ERROR") == 10, errors
    catalog = live.introspect(dsn)
    assert sorted(catalog.sequences) == ["public.s10", "public.s3", "public.s7"]
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.sequences) == sorted(catalog.sequences)
    assert sorted(static.views) == sorted(catalog.views)
    assert static.sequences["public.s10"].owned_by == "keep.id"
    assert static.sequences["public.s3"].owned_by is None
    assert static.sequences["public.s7"].owned_by is None
    refused = [(Path(u.file or "").name, u.line) for u in static.unapplied if u.kind == "error"]
    lines = (2, 3, 5, 6, 8, 12, 13, 16, 19)
    assert refused == [*(("001_owned.sql", n) for n in lines), ("002_tx.sql", 3)]
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    statuses = audit_statuses(spec, history)
    # a statement refused for a missing relation or column leaves what it names open (the
    # history may assume an object the model lacks): DEFERRED, never the PASS it was
    wanted = {
        "tables.keep": "PASS",
        "tables.intx": "DEFERRED",  # PostgreSQL: FAIL (undone with its transaction)
        "sequences.s": "DEFERRED",  # PostgreSQL: FAIL; the reading said PASS
        "sequences.s2": "DEFERRED",  # PostgreSQL: FAIL; the reading said PASS
        "sequences.s4": "DEFERRED",  # PostgreSQL: FAIL; the reading said PASS
        "sequences.s5": "DEFERRED",  # PostgreSQL: FAIL, "invalid OWNED BY option": the reading said PASS
        "sequences.other.s6": "DEFERRED",  # PostgreSQL: FAIL, another schema's table: the reading said PASS
        "sequences.s8": "DEFERRED",  # PostgreSQL: FAIL, a materialized view: the reading said PASS
    }
    assert {k: statuses[k] for k in wanted} == wanted
