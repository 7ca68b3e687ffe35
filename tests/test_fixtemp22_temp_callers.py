"""What calls a pg_temp function or a temporary sequence goes with the session, as PostgreSQL 15 drops it.

The session's ``DROP SCHEMA pg_temp CASCADE`` also drops a trigger whose WHEN calls a
pg_temp function, a function whose SQL-standard body (``BEGIN ATOMIC … END``, ``RETURN
…``) calls one or ``nextval`` of a temporary sequence (PostgreSQL records those as
dependencies, unlike a quoted body), and a domain's CHECK calling one (the constraint goes,
the domain stays). The reading kept all four: a false PASS of each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, run_and_read

FILES = {
    "001_callers.sql": (
        "CREATE FUNCTION pg_temp.f() RETURNS boolean LANGUAGE sql AS 'SELECT true';\n"
        "CREATE TEMP SEQUENCE ts;\n"
        "CREATE TABLE k (id int);\n"
        "CREATE FUNCTION public.tf() RETURNS trigger LANGUAGE plpgsql AS "
        "'begin return new; end';\n"
        "CREATE TRIGGER trg BEFORE INSERT ON k FOR EACH ROW WHEN (pg_temp.f()) "
        "EXECUTE FUNCTION public.tf();\n"
        "CREATE TRIGGER keep_trg BEFORE INSERT ON k FOR EACH ROW WHEN (NEW.id > 0) "
        "EXECUTE FUNCTION public.tf();\n"
        "CREATE FUNCTION public.g() RETURNS boolean LANGUAGE sql BEGIN ATOMIC SELECT pg_temp.f(); END;\n"
        "CREATE FUNCTION public.h() RETURNS bigint LANGUAGE sql RETURN nextval('ts');\n"
        "CREATE FUNCTION public.quoted() RETURNS bigint LANGUAGE sql AS $$SELECT nextval('ts')$$;\n"
        "CREATE FUNCTION public.kept() RETURNS int LANGUAGE sql RETURN 1;\n"
        "CREATE DOMAIN dd AS int CONSTRAINT dd_f CHECK (pg_temp.f()) CONSTRAINT dd_pos CHECK (VALUE > 0);\n"
    ),
}


@PATHS
def test_triggers_standard_bodies_and_domain_checks_calling_temporary_objects_go(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    run = run_and_read(make_db, tmp_path, monkeypatch, ahead, FILES, "fixtemp22_callers")
    assert "ERROR" not in run.errors, run.errors
    catalog, static = run.catalog, run.static
    assert sorted(catalog.tables["public.k"].triggers) == ["keep_trg"]
    assert sorted(catalog.functions) == sorted(static.functions)
    assert sorted(f.name for f in catalog.functions.values()) == ["kept", "quoted", "tf"]
    assert sorted(catalog.domains["public.dd"].checks) == ["dd_pos"]
    assert run.differences() == []
