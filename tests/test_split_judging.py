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

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from synthetic import write
from typer.testing import CliRunner

from schema_audit.api import audit_model
from schema_audit.audit import split
from schema_audit.cli import app
from schema_audit.render.digest import quiet_line
from schema_audit.sources import live
from schema_audit.sources.replay import Scratch, replay_sql
from schema_audit.spec.load import load_spec
from schema_audit.spec.selectors import expanded_spec

ENV = {"SCHEMA_AUDIT_CACHE": "0", "SCHEMA_AUDIT_PROGRESS": "0", "NO_COLOR": "1"}

# changes after init, on tables of both sides of the cut (the child takes whole tables,
# more than half of the requirements, first seen first): FAILs of columns, a strict FAIL
CHANGES = """
ALTER TABLE t00001 ADD COLUMN extra int;
ALTER TABLE t00004 ALTER COLUMN created_at DROP NOT NULL;
ALTER TABLE t00036 ALTER COLUMN created_at DROP NOT NULL;
ALTER TABLE t00038 ADD COLUMN extra int;
ALTER TABLE t00039 DROP COLUMN code;
"""
# waivers added to init's: a glob over passing findings (stale), an exact one on a FAIL
# of each side, an expired one on a FAIL
WAIVERS = """\
  - requirement: tables.t00037.columns.*
    reason: glob over passes
    owner: tests
  - requirement: tables.t00034.columns.*
    reason: glob over passes in the child
    owner: tests
  - requirement: tables.t00004.columns.created_at
    reason: waived here
    owner: tests
  - requirement: tables.t00036.columns.created_at
    reason: waived there
    owner: tests
    expires: '2020-01-01'
  - requirement: tables.t00039.columns.code
    reason: waived in the child
    owner: tests
"""

# the command line in a fresh interpreter, its judging as MODE says; what happened is
# written as JSON to LOG (whether the judging was shared, the child's pid, its answer)
PROBE = """
import json, os, sys, threading, time
mode, log, argv = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
from schema_audit.audit import split
split.MIN_REQUIREMENTS = 10**9 if mode.endswith("in-process") else 0
record = {"shared": None, "answered": None}
start, theirs = split.start, split.Shared.theirs
def recorded_start(*args, **kwargs):
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
split.start, split.Shared.theirs = recorded_start, recorded_theirs
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
            share = split.child_share(ctx.spec, ctx.model, True)
            child_tables.append({r.table for r in split.shares(ctx.spec.requirements, share)[1]})
        if req.table in child_tables[0]:
            raise RuntimeError(f"a check broke on {req.table}")
        return column.check(req, ctx)
    kinds.registry()["column"] = dataclasses.replace(column, check=broken)
if mode == "parent-fails":
    from schema_audit import api
    judge = split._judge_theirs
    def slow(ctx, fraction):
        time.sleep(60)
        return judge(ctx, fraction)
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
    """(DSN, init's spec with added waivers, the history) of a 40-table benchmark schema
    changed after init."""
    work = tmp_path_factory.mktemp("split")
    folder, _ = write(40, work)
    name, dsn = pg_server.create_database("splitjudge")
    replay_sql(folder, Scratch(dsn, name, pg_server.admin_dsn))
    spec = work / "spec.yaml"
    made = CliRunner().invoke(app, ["init", "--dsn", dsn, "-o", str(spec)])
    assert made.exit_code == 0, made.output
    spec.write_text(spec.read_text() + WAIVERS)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(CHANGES)
    yield dsn, spec, folder
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
    dsn, spec, _ = bench
    for extra in ([], ["--fail-on", "blocking"]):
        args = ["-s", str(spec), "--dsn", dsn, "-q", *extra]
        want, alone = _audit("in-process", tmp_path, *args)
        got, shared = _audit("shared", tmp_path, *args)
        assert alone["shared"] is False and shared == {**shared, "shared": True, "answered": True}
        _same(got, want)


def test_a_static_audit_s_line_is_the_one_process_s(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The same spec against the history (the database's changes are not in it: FAILs,
    DEFERRED and waivers judged from a static model): shared, the same line."""
    _, spec, folder = bench
    args = ["-s", str(spec), "--sql", str(folder), "-q"]
    got, record = _audit("shared", tmp_path, *args)
    assert (record["shared"], record["answered"]) == (True, True)
    _same(got, _audit("in-process", tmp_path, *args)[0])
    assert got.returncode == 1 and "FAIL" in got.stdout, got.stdout


def test_the_child_s_share_is_what_the_whole_audit_judged(bench) -> None:  # type: ignore[no-untyped-def]
    """In process: the counted result's line is the full result's, its summary the same
    counts, and it holds every finding that is not a PASS no waiver can match."""
    dsn, spec, _ = bench
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
    mine, theirs = split.shares(expanded.requirements, split.child_share(expanded, model, True))
    assert "t00034" in {r.table for r in theirs}
    changed = {"t00001", "t00004", "t00036", "t00038", "t00039"}
    assert {r.table for r in mine} & changed and {r.table for r in theirs} & changed
    assert quiet_line(counted) == quiet_line(full) and counted.summary == full.summary
    assert counted.exit_code() == full.exit_code() == 1
    kept = {f.id: f.status for f in counted.findings}
    assert {f.id: f.status for f in full.findings if f.status != "PASS"}.items() <= kept.items()
    assert kept["tables.t00034.columns.id"] == "PASS"  # a glob waiver may match it: kept
    waivers = [
        [(f.id, f.status, f.message) for f in r.findings if f.kind == "waiver"]
        for r in (counted, full)
    ]
    assert waivers[0] == waivers[1] and len(waivers[0]) == 3  # two globs over passes, one expired


def test_no_fork_where_a_thread_runs_or_one_core_is_allowed(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Another thread alive (a fork copies no thread, whatever lock it held), or one core
    to run on (two processes would only take turns): judged here, the same line."""
    dsn, spec, _ = bench
    args = ["-s", str(spec), "--dsn", dsn, "-q"]
    want = _audit("in-process", tmp_path, *args)[0]
    for mode in ("thread", "one-core"):
        got, record = _audit(mode, tmp_path, *args)
        assert record["shared"] is False, mode
        _same(got, want)


def test_a_child_that_fails_or_refuses_its_cut_is_judged_here(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The child's own failure, or a cut that would part a table from its parent: no
    answer, and this process judges the whole spec (the same line and exit code)."""
    dsn, spec, _ = bench
    args = ["-s", str(spec), "--dsn", dsn, "-q"]
    want = _audit("in-process", tmp_path, *args)[0]
    for mode in ("child-fails", "refused"):
        got, record = _audit(mode, tmp_path, *args)
        assert (record["shared"], record["answered"]) == (True, False), mode
        _same(got, want)


def test_a_check_failing_in_the_child_is_one_line_exit_2(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A check that raises on a table of the child's share: the in-process audit's
    internal-error line, exit 2 (the child gave nothing; judged here, it raised here)."""
    dsn, spec, _ = bench
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
    dsn, spec, _ = bench
    got, record = _audit("parent-fails", tmp_path, "-s", str(spec), "--dsn", dsn, "-q")
    assert got.returncode == 2 and "this process failed first" in got.stderr
    _gone(record["pid"])


def test_a_child_that_answered_is_collected_when_the_command_ends(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The child that handed its share over exits while this process finishes its own
    work (not waited for then): the command's exit collects it, no process or zombie
    is left."""
    dsn, spec, _ = bench
    got, record = _audit("shared", tmp_path, "-s", str(spec), "--dsn", dsn, "-q")
    assert (record["shared"], record["answered"]) == (True, True) and got.returncode in (0, 1)
    _gone(record["pid"])


def test_reports_and_baselines_beside_q_hold_every_finding(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``-q`` with a file to write (every format, the terminal text in ``-o``, a first
    baseline): the audit keeps every finding (no shared judging), and the files are the ones
    an audit judged in one process writes."""
    dsn, spec, _ = bench
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
