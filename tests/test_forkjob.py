"""Work on the second core in a forked child (``schema_audit/forkjob.py``, issue 19): init's
table entries are written by a child while this process writes the rest. The spec is the
one written in process, byte for byte; where a fork is not safe, or the child fails or is
killed, this process writes the entries itself; no child outlives the command."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_live_child import ENV, probe_json

from schema_audit import forkjob

# 240 tables (more than bootstrap.AHEAD_MIN_TABLES) of every shape an entry has: keys,
# CHECKs, indexes, foreign keys, grants, comments, RLS and a policy, a rule (written through
# the dict path), a partitioned table, quoted names
SCHEMA = """
CREATE SCHEMA s;
DO $$ BEGIN CREATE ROLE fork_reader; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN FOR i IN 1..240 LOOP
  EXECUTE format('CREATE TABLE s.t%s (id bigint PRIMARY KEY, "Name" text NOT NULL DEFAULT %L,
      qty int CHECK (qty > %s), parent bigint REFERENCES s.t%s (id) ON DELETE CASCADE,
      made timestamptz DEFAULT now(), UNIQUE ("Name", qty))', i, 'n' || i, i, greatest(i - 1, 1));
  EXECUTE format('CREATE INDEX ON s.t%s (lower("Name")) WHERE qty > 3', i);
  EXECUTE format('COMMENT ON TABLE s.t%s IS %L', i, 'table ' || i);
  EXECUTE format('GRANT SELECT (id, qty) ON s.t%s TO fork_reader', i);
END LOOP; END $$;
ALTER TABLE s.t7 ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON s.t7 USING (qty > 0);
CREATE RULE keep AS ON DELETE TO s.t9 DO INSTEAD NOTHING;
CREATE TABLE s.p (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE s.p1 PARTITION OF s.p FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE VIEW s.v AS SELECT id FROM s.t1;
"""

# What both probes share: the database's model read in a fresh interpreter; ``counted``
# records whether a fork was made, ``faulty`` makes a piece of work fail ("child-fails") or
# kill its process ("child-killed") in the child only; ``other`` runs another thread
# ("thread"), ``left()`` says whether a child was left (running, or not collected).
_PRELUDE = """
import hashlib, json, os, signal, sys, threading
from schema_audit import api, forkjob
from schema_audit.render import inspect, jsonenc
from schema_audit.sources.select import load_source
from schema_audit.spec import bootstrap
dsn, mode = sys.argv[1], sys.argv[2]
source = load_source(dsn=dsn)
parent = os.getpid()
forked = []
def counted(start):
    def wrapped(work):
        job = start(work)
        forked.append(job is not None)
        return job
    return wrapped
def faulty(function):
    def wrapped(*args):
        if os.getpid() != parent and mode == "child-fails":
            raise RuntimeError("the child failed")
        if os.getpid() != parent and mode == "child-killed":
            os.kill(os.getpid(), signal.SIGKILL)
        return function(*args)
    return wrapped
stop = threading.Event()
if mode == "thread":
    other = threading.Thread(target=stop.wait); other.start()
def left():
    stop.set()
    forkjob.collect()  # what the command's exit runs: the children that handed everything over
    try:
        return os.waitpid(-1, os.WNOHANG) is not None
    except ChildProcessError:
        return False
"""

# init's spec of a database, written as ``init`` writes it; prints
# the text, whether a child was forked, and whether a child was left (running or not
# collected). ``mode``: "plain", "thread" (another thread runs), "child-fails" (the entries
# raise in the child), "child-killed" (the child is killed), "parent-fails" (this process's
# own part raises while the child writes).
PROBE = (
    _PRELUDE
    + """
forkjob.start = counted(forkjob.start)
bootstrap.table_entries = faulty(bootstrap.table_entries)
if mode == "parent-fails":
    def refused(*args, **kwargs):
        raise RuntimeError("this process failed")
    api.rules_for_spec = refused
try:
    text, error = api.init_spec(source, name="fork"), ""
except RuntimeError as exc:
    text, error = "", str(exc)
print(json.dumps({"text": text, "forked": forked, "left": left(), "error": error}))
"""
)


def _init_spec(dsn: str, mode: str) -> dict:
    return probe_json(PROBE, dsn, mode)


def test_init_s_entries_from_the_child_are_the_in_process_ones(make_db) -> None:  # type: ignore[no-untyped-def]
    """The same spec, byte for byte, with the entries written by the child, by this process
    because another thread runs (no fork then), and by this process after the child failed
    or was killed; no child is left behind in any case."""
    dsn = make_db("forkjob_init", SCHEMA)
    forked = _init_spec(dsn, "plain")
    assert forked["forked"] == [True] and not forked["left"]
    assert forked["text"].count("\n  # s.t") == 240 and "keep:" in forked["text"]
    here = _init_spec(dsn, "thread")
    assert here["forked"] == [False] and not here["left"]
    assert here["text"] == forked["text"]
    for mode in ("child-fails", "child-killed"):
        got = _init_spec(dsn, mode)
        assert got["forked"] == [True] and not got["left"], mode
        assert got["text"] == forked["text"], mode


def test_no_child_outlives_a_failure_of_this_process_s_part(make_db) -> None:  # type: ignore[no-untyped-def]
    """This process fails while the child writes (its rules, here): the error is this
    process's own, and the child is stopped and collected."""
    dsn = make_db("forkjob_fail", SCHEMA)
    got = _init_spec(dsn, "parent-fails")
    assert got["forked"] == [True] and got["error"] == "this process failed"
    assert not got["left"]


def test_the_cli_writes_the_in_process_spec(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``schema-audit init --dsn`` (the early read's child, then the entries' child) writes
    the spec the library writes in process with no child at all."""
    dsn = make_db("forkjob_cli", SCHEMA)
    out = tmp_path / "spec.yaml"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "schema_audit.cli",
            "init",
            "--dsn",
            dsn,
            "-o",
            str(out),
            "--name",
            "fork",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **ENV},
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == _init_spec(dsn, "thread")["text"]


def test_a_job_is_refused_with_another_thread_and_gives_none_when_its_child_fails() -> None:
    """No fork while another thread runs; a child whose work raises, or whose value is not
    marshal data, gives None (the caller then does the work); no child is left."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert forkjob.start(lambda: 1) is None
    finally:
        stop.set()
        other.join()
    jobs = []
    for work, value in (
        (lambda: ["a", 1, None, (b"x",)], ["a", 1, None, (b"x",)]),
        (lambda: 1 // 0, None),
        (lambda: object(), None),
    ):
        job = forkjob.start(work)
        assert job is not None and job.result() == value
        jobs.append(job.pid)
    # a child whose pipe reached its end is exiting: it is not waited for then (its exit
    # overlaps with this process's work) but at the next fork or at exit (forkjob.collect),
    # so not even a zombie is left
    assert jobs[-1:] == forkjob._EXITING
    forkjob.collect()
    for pid in jobs:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_no_job_where_one_core_is_allowed() -> None:
    """On one allowed core (``taskset -c 0``, a container's cpuset) a child and this process
    only take turns: no job is started (init's entries, inspect's JSON and the audit's split
    are then done in process), where the same process forked one before."""
    code = (
        "import os\n"
        "from schema_audit import forkjob\n"
        "job = forkjob.start(lambda: 7)\n"
        "before = job is not None and job.result()\n"
        "os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})\n"
        "print(before, forkjob.cores(), forkjob.start(lambda: 7),"
        " forkjob.start_pieces(lambda: [b'x']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["7", "1", "None", "None"]


# inspect's JSON of a database, batches of 30 tables (more than the model has fields: the
# 240 tables make 9 batches, the later half encoded by a child); prints the text's digest,
# whether a child was forked and whether one was left. ``mode`` as PROBE's, and "stopped" (the writer
# stops after the first piece: a failed write), "indent" (the indented layout).
INSPECT_PROBE = (
    _PRELUDE
    + """
jsonenc.BATCH, jsonenc.AHEAD_MIN_BATCHES = 30, 4
forkjob.start_pieces = counted(forkjob.start_pieces)
jsonenc._Layout._batch = faulty(jsonenc._Layout._batch)
if mode == "no-pipe":  # every descriptor but one taken: the pipe is refused (EMFILE)
    import resource
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(map(int, os.listdir("/proc/self/fd"))) + 2,
                                                resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    taken = []
    try:
        while True:
            taken.append(os.open(os.devnull, os.O_RDONLY))
    except OSError:
        os.close(taken.pop())
chunks = inspect.json_chunks(source, indent=2 if mode == "indent" else None)
if mode == "stopped":
    after = 0
    pieces = []
    while len(forked) == 0 or len(pieces) < after + 2:  # two of this process's own batches
        pieces.append(next(chunks))
        after = len(pieces) if not forked else after
    chunks.close()
else:
    pieces = list(chunks)
text = b"".join(pieces)
same = mode in ("stopped", "indent") or text == jsonenc.reference(
    {"source": {"kind": source.kind, "target": source.target, "layout": source.layout},
     "model": source.model}, sort_keys=True).encode() + b"\\n"
print(json.dumps({"digest": hashlib.sha256(text).hexdigest(), "forked": forked, "left": left(),
                  "reference": same}))
"""
)


def test_inspect_s_json_from_the_child_is_the_in_process_json(make_db) -> None:  # type: ignore[no-untyped-def]
    """inspect's JSON, its later tables encoded by a child: the same bytes as json.dumps of
    the model (the reference), as with no fork (another thread runs), and as after the child
    failed or was killed, or when no pipe could be had; compact and indented; a writer that
    stops early leaves no child."""
    dsn = make_db("forkjob_inspect", SCHEMA)
    plain = probe_json(INSPECT_PROBE, dsn, "plain")
    assert plain["forked"] == [True] and plain["reference"] and not plain["left"]
    here = probe_json(INSPECT_PROBE, dsn, "thread")
    assert here["forked"] == [False] and here == {**plain, "forked": [False]}
    for mode in ("child-fails", "child-killed"):
        got = probe_json(INSPECT_PROBE, dsn, mode)
        assert got == plain, mode
    refused = probe_json(INSPECT_PROBE, dsn, "no-pipe")  # a process without a descriptor to spare
    assert refused == {**plain, "forked": [False]}
    indented = probe_json(INSPECT_PROBE, dsn, "indent")
    assert indented["forked"] == [True] and not indented["left"]
    stopped = probe_json(INSPECT_PROBE, dsn, "stopped")
    assert stopped["forked"] == [True] and not stopped["left"]
