"""A function's own ``SET search_path`` items, kept and read as PostgreSQL 15 keeps and reads them.

``CREATE FUNCTION mk() … SET search_path = 'other, public' AS $$ … CREATE TABLE made … $$``
sets ONE schema, ``"other, public"`` (proconfig ``search_path="other, public"``). The static
reading kept the items unquoted (``search_path=other, public``) and split the text at every
comma: it ran the body with ``other, public`` and made ``other.made``, where PostgreSQL
finds no schema to create in (the call fails) or, where ``"other, public"`` exists, makes
``"other, public".made``. The audit compared a function's settings with every quote
stripped after the same split: a spec's ``config: ['search_path=other, public']`` PASSed a
database whose function has ``search_path="other, public"`` (a SECURITY DEFINER function
pinned to a schema that is not the one the spec names). Now a setting is kept as
PostgreSQL stores it (``"$user", other, ""``) and a search_path read as PostgreSQL splits
it (``ident.split_identifier_list``, ``ident.setting_key``). (review21)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, audit_statuses, psql_f, read_history, write_history
from typer.testing import CliRunner

from schema_audit.audit.undecided import compare_models
from schema_audit.cli import app
from schema_audit.sources import live

FILES = {
    "001_own_items.sql": (
        "CREATE SCHEMA other;\n"
        'CREATE SCHEMA "other, public";\n'
        "CREATE FUNCTION mk() RETURNS void LANGUAGE plpgsql SET search_path = 'other, public'"
        " AS $$\nBEGIN CREATE TABLE made (id int); END $$;\n"
        "SELECT mk();\n"
        "CREATE FUNCTION pinned() RETURNS int LANGUAGE sql SECURITY DEFINER"
        " SET search_path = \"$user\", Other, '' AS 'select 1';\n"
        "CREATE FUNCTION hardened() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'select 1';\n"
        "ALTER FUNCTION hardened() SET search_path = 'other, public';\n"
    ),
}

SPEC = """
name: t
functions:
  hardened: {config: ['search_path=other, public']}
  pinned: {config: ['search_path=$user, other, ""']}
"""


@PATHS
def test_a_function_search_path_item_is_one_schema(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("own_items")
    assert "ERROR" not in psql_f(dsn, history, *FILES)
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, ahead)
    assert sorted(catalog.tables) == sorted(static.tables) == ['"other, public".made']
    # the settings as the catalog's proconfig holds them, byte for byte
    assert {k: f.config for k, f in static.functions.items()} == {
        k: f.config for k, f in catalog.functions.items()
    }
    assert static.functions["public.pinned()"].config == ['search_path="$user", other, ""']
    assert [str(d) for d in compare_models(catalog, static).differences] == []
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    wanted = {"functions.hardened": "FAIL", "functions.pinned": "PASS"}  # hardened: was PASS
    statuses = audit_statuses(spec, history)
    assert {k: statuses[k] for k in wanted} == wanted
    result = CliRunner().invoke(app, ["audit", "-f", "json", "-s", str(spec), "--dsn", dsn])
    found = {f["id"]: f["status"] for f in json.loads(result.stdout)["findings"]}
    assert {k: found[k] for k in wanted} == wanted
