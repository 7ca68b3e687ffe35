"""SQL histories replay the way psql applies them, and a replay that stops settles nothing later
revisions could change (issue 15, items 1 and 2)."""

from __future__ import annotations

import json
from pathlib import Path

from cli_runner import run_cli

from schema_audit.api import audit
from schema_audit.spec.load import load_spec

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = FIXTURES.parent.parent
SPEC = FIXTURES / "psql_semantics_spec.yaml"


def test_concurrently_add_value_vacuum_and_own_transactions_replay_completely(pg_server) -> None:  # type: ignore[no-untyped-def]
    result = audit(
        load_spec(SPEC),
        sql=FIXTURES / "sql_psql_semantics",
        scratch_dsn=pg_server.admin_dsn,
        replay=True,
    )
    assert not [f for f in result.findings if f.id.startswith("migrations.replay-failed")]
    assert "orders_customer_idx" not in result.model.tables["public.orders"].indexes  # dropped
    status = {f.id: f.status for f in result.findings}
    assert status["tables.refunds.columns.status"] == "PASS"  # the enum value added, then used
    assert status["tables.payments.indexes.payments_order_idx"] == "PASS"
    # the regression in the last file is seen: the replay went past every CONCURRENTLY
    assert status["tables.orders.columns.status"] == "FAIL"


def test_a_stopped_replay_defers_what_later_revisions_could_change(pg_server) -> None:  # type: ignore[no-untyped-def]
    result = audit(
        load_spec(SPEC),
        sql=FIXTURES / "sql_stops_early",
        scratch_dsn=pg_server.admin_dsn,
        replay=True,
    )
    stop = result.finding("migrations.replay-failed.002_broken")
    assert stop.status == "FAIL" and stop.severity == "blocking"
    assert stop.message.startswith(
        'replay stopped at sql_stops_early/002_broken.sql:4: relation "order_rows" does not exist'
    )
    assert stop.evidence[0].line == 4
    # 003 would drop orders.status: it may not PASS on the half-built schema
    column = result.finding("tables.orders.columns.status")
    assert column.status == "DEFERRED"
    assert "replay stopped at sql_stops_early/002_broken.sql:4" in column.message
    settled = [
        f.id for f in result.findings if f.kind != "migration" and f.status in ("PASS", "FAIL")
    ]
    assert settled == []


def test_the_cli_exits_2_on_a_stopped_replay(pg_server) -> None:  # type: ignore[no-untyped-def]
    proc = run_cli(
        "audit",
        "-s",
        str(SPEC),
        "--sql",
        str(FIXTURES / "sql_stops_early"),
        "--replay",
        "--scratch-dsn",
        pg_server.admin_dsn,
        "--format",
        "json",
        timeout=300,
    )
    assert proc.returncode == 2
    assert '"DEFERRED"' in proc.stdout  # every output is still written
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert any(
        line.startswith("schema-audit: replay stopped at sql_stops_early/002_broken.sql:4:")
        for line in lines
    ), proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_stopped_replay_defers_its_waivers_instead_of_calling_them_unused(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Found on a real project replayed without its prelude: the replay stopped and every
    waiver was reported FAIL ("matches only passing findings", "matches no requirement")
    beside the DEFERRED rest, although what they waive was never judged. They are DEFERRED
    too; an expired waiver is a fact of the spec and its date, and stays a FAIL."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        SPEC.read_text()
        + """
waivers:
  - requirement: tables.orders.columns.status
    reason: the status column goes in 003
  - requirement: tables.order_rows.*
    reason: order_rows is created by a later revision
  - requirement: tables.refunds.*
    reason: expired long ago
    expires: "2020-01-01"
"""
    )
    proc = run_cli(
        "audit", "-s", spec, "--sql", FIXTURES / "sql_stops_early", "--replay",
        "--scratch-dsn", pg_server.admin_dsn, "--format", "json", timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    findings = {f["id"]: f for f in json.loads(proc.stdout)["findings"]}
    status = {i: f["status"] for i, f in findings.items() if i.startswith("waivers.")}
    assert status == {"waivers.0": "DEFERRED", "waivers.1": "DEFERRED", "waivers.2": "FAIL"}
    assert "replay stopped at sql_stops_early/002_broken.sql:4" in findings["waivers.0"]["message"]
    assert "stale" not in findings["waivers.1"]["message"]
