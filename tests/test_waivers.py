"""Waivers: accepted deviations become WAIVED with their reason; expired and stale ones are reported."""

from __future__ import annotations

import json
from pathlib import Path

from b03 import FIXTURE
from cli_runner import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from schema_audit.audit.waivers import _deferred_table

ROOT = Path(__file__).resolve().parent.parent
WAIVERS = """
waivers:
  - requirement: tables.attribution_events.columns.idempotency_key
    reason: Design fork accepted - dual partial unique indexes replace idempotency_key
    owner: data-platform
    expires: "2026-03-31"
  - requirement: tables.attribution_allocations.foreign_keys.*
    reason: CASCADE kept until B2.4
    expires: "2025-01-01"
  - requirement: tables.no_such_table.*
    reason: left over from an old design
  - requirement: tables.tenants
    reason: the table used to be missing
"""


def audit(tmp_path: Path, date: str) -> dict:
    spec = tmp_path / "spec.yaml"
    spec.write_text((ROOT / "specs" / "backend_guide_b03.yaml").read_text() + WAIVERS)
    proc = run_cli(
        "audit",
        "-s",
        str(spec),
        "-m",
        str(FIXTURE),
        "-f",
        "json",
        "--date",
        date,
        "--report",
        str(tmp_path / "report.md"),
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_waived_expired_and_stale(tmp_path: Path) -> None:
    doc = audit(tmp_path, "2026-01-15")
    by_id = {f["id"]: f for f in doc["findings"]}
    waived = by_id["tables.attribution_events.columns.idempotency_key"]
    assert waived["status"] == "WAIVED"
    assert (
        "WAIVED (owner data-platform) until 2026-03-31: Design fork accepted" in waived["message"]
    )
    assert doc["summary"]["WAIVED"] == 1
    expired = by_id["tables.attribution_allocations.foreign_keys.event_id"]
    assert expired["status"] == "FAIL" and "waiver expired on 2025-01-01" in expired["message"]
    problems = {f["id"]: f["message"] for f in doc["findings"] if f["kind"] == "waiver"}
    assert problems == {
        "waivers.1": "waiver for 'tables.attribution_allocations.foreign_keys.*' expired on 2025-01-01: the deviation counts again",
        "waivers.2": "waiver for 'tables.no_such_table.*' matches no requirement (stale: remove it)",
        "waivers.3": "waiver for 'tables.tenants' matches only passing findings (stale: the deviation is gone)",
    }
    assert "WAIVED (owner data-platform)" in (tmp_path / "report.md").read_text()


def test_after_the_expiry_date_the_waiver_stops_applying(tmp_path: Path) -> None:
    doc = audit(tmp_path, "2026-04-01")
    finding = next(
        f for f in doc["findings"] if f["id"] == "tables.attribution_events.columns.idempotency_key"
    )
    assert finding["status"] == "FAIL" and "waiver expired on 2026-03-31" in finding["message"]


def _dated_spec(tmp_path: Path, expires: str) -> Path:
    (tmp_path / "m").mkdir(parents=True)
    (tmp_path / "m" / "0001.sql").write_text("CREATE TABLE t (id int PRIMARY KEY, email text);\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: t\n"
        "tables:\n"
        "  t:\n"
        "    columns:\n"
        "      email: {nullable: false}\n"
        "waivers:\n"
        "  - requirement: tables.t.columns.email\n"
        "    reason: legacy\n"
        f"    expires: {expires}\n"
    )
    return spec


def _dated_audit(tmp_path: Path, spec: Path, date: str):  # type: ignore[no-untyped-def]
    report = tmp_path / "report.md"
    proc = run_cli(
        "audit", "-s", str(spec), "--sql", str(tmp_path / "m"), "--rules", "none",
        "--date", date, "--report", str(report), "-q",
        env={"SCHEMA_AUDIT_CACHE": "0"}, timeout=120,
    )  # fmt: skip
    return proc, report


def test_an_expiry_not_written_as_yyyy_mm_dd_is_a_spec_error(tmp_path: Path) -> None:
    """Expiry is compared with the report date as text: '31/12/2025' never expired (false PASS)."""
    for expires in ("31/12/2025", "2025-1-5", "next year", "2025-13-01"):
        spec = _dated_spec(tmp_path / expires.replace("/", "_").replace(" ", "_"), expires)
        proc, report = _dated_audit(spec.parent, spec, "2026-11-29")
        assert proc.returncode == 2, (expires, proc.stdout, proc.stderr)
        assert f"{spec}:9:" in proc.stderr and "waivers[0].expires" in proc.stderr
        assert "Traceback" not in proc.stderr and not report.exists()
    spec = _dated_spec(tmp_path / "iso", "2025-12-31")
    proc, report = _dated_audit(spec.parent, spec, "2026-11-29")
    assert proc.returncode == 1 and report.exists()  # expired: the finding FAILs again


def test_a_report_date_not_written_as_yyyy_mm_dd_is_refused(tmp_path: Path) -> None:
    """``--date 1`` sorted before every expiry and revived expired waivers (exit 0)."""
    spec = _dated_spec(tmp_path, "2025-12-31")
    for date in ("1", "2026-13-01", "29/11/2026", "today"):
        proc, report = _dated_audit(tmp_path, spec, date)
        assert proc.returncode == 2, (date, proc.stdout)
        assert proc.stderr.strip() == (
            f"schema-audit: --date '{date}': not a day as YYYY-MM-DD "
            "(waiver expiry is compared with it)"
        )
        assert not report.exists()


def test_a_waivers_place_is_read_where_the_reader_kept_it(tmp_path: Path) -> None:
    """A waiver's ``file:line:column`` is the reader's packed position, worded when read
    (init writes a waiver per rule finding present): the same text the document's
    ``Located.where`` gives, from the line reader, the event reader and the spec cache."""
    from schema_audit.spec.blockread import read_block
    from schema_audit.spec.load import _build, load_spec
    from schema_audit.spec.plainload import load_plain

    text = "spec_version: 1\nname: w\ntables:\n  t: {}\n" + WAIVERS
    spec = tmp_path / "w.yaml"
    spec.write_text(text)
    block = read_block(text, str(spec), 10_000, 64)
    plain = load_plain(text, str(spec), 10_000, 64)
    assert block is not None and plain is not None
    wanted = [block.where(("waivers", i)) for i in range(4)]
    assert wanted == [plain.where(("waivers", i)) for i in range(4)]
    assert wanted[1] == f"{spec}:11:5"
    built = _build(block, str(spec), "0" * 64)
    assert isinstance(built.waivers[0].at, int)  # kept packed
    assert [w.location for w in built.waivers] == wanted
    assert [w.location for w in _build(plain, str(spec), "0" * 64).waivers] == wanted
    assert [w.location for w in load_spec(spec).waivers] == wanted  # the cache written
    assert [w.location for w in load_spec(spec).waivers] == wanted  # and read


_PARTS = st.sampled_from(["public", "app", "t", "t.x", "users", "users_x", '"Odd"', "", "a.b"])


@settings(max_examples=400, deadline=None)
@given(
    rule=st.sampled_from(["rules.SEC003.", "rules.SCH001.", "tables.", "rules."]),
    parts=st.lists(_PARTS, max_size=4),
    unsettled=st.sets(st.builds(".".join, st.lists(_PARTS, min_size=1, max_size=3)), max_size=6),
)
def test_a_rule_waivers_deferred_table_is_the_first_that_is_it_or_its_prefix(
    rule: str, parts: list[str], unsettled: set[str]
) -> None:
    """``_deferred_table`` names the first DEFERRED table (in order) that is the waiver's rest
    or a prefix of it ending at a dot, as the scan of every DEFERRED table in order did (a
    waiver matching nothing is DEFERRED, not stale, when its rule's table is one: a rule
    cannot have run on it)."""
    pattern = rule + ".".join(parts)
    if not pattern.startswith("rules.") or not unsettled:
        want = None
    else:
        rest = pattern.split(".", 2)[2] if pattern.count(".") >= 2 else ""
        rest = rest.replace('"', "")
        want = next((t for t in sorted(unsettled) if rest == t or rest.startswith(t + ".")), None)
    assert _deferred_table(pattern, unsettled) == want


def test_of_nested_deferred_tables_a_rule_waiver_names_the_first() -> None:
    unsettled = {"a.b.c", "a.b", "a", "a.bc", "z"}
    assert _deferred_table("rules.SEC003.a.b.c.d", unsettled) == "a"
    assert _deferred_table("rules.SEC003.a.b.c", unsettled - {"a"}) == "a.b"
    assert _deferred_table('rules.SCH001."a".bc', unsettled - {"a"}) == "a.bc"
    assert _deferred_table("rules.SEC003.ab", unsettled) is None
