"""How the command line ends its process (schema_audit/cli/entry.py ``_end``).

After a command, main() flushes stdout and stderr, runs the exit handlers and ends the
process without freeing the model, spec and findings one by one (~0.07 CPU s at 5,000
tables). What an ordinary exit guarantees must still hold: every byte of output is there,
through a pipe or in a file, and every cleanup handler ran (a throwaway cluster stopped and
its directory removed, temporary files gone).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from cli_runner import ROOT

# A throwaway cluster left for its exit handler, an exit handler of the probe's own, and an
# object that says when it is freed, held the way the commands hold their model.
PROBE = """
import atexit, json, sys
from pathlib import Path
from schema_audit.cli import common
from schema_audit.sources.scratch_cluster import PgCluster

marks = Path(sys.argv[1])
cluster = PgCluster().start()  # never stopped here: its exit handler must do it
(marks / "cluster").write_text(json.dumps({"root": str(cluster.root)}))
atexit.register(lambda: (marks / "exit-handler-ran").write_text("yes"))

class Sentinel:
    def __del__(self):
        (marks / "freed").write_text("yes")

common.KEPT.append(Sentinel())
sys.argv = ["schema-audit", *json.loads(sys.argv[2])]
from schema_audit.cli import main
main()
"""


def _running_with(text: str) -> list[str]:
    """Command lines of running processes that mention ``text``."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(cmdline)
    return found


def _leftover_cluster(root: str) -> bool:
    """Whether the probe's throwaway cluster was left behind; stopped and removed if so
    (a failing run must not leave a server running on the machine)."""
    pid_file = Path(root) / "data" / "postmaster.pid"
    if pid_file.exists():
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)
    left = Path(root).exists() or bool(_running_with(root))
    shutil.rmtree(root, ignore_errors=True)
    return left


def _probe(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    marks = tmp_path / "marks"
    marks.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(marks), json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "SCHEMA_AUDIT_CACHE": "0"},
    )
    return proc, marks


def test_exit_handlers_run_and_the_output_is_whole(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("exit", "CREATE TABLE t (id int PRIMARY KEY, note text)")
    proc, marks = _probe(tmp_path, "inspect", "--dsn", dsn)
    assert proc.returncode == 0, proc.stderr
    model = json.loads(proc.stdout)  # every byte through the pipe
    assert list(model["model"]["tables"]) == ["public.t"]
    root = json.loads((marks / "cluster").read_text())["root"]
    assert not _leftover_cluster(root)  # its exit handler stopped and removed the cluster
    assert (marks / "exit-handler-ran").read_text() == "yes"
    assert not (marks / "freed").exists()  # the process ended without freeing what it held


def test_a_failing_audit_writes_its_report_and_keeps_its_exit_code(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("exit_audit", "CREATE TABLE t (id int PRIMARY KEY)")
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: s\ntables:\n  t:\n    columns:\n      id: {type: bigint}\n")
    report = tmp_path / "report.json"
    proc, marks = _probe(
        tmp_path, "audit", "--dsn", dsn, "-s", str(spec), "-f", "json", "-o", str(report)
    )
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(report.read_text())["findings"]
    assert [f["status"] for f in findings if f["kind"] == "column"] == ["FAIL"]
    assert not _leftover_cluster(json.loads((marks / "cluster").read_text())["root"])
    assert (marks / "exit-handler-ran").read_text() == "yes"
    assert not (marks / "freed").exists()


def test_a_replay_leaves_no_temporary_files(tmp_path: Path) -> None:
    """--replay starts a throwaway cluster of its own under TMPDIR: nothing of it is left."""
    # under /tmp itself: as root, the cluster runs as postgres, who cannot enter tmp_path
    tmp = Path(tempfile.mkdtemp(prefix="schema-audit-exit-"))
    os.chmod(tmp, 0o777)
    out = tmp_path / "replay.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "schema_audit.cli",
            "audit",
            "-s",
            str(ROOT / "specs" / "backend_guide_b03.yaml"),
            "-m",
            str(ROOT / "tests" / "fixtures" / "b03_alembic"),
            "--replay",
            "-f",
            "json",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp), "SCHEMA_AUDIT_CACHE": "0"},
    )
    try:
        assert proc.returncode == 1, proc.stderr  # B0.3 has failing requirements
        assert json.loads(out.read_text())["findings"]
        assert sorted(p.name for p in tmp.iterdir()) == []
        assert _running_with(str(tmp)) == []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.parametrize("command", ["inspect", "init"])
def test_a_closed_stdout_still_ends_cleanly(command: str, make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``>&-``: Python starts with sys.stdout = None; the report goes to a file all the same
    (init's read runs in the early read's child, whose pipes must not take fd 1)."""
    dsn = make_db(f"exit_closed_{command}", "CREATE TABLE t (id int PRIMARY KEY)")
    out = tmp_path / "out"
    proc = subprocess.run(
        ["sh", "-c", 'exec "$0" "$@" >&-', sys.executable, "-m", "schema_audit.cli"]
        + [command, "--dsn", dsn, "-o", str(out)],
        capture_output=False,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    if command == "inspect":
        assert list(json.loads(out.read_text())["model"]["tables"]) == ["public.t"]
    else:
        assert "\ntables:\n" in out.read_text()
