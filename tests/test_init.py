"""schema-audit init: a spec of what the source has today; auditing the source against it finds nothing."""

from __future__ import annotations

from pathlib import Path

from b03 import FIXTURE, upgrade_b03
from cli_runner import run_cli
from synthetic import write

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


def _no_fail(spec_path: Path, model) -> dict[str, int]:  # type: ignore[no-untyped-def]
    spec = load_spec(spec_path)
    result = audit_model(spec, model, "live", rules="all")
    failing = [
        f"{f.id}: {f.message}" for f in result.findings if f.status not in ("PASS", "WAIVED")
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
    _no_fail(
        spec, live_model
    )  # the spec written from the migrations also holds for the migrated database


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
