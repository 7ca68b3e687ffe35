"""A plain ``init`` / ``inspect`` / ``audit --dsn`` command line starts its catalog read before
typer is imported (``cli/early_read.py``, issue 19), and the command uses that read only when
its parsed options ask for exactly the read it is: the same DSN, schemas, connections and
timeouts. Anything else reads as before; what the command prints and writes is the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from schema_audit.cli import early_read
from schema_audit.cli.commands import load_command

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = """
CREATE SCHEMA a;
CREATE SCHEMA b;
CREATE TABLE a.orders (id bigint PRIMARY KEY, total numeric NOT NULL CHECK (total >= 0));
CREATE TABLE b.notes (id int PRIMARY KEY, body text);
CREATE INDEX ON a.orders (total) WHERE total > 100;
CREATE VIEW a.big AS SELECT id FROM a.orders WHERE total > 100;
"""
ENV = {"SCHEMA_AUDIT_CACHE": "0", "SCHEMA_AUDIT_PROGRESS": "0", "NO_COLOR": "1"}

# Each read started is recorded with whether typer was imported then; the command's exit
# handler prints the records (cli/entry.py ends the process itself after a command).
PROBE = """
import atexit, json, sys
sys.argv = ["schema-audit", *json.loads(sys.argv[1])]
from schema_audit.sources import live_ahead
made = []
init = live_ahead.ReadAhead.__init__
def record(self, read):
    made.append("typer" in sys.modules)
    init(self, read)
live_ahead.ReadAhead.__init__ = record
atexit.register(lambda: print(json.dumps(made), file=sys.stderr, flush=True))
from schema_audit.cli import main
main()
"""


def _run(args: list[str], cwd: Path) -> tuple[int, bytes, list[bool], str]:
    """(exit code, stdout, for each read started whether typer was imported then, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        cwd=cwd,
        env={**os.environ, **ENV, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    err = proc.stderr.decode().splitlines()
    return proc.returncode, proc.stdout, json.loads(err[-1]), "\n".join(err[:-1])


@pytest.mark.parametrize("command", ["init", "inspect", "audit"])
def test_a_plain_live_command_reads_before_typer_is_imported_and_writes_the_same(
    command: str, make_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The same command twice: once plain (its read started before typer, and used: no
    other read is made), once with an option the scan does not know (``--no-exec``, which a
    live read ignores), so typer alone reads the command line and the command reads as
    before. Same exit code, same bytes written and printed."""
    dsn = make_db("early", SCHEMA)
    (tmp_path / "spec.yaml").write_text("name: early\ntables:\n  a.orders: {}\n")
    outputs = {}
    for tag, extra in (("early", []), ("late", ["--no-exec"])):
        out = str(tmp_path / "out")
        args = {
            "init": ["init", "--dsn", dsn, "-o", out, "--force"],
            "inspect": ["inspect", "--dsn", dsn, "-o", out],
            "audit": ["audit", "-s", "spec.yaml", "--dsn", dsn, "-f", "json", "-o", out],
        }[command]
        if command == "audit":
            args += ["--date", "2026-01-01"]
        code, stdout, made, stderr = _run(args + extra, tmp_path)
        outputs[tag] = (code, stdout, stderr, Path(out).read_bytes())
        Path(out).unlink()
        if tag == "early":
            assert made == [False], "one read, started before typer was imported"
        else:
            assert made in ([], [True]), "no read before typer (inspect reads without a thread)"
    assert outputs["early"] == outputs["late"]
    assert outputs["early"][0] in (0, 1) and outputs["early"][3]


def test_the_read_started_early_is_used_only_for_exactly_its_parameters(
    make_db, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Other schemas, connections or timeouts than the command line seemed to ask for: the
    command does not get that read (it starts its own); the same ones: it does."""
    monkeypatch.chdir(tmp_path)
    dsn = make_db("early_take", SCHEMA)
    base = ["inspect", "--dsn", dsn, "--schema", "a"]
    others = [
        (dsn, ["b"], 4, 30000, 5000),
        (dsn, None, 4, 30000, 5000),
        (dsn, ["a"], 1, 30000, 5000),
        (dsn, ["a"], 4, 1000, 5000),
        (dsn, ["a"], 4, 30000, 0),
        (dsn + " application_name=other", ["a"], 4, 30000, 5000),
    ]
    for other in others:
        early_read.start(base)
        assert len(early_read._STARTED) == 1
        assert early_read.take(*other) is None, other
        assert early_read.take(dsn, ["a"], 4) is None  # taken once, whatever the answer
    early_read.start(base)
    ahead = early_read.take(dsn, ["a"], 4, 30000, 5000)
    assert ahead is not None
    source = ahead.result(lambda line: None)
    assert sorted(source.model.tables) == ["a.orders"]


def test_a_read_not_taken_is_never_taken_by_a_later_command_line(
    make_db, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A command line whose command ended before taking its read (a usage error) leaves a
    read of the database as it was then; the next command line of the same process starts
    its own and takes that one, never the old snapshot."""
    monkeypatch.chdir(tmp_path)
    dsn = make_db("early_stale", SCHEMA)
    argv = ["inspect", "--dsn", dsn]
    early_read.start(argv)
    ((_, old),) = early_read._STARTED
    assert "a.later" not in old.result(lambda line: None).model.tables
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE a.later (id int)")
    early_read.start(argv)
    ahead = early_read.take(dsn, None, 4)
    assert ahead is not None and ahead is not old
    assert "a.later" in ahead.result(lambda line: None).model.tables
    early_read.start(argv)
    early_read.forget()  # entry.main does this when its command ends
    assert early_read.take(dsn, None, 4) is None


def test_only_a_plain_command_line_starts_a_read(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SCHEMA_AUDIT_DSN", raising=False)
    d = "postgresql://u@h/db"
    plain = {
        ("init", "--dsn", d, "-o", "s.yaml", "--force"): (d, None, 4, 30000, 5000),
        ("init", f"--dsn={d}", "--schema", "a", "--schema", "b"): (d, ("a", "b"), 4, 30000, 5000),
        ("inspect", "--dsn", d, "--jobs", "2"): (d, None, 2, 30000, 5000),
        ("audit", "-s", "x.yaml", "--dsn", d, "-q", "--lock-timeout", "0"): (d, None, 4, 30000, 0),
        ("audit", "-s", "x.yaml", "--dsn", d, "--statement-timeout=7"): (d, None, 4, 7, 5000),
    }
    for argv, key in plain.items():
        assert early_read.parameters(list(argv)) == key, argv
    not_plain = [
        (),
        ("--version",),
        ("diff", d, d),
        ("init", "--dsn", d, "--help"),
        ("init", "--dsn", d, "--sql", "x.sql"),
        ("audit", "-s", "x.yaml", "--dsn", d, "--replay"),
        ("init", "--dsn", d, "--dsn", d),
        ("init", "--dsn", ""),
        ("init", "--dsn"),
        ("init", "--dsn", d, "--jobs", "0"),
        ("init", "--dsn", d, "--jobs", "+2"),
        ("init", "--dsn", d, "--jobs", "²"),
        ("init", "--dsn", d, "--schema", ""),
        ("init", "--dsn", d, "-ox.yaml"),
        ("init", "--dsn", d, "--", "x"),
        ("init", "--dsn", d, "--force=1"),
        ("inspect", "--dsn", d, "--statement-timeout", "5"),  # not an inspect option
        ("audit", "-s", "x.yaml", "--dsn", d, "--lock-timeout", str(2**31)),
        ("init", "-o", "s.yaml"),  # no DSN at all
    ]
    for argv in not_plain:
        assert early_read.parameters(list(argv)) is None, argv
    monkeypatch.setenv("SCHEMA_AUDIT_DSN", d)
    assert early_read.parameters(["init", "-o", "s.yaml"]) == (d, None, 4, 30000, 5000)
    monkeypatch.setenv("SCHEMA_AUDIT_DSN", "")
    assert early_read.parameters(["init", "-o", "s.yaml"]) is None
    # a configuration file may give the command defaults the command line does not show
    for name, text in (
        ("schema-audit.toml", 'schema = ["a"]\n'),
        ("schema-audit.toml", "lock-timeout = 10\n"),
        ("schema-audit.toml", 'sql = "migrations"\n'),
        ("schema-audit.toml", "schema = [\n"),  # not TOML: the command says so
        ("pyproject.toml", "[tool.schema-audit]\nstatement-timeout = 10\n"),
    ):
        (tmp_path / name).write_text(text)
        assert early_read.parameters(["init", "--dsn", d]) is None, text
        (tmp_path / name).unlink()
    # one that sets nothing the read depends on, or configures other tools only
    (tmp_path / "schema-audit.toml").write_text('spec = "x.yaml"\n')
    assert early_read.parameters(["audit", "--dsn", d]) == (d, None, 4, 30000, 5000)
    (tmp_path / "schema-audit.toml").unlink()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "schema-audit"\n')
    assert early_read.parameters(["init", "--dsn", d]) == (d, None, 4, 30000, 5000)


@pytest.mark.parametrize("command", ["init", "inspect", "audit"])
def test_the_option_table_agrees_with_the_command(command: str) -> None:
    """Every option the scan steps over takes a value when the command's does, every flag
    is a flag there, and the defaults the read is started with are the command's."""
    params = {opt: p for p in load_command(command).params for opt in getattr(p, "opts", [])}
    for option in early_read._VALUE_OPTIONS[command]:
        assert option in params and not params[option].is_flag, option
    for option in early_read._FLAGS[command]:
        assert option in params or option in params.get("--strict", object()).secondary_opts
        flag = params.get(option) or params["--strict"]
        assert flag.is_flag, option
    assert params["--jobs"].default == early_read._DEFAULT_JOBS
    if command == "audit":
        assert params["--statement-timeout"].default == early_read._DEFAULT_TIMEOUTS[0]
        assert params["--lock-timeout"].default == early_read._DEFAULT_TIMEOUTS[1]


# Records the thread that imports psycopg's package (a finder ahead of the others, which
# only looks): the read's thread must find it imported.
IMPORTER = """
import json, sys, threading
class Look:
    def find_spec(self, name, path=None, target=None):
        if name == "psycopg":
            seen.append(threading.current_thread().name)
        return None
seen = []
sys.meta_path.insert(0, Look())
from schema_audit.cli import early_read
ahead = early_read.read_in_thread(sys.argv[1], None, 1, 30000, 5000)
try:
    ahead.result(print)
except Exception:  # the closed port: only the importing thread matters
    pass
print(json.dumps(seen))
"""


def test_the_read_s_thread_imports_no_extension_module() -> None:
    """psycopg is imported by the caller of ``read_in_thread``, not by the daemon thread it
    starts (``live`` imports psycopg only to read): a command that failed on its options
    first and exited while that thread was still importing the extension crashed (SIGSEGV
    as the interpreter shut down, instead of its one line and exit 2)."""
    proc = subprocess.run(
        [sys.executable, "-c", IMPORTER, "postgresql://u@127.0.0.1:1/db"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **ENV},
    )
    assert proc.returncode == 0, proc.stderr
    assert set(json.loads(proc.stdout.splitlines()[-1])) == {"MainThread"}
