"""A permanent object made before a same-named temporary one keeps what it holds.

PostgreSQL resolves a cast (``'happy'::mood``, ``NULL::tt``) and a ``nextval('s')``
literal when the view, default or CHECK is made, and stores the OID it found: a
temporary type or sequence of the same name made later in the session does not take its
place, and the session's ``DROP SCHEMA pg_temp CASCADE`` leaves the permanent object be.
The reading re-resolved each text at the session's end with the temporary objects first
and dropped views v1 v2 v3, the CHECK k_m_check and k.id's default: a false FAIL of each
(PostgreSQL 15 keeps all of them). One made after the temporary object still goes, and
so does a default or policy restated after it (SET DEFAULT, ALTER POLICY resolve anew); a rename keeps the OID.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, run_and_read

FILES = {
    "001_shadow.sql": (
        "CREATE TYPE mood AS ENUM ('happy', 'sad');\n"
        "CREATE SEQUENCE s;\n"
        "CREATE TABLE tt (id int);\n"
        "CREATE TABLE k (id int DEFAULT nextval('s'), m mood, CHECK (m <> 'sad'::mood));\n"
        "CREATE VIEW v1 AS SELECT 'happy'::mood AS m;\n"
        "CREATE VIEW v2 AS SELECT NULL::tt AS r;\n"
        "CREATE VIEW v3 AS SELECT nextval('s') AS n;\n"
        "CREATE FUNCTION public.hb() RETURNS bigint LANGUAGE sql RETURN nextval('s');\n"
        "CREATE DOMAIN dd AS int;\n"
        "CREATE TABLE k3 (a int DEFAULT 1::dd, b int DEFAULT 1::dd);\n"
        "CREATE TABLE kp (a int);\n"
        "CREATE POLICY p1 ON kp USING (NULL::mood IS NULL);\n"
        "CREATE POLICY p2 ON kp USING (NULL::mood IS NULL);\n"
        "CREATE DOMAIN pg_temp.dd AS int;\n"
        "ALTER TABLE k3 ALTER COLUMN a SET DEFAULT 1::dd;\n"
        "CREATE TYPE pg_temp.mood AS ENUM ('x');\n"
        "CREATE TEMP SEQUENCE s;\n"
        "CREATE TEMP TABLE tt (x int);\n"
        "CREATE VIEW w1 AS SELECT 'x'::mood AS m;\n"
        "CREATE VIEW w2 AS SELECT NULL::tt AS r;\n"
        "CREATE VIEW w3 AS SELECT nextval('s') AS n;\n"
        "CREATE TABLE k2 (id int, CHECK (id <> nextval('s')));\n"
        "ALTER TABLE k ALTER COLUMN id SET DEFAULT nextval('s');\n"
        "ALTER TABLE k RENAME COLUMN m TO mm;\n"
        "ALTER POLICY p2 ON kp USING (NULL::mood IS NULL);\n"
    ),
}


@PATHS
def test_dependents_made_before_a_same_named_temporary_object_stay(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    run = run_and_read(make_db, tmp_path, monkeypatch, ahead, FILES, "fixtemp22_shadow")
    assert "ERROR" not in run.errors, run.errors
    catalog, static = run.catalog, run.static
    assert sorted(catalog.views) == ["public.v1", "public.v2", "public.v3"]
    assert sorted(static.views) == sorted(catalog.views)
    assert sorted(static.tables["public.k"].checks) == ["k_m_check"]
    assert catalog.tables["public.k2"].checks == {}
    k3 = catalog.tables["public.k3"].columns
    assert (k3["a"].default, k3["b"].default) == (None, "(1)::public.dd")
    assert sorted(catalog.tables["public.kp"].policies) == ["p1"]
    assert sorted(static.functions) == sorted(catalog.functions) == ["public.hb()"]
    assert run.differences() == []
