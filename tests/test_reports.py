"""The forensic report and the machine formats, checked against the seed review.

The seed (docs/reference/b03_forensic_analysis.md) answered each reviewer question
by hand; VERDICTS below is that table: question id → the seed's ✅/❌/⚠️ and the
object its answer turns on. The generated report must reach the same answers.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_runner import run_cli
from jsonschema import Draft4Validator

from schema_audit.api import audit_model
from schema_audit.demo import ROOT, report_texts, static_audit
from schema_audit.model import Column, SchemaModel, Table
from schema_audit.render import digest, html, junit, markdown, sarif
from schema_audit.spec.load import load_spec

# (question, seed's answer, key object named in the answer's section)
VERDICTS = [
    ("Billy A-01", "✅", "CREATE TABLE tenants"),
    ("Billy A-02", "❌", "mv_channel_performance"),
    ("Alex A1", "❌", "api_key_hash"),
    ("Alex A2", "❌", "event_type"),
    ("Alex A3", "❌", "confidence_score"),
    ("Alex A4", "❌", "transaction_id"),
    ("Alex A6", "❌", "revenue_state_transitions"),
    ("Billy B-01", "❌", "allocation_ratio"),
    ("Billy B-02", "❌", "expected SET NULL"),
    ("Billy B-03", "❌", "session_id"),
    (
        "Alex B1",
        "❌",
        "attribution_allocations_event_id_fkey",
    ),  # seed: "FAILED: … has CASCADE not SET NULL"
    ("Alex B2", "❌", "idempotency_key"),
    ("Alex B3", "❌", "confidence_score"),
    ("Alex B4", "❌", "session_id"),  # seed: "Missing NOT NULL on session_id"
    ("Billy C-01", "✅", "tenant_isolation_policy"),
    ("Billy C-02", "✅", "revenue_ledger"),
    ("Billy C-03", "✅", "ON DELETE CASCADE"),
    ("Alex C1", "✅", "current_setting"),
    ("Alex C2", "✅", "FORCE ROW LEVEL SECURITY"),
    ("Alex C3", "⚠️", "tenant isolation probe"),
    ("Alex C4", "⚠️", "referential action probe"),  # seed: logically confirmed, execution deferred
    ("Alex C5", "✅", "trg_ledger_prevent_mutation"),
    ("Billy D-01", "❌", "processing_status"),
    ("Billy D-02", "❌", "idx_allocations_channel_performance"),
    ("Billy D-03", "⚠️", "idx_attribution_events_tenant_occurred_at"),
    ("Alex D1", "✅", "PRIMARY KEY"),
    ("Alex D2", "⚠️", "idx_attribution_events_tenant_occurred_at"),
    ("Alex D3", "❌", "processing_status"),
    ("Alex D4", "❌", "INCLUDE"),
    ("Alex D5", "⚠️", "query plan probe"),
    ("Alex D6", "✅", "idx_attribution_events_tenant_external_event_id"),
    ("Billy E-01", "✅", "no column matches"),
    ("Billy E-02", "✅", "user_id"),
    ("Billy E-03", "❌", "BEFORE INSERT"),
    ("Alex E1", "✅", "no column matches"),
    ("Alex E2", "✅", "device_id"),
    ("Alex E3", "✅", "session_state"),
    ("Billy F-01", "❌", "idx_attribution_events_tenant_correlation_id"),
    ("Billy F-02", "❌", "idx_revenue_ledger_tenant_allocation_id"),
    ("Billy F-03", "✅", "fk_attribution_allocations_channel_code"),
    ("Alex F1", "❌", "idempotency_key"),
    ("Alex F2", "✅", "channel_code"),
    ("Alex F3", "✅", "raw_payload"),
    ("Billy G-01", "⚠️", "migration head probe"),  # seed: `alembic current` deferred
    ("Alex G2", "⚠️", "rollback probe"),  # seed: downgrades present, rollback untested
    ("Billy I-01", "❌", "event_type"),
    ("Billy I-02", "❌", "idx_dead_events_remediation"),
]
SYMBOL_STATUS = {"✅": {"PASS"}, "❌": {"FAIL"}, "⚠️": {"PARTIAL", "DEFERRED"}}


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return static_audit()


@pytest.fixture(scope="module")
def report(result) -> str:  # type: ignore[no-untyped-def]
    return markdown.render(result)


def section(report: str, question: str) -> str:
    match = re.search(rf"^### {re.escape(question)}: .*?(?=^### |^## |\Z)", report, re.S | re.M)
    assert match, f"no section for {question}"
    return match.group(0)


def test_seed_verdicts_category_by_category(result, report: str) -> None:  # type: ignore[no-untyped-def]
    assert len(VERDICTS) >= 40
    status = {q.id: q.status for q in result.questions}
    for question, symbol, key in VERDICTS:
        body = section(report, question)
        answer = re.search(r"\*\*Answer\*\*: (\S+)", body).group(1)
        assert answer == symbol, f"{question}: report says {answer}, seed says {symbol}"
        assert status[question] in SYMBOL_STATUS[symbol], (question, status[question])
        assert key in body.replace("\\", ""), f"{question}: {key!r} not in its section"


def test_what_exists_instead(report: str) -> None:
    a3 = section(report, "Alex A3")
    assert re.search(r"for `confidence_score`: `allocation_ratio`", a3)
    f01 = section(report, "Billy F-01")
    assert "`idx_attribution_events_tenant_external_event_id`" in f01
    assert "`idx_attribution_events_tenant_correlation_id`" in f01
    d03 = section(report, "Billy D-03")
    assert (
        "for `attribution_events.indexes.idx_events_tenant_timestamp`: `idx_attribution_events_tenant_occurred_at`"
        in d03
    )
    a02 = section(report, "Billy A-02")
    assert "`mv_realtime_revenue`" in a02 and "`mv_reconciliation_status`" in a02


def test_report_structure_lineage_gates_recommendations(report: str) -> None:
    assert report.startswith("# Backend Guide B0.3")
    assert "**Date**: 2025-11-14" in report
    lineage = re.findall(r"^\d+\. `b03_alembic/versions/(\d{12})_", report, re.M)
    assert len(lineage) == 15 and lineage[0] == "202511121302" and lineage[-1] == "202511141311"
    for category in "ABCDEFGI":
        assert re.search(rf"^## CATEGORY {category}: ", report, re.M)
        assert f"### Category {category} Summary" in report
    gates = re.findall(
        r"^\| (Core 5 tables created|RLS policies operational) \|.*\| (\S+) (\w+) \|$", report, re.M
    )
    assert ("Core 5 tables created", "✅", "PASS") in gates and (
        "RLS policies operational",
        "✅",
        "PASS",
    ) in gates
    assert "| b03_alembic/versions/202511131120_add_rls_policies.py |" in report
    critical = report.split("### Critical path", 1)[1].split("###", 1)[0]
    assert (
        "Add missing columns to attribution_events via a new migration: idempotency_key, event_type, channel"
        in critical
    )
    assert "## CONCLUSION" in report and "NOT READY" in report.split("## CONCLUSION", 1)[1]
    # findings no question cites (the rule pack's) get their own section, counted like the rest
    assert "**GAP IDENTIFIED**: Rules Built-in rule pack — 0 pass, 1 fail, 0 partial" in report
    rules = report.split("## CATEGORY Rules: BUILT-IN RULE PACK", 1)[1].split("\n## ", 1)[0]
    assert "rules.PERF001.public.revenue_ledger.revenue_ledger_allocation_id_fkey" in rules
    assert "0 pass, 1 fail, 0 partial, 0 deferred, 0 not applicable" in rules


def test_checked_in_reports_are_up_to_date(result) -> None:  # type: ignore[no-untyped-def]
    for name, text in report_texts(result).items():
        path = ROOT / "reports" / name
        assert path.exists(), f"{path} missing: run make report"
        assert path.read_text(encoding="utf-8") == text, f"{path} is out of date: run make report"


def test_rendering_is_deterministic(result) -> None:  # type: ignore[no-untyped-def]
    again = static_audit()
    assert report_texts(result) == report_texts(again)
    assert markdown.render(result, date="2026-01-01") != markdown.render(result)


def test_junit_parses_one_testcase_per_requirement(result) -> None:  # type: ignore[no-untyped-def]
    root = ET.fromstring(junit.render(result))
    cases = root.findall(".//testcase")
    folded = {r.id for p in digest.build(result).problems for r in p.folded}
    assert len(cases) == len(result.findings) - len(folded)
    assert int(root.get("failures")) == result.summary["FAIL"]
    assert int(root.get("skipped")) == result.summary["DEFERRED"] + result.summary["NOT_APPLICABLE"]
    suite_names = [s.get("name") for s in root.findall("testsuite")]
    assert suite_names[0] == "A Core schema completeness"
    api = next(c for c in cases if c.get("name") == "tables.tenants.columns.api_key_hash")
    assert api.find("failure").get("type") == "blocking"
    assert api.get("file", "").startswith("b03_alembic/versions/202511131115")


def test_sarif_validates_against_the_2_1_0_schema(result) -> None:  # type: ignore[no-untyped-def]
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    document = json.loads(sarif.render(result))
    errors = sorted(Draft4Validator(schema).iter_errors(document), key=str)
    assert errors == [], errors[:3]
    results = document["runs"][0]["results"]
    folded = {r.id for p in digest.build(result).problems for r in p.folded}
    assert len(results) == sum(1 for f in result.findings if f.status != "PASS") - len(folded)
    api = next(
        r
        for r in results
        if r["partialFingerprints"]["requirementId"] == "tables.tenants.columns.api_key_hash"
    )
    location = api["locations"][0]["physicalLocation"]
    assert api["ruleId"] == "schema-audit/column" and api["level"] == "error"
    assert location["artifactLocation"]["uri"].startswith("b03_alembic/versions/202511131115")
    assert location["region"]["startLine"] == 55  # CREATE TABLE tenants


def _hostile_result():  # type: ignore[no-untyped-def]
    spec_text = (ROOT / "tests" / "data" / "hostile_spec.yaml").read_text()
    assert "<script>" in spec_text
    model = SchemaModel()
    table = Table("public", "evil|table", comment="<script>alert('x')</script> | `tick`")
    table.columns["a|b`c"] = Column("a|b`c", "text")
    table.columns["<img src=x onerror=alert(1)>"] = Column("<img src=x onerror=alert(1)>", "text")
    model.tables[table.qualified_name] = table
    spec = load_spec(ROOT / "tests" / "data" / "hostile_spec.yaml")
    return audit_model(spec, model, "live", "postgresql://u:***@h/db", rules="none")


def test_hostile_names_render_safely() -> None:
    result = _hostile_result()
    page = html.render(result)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    md = markdown.render(result)
    for line in md.splitlines():
        if line.startswith("| ") and "evil" in line:
            cells = re.split(r"(?<!\\)\|", line.strip())
            assert len(cells) == 6, line  # 4 cells between the outer pipes: no cell broke
    # every < is escaped outside fenced code blocks (whose content Markdown shows literally)
    prose = re.sub(r"^(`{3,})sql\n.*?^\1$", "", md, flags=re.S | re.M)
    assert "```sql" in md and "<img src=x" not in prose.replace("\\<", "")
    assert not re.search(r"(?<!\\)<(script|img|b)\b", prose)


def test_output_dir_writes_every_format(tmp_path: Path) -> None:
    proc = run_cli(
        "audit",
        "-s",
        "specs/backend_guide_b03.yaml",
        "-m",
        "tests/fixtures/b03_alembic",
        "--output-dir",
        str(tmp_path),
        "-q",
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "backend_guide_b03.sarif",
        "backend_guide_b03_junit.xml",
        "backend_guide_b03_report.html",
        "backend_guide_b03_report.json",
        "backend_guide_b03_report.md",
    ]
    assert (tmp_path / "backend_guide_b03_report.md").read_text() == (
        ROOT / "reports" / "b03_forensic_report.md"
    ).read_text()


def test_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )
    assert browser, (
        "headless Chromium is needed for this test: apt-get install chromium (.ci/run installs it)"
    )
    page = ROOT / "reports" / "b03_forensic_report.html"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    shot = tmp_path / "report.png"
    done = subprocess.run(
        [browser, *flags, f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.exists() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    console_errors = [
        line
        for line in dom.stderr.splitlines()
        if "CONSOLE" in line and ("Uncaught" in line or "Error" in line)
    ]
    assert console_errors == []
    assert 'id="verdict">Verdict: FAIL' in dom.stdout
    assert re.search(r'id="shown-count">\d+ of \d+ shown<', dom.stdout), (
        "the filter script did not run"
    )
    assert (
        dom.stdout.count("<rect ") >= 8
    )  # the summary chart: one bar segment per category and status at least


def test_the_verdict_line_works_out_no_problem_detail_and_the_terminal_only_the_listed(
    result, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """``-q`` prints one line: the DDL, place and fix of each problem are worked out only
    when a format reads them (a failing 5,000-table audit has thousands, each DDL a CREATE
    TABLE printed), and the terminal reads those of the problems it lists."""
    from schema_audit.render import terminal

    expected = digest.build(result)
    details = [(p.ddl, p.fix, p.where, p.exists, p.diffs) for p in expected.problems]
    asked: list[str] = []
    for name in ("_ddl", "_where"):
        made = getattr(digest, name)
        monkeypatch.setattr(
            digest,
            name,
            lambda f, table, made=made, name=name: asked.append(name) or made(f, table),
        )
    dig = digest.build(result)
    assert dig.problem_count > 3 and digest.verdict_line(result, dig)
    assert asked == []
    terminal.text(result, width=160, terminal=False, top=3)
    assert asked == ["_where"] * 3  # the top 3 problems' places, not every problem's
    assert [(p.ddl, p.fix, p.where, p.exists, p.diffs) for p in dig.problems] == details


def test_the_quiet_line_is_the_digests_verdict_line_without_its_lists(
    result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """``-q`` prints the verdict line only: worked out from the problems and the folded
    rule findings, without the digest's groups, PASS counts per category and waiver lines
    (half of the digest of init's 1,000-table spec was its 2,902 waiver lines). The same
    line for the B0.3 audit, one with a waived finding and one with rule findings folded
    into the spec's RLS finding."""
    import dataclasses

    from schema_audit.enums import Status

    waived = dataclasses.replace(result.findings[0], status=Status.WAIVED)
    spec = tmp_path / "rls.yaml"
    spec.write_text(
        "spec_version: 1\nname: rls\nsettings: {tenant_column: tenant_id}\n"
        "tables:\n  t:\n    rls: {enabled: true, forced: true}\n"
    )
    model = SchemaModel()
    table = Table("public", "t")
    table.columns["tenant_id"] = Column("tenant_id", "uuid")
    model.tables[table.qualified_name] = table
    variants = [
        result,
        dataclasses.replace(result, findings=(*result.findings, waived)),
        audit_model(load_spec(spec), model, "live"),
    ]
    digests = [digest.build(r) for r in variants]
    lines = [digest.verdict_line(r, d) for r, d in zip(variants, digests, strict=True)]
    assert digests[2].folded and digests[1].waived and digests[0].problem_count > 3
    for name in ("_waived", "_group_title", "_group_fix"):
        monkeypatch.setattr(digest, name, lambda *a, name=name: pytest.fail(f"{name} called"))
    assert [digest.quiet_line(r) for r in variants] == lines
