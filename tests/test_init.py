"""schema-audit init: a spec of what the source has today; auditing the source against it finds nothing."""

from __future__ import annotations

from pathlib import Path

from b03 import FIXTURE, upgrade_b03
from cli_runner import run_cli
from synthetic import write

from schema_audit import api
from schema_audit.api import audit_model
from schema_audit.audit.rules import GROUPS, rules_for_spec
from schema_audit.sources import live
from schema_audit.sources.alembic import load_alembic
from schema_audit.sources.replay import Scratch, replay_sql
from schema_audit.spec.bootstrap import spec_from_model
from schema_audit.spec.load import load_spec
from schema_audit.spec.model import Spec

ROOT = Path(__file__).resolve().parent.parent


def _init(model, name: str, kind: str) -> str:  # type: ignore[no-untyped-def]
    """What `schema-audit init` writes: the spec, and waivers for the rule pack's findings."""
    found = rules_for_spec(model, GROUPS, Spec("init", "", ""), kind)
    return spec_from_model(model, name=name, source=kind, rule_findings=found)


def _no_fail(spec_path: Path, model, deferred: tuple[str, ...] = ()) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """No finding but PASS / WAIVED, and DEFERRED for the ids in ``deferred`` only."""
    spec = load_spec(spec_path)
    result = audit_model(spec, model, "live", rules="all")
    failing = [
        f"{f.id}: {f.message}"
        for f in result.findings
        if f.status not in ("PASS", "WAIVED") and not (f.status == "DEFERRED" and f.id in deferred)
    ]
    assert failing == [], "\n".join(failing[:10])
    return result.summary


def test_init_from_migrations_and_from_the_live_database(pg_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    static = load_alembic(FIXTURE)
    spec = tmp_path / "static.yaml"
    spec.write_text(_init(static, "B0.3 as built", "alembic"))
    text = spec.read_text()
    assert (
        "# public.tenants: 4 columns, created at b03_alembic/versions/202511131115_add_core_tables.py:55"
        in text
    )
    assert _no_fail(spec, static)["PASS"] > 140
    name, dsn = pg_server.create_database("init")
    try:
        upgrade_b03(dsn)
        live_model = live.introspect(dsn)
    finally:
        pg_server.drop_database(name)
    live_spec = tmp_path / "live.yaml"
    live_spec.write_text(_init(live_model, "B0.3 live", "live"))
    _no_fail(live_spec, live_model)
    # the spec written from the migrations also holds for the migrated database; one query
    # differs only in the cast PostgreSQL adds itself (COALESCE(sum(bigint), 0)::numeric),
    # which the migration's text does not show: DEFERRED, not a FAIL or a PASS
    _no_fail(spec, live_model, deferred=("materialized_views.mv_realtime_revenue",))


def test_init_on_the_benchmark_schema(pg_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder, _ = write(40, tmp_path)
    name, dsn = pg_server.create_database("initbench")
    try:
        replay_sql(folder, Scratch(dsn, name, pg_server.admin_dsn))
        model = live.introspect(dsn)
    finally:
        pg_server.drop_database(name)
    spec = tmp_path / "bench.yaml"
    spec.write_text(_init(model, "bench", "live"))
    assert _no_fail(spec, model)["PASS"] > 1000


def test_a_new_user_goes_from_init_to_a_ci_gate(tmp_path: Path) -> None:
    """The README's path: init, edit the spec (tighten one thing), audit; the gate fails, then passes."""

    spec = tmp_path / "schema-audit.yaml"
    assert run_cli("init", "-m", str(FIXTURE), "-o", str(spec)).returncode == 0
    assert (
        run_cli("init", "-m", str(FIXTURE), "-o", str(spec)).returncode == 2
    )  # never overwrites silently
    assert run_cli("audit", "-s", str(spec), "-m", str(FIXTURE), "-q").returncode == 0
    edited = spec.read_text().replace(
        "      session_id: {type: uuid, nullable: true}",
        "      session_id: {type: uuid, nullable: false}",
    )
    assert edited != spec.read_text()
    spec.write_text(edited)
    gate = run_cli("audit", "-s", str(spec), "-m", str(FIXTURE))
    assert gate.returncode == 1 and "attribution_events.columns.session_id" in gate.stdout


def test_init_selects_tenant_tables_outside_public_so_the_first_audit_is_green(
    make_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Tenant tables in another schema: the selector names it (it picked public only, and
    init's waivers for the other schema's tables were stale: a FAIL at the first audit)."""
    dsn = make_db(
        "inittenant",
        """
        CREATE SCHEMA billing;
        CREATE TABLE public.tenants (id uuid PRIMARY KEY);
        CREATE TABLE public.a (id int PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants);
        CREATE TABLE billing.b (id int PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants);
        CREATE TABLE billing.tenants (id int PRIMARY KEY, tenant_id uuid);
        CREATE TABLE billing."c*" (id int PRIMARY KEY, tenant_id uuid NOT NULL);
        ALTER TABLE billing.b ENABLE ROW LEVEL SECURITY;
        ALTER TABLE billing.b FORCE ROW LEVEL SECURITY;
        """,
    )
    source = api.read_source(dsn=dsn)
    spec = tmp_path / "tenants.yaml"
    spec.write_text(api.init_spec(source, tenant_column="tenant_id"))
    assert (
        "    select:\n      schema: [billing, public]\n      has_column: tenant_id\n"
        "      exclude: [public.tenants]\n" in spec.read_text()
    )
    result = audit_model(load_spec(spec), source.model, "live", rules="all")
    failing = [
        f"{f.id}: {f.message}" for f in result.findings if f.status not in ("PASS", "WAIVED")
    ]
    assert failing == []
    status = {f.id: f.status for f in result.findings}
    picked = next(f.message for f in result.findings if f.id == "match.tenant_tables")
    assert picked.endswith('picks 4 tables: billing."c*", billing.b, billing.tenants, public.a')
    # each table's own entry overrides the selector's rls/columns: waivers only where it applies
    assert status["match.tenant_tables.billing.tenants.rls"] == "WAIVED"
    assert status["match.tenant_tables.billing.c*.rls"] == "WAIVED"
    assert status["match.tenant_tables.public.a.rls"] == "WAIVED"
    assert not any(i.startswith("match.tenant_tables.public.tenants.") for i in status)
