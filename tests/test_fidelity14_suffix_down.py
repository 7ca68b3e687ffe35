"""golang-migrate reads only ``<version>_<name>.up.sql`` / ``.down.sql``: a file named
``…_down.sql`` in such a folder is ignored by it (harness/harness keeps ``0001_x_down.sql``
beside ``0001_x.up.sql``). Read as a numbered migration it was applied: beside its up twin the
folder was refused with a misleading duplicate-version error; alone, it dropped what the
history made (a false FAIL without a word). It is now a downgrade: never applied, named."""

from __future__ import annotations

from pathlib import Path

import psycopg

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.sqlfile import discover, load_sql

FILES = {
    "0001_accounts.up.sql": "CREATE TABLE accounts (id int PRIMARY KEY);\n",
    "0001_accounts.down.sql": "DROP TABLE accounts;\n",
    "0002_notes.up.sql": "CREATE TABLE notes (id int PRIMARY KEY, body text);\n",
    "0002_notes_down.sql": "DROP TABLE notes;\n",
    "0003_audit_down.sql": "DROP TABLE accounts;\n",
}


def test_a_suffix_down_file_is_a_downgrade_never_applied(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    layout = discover(tmp_path)
    assert layout.name == "golang-migrate"
    assert [f.name for f in layout.files] == ["0001_accounts.up.sql", "0002_notes.up.sql"]
    named = [i.message.split()[0] for i in layout.issues if i.code == "down-name-not-applied"]
    assert named == ["0002_notes_down.sql", "0003_audit_down.sql"]
    assert ("no-downgrade", "0002") in [(i.code, i.revision) for i in layout.issues]
    dsn = make_db("sfxdown")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for file in layout.files:  # what golang-migrate applies
            conn.execute(file.read_text())
    assert [str(d) for d in diff_models(live.introspect(dsn), load_sql(tmp_path))] == []
