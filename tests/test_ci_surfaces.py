"""CI surfaces of issue 18: GitHub annotations capped and a step summary, GitLab Code Quality,
and ``--compare previous.json`` (new, fixed, still failing) in every format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from io import StringIO
from pathlib import Path

import pytest
from cli_runner import run_cli
from rich.console import Console

from schema_audit.audit.baseline import fingerprint
from schema_audit.demo import static_audit
from schema_audit.render import (
    digest,
    github,
    gitlab,
    html,
    json_report,
    junit,
    markdown,
    sarif,
    terminal,
    trend,
)


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return static_audit()


def test_github_annotates_the_worst_ten_and_writes_the_step_summary(
    result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    text = github.render(result)
    commands = [line for line in text.splitlines() if line.startswith("::")]
    problems = digest.build(result).problems
    assert len(problems) == 61
    assert len(commands) == 11  # ten problems, then one notice saying how many more
    assert commands[-1].startswith("::notice title=schema-audit::51 more problem(s)")
    worst = problems[0].finding
    assert commands[0].startswith("::error ") and f"title={worst.id}" in commands[0].replace(
        "%2E", "."
    )
    assert all(c.startswith("::error ") for c in commands[:10])  # blocking FAILs first
    written = summary.read_text()
    assert written.startswith("## schema-audit: Backend Guide B0.3")
    assert "| Columns | 40 | 6 |" in written and "Worst 10 of 61:" in written
    assert len(written.splitlines()) < 40
    assert len([c for c in github.render(result, limit=3).splitlines() if c.startswith("::")]) == 4


def test_gitlab_code_quality_one_entry_per_problem(result) -> None:  # type: ignore[no-untyped-def]
    document = json.loads(gitlab.render(result))
    assert isinstance(document, list) and len(document) == 61
    assert len({e["fingerprint"] for e in document}) == len(document)
    for entry in document:
        assert set(entry) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert entry["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert entry["location"]["path"] and entry["location"]["lines"]["begin"] >= 1
    api = next(
        e for e in document if "api_key_hash" in e["description"] and e["check_name"] == "column"
    )
    assert api["severity"] == "blocker"
    assert api["location"]["path"].startswith("b03_alembic/versions/202511131115")


def test_compare_shows_new_fixed_and_still_failing_in_every_format(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    previous = json.loads(json_report.render(result))
    gone = "tables.tenants.columns.api_key_hash"  # "new": not in the previous audit
    previous["findings"] = [f for f in previous["findings"] if f["id"] != gone]
    previous["findings"].append(
        {
            "id": "tables.tenants.columns.legacy_flag",
            "kind": "column",
            "status": "FAIL",
            "severity": "low",
            "message": "column tenants.legacy_flag does not exist",
            "diffs": [{"property": "exists", "expected": True, "actual": False}],
        }
    )
    path = tmp_path / "previous.json"
    path.write_text(json.dumps(previous))
    t = trend.compare(result, trend.load(path), "previous.json")
    assert t.new == (gone,)
    assert t.fixed == (
        ("tables.tenants.columns.legacy_flag", "column tenants.legacy_flag does not exist"),
    )
    assert len(t.still) == 60
    assert t.line == "since previous.json: 1 new, 1 fixed, 60 still failing"

    md = markdown.render(result, trend=t)
    assert "### Since the previous audit" in md and f"- 🆕 new: `{gone}`" in md
    assert "- ✅ fixed: `tables.tenants.columns.legacy_flag`" in md
    page = html.render(result, trend=t)
    assert "Since the previous audit" in page and "tables.tenants.columns.legacy_flag" in page
    out = StringIO()
    terminal.render(result, Console(file=out, width=160), trend=t)
    assert "since previous.json: 1 new, 1 fixed, 60 still failing" in out.getvalue()
    assert f"new: {gone}" in out.getvalue()
    document = json.loads(json_report.render(result, trend=t))
    assert document["compare"]["new"] == [gone] and len(document["compare"]["still_failing"]) == 60
    results = json.loads(sarif.render(result, trend=t))["runs"][0]["results"]
    states = {r["partialFingerprints"]["requirementId"]: r.get("baselineState") for r in results}
    assert states[gone] == "new" and states["tables.tenants.unique.api_key_hash"] == "unchanged"
    cases = ET.fromstring(junit.render(result, trend=t)).findall(".//testcase")
    api = next(c for c in cases if c.get("name") == gone)
    assert api.find("failure").get("message").startswith("[new] ")
    assert "[new]" in github.render(result, limit=100, trend=t)
    # the matching is by fingerprint: a finding whose message changed is still the same finding
    assert fingerprint(result.finding(gone)) not in {fingerprint(f) for f in trend.load(path)}


def test_compare_on_the_command_line(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    previous = tmp_path / "previous.json"
    previous.write_text(json_report.render(result))
    cli = ["audit", "-s", "specs/backend_guide_b03.yaml", "-m", "tests/fixtures/b03_alembic"]
    cli += ["--compare", str(previous)]
    env = {"SCHEMA_AUDIT_CACHE": "0", "PATH": "/usr/bin:/bin", "SCHEMA_AUDIT_PROGRESS": "0"}
    done = run_cli(*cli, base_env=env)
    assert done.returncode == 1, done.stderr
    assert f"since {previous}: 0 new, 0 fixed, 61 still failing" in done.stdout
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    done = run_cli(*cli[:-1], str(bad), base_env=env)
    assert done.returncode == 2 and done.stderr.startswith(
        f"schema-audit: {bad}: not a schema-audit JSON report"
    )
    assert "Traceback" not in done.stderr
