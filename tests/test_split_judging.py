"""``audit -q`` judges part of the tables in a forked child (``audit/split.py``, issue 19).

The verdict line, stderr and the exit code are the ones of the same audit judged in this
process, on a schema with failing, waived, stale-waived and rule findings on both sides of
the cut; where no fork is safe, where the child fails or refuses its cut, the whole spec is
judged in this process (same line); an error of a check in the child is the in-process
audit's one line, exit 2; no child outlives the command, whichever side failed first.

Each audit runs the command line in a fresh interpreter (as ``schema-audit`` does: the early
read's child, then the judging child), with ``split.MIN_REQUIREMENTS`` lowered so that the
40-table schema (≈ 1,800 requirements) is shared, or raised to judge it all in process.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from synthetic import write
from typer.testing import CliRunner

from schema_audit.api import audit_model, read_source
from schema_audit.audit import split
from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Finding
from schema_audit.cli import app
from schema_audit.model import SchemaModel
from schema_audit.render.digest import quiet_line
from schema_audit.sources import live
from schema_audit.sources.replay import Scratch, replay_sql
from schema_audit.spec.load import load_spec
from schema_audit.spec.selectors import expanded_spec

ENV = {"SCHEMA_AUDIT_CACHE": "0", "SCHEMA_AUDIT_PROGRESS": "0", "NO_COLOR": "1"}

# changes after init, on tables of both sides of the cut (the child takes a prefix of whole
# tables, t00000-t00025, this process the rest): FAILs of columns, a strict FAIL
CHANGES = """
ALTER TABLE t00001 ADD COLUMN extra int;
ALTER TABLE t00004 ALTER COLUMN created_at DROP NOT NULL;
ALTER TABLE t00010 DROP COLUMN code;
ALTER TABLE t00036 ALTER COLUMN created_at DROP NOT NULL;
ALTER TABLE t00038 ADD COLUMN extra int;
ALTER TABLE t00039 DROP COLUMN code;
"""
# waivers added to init's (whose own are exact: rule findings and the tenant selector's RLS
# on both sides): an exact one on a FAIL of each side, an expired one on a FAIL, one on a
# PASS of each side (stale)
EXACT_WAIVERS = """\
  - requirement: tables.t00036.columns.created_at
    reason: waived here
    owner: tests
  - requirement: tables.t00004.columns.created_at
    reason: waived there
    owner: tests
    expires: '2020-01-01'
  - requirement: tables.t00010.columns.code
    reason: waived in the child
    owner: tests
  - requirement: tables.t00037.columns.id
    reason: stale here
    owner: tests
  - requirement: tables.t00014.columns.id
    reason: stale in the child
    owner: tests
"""
# and globs over passing findings (stale) on each side: every waiver is then applied once
# the child answered (a glob may match findings of both sides)
WAIVERS = (
    EXACT_WAIVERS
    + """\
  - requirement: tables.t00037.columns.*
    reason: glob over passes
    owner: tests
  - requirement: tables.t00014.columns.*
    reason: glob over passes in the child
    owner: tests
"""
)

# the command line in a fresh interpreter, its judging as MODE says; what happened is
# written as JSON to LOG (whether the judging was shared, the child's pid, its answer)
PROBE = """
import json, os, sys, threading, time
mode, log, argv = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
from schema_audit.audit import split
from schema_audit.audit.context import AuditContext
split.MIN_REQUIREMENTS = 10**9 if mode.endswith("in-process") else 0
record = {"shared": None, "answered": None, "apart": None, "prepared": None}
start, theirs, apart = split.start, split.Shared.theirs, split.waived_apart
explicit = []
def recorded_start(*args, **kwargs):
    explicit.append(kwargs.get("explicit"))
    shared = start(*args, **kwargs)
    record["shared"] = shared is not None
    if shared is not None:
        record["pid"] = shared._job.pid
        with open(log, "w") as out:
            json.dump(record, out)
    return shared
def recorded_theirs(self):
    got = theirs(self)
    record["answered"] = got is not None
    return got
def recorded_apart(*args):
    record["apart"] = apart(*args)
    return record["apart"]
split.start, split.Shared.theirs, split.waived_apart = recorded_start, recorded_theirs, recorded_apart
if mode == "prepared":  # the cut worked out while the read runs, as when it is still under way
    from schema_audit import api
    load, prepared = api.load_spec, split._prepared
    def load_and_prepare(*args, **kwargs):
        spec = load(*args, **kwargs)
        split.prepare(spec)
        return spec
    def recorded_prepared(*args):
        got = prepared(*args)
        record["prepared"] = got is not None
        return got
    api.load_spec, split._prepared = load_and_prepare, recorded_prepared
else:  # whether the read is still under way when the spec is loaded is not for a test to say
    split.prepare = lambda *args, **kwargs: None
if mode == "thread":
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
if mode == "one-core":
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
if mode == "child-fails":
    def failing(spec, found):
        raise RuntimeError("the child's own failure")
    split._kept = failing
if mode == "refused":
    split._cut_holds = lambda mine, theirs: False
if mode in ("check-fails", "check-fails-in-process"):
    import dataclasses
    from schema_audit import kinds
    column = kinds.registry()["column"]
    child_tables = []
    def broken(req, ctx):  # on the tables of the child's share (when shared)
        if not child_tables:
            share = split.child_share(ctx.spec, ctx.model, True, ctx.source_kind == "live")
            theirs = split.cut(ctx.spec.requirements, share, explicit[0])[1]
            child_tables.append({r.table for r in theirs})
        if req.table in child_tables[0]:
            raise RuntimeError(f"a check broke on {req.table}")
        return column.check(req, ctx)
    kinds.registry()["column"] = dataclasses.replace(column, check=broken)
if mode == "parent-fails":
    from schema_audit import api
    judge = split._judge_theirs
    def slow(*args):
        time.sleep(60)
        return judge(*args)
    split._judge_theirs = slow
    def failing_pack(*args):
        raise RuntimeError("this process failed first")
    api.rules_for_spec = failing_pack
def written():
    with open(log, "w") as out:
        json.dump(record, out)
import atexit
atexit.register(written)  # (the command ends the process after its exit handlers)
sys.argv = ["schema-audit", *argv]
from schema_audit.cli import main
main()
"""


@pytest.fixture(scope="module")
def bench(pg_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    """(DSN, init's spec with added waivers, the history, init's spec with the exact ones
    only) of a 40-table benchmark schema changed after init."""
    work = tmp_path_factory.mktemp("split")
    folder, _ = write(40, work)
    name, dsn = pg_server.create_database("splitjudge")
    replay_sql(folder, Scratch(dsn, name, pg_server.admin_dsn))
    spec = work / "spec.yaml"
    made = CliRunner().invoke(app, ["init", "--dsn", dsn, "-o", str(spec)])
    assert made.exit_code == 0, made.output
    exact = work / "exact.yaml"
    exact.write_text(spec.read_text() + EXACT_WAIVERS)
    spec.write_text(spec.read_text() + WAIVERS)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(CHANGES)
    yield dsn, spec, folder, exact
    pg_server.drop_database(name)


def _audit(mode: str, tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    log = tmp_path / f"{mode}.json"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, mode, str(log), json.dumps(["audit", *args])],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **ENV},
    )
    return proc, json.loads(log.read_text())


def _same(got: subprocess.CompletedProcess[str], want: subprocess.CompletedProcess[str]) -> None:
    assert (got.returncode, got.stdout, got.stderr) == (want.returncode, want.stdout, want.stderr)


def test_the_shared_judging_says_what_one_process_says(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """FAILs, waived, expired and stale waivers, rule findings, a strict FAIL, on both
    sides: the same verdict line and exit code at two thresholds, and the child answered."""
    dsn, spec, *_ = bench
    for extra in ([], ["--fail-on", "blocking"]):
        args = ["-s", str(spec), "--dsn", dsn, "-q", *extra]
        want, alone = _audit("in-process", tmp_path, *args)
        got, shared = _audit("shared", tmp_path, *args)
        assert alone["shared"] is False and shared == {**shared, "shared": True, "answered": True}
        _same(got, want)


def test_a_static_audit_s_line_is_the_one_process_s(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The same spec against the history (the database's changes are not in it: FAILs,
    DEFERRED and waivers judged from a static model): shared, the same line."""
    _, spec, folder, _ = bench
    args = ["-s", str(spec), "--sql", str(folder), "-q"]
    got, record = _audit("shared", tmp_path, *args)
    assert (record["shared"], record["answered"]) == (True, True)
    _same(got, _audit("in-process", tmp_path, *args)[0])
    assert got.returncode == 1 and "FAIL" in got.stdout, got.stdout


def test_the_child_s_share_is_what_the_whole_audit_judged(bench) -> None:  # type: ignore[no-untyped-def]
    """In process: the counted result's line is the full result's, its summary the same
    counts, and it holds every finding that is not a PASS no waiver can match."""
    dsn, spec, *_ = bench
    loaded, model = load_spec(spec), live.introspect(dsn)
    full = audit_model(loaded, model, "live")
    old = split.MIN_REQUIREMENTS
    split.MIN_REQUIREMENTS = 0
    try:
        counted = audit_model(loaded, model, "live", verdict_only=True)
    finally:
        split.MIN_REQUIREMENTS = old
    assert isinstance(counted, split.CountedResult) and counted.passes > 500
    expanded = expanded_spec(loaded, model)[0]  # (as the audit cuts it)
    share = split.child_share(expanded, model, True, live=True)
    mine, theirs = split.cut(expanded.requirements, share, len(loaded.requirements))
    assert "t00014" in {r.table for r in theirs} and "t00037" in {r.table for r in mine}
    changed = {"t00001", "t00004", "t00036", "t00038", "t00039"}
    assert {r.table for r in mine} & changed and {r.table for r in theirs} & changed
    assert quiet_line(counted) == quiet_line(full) and counted.summary == full.summary
    assert counted.exit_code() == full.exit_code() == 1
    kept = {f.id: f.status for f in counted.findings}
    assert {f.id: f.status for f in full.findings if f.status != "PASS"}.items() <= kept.items()
    assert kept["tables.t00014.columns.id"] == "PASS"  # a glob waiver may match it: kept
    # and those only the glob matches (the exact waiver above names .id alone)
    only_globbed = {
        f.id
        for f in full.findings
        if f.id.startswith("tables.t00014.columns.") and f.status == "PASS"
    } - {"tables.t00014.columns.id"}
    assert only_globbed and {kept.get(i) for i in only_globbed} == {"PASS"}
    waivers = [
        [(f.id, f.status, f.message) for f in r.findings if f.kind == "waiver"]
        for r in (counted, full)
    ]
    assert (
        waivers[0] == waivers[1] and len(waivers[0]) == 5
    )  # globs and exact ones over passes, one expired


def test_waivers_applied_apart_say_what_one_pass_says(bench) -> None:  # type: ignore[no-untyped-def]
    """In process, exact waivers only (init's and a waived, an expired and a child-side
    waived FAIL), the cut prepared as while the read runs: this process's waivers are
    applied while the child judges and the child's after it answered; every finding kept
    is the one the full audit made (status, message, evidence), every finding about a
    waiver the same, in the same order."""
    dsn, _, _, exact = bench
    loaded, model = load_spec(exact), live.introspect(dsn)
    full = audit_model(loaded, model, "live")
    old = split.MIN_REQUIREMENTS
    split.MIN_REQUIREMENTS = 0
    try:
        split.prepare(loaded)
        assert split._PLANNED  # (a cut of the spec's own requirements, checked)
        counted = audit_model(loaded, model, "live", verdict_only=True)
    finally:
        split.MIN_REQUIREMENTS = old
    assert isinstance(counted, split.CountedResult) and not split._PLANNED  # taken
    assert quiet_line(counted) == quiet_line(full) and counted.summary == full.summary
    by_id = {f.id: f for f in full.findings}
    assert all(f == by_id[f.id] for f in counted.findings)
    statuses = {f.id: f.status for f in counted.findings}
    assert statuses["tables.t00036.columns.created_at"] == "WAIVED"
    assert statuses["tables.t00010.columns.code"] == "WAIVED"  # in the child's share
    assert statuses["tables.t00004.columns.created_at"] == "FAIL"  # its waiver expired
    assert statuses["match.tenant_tables.public.t00001.rls"] == "WAIVED"  # init's, the child's
    waivers = [[f for f in r.findings if f.kind == "waiver"] for r in (counted, full)]
    assert waivers[0] == waivers[1] and len(waivers[0]) == 3  # expired, stale here, stale there


def test_a_static_childs_unworked_findings_are_the_ones_worked_out(bench) -> None:  # type: ignore[no-untyped-def]
    """In process, the static model (every table DEFERRED on its owner: a history does not
    say who runs it): the child hands a lazy finding over unworked when its fill reads only
    the audit's context, its model's tables and strings (``split._handover``), and this
    process makes it again with its own; read, each is the full audit's finding (message,
    evidence, DDL, place), and one whose fill holds anything else is worked out there."""
    _, spec, folder, _ = bench
    loaded = load_spec(spec)
    model = read_source(sql=folder).model
    full = audit_model(loaded, model, "sql")
    old = split.MIN_REQUIREMENTS
    split.MIN_REQUIREMENTS = 0
    try:
        counted = audit_model(loaded, model, "sql", verdict_only=True)
    finally:
        split.MIN_REQUIREMENTS = old
    assert isinstance(counted, split.CountedResult)
    assert quiet_line(counted) == quiet_line(full) and counted.summary == full.summary
    # the child's share (a static audit's: split.shares), its findings made again unworked
    expanded = expanded_spec(loaded, model)[0]
    theirs = split.shares(expanded.requirements, split.child_share(expanded, model, True))[1]
    their_ids = {r.id for r in theirs}
    unworked = [f for f in counted.findings if f.id in their_ids and f._fill is not None]
    assert len(unworked) >= 10 and {f.kind for f in unworked} == {"table"}, unworked[:3]
    assert {f.status for f in unworked} == {"DEFERRED"}
    by_id = {f.id: f for f in full.findings}
    for f in counted.findings:
        want = by_id[f.id]
        assert f == want and (f.message, f.evidence, f.ddl) == (
            want.message,
            want.evidence,
            want.ddl,
        ), f.id
    assert all(f._fill is None for f in counted.findings)  # (worked out as they were read)
    # a fill holding another object (a view, a function of no module) is worked out first
    table = next(iter(model.tables.values()))
    ctx = AuditContext.build(loaded, model, "sql")
    assert split._tokens((_fill_text, ctx, table, "m"), ctx) is not None
    assert split._tokens((_fill_text, ctx, dataclasses.replace(table), "m"), ctx) is None
    assert split._tokens((_fill_text, ctx, next(iter(model.views.values())), "m"), ctx) is None
    assert split._tokens((lambda *a: ("m", [], None), ctx, table, "m"), ctx) is None
    assert split._tokens((_fill_text, AuditContext.build(loaded, model, "sql"), table), ctx) is None


def _fill_text(*args: Any) -> tuple[str, list[Any], None]:
    return "m", [], None


def test_the_cut_prepared_while_the_read_runs_says_what_one_process_says(
    bench, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The cut worked out and checked before the read was taken, taken by the judging:
    the same line and exit code; with exact waivers only they are applied apart (this
    process's while the child judges), with globs over all after the child answered."""
    dsn, spec, _, exact = bench
    for path, apart in ((exact, True), (spec, None)):
        args = ["-s", str(path), "--dsn", dsn, "-q"]
        want = _audit("in-process", tmp_path, *args)[0]
        got, record = _audit("prepared", tmp_path, *args)
        assert record == {**record, "shared": True, "answered": True, "prepared": True}
        assert record["apart"] is apart, path
        _same(got, want)


def test_a_prepared_cut_is_checked(bench) -> None:  # type: ignore[no-untyped-def]
    """A cut that would judge a requirement on one side and its parent on the other is not
    prepared (the judging then cuts and checks as without it)."""
    _, _, _, exact = bench
    loaded = load_spec(exact)
    old = split.MIN_REQUIREMENTS
    split.MIN_REQUIREMENTS = 0
    try:
        split.prepare(loaded)
        assert split._PLANNED
        plan = split._PLANNED[0]
        first_of_mine = loaded.requirements[plan.k]
        # a requirement of the child's prefix made a child of a requirement of this side
        orphaned = dataclasses.replace(loaded.requirements[1], parent=first_of_mine.id)
        loaded.requirements[1] = orphaned
        split.prepare(loaded)
        assert not split._PLANNED
    finally:
        split.MIN_REQUIREMENTS = old
        split._PLANNED.clear()


def test_a_cut_is_checked_the_other_way_too(bench, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A requirement this process would judge whose parent the child judges: the cut is
    refused, prepared or not (no test held this half of the check: without it every test
    here passed)."""
    monkeypatch.setattr(split, "MIN_REQUIREMENTS", 0)
    monkeypatch.setattr(split, "_PLANNED", [])
    loaded = load_spec(bench[3])
    requirements = loaded.requirements
    split.prepare(loaded)
    k = split._PLANNED[0].k
    assert split._cut_holds(requirements[k:], requirements[:k])
    # a requirement of this side made a child of the first of the child's prefix
    requirements[k + 1] = dataclasses.replace(requirements[k + 1], parent=requirements[0].id)
    assert not split._cut_holds(requirements[k:], requirements[:k])
    split.prepare(loaded)
    assert not split._PLANNED


def test_a_cut_with_one_id_twice_is_refused(bench) -> None:  # type: ignore[no-untyped-def]
    """An id on both sides, or twice on the child's: refused (a loaded spec's ids are unique;
    a cut or a stamp breaking that would judge two findings of one id apart). review17b."""
    reqs = load_spec(bench[3]).requirements
    got = split._prefix(reqs, 0.64)
    assert got is not None
    k = got[0]
    assert split._cut_holds(reqs[k:], reqs[:k])
    both = [*reqs[k:]]
    both[1] = dataclasses.replace(both[1], id=reqs[1].id)  # a column's: no one's parent
    assert not split._cut_holds(both, reqs[:k])
    assert not split._cut_holds(reqs[k:], [*reqs[:k], reqs[1]])


def test_a_stamped_requirement_across_the_prepared_cut_is_not_taken(bench) -> None:  # type: ignore[no-untyped-def]
    """A requirement a selector stamped for a table of the child's side whose parent is
    judged on this side: the prepared cut is not taken (cut and checked as without it); one
    that keeps to its table's side goes with it."""
    _, _, _, exact = bench
    loaded = load_spec(exact)
    old = split.MIN_REQUIREMENTS
    split.MIN_REQUIREMENTS = 0
    try:
        for parent, taken in (("tables.t00000", True), ("tables.t00039", False)):
            split.prepare(loaded)
            stamp = dataclasses.replace(
                loaded.requirements[1], id="match.extra.public.t00000.id", parent=parent
            )
            stamped = dataclasses.replace(loaded, requirements=[*loaded.requirements, stamp])
            n = len(loaded.requirements)
            got = split._prepared(stamped, SchemaModel(), "live", n, True)
            assert (got is not None) is taken, parent
            assert got is None or (stamp in got.theirs and stamp.id in got.their_ids)
    finally:
        split.MIN_REQUIREMENTS = old
        split._PLANNED.clear()


def test_a_stamped_requirement_with_an_id_of_the_specs_own_is_not_taken(
    bench, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A stamped requirement whose id is one of the spec's own, judged on either side of
    the prepared cut: two findings of one id would be judged apart (strict mode and the
    waivers read findings by id), so the prepared cut is not taken; a fresh id is."""
    loaded = load_spec(bench[3])
    monkeypatch.setattr(split, "MIN_REQUIREMENTS", 0)
    monkeypatch.setattr(split, "_PLANNED", [])
    split.prepare(loaded)
    k = split._PLANNED[0].k
    theirs_id, mine_id = loaded.requirements[2].id, loaded.requirements[-1].id
    assert loaded.requirements[2].table == "t00000" and k < len(loaded.requirements) - 1
    for rid, taken in ((theirs_id, False), (mine_id, False), ("match.x.public.t00000.y", True)):
        split.prepare(loaded)
        stamp = dataclasses.replace(loaded.requirements[1], id=rid, parent="tables.t00000")
        stamped = dataclasses.replace(loaded, requirements=[*loaded.requirements, stamp])
        got = split._prepared(stamped, SchemaModel(), "live", len(loaded.requirements), True)
        assert (got is not None) is taken, rid


def test_a_spec_without_requirements_is_not_prepared(tmp_path: Path) -> None:
    """With the threshold lowered (as these tests do), a spec of no requirement: no cut,
    and no error while the read runs (the child's share of nothing was a division by 0)."""
    path = tmp_path / "empty.yaml"
    path.write_text("spec_version: 1\nname: empty\n")
    old = split.MIN_REQUIREMENTS
    split.MIN_REQUIREMENTS = 0
    try:
        split.prepare(load_spec(path))
        assert not split._PLANNED
    finally:
        split.MIN_REQUIREMENTS = old


def _finding(fid: str, kind: str, status: str) -> Finding:
    return Finding(fid, kind, fid.split(".")[1], None, status, "high", "m")


def test_waivers_are_applied_apart_only_where_one_pass_says_the_same() -> None:
    """The child's kept findings are waived apart from this process's only when each is
    about a requirement of the child's, no finding here has such an id, and none is a
    DEFERRED table (a rule waiver matching nothing on such a table is DEFERRED, not stale:
    that needs every DEFERRED table of the audit)."""
    shared = split.Shared(None, [], None, {"tables.a", "tables.a.columns.x"})  # type: ignore[arg-type]
    here = [_finding("tables.b", "table", "PASS"), _finding("rules.PERF001.b", "rule", "FAIL")]
    kept = [_finding("tables.a.columns.x", "column", "FAIL")]
    assert split.waived_apart(shared, here, 1, split.Theirs(kept, 3))
    deferred = [*kept, _finding("tables.a", "table", "DEFERRED")]
    assert not split.waived_apart(shared, here, 1, split.Theirs(deferred, 3))
    other = [*kept, _finding("tables.c", "table", "PASS")]  # not a requirement of the child's
    assert not split.waived_apart(shared, here, 1, split.Theirs(other, 3))
    same = [*here, _finding("tables.a", "rule", "FAIL")]  # a finding here with a child's id
    assert not split.waived_apart(shared, same, 1, split.Theirs(kept, 3))


def test_no_fork_where_a_thread_runs_or_one_core_is_allowed(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Another thread alive (a fork copies no thread, whatever lock it held), or one core
    to run on (two processes would only take turns): judged here, the same line."""
    dsn, spec, *_ = bench
    args = ["-s", str(spec), "--dsn", dsn, "-q"]
    want = _audit("in-process", tmp_path, *args)[0]
    for mode in ("thread", "one-core"):
        got, record = _audit(mode, tmp_path, *args)
        assert record["shared"] is False, mode
        _same(got, want)


def test_a_child_that_fails_or_refuses_its_cut_is_judged_here(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The child's own failure, or a cut that would part a table from its parent: no
    answer, and this process judges the whole spec (the same line and exit code)."""
    dsn, spec, *_ = bench
    args = ["-s", str(spec), "--dsn", dsn, "-q"]
    want = _audit("in-process", tmp_path, *args)[0]
    for mode in ("child-fails", "refused"):
        got, record = _audit(mode, tmp_path, *args)
        assert (record["shared"], record["answered"]) == (True, False), mode
        _same(got, want)


def test_a_check_failing_in_the_child_is_one_line_exit_2(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A check that raises on a table of the child's share: the in-process audit's
    internal-error line, exit 2 (the child gave nothing; judged here, it raised here)."""
    dsn, spec, *_ = bench
    args = ["-s", str(spec), "--dsn", dsn, "-q"]
    got, record = _audit("check-fails", tmp_path, *args)
    want = _audit("check-fails-in-process", tmp_path, *args)[0]
    assert (record["shared"], record["answered"]) == (True, False), got.stderr
    assert got.returncode == 2 and got.stdout == ""
    line = re.fullmatch(
        r"schema-audit: internal error: RuntimeError: a check broke on t000\d\d "
        r"\(set SCHEMA_AUDIT_DEBUG=1 for a traceback\)\n",
        got.stderr,
    )
    assert line, got.stderr
    _same(got, want)


def _gone(pid: int) -> None:
    """The judging child ``pid`` no longer exists, not even as a zombie (killed if it does)."""
    try:
        assert not Path(f"/proc/{pid}").exists(), "the judging child outlived the command"
    finally:
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, 9)
            time.sleep(0.1)


def test_no_child_outlives_the_command(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """This process fails first (its rule pack) while the child still judges: the child is
    stopped and collected, not left running after the command ended."""
    dsn, spec, *_ = bench
    got, record = _audit("parent-fails", tmp_path, "-s", str(spec), "--dsn", dsn, "-q")
    assert got.returncode == 2 and "this process failed first" in got.stderr
    _gone(record["pid"])


def test_a_child_that_answered_is_collected_when_the_command_ends(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The child that handed its share over exits while this process finishes its own
    work (not waited for then): the command's exit collects it, no process or zombie
    is left."""
    dsn, spec, *_ = bench
    got, record = _audit("shared", tmp_path, "-s", str(spec), "--dsn", dsn, "-q")
    assert (record["shared"], record["answered"]) == (True, True) and got.returncode in (0, 1)
    _gone(record["pid"])


def test_reports_and_baselines_beside_q_hold_every_finding(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``-q`` with a file to write (every format, the terminal text in ``-o``, a first
    baseline): the audit keeps every finding (no shared judging), and the files are the ones
    an audit judged in one process writes."""
    dsn, spec, *_ = bench
    args = ["-s", str(spec), "--dsn", dsn, "-q", "--date", "2026-11-30"]
    for option, path, files in (
        ("--output-dir", "all", 5),
        ("-o", "terminal.txt", 1),
        ("--baseline", "baseline.json", 1),
    ):
        made = {}
        for mode in ("shared", "in-process"):
            out = tmp_path / mode / option
            out.mkdir(parents=True)
            got, record = _audit(mode, tmp_path, *args, option, str(out / path))
            assert record["shared"] is None, (option, mode)
            assert got.returncode == (0 if option == "--baseline" else 1), got.stderr
            made[mode] = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert made["shared"] == made["in-process"] and len(made["shared"]) == files, option


def test_the_childs_share_follows_the_costs_measured_after_the_fork() -> None:
    """With init's 1,000-table spec (44,647 requirements, 2,902 waivers) the child judged
    0.182 CPU s of requirements while this process spent 0.161 s on the rest, the rule pack
    and its waivers (sixteenth session): the child's share is ≈ 0.64, not 0.67, and the
    selector spec's (12,898 requirements, no waiver) ≈ 0.82, not 0.9; a static audit's share
    is as it was (0.59 and 0.82)."""
    assert 0.62 <= split._share(44647, 1000, 2902, True, live=True) <= 0.65
    assert 0.80 <= split._share(12898, 1000, 0, True, live=True) <= 0.84
    assert abs(split._share(44647, 1000, 0, True, live=False) - 0.5916) < 0.001
    assert abs(split._share(12898, 1000, 0, True, live=False) - 0.8172) < 0.001
