"""One meaning of "an index serves this lookup" for the spec, PERF001/PERF002 and the advice.

``columns:`` is the exact key list, ``leading:`` a prefix, ``covers:`` usable for an
equality lookup. PERF001 fires exactly where ``covers:`` FAILs, and an index the report
recommends, once created on a real server, is never reported redundant by PERF002.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from schema_audit.api import audit
from schema_audit.render.recommendations import recommend
from schema_audit.spec.load import load_spec

VARIANTS = {
    "partial": "CREATE INDEX ix_partial ON partial (org_id) WHERE note IS NOT NULL",
    "composite": "CREATE INDEX ix_composite ON composite (org_id, note)",
    "second": "CREATE INDEX ix_second ON second (note, org_id)",
    "hashed": "CREATE INDEX ix_hashed ON hashed USING hash (org_id)",
    "ranged": "CREATE INDEX ix_ranged ON ranged USING brin (org_id)",
    "expression": "CREATE INDEX ix_expression ON expression ((org_id + 0))",
    "plain": "CREATE INDEX ix_plain ON plain (org_id)",
}
# variant -> (leading, covers, columns) statuses
EXPECTED = {
    "partial": ("PASS", "FAIL", "PASS"),
    "composite": ("PASS", "PASS", "FAIL"),
    "second": ("FAIL", "FAIL", "FAIL"),
    "hashed": ("PASS", "PASS", "PASS"),
    "ranged": ("PASS", "FAIL", "PASS"),
    "expression": ("FAIL", "FAIL", "FAIL"),
    "plain": ("PASS", "PASS", "PASS"),
}


def _schema() -> str:
    out = ["CREATE TABLE orgs (id int PRIMARY KEY);"]
    for name, index in VARIANTS.items():
        out.append(
            f"CREATE TABLE {name} (id int PRIMARY KEY, org_id int REFERENCES orgs(id), note text);"
        )
        out.append(index + ";")
    return "\n".join(out)


def _spec(tmp_path: Path) -> Path:
    lines = ["name: index semantics", "tables:"]
    for name in VARIANTS:
        lines += [
            f"  {name}:",
            "    indexes:",
            "      - leading: [org_id]",
            "      - covers: [org_id]",
            "      - columns: [org_id]",
        ]
    path = tmp_path / "spec.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _statuses(result, name: str) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    return tuple(  # type: ignore[return-value]
        result.finding(f"tables.{name}.indexes.{label}").status
        for label in ("leading_org_id", "covers_org_id", "org_id")
    )


@pytest.fixture
def db(make_db) -> str:  # type: ignore[no-untyped-def]
    return make_db("ixsem", _schema())


def test_columns_leading_covers_and_perf001_agree_live_and_static(db: str, tmp_path: Path) -> None:
    spec = load_spec(_spec(tmp_path))
    sql = tmp_path / "schema.sql"
    sql.write_text(_schema())
    for result in (audit(spec, dsn=db, rules="perf"), audit(spec, sql=sql, rules="perf")):
        assert {name: _statuses(result, name) for name in VARIANTS} == EXPECTED
        perf001 = {
            f.table
            for f in result.findings
            if f.id.startswith("rules.PERF001") and f.status == "FAIL"
        }
        assert perf001 == {n for n, (_, covers, _) in EXPECTED.items() if covers == "FAIL"}
        partial = result.finding("tables.partial.indexes.covers_org_id")
        assert "partial" in partial.message, partial.message


def _perf_findings(result, rule: str) -> list:  # type: ignore[no-untyped-def]
    return [f for f in result.findings if f.id.startswith(f"rules.{rule}") and f.status == "FAIL"]


def test_perf001_fix_is_never_reported_redundant(db: str, tmp_path: Path) -> None:
    spec = load_spec(_spec(tmp_path))
    result = audit(spec, dsn=db, rules="perf")
    assert len(_perf_findings(result, "PERF001")) == 4
    with psycopg.connect(db, autocommit=True) as conn:
        for f in _perf_findings(result, "PERF001"):
            conn.execute(
                next(e.sql for e in f.evidence if (e.sql or "").startswith("CREATE INDEX"))
            )
    after = audit(spec, dsn=db, rules="perf")
    assert _perf_findings(after, "PERF001") == []
    assert [f.message for f in _perf_findings(after, "PERF002")] == []


def test_spec_advice_is_never_an_index_perf002_calls_redundant(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = make_db("ixadv", _schema())
    spec = load_spec(_spec(tmp_path))
    result = audit(spec, dsn=db, rules="perf")
    advice = {r.findings[0]: r.text for r in recommend(result)}
    # the exact (org_id) requirement on composite would duplicate ix_composite: not advised
    composite = advice["tables.composite.indexes.org_id"]
    assert "Create index" not in composite and "ix_composite" in composite, composite
    created = []
    with psycopg.connect(db, autocommit=True) as conn:
        for fid, text in sorted(advice.items()):
            if fid.endswith(".indexes.org_id") and text.startswith("Create index"):
                table = fid.split(".")[1]
                conn.execute(f"CREATE INDEX advised_{table} ON {table} (org_id)")
                created.append(table)
    assert created == ["expression", "second"]
    after = audit(spec, dsn=db, rules="perf")
    assert [f.message for f in _perf_findings(after, "PERF002")] == []
    assert all(after.finding(f"tables.{t}.indexes.org_id").status == "PASS" for t in created)
