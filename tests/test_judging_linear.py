"""Judging stays linear in tables (issue 19): lookups a requirement makes are dictionary hits,
never a scan of every object of the schema for each requirement."""

from __future__ import annotations

from typing import Any

from schema_audit import api
from schema_audit.audit import privileges

SCHEMA = """
DO $$ BEGIN CREATE ROLE lin_writer; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE TABLE a (id serial PRIMARY KEY, note text);
CREATE TABLE "B" (id bigserial PRIMARY KEY);
CREATE SEQUENCE other_seq;
GRANT INSERT ON a, "B" TO lin_writer;
"""


class _NoScan(dict):
    """The model's sequences, refusing a walk over all of them."""

    def values(self) -> Any:
        raise AssertionError("scanned every sequence")


def test_a_serial_column_finds_its_sequence_by_name_not_by_scanning_all(make_db: Any) -> None:
    model = api.read_source(dsn=make_db("lin", SCHEMA)).model
    expected = {
        name: [(s.schema, s.name) for s in privileges.serial_sequences(model, table)]
        for name, table in model.tables.items()
    }
    assert expected == {
        "public.a": [("public", "a_id_seq")],
        'public."B"': [("public", "B_id_seq")],
    }
    model.sequences = _NoScan(model.sequences)
    for name, table in model.tables.items():
        found = [(s.schema, s.name) for s in privileges.serial_sequences(model, table)]
        assert found == expected[name]
