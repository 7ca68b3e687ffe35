"""Real-world trial (eighteenth session, trial17): static reading == catalog on projects' own forms.

Fixtures are written here in each project's style; no project file is copied. Each test applies
its SQL to a real database and compares what the tool says of the static reading of the same SQL
with what the catalog says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cli_runner import run_cli
from test_realworld_trial15 import _both_ways


def _sqlx_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    """``files`` (version_name -> SQL) as an sqlx migrations folder (``<version>_<name>.sql``)."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.sql").write_text(text)
    return folder


# lakekeeper's form (sqlx): an `updated_at` trigger guarded by a whole-row comparison, made
# by a helper's EXECUTE format(…) for most tables and written out for the newer ones.
WHOLE_ROW_WHEN = {
    "01_setup": """
        create or replace function set_updated_at() returns trigger as $$ begin NEW.updated_at = now();
        return NEW;
        end;
        $$ language plpgsql;
        create or replace function trigger_updated_at(tablename regclass) returns void as $$ begin execute format(
                'CREATE TRIGGER set_updated_at
                BEFORE UPDATE
                ON %s
                FOR EACH ROW
                WHEN (OLD is distinct from NEW)
            EXECUTE FUNCTION set_updated_at();',
                tablename
            );
        end;
        $$ language plpgsql;
        create table warehouse (
            warehouse_id uuid primary key,
            warehouse_name text not null,
            updated_at timestamptz
        );
        select trigger_updated_at('"warehouse"');
    """,
    "20260720000000_tags": """
        CREATE TABLE tag (
            tag_id uuid PRIMARY KEY,
            name text NOT NULL,
            updated_at timestamptz
        );
        CREATE TRIGGER set_updated_at
            BEFORE UPDATE ON tag
            FOR EACH ROW
            WHEN (OLD IS DISTINCT FROM NEW)
            EXECUTE FUNCTION set_updated_at();
        CREATE TRIGGER set_updated_at_named
            BEFORE UPDATE ON tag
            FOR EACH ROW
            WHEN ((old).name IS DISTINCT FROM (new).name AND row_to_json(old)::text <> '{}')
            EXECUTE FUNCTION set_updated_at();
    """,
}


def test_a_whole_row_old_new_in_a_trigger_when_is_printed_as_the_catalog_prints_it(
    make_db: Any, tmp_path: Path
) -> None:
    """`WHEN (OLD IS DISTINCT FROM NEW)` is stored `(old.* IS DISTINCT FROM new.*)` and
    `(old).name` is stored `old.name`: the static condition kept `old IS DISTINCT FROM new`,
    so init --dsn's spec FAILed the history on every such trigger (37 on lakekeeper) and
    `diff` listed each one. Found on lakekeeper/lakekeeper."""
    folder = _sqlx_folder(tmp_path, WHOLE_ROW_WHEN)
    sql = "".join(WHOLE_ROW_WHEN.values())
    assert _both_ways(make_db, tmp_path, "trial17_whole_row_when", folder, sql) == []


# Conditions PostgreSQL 15 refuses: only old and new name anything in a WHEN condition.
REFUSED_WHEN = {
    "ambiguous": "BEFORE UPDATE ON tag FOR EACH ROW WHEN (name IS NULL)",
    "unknown_bare": "BEFORE UPDATE ON tag FOR EACH ROW WHEN (label IS NULL)",
    "unknown_column": "BEFORE UPDATE ON tag FOR EACH ROW WHEN (old.label IS NULL)",
    "old_on_insert": "BEFORE INSERT ON tag FOR EACH ROW WHEN (OLD IS NOT NULL)",
    "new_on_delete": "BEFORE DELETE ON tag FOR EACH ROW WHEN (new.name IS NULL)",
    "statement": "AFTER UPDATE ON tag FOR EACH STATEMENT WHEN (old.name IS NULL)",
}
TAG_TABLE = """
    CREATE TABLE tag (tag_id uuid PRIMARY KEY, name text NOT NULL, updated_at timestamptz);
    CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql
        AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;
"""


@pytest.mark.parametrize("name", sorted(REFUSED_WHEN))
def test_a_trigger_when_postgresql_refuses_is_not_made(
    make_db: Any, tmp_path: Path, name: str
) -> None:
    """Each of these CREATE TRIGGERs is refused by PostgreSQL; the static reading made the
    trigger, so a spec requiring it PASSed the history (false PASS). It is now named as not
    applied, and the spec's trigger is not PASS."""
    statement = f"CREATE TRIGGER t_{name} {REFUSED_WHEN[name]} EXECUTE FUNCTION set_updated_at();"
    dsn = make_db("trial17_refused_when", TAG_TABLE)
    with psycopg.connect(dsn, autocommit=True) as conn, pytest.raises(psycopg.Error) as refused:
        conn.execute(statement)
    folder = _sqlx_folder(tmp_path, {"01_setup": TAG_TABLE, "02_trigger": statement})
    model = json.loads(run_cli("inspect", "--sql", folder).stdout)["model"]
    assert f"t_{name}" not in model["tables"]["public.tag"]["triggers"]
    reasons = [u["reason"] for u in model["unapplied"] if "02_trigger" in u["file"]]
    assert reasons == [refused.value.diag.message_primary]
