"""``set_config('search_path', …, true)`` is SET LOCAL, and a ROLLBACK ends the transaction.

PostgreSQL 15: ``set_config(name, value, is_local => true)`` lasts to the end of the current
transaction, as ``SET LOCAL`` does: outside a transaction block (a statement of its own, a
DO block) it changes nothing after the statement. The static reading followed it for the
rest of the file (``other.tb``, ``other.tc`` where PostgreSQL makes ``public.tb``,
``public.tc``). And a transaction ended by ROLLBACK stayed open for the SET LOCAL rule
(fidelity19 f, 85903a9): ``BEGIN; … ROLLBACK; SET LOCAL search_path = other; CREATE TABLE
tz`` made ``other.tz``, where PostgreSQL warns "SET LOCAL can only be used in transaction
blocks" and makes ``public.tz``. (review21)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, psql_f, read_history, write_history

from schema_audit.sources import live

FILES = {
    "001_local.sql": (
        "CREATE SCHEMA other;\n"
        "BEGIN;\n"
        "SET search_path = other;\n"
        "ROLLBACK;\n"
        "SET LOCAL search_path = other;\n"
        "CREATE TABLE tz (id int);\n"
        "SELECT set_config('search_path', 'other', true);\n"
        "CREATE TABLE tb (id int);\n"
        "DO $$ BEGIN PERFORM set_config('search_path', 'other', true); END $$;\n"
        "CREATE TABLE tc (id int);\n"
        "BEGIN;\n"
        "SELECT set_config('search_path', 'other', true);\n"
        "CREATE TABLE td (id int);\n"
        "COMMIT;\n"
        "CREATE TABLE te (id int);\n"
        "BEGIN;\n"
        "SELECT set_config('search_path', 'other', false);\n"
        "COMMIT;\n"
        "CREATE TABLE tf (id int);\n"
    ),
}


@PATHS
def test_set_config_local_ends_with_its_transaction_and_rollback_ends_one(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("set_local_forms")
    assert "ERROR" not in psql_f(dsn, history, *FILES)
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, ahead)
    wanted = ["other.td", "other.tf", "public.tb", "public.tc", "public.te", "public.tz"]
    assert sorted(catalog.tables) == sorted(static.tables) == wanted
