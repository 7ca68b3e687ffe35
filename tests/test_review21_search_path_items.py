"""``SET search_path`` items and ``set_config('search_path', …)`` lists, read as PostgreSQL 15 reads them.

Each item of ``SET search_path = a, 'b, c'`` is ONE schema: PostgreSQL quotes a string
constant whole (``SHOW search_path`` is ``a, "b, c"``). The static reading split every item
at its commas: ``SET search_path = 'other, public'; CREATE TABLE t2 …`` made ``other.t2``
(a spec requiring it PASSed) where PostgreSQL has no schema to create in ("no schema has
been selected to create in") or, where a schema ``"other, public"`` exists, creates it
there. ``set_config``'s string is a list (PostgreSQL splits it), but its quoted names keep
their case: the reading lower-cased the whole statement and made ``"Other"`` ``other``.
(review21)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, audit_statuses, psql_f, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.ident import split_identifier_list
from schema_audit.sources import live

FILES = {
    "001_items.sql": (
        "CREATE SCHEMA other;\n"
        'CREATE SCHEMA "other, public";\n'
        'CREATE SCHEMA "Other";\n'
        "SET search_path = 'other, public';\n"
        "CREATE TABLE t2 (id int PRIMARY KEY);\n"
        "RESET search_path;\n"
        "BEGIN;\n"
        "SET LOCAL search_path = 'other, public';\n"
        "CREATE TABLE t5 (id int PRIMARY KEY);\n"
        "COMMIT;\n"
        # two items: two schemas
        "SET search_path = other, public;\n"
        "CREATE TABLE t7 (id int PRIMARY KEY);\n"
        "SELECT pg_catalog.set_config('search_path', '\"Other\", public', false);\n"
        "CREATE TABLE t6 (id int PRIMARY KEY);\n"
    ),
}

SPEC = """
name: t
tables:
  other.t2: {}
  other.t5: {}
  other.t6: {}
  other.t7: {}
"""


@PATHS
def test_a_search_path_item_is_one_schema_and_set_config_keeps_quoted_case(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("path_items")
    assert "ERROR" not in psql_f(dsn, history, *FILES)
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, ahead)
    wanted = ['"Other".t6', '"other, public".t2', '"other, public".t5', "other.t7"]
    assert sorted(catalog.tables) == sorted(static.tables) == wanted
    assert [str(d) for d in compare_models(catalog, static).differences] == []
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    statuses = audit_statuses(spec, history)
    assert {k: v for k, v in statuses.items() if k.startswith("tables.")} == {
        "tables.other.t2": "FAIL",  # the reading: PASS
        "tables.other.t5": "FAIL",  # the reading: PASS
        "tables.other.t6": "FAIL",  # the reading: PASS
        "tables.other.t7": "PASS",
    }


def test_a_list_splits_as_postgresql_splits_it() -> None:
    """``SplitIdentifierString``: commas outside quotes, quoted names as written, unquoted
    ones trimmed and lower-cased; None where PostgreSQL refuses the list."""
    assert split_identifier_list("") == []
    assert split_identifier_list('""') == [""]
    assert split_identifier_list(' "$user" , Public,"a""b"') == ["$user", "public", 'a"b']
    assert split_identifier_list('"other, public"') == ["other, public"]
    assert split_identifier_list("Other", fold=False) == ["Other"]
    for refused in ("a,", "a,,b", "a b", '"x', '"x"y'):
        assert split_identifier_list(refused) is None
