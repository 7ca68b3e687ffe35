"""On replay every RLS table with a tenant column gets the isolation probe, and views that run
with their owner's rights are probed for leaks, without the spec asking (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_audit.api import audit
from schema_audit.spec.load import load_spec

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def replayed(pg_server):  # type: ignore[no-untyped-def]
    return audit(
        load_spec(FIXTURES / "auto_isolation_spec.yaml"),
        sql=FIXTURES / "sql_auto_isolation",
        scratch_dsn=pg_server.admin_dsn,
        replay=True,
    )


def _probe(result, name: str):  # type: ignore[no-untyped-def]
    finding = result.finding(f"probes.auto.{name}")
    assert finding is not None, sorted(f.id for f in result.findings if "auto" in f.id)
    return finding


def test_a_correct_table_passes(replayed) -> None:  # type: ignore[no-untyped-def]
    assert _probe(replayed, "tenant_isolation.public.notes").status == "PASS"


def test_a_second_permissive_true_policy_fails(replayed) -> None:  # type: ignore[no-untyped-def]
    finding = _probe(replayed, "tenant_isolation.public.files")
    assert finding.status == "FAIL" and "row(s) of tenant B are visible" in finding.message


def test_a_policy_on_the_wrong_setting_fails(replayed) -> None:  # type: ignore[no-untyped-def]
    finding = _probe(replayed, "tenant_isolation.public.invoices")
    assert finding.status == "FAIL" and "tenant A's own row is not visible" in finding.message


def test_no_force_with_the_app_role_as_owner_fails(replayed) -> None:  # type: ignore[no-untyped-def]
    finding = _probe(replayed, "tenant_isolation.public.events")
    assert finding.status == "FAIL" and "tenant B" in finding.message


def test_a_view_with_the_owners_rights_leaks_and_fails(replayed) -> None:  # type: ignore[no-untyped-def]
    leak = _probe(replayed, "view_rls.public.notes_overview")
    assert leak.status == "FAIL" and "security_invoker off" in leak.message
    assert _probe(replayed, "view_rls.public.notes_mine").status == "PASS"
