"""The built-in rule pack: each rule fires on a schema built to trigger it, and on nothing clean; live = static."""

from __future__ import annotations

from b03 import FIXTURE
from cli_runner import run_cli

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
CREATE VIEW no_policy_view AS SELECT id FROM no_policy;
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
REVOKE EXECUTE ON FUNCTION definer() FROM PUBLIC;
CREATE VIEW tenant_view WITH (security_invoker = true) AS SELECT id FROM tenant_data;
"""
EXPECTED = {
    "SEC001": "rules.SEC001.public.no_policy",
    "SEC002": "rules.SEC002.public.policy_only",
    "SEC003": "rules.SEC003.public.no_policy",
    "SEC004": "rules.SEC004.public.wide_open.everyone",
    "SEC005": "rules.SEC005.public.wide_open.everyone+tenant",
    "SEC006": "rules.SEC006.public.tenant_data",
    "SEC007": "rules.SEC007.public.definer()",
    "SEC008": "rules.SEC008.public.definer()",
    "SEC009": "rules.SEC009.public.no_policy_view.no_policy",
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


SUPPRESSED = """
CREATE TABLE parent (id int PRIMARY KEY);
-- schema-audit: ignore PRIV001 login needs the address; encrypted at rest (DPO ticket 17)
CREATE TABLE users (id int PRIMARY KEY, email text);
CREATE TABLE orders (
    id int PRIMARY KEY,
    parent_id int REFERENCES parent (id),  -- schema-audit: ignore foreign-key-without-index parents are never deleted
    phone text
);
"""


def _audit_json(tmp_path, spec_text: str, *args: str) -> dict:  # type: ignore[no-untyped-def]
    import json

    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text)
    out = run_cli("audit", "-s", str(spec), "-f", "json", *args, timeout=120)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def test_the_pack_is_on_by_default_and_can_be_turned_off(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """issue 9: on by default in `audit`; --rules none or the spec's rules.groups: [] turn it off."""
    migration = tmp_path / "schema.sql"
    migration.write_text(TRIGGERS)
    base = "name: t\nsettings: {tenant_column: tenant_id}\ntables:\n  parent: {}\n"
    rule_ids = lambda doc: {f["id"] for f in doc["findings"] if f["kind"] == "rule"}  # noqa: E731
    default = _audit_json(tmp_path, base, "--sql", str(migration))
    assert set(EXPECTED.values()) <= rule_ids(default)
    assert default["verdict"] == "FAIL"
    assert (
        rule_ids(_audit_json(tmp_path, base, "--sql", str(migration), "--rules", "none")) == set()
    )
    off = _audit_json(tmp_path, base + "rules:\n  groups: []\n", "--sql", str(migration))
    assert rule_ids(off) == set() and off["verdict"] == "PASS"
    only = _audit_json(tmp_path, base + "rules:\n  groups: [schema]\n", "--sql", str(migration))
    assert rule_ids(only) == {"rules.SCH001.public.heap"}
    # the command line wins over the spec
    perf = _audit_json(
        tmp_path, base + "rules:\n  groups: [schema]\n", "--sql", str(migration), "--rules", "perf"
    )
    assert {i.split(".")[1] for i in rule_ids(perf)} == {"PERF001", "PERF002"}


def test_inline_ignore_comments_suppress_rule_findings_with_their_reason(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_init.sql").write_text(SUPPRESSED)
    doc = _audit_json(tmp_path, "name: t\n", "--sql", str(folder), "--rules", "all")
    by_id = {f["id"]: f for f in doc["findings"] if f["kind"] == "rule"}
    users = by_id["rules.PRIV001.public.users.email"]
    assert users["status"] == "WAIVED"
    assert "suppressed inline at migrations/0001_init.sql:3" in users["message"]
    assert "login needs the address; encrypted at rest (DPO ticket 17)" in users["message"]
    fk = by_id["rules.PERF001.public.orders.orders_parent_id_fkey"]
    assert fk["status"] == "WAIVED" and "parents are never deleted" in fk["message"]
    # a comment names one rule: the other column of the same table is still reported
    assert by_id["rules.PRIV001.public.orders.phone"]["status"] == "FAIL"
    # what is not suppressed still fails the gate
    assert doc["verdict"] == "FAIL"


def test_pii_dictionary_is_extendable_and_tables_can_be_allowed() -> None:
    from schema_audit.audit.rules import RuleOptions

    model = interpret(
        "CREATE TABLE users (id int PRIMARY KEY, email text, national_id text);"
        "CREATE TABLE events (id int PRIMARY KEY, email text);"
    )
    found = lambda options: ids(run_rules(model, ["privacy"], options=options))  # noqa: E731
    assert found(RuleOptions()) == {
        "rules.PRIV001.public.users.email",
        "rules.PRIV001.public.events.email",
    }
    assert found(RuleOptions(pii_words=("national_id",), pii_allowed=("users.*",))) == {
        "rules.PRIV001.public.events.email"
    }
    assert "rules.PRIV001.public.users.national_id" in found(
        RuleOptions(pii_words=("national_id",))
    )


def test_unforced_rls_matters_only_when_the_app_may_own_the_table(make_db) -> None:  # type: ignore[no-untyped-def]
    """SEC003: the owner bypasses unforced RLS; if the spec names an app role that is not the owner, fine."""
    from schema_audit.audit.rules import RuleOptions

    sql = "CREATE TABLE t (id int PRIMARY KEY); ALTER TABLE t ENABLE ROW LEVEL SECURITY;"
    model = live.introspect(make_db("sec003", sql))
    owner = model.tables["public.t"].owner
    assert owner
    sec003 = lambda role: [  # noqa: E731
        f.id for f in run_rules(model, ["security"], options=RuleOptions(app_role=role))
    ]
    assert sec003(None) == ["rules.SEC001.public.t", "rules.SEC003.public.t"]
    assert sec003(owner) == ["rules.SEC001.public.t", "rules.SEC003.public.t"]
    assert sec003("app_user") == ["rules.SEC001.public.t"]


def test_alembic_ignore_comment_suppresses_the_b03_finding(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`# schema-audit: ignore PERF001 reason` above the op that created the FK, in an Alembic file."""
    import shutil

    from schema_audit.audit.rules import GROUPS, rules_for_spec
    from schema_audit.spec.model import Spec

    history = tmp_path / "b03_alembic"
    shutil.copytree(FIXTURE, history, ignore=shutil.ignore_patterns("__pycache__"))
    fk = (
        load_alembic(history)
        .tables["public.revenue_ledger"]
        .foreign_keys["revenue_ledger_allocation_id_fkey"]
    )
    where = fk.provenance[0]
    assert where.file and where.line
    file = tmp_path / where.file
    lines = file.read_text().splitlines()
    # the SQL is inside op.execute("""…"""): the comment goes above the Python statement
    call = max(n for n in range(where.line) if lines[n].strip().startswith("op.execute("))
    lines.insert(call, "    # schema-audit: ignore PERF001 the ledger is append-only")
    file.write_text("\n".join(lines) + "\n")
    found = rules_for_spec(load_alembic(history), GROUPS, Spec("t", "", ""), "alembic", history)
    assert [(f.id, f.status) for f in found] == [
        ("rules.PERF001.public.revenue_ledger.revenue_ledger_allocation_id_fkey", "WAIVED")
    ]
    assert (
        f"suppressed inline at {where.file}:{call + 1}: the ledger is append-only"
        in found[0].message
    )
