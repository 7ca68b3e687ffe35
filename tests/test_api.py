"""The Python API: one call audits, and it is the same audit the CLI runs (issue 12)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from b03 import FIXTURE, SPEC
from cli_runner import run_cli

import schema_audit
from schema_audit import AuditResult, SchemaAuditError, audit, audit_model, load_spec
from schema_audit.audit import engine

ROOT = Path(__file__).resolve().parent.parent


def _cli_json(*args: str) -> dict:  # type: ignore[type-arg]
    out = run_cli("audit", "-f", "json", *args, timeout=180)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def test_one_call_audits_b03_exactly_as_the_cli_does() -> None:
    result = audit(SPEC, migrations=FIXTURE)
    doc = _cli_json("-s", str(SPEC), "-m", str(FIXTURE))
    assert [(f.id, f.status, f.severity) for f in result.findings] == [
        (f["id"], f["status"], f["severity"]) for f in doc["findings"]
    ]
    assert len(result.findings) == 123  # 122 of the spec + the rule pack's PERF001
    assert result.verdict == doc["verdict"] == "FAIL"
    assert result.summary == doc["summary"]
    assert [(q.id, q.status) for q in result.questions] == [
        (q["id"], q["status"]) for q in doc["questions"]
    ]
    assert result.exit_code() == 1


def test_the_public_surface() -> None:
    assert set(schema_audit.__all__) >= {
        "audit",
        "inspect",
        "diff",
        "lint_migrations",
        "load_spec",
        "AuditResult",
        "SchemaAuditError",
    }
    for name in schema_audit.__all__:
        assert getattr(schema_audit, name) is not None, name
    assert (ROOT / "schema_audit" / "py.typed").exists()
    # the engine judges requirements; only the pipeline assembles an audit
    assert not hasattr(engine, "run")


def test_the_rule_pack_and_history_findings_cannot_be_dropped(tmp_path: Path) -> None:
    history = tmp_path / "sql"
    history.mkdir()
    (history / "001_init.sql").write_text("CREATE TABLE t (a int);\n")
    (history / "002_broken.sql").write_text("CREATE TABLE (;\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: s\ntables:\n  t: {}\n")
    result = audit(spec, sql=history)
    ids = {f.id for f in result.findings}
    assert "rules.SCH001.public.t" in ids  # the rule pack, on by default
    assert any(i.startswith("migrations.syntax-error.") for i in ids)  # the history's own
    # an in-memory model gets the rule pack too unless it is turned off by name
    model = schema_audit.inspect(sql=history)
    assert "rules.SCH001.public.t" in {
        f.id for f in audit_model(load_spec(spec), model, "sql").findings
    }
    assert "rules.SCH001.public.t" not in {
        f.id for f in audit_model(load_spec(spec), model, "sql", rules="none").findings
    }


def test_the_result_is_immutable_and_its_rollups_follow_its_findings() -> None:
    result = audit(SPEC, migrations=FIXTURE)
    assert isinstance(result, AuditResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.findings = ()  # type: ignore[misc]
    assert isinstance(result.findings, tuple)
    held = {f.id for f in result.findings}
    for rollup in (*result.questions, *result.exit_gates):
        assert set(rollup.findings) <= held, rollup.id
    assert [c.id for c in result.categories][:2] == ["A", "B"]
    assert result.exit_code("blocking") in (0, 1)
    assert result.exit_code("info") == 1


def test_errors_are_typed_and_name_no_flag(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: s\n")
    with pytest.raises(SchemaAuditError) as raised:
        audit(spec, dsn="postgresql://x@127.0.0.1:1/x", migrations=FIXTURE)
    assert raised.value.problems and "--" not in str(raised.value)
    with pytest.raises(SchemaAuditError) as raised:
        audit(spec, migrations=FIXTURE, rules="speed")
    assert "unknown rule group 'speed'" in str(raised.value)
    with pytest.raises(SchemaAuditError):
        audit(spec, migrations=FIXTURE, replay=True, dsn="postgresql://x@127.0.0.1:1/x")


SUPPRESSED = """CREATE TABLE parent (id int PRIMARY KEY);
-- schema-audit: ignore SCH001 an append-only log keyed by nothing (ticket 12)
CREATE TABLE log (at timestamptz, line text);
CREATE TABLE other (at timestamptz);
"""


def test_replay_honours_inline_ignores_like_the_static_audit(tmp_path: Path, pg_server) -> None:  # type: ignore[no-untyped-def]
    history = tmp_path / "history"
    history.mkdir()
    (history / "001_init.sql").write_text(SUPPRESSED)
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: s\ntables:\n  parent: {}\n")
    static = audit(spec, sql=history, rules="schema")
    replayed = audit(
        spec, sql=history, rules="schema", replay=True, scratch_dsn=pg_server.admin_dsn
    )
    for result in (static, replayed):
        log = result.finding("rules.SCH001.public.log")
        other = result.finding("rules.SCH001.public.other")
        assert log is not None and log.status == "WAIVED", result.source_kind
        assert "suppressed inline at history/001_init.sql:2" in log.message or (
            "001_init.sql:2" in log.message
        )
        assert other is not None and other.status == "FAIL", result.source_kind
    assert replayed.source_kind == "replay"


def test_progress_goes_only_to_the_reporter_given(tmp_path: Path, monkeypatch, capfd) -> None:  # type: ignore[no-untyped-def]
    """The library reads no environment variable for progress: the caller passes a reporter."""
    import io

    from schema_audit.progress import StderrReporter

    history = tmp_path / "sql"
    history.mkdir()
    for n in range(3):
        (history / f"00{n}_t.sql").write_text(f"CREATE TABLE t{n} (a int PRIMARY KEY);\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: s\ntables:\n  t0: {}\n")
    monkeypatch.setenv("SCHEMA_AUDIT_PROGRESS", "1")
    audit(spec, sql=history)
    assert capfd.readouterr().err == ""
    stream = io.StringIO()
    audit(spec, sql=history, reporter=StderrReporter(stream))
    assert "reading sql: 100% (3/3 files)" in stream.getvalue()
