"""The built-in rule pack: each rule fires on a schema built to trigger it, and on nothing clean; live = static."""

from __future__ import annotations

from b03 import FIXTURE

from schema_audit.audit.rules import RULES, run_rules
from schema_audit.sources import live
from schema_audit.sources.alembic import load_alembic
from schema_audit.sources.ddl import interpret

TRIGGERS = """
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE no_policy (id int PRIMARY KEY, tenant_id uuid);
ALTER TABLE no_policy ENABLE ROW LEVEL SECURITY;
CREATE TABLE policy_only (id int PRIMARY KEY);
CREATE POLICY p ON policy_only USING (id > 0);
CREATE TABLE wide_open (id int PRIMARY KEY, tenant_id uuid);
ALTER TABLE wide_open ENABLE ROW LEVEL SECURITY;
ALTER TABLE wide_open FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON wide_open USING (tenant_id = current_setting('app.t')::uuid);
CREATE POLICY everyone ON wide_open FOR SELECT USING (true);
CREATE TABLE tenant_data (id int PRIMARY KEY, tenant_id uuid, parent_id int REFERENCES parent (id), email text);
CREATE INDEX tenant_data_a ON tenant_data (tenant_id);
CREATE INDEX tenant_data_b ON tenant_data (tenant_id, id);
CREATE TABLE heap (x int);
CREATE FUNCTION definer() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
"""
CLEAN = """
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE tenant_data (id int PRIMARY KEY, tenant_id uuid NOT NULL, parent_id int REFERENCES parent (id),
                          contact_hash text);
CREATE INDEX tenant_data_parent ON tenant_data (parent_id);
ALTER TABLE tenant_data ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_data FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON tenant_data USING (tenant_id = current_setting('app.t')::uuid);
CREATE FUNCTION definer() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$ SELECT 1 $$;
"""
EXPECTED = {
    "SEC001": "rules.SEC001.public.no_policy",
    "SEC002": "rules.SEC002.public.policy_only",
    "SEC003": "rules.SEC003.public.no_policy",
    "SEC004": "rules.SEC004.public.wide_open.everyone",
    "SEC005": "rules.SEC005.public.wide_open.everyone+tenant",
    "SEC006": "rules.SEC006.public.tenant_data",
    "SEC007": "rules.SEC007.public.definer()",
    "PERF001": "rules.PERF001.public.tenant_data.tenant_data_parent_id_fkey",
    "PERF002": "rules.PERF002.public.tenant_data.tenant_data_a",
    "SCH001": "rules.SCH001.public.heap",
    "PRIV001": "rules.PRIV001.public.tenant_data.email",
}
ALL = ["security", "perf", "schema", "privacy"]


def ids(findings) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.id for f in findings}


def test_every_rule_fires_on_its_trigger_live_and_static(make_db) -> None:  # type: ignore[no-untyped-def]
    assert set(EXPECTED) == set(RULES)
    static = ids(run_rules(interpret(TRIGGERS), ALL, tenant_column="tenant_id", source_kind="sql"))
    live_ids = ids(
        run_rules(live.introspect(make_db("rules", TRIGGERS)), ALL, tenant_column="tenant_id")
    )
    assert static == live_ids
    for rule, finding_id in EXPECTED.items():
        assert finding_id in static, rule


def test_no_rule_fires_on_the_clean_schema_live_and_static(make_db) -> None:  # type: ignore[no-untyped-def]
    assert run_rules(interpret(CLEAN), ALL, tenant_column="tenant_id", source_kind="sql") == []
    assert run_rules(live.introspect(make_db("clean", CLEAN)), ALL, tenant_column="tenant_id") == []


def test_b03_hand_checked(make_db) -> None:  # type: ignore[no-untyped-def]
    """On B0.3 the pack reports exactly one thing, and it is real (checked by hand against the migrations):
    revenue_ledger.allocation_id references attribution_allocations but is only the second column of the
    partial unique index (tenant_id, allocation_id), so ON DELETE CASCADE from allocations scans the ledger."""
    findings = run_rules(
        load_alembic(FIXTURE), ALL, tenant_column="tenant_id", source_kind="alembic"
    )
    assert [f.id for f in findings] == [
        "rules.PERF001.public.revenue_ledger.revenue_ledger_allocation_id_fkey"
    ]
    assert (
        "idx_revenue_ledger_tenant_allocation_id does not serve lookups by allocation_id "
        "(allocation_id is not its leading column and it is partial)" in findings[0].message
    )


def test_every_rule_has_a_docs_section() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "rules.md").read_text()
    for rule in RULES.values():
        assert f"## {rule.id} {rule.name}\n" in text, rule.id
        section = text.split(f"## {rule.id} {rule.name}\n", 1)[1].split("\n## ", 1)[0]
        assert f"severity `{rule.severity}`" in section and rule.hint in section, rule.id
