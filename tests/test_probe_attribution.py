"""The immutability probe attributes every rejection by SQLSTATE and origin (issue 15, item 4)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from schema_audit.api import audit, audit_model
from schema_audit.probes.attribution import attribute
from schema_audit.sources import live
from schema_audit.sources.sqlfile import load_sql
from schema_audit.spec.load import load_spec

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SPEC = FIXTURES / "ledger_spec.yaml"
DISABLED = FIXTURES / "sql_ledger_disabled"
GUARDED = FIXTURES / "sql_ledger_guarded"


def test_a_disabled_guard_trigger_is_no_protection_for_the_probe(pg_server) -> None:  # type: ignore[no-untyped-def]
    """The issue's reproducer: UPDATE of the identity key raised 428C9 and passed as 'the trigger layer'."""
    result = audit(load_spec(SPEC), sql=DISABLED, scratch_dsn=pg_server.admin_dsn, replay=True)
    probe = result.finding("probes.ledger_immutable")
    assert probe.status == "FAIL", probe.message
    assert "the owner can UPDATE rows (column note)" in probe.message
    assert "428C9" not in probe.message  # the identity column is never written
    # the application role is held by the privilege layer, attributed by SQLSTATE
    assert (
        "application role UPDATE: UPDATE of note rejected by the privilege layer (42501"
        in probe.message
    )


def test_an_enabled_guard_trigger_is_named(pg_server) -> None:  # type: ignore[no-untyped-def]
    result = audit(load_spec(SPEC), sql=GUARDED, scratch_dsn=pg_server.admin_dsn, replay=True)
    probe = result.finding("probes.ledger_immutable")
    assert probe.status == "PASS", probe.message
    assert (
        "owner UPDATE: UPDATE of note rejected by the trigger layer (trigger ledger_no_update: P0001 append-only)"
        in probe.message
    )
    assert (
        "owner DELETE: DELETE rejected by the trigger layer (trigger ledger_no_delete: P0001"
        in probe.message
    )


@pytest.mark.parametrize("source", ["static", "live"])
@pytest.mark.parametrize("state", ["DISABLE", "ENABLE REPLICA"])
def test_a_trigger_that_does_not_fire_fails_the_trigger_requirement(
    source, state, make_db, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Disabled, or firing only under session_replication_role = replica: no protection."""
    text = (DISABLED / "001_ledger.sql").read_text().replace("DISABLE TRIGGER", f"{state} TRIGGER")
    (tmp_path / "001_ledger.sql").write_text(text)
    model = load_sql(tmp_path) if source == "static" else live.introspect(make_db("ledger", text))
    result = audit_model(load_spec(SPEC), model, source, "ledger")
    finding = next(f for f in result.findings if f.kind == "trigger")
    assert finding.status == "FAIL"
    assert any(d.property == "enabled" and d.expected is True for d in finding.diffs)


def test_rejections_are_attributed_by_sqlstate_on_a_real_server(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("attr", (GUARDED / "001_ledger.sql").read_text())
    table = live.introspect(dsn).tables["public.ledger"]
    with psycopg.connect(dsn) as conn:
        conn.execute("INSERT INTO ledger (note) VALUES ('a')")
        seen = {}
        for label, statement, verb in (
            ("identity", "UPDATE ledger SET id = id", "UPDATE"),
            ("trigger", "UPDATE ledger SET note = note", "UPDATE"),
            ("privilege", "SET LOCAL ROLE ledger_app; UPDATE ledger SET note = note", "UPDATE"),
            ("constraint", "INSERT INTO ledger (note) VALUES (NULL)", "INSERT"),
        ):
            with pytest.raises(psycopg.Error) as caught, conn.transaction():
                conn.execute(statement)
            seen[label] = attribute(caught.value, table, verb)
            conn.execute("RESET ROLE")
    assert (seen["identity"].layer, seen["identity"].protects) == ("generated column", False)
    assert seen["identity"].detail.startswith("428C9")
    assert (seen["trigger"].layer, seen["trigger"].protects) == ("trigger", True)
    assert "trigger ledger_no_update" in seen["trigger"].detail
    assert (seen["privilege"].layer, seen["privilege"].protects) == ("privilege", True)
    assert (seen["constraint"].layer, seen["constraint"].protects) == ("constraint", False)
