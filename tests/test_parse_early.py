"""The parsing child started with the command line (sources/parse_early.py): taken only by
the read of the very files (and bytes) it parsed, never left running, and the model the
same as a read in one process."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from schema_audit.model import SchemaModel
from schema_audit.sources import parse_ahead, parse_early
from schema_audit.sources.sqlfile import read_sql


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Every pipeline the read makes: (its child's pid, whether it forked it itself)."""
    made: list[tuple[int, bool]] = []
    real = parse_ahead.Ahead.__init__

    def counting(self: parse_ahead.Ahead, *args: object) -> None:
        real(self, *args)  # type: ignore[arg-type]
        made.append((self._pid or 0, len(args) < 4 or args[3] is None))

    monkeypatch.setattr(parse_ahead.Ahead, "__init__", counting)
    return made


def _history(folder: Path, tables: int = 800) -> Path:
    """Over 256 KiB of SQL in five files (the real threshold: no setting lowered)."""
    history = folder / "history"
    history.mkdir(parents=True)
    for part in range(5):
        (history / f"V{part + 1}__tables.sql").write_text(
            "\n".join(
                f"CREATE TABLE t{part}_{n} (id bigint PRIMARY KEY, tenant_id uuid NOT NULL,"
                f" name text DEFAULT '' NOT NULL, amount numeric(12, 2) CHECK (amount > 0),"
                f" note varchar(200), created_at timestamptz DEFAULT now());\n"
                f"CREATE INDEX t{part}_{n}_name ON t{part}_{n} (lower(name)) WHERE amount > 0;\n"
                f"CREATE UNIQUE INDEX t{part}_{n}_code ON t{part}_{n} (tenant_id, name);\n"
                f"GRANT SELECT, INSERT ON t{part}_{n} TO PUBLIC;"
                for n in range(tables // 5)
            )
        )
    assert sum(f.stat().st_size for f in history.iterdir()) >= parse_ahead.MIN_BYTES
    return history


def _in_process(path: Path, monkeypatch: pytest.MonkeyPatch) -> SchemaModel:
    with monkeypatch.context() as m:
        m.setattr(parse_ahead, "wanted", lambda size: False)
        return read_sql(path)[0]


def _started() -> int:
    assert len(parse_early._STARTED) == 1
    return parse_early._STARTED[0][1]


def _gone(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True  # reaped: not ours any more
    return False


def test_the_read_takes_the_child_started_with_the_command_line(
    tmp_path: Path, forks: list[tuple[int, bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    history = _history(tmp_path)
    alone = _in_process(history, monkeypatch)
    parse_early.start(["inspect", "--sql", str(history), "-o", "x.json"])
    pid = _started()
    ahead = read_sql(history)[0]
    assert forks == [(pid, False)]  # the early child, no second fork
    assert repr(ahead) == repr(alone)
    assert not parse_early._STARTED and _gone(pid)


def test_a_child_for_other_files_is_ended_and_the_read_forks_its_own(
    tmp_path: Path, forks: list[tuple[int, bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    history = _history(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    for file in history.iterdir():
        (other / file.name).write_text(file.read_text())
    alone = _in_process(history, monkeypatch)
    parse_early.start(["audit", "-s", "spec.yaml", f"--sql={other}"])
    pid = _started()
    ahead = read_sql(history)[0]
    assert _gone(pid)
    assert len(forks) == 1 and forks[0][1]  # forked by the read itself
    assert repr(ahead) == repr(alone)


def test_a_file_changed_after_the_child_read_it_is_read_as_it_is_now(
    tmp_path: Path, forks: list[tuple[int, bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the model cache on (no entry yet) the read hashes the bytes it reads for the
    entry's key: a child that parsed other bytes of a file is not taken, or the cache
    would keep a model of those bytes under the key of these."""
    history = _history(tmp_path)
    late = "\nCREATE TABLE late (id int);\n"
    changed = _history(tmp_path / "changed")  # the same history with the change made
    (changed / "V5__tables.sql").write_text((changed / "V5__tables.sql").read_text() + late)
    alone = _in_process(changed, monkeypatch)
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "1")
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    parse_early.start(["inspect", "--sql", str(history)])
    pid = _started()
    fd = parse_early._STARTED[0][2]
    assert select.select([fd], [], [], 60)[0]  # its first frame: every file read by now
    last = history / "V5__tables.sql"
    last.write_text(last.read_text() + late)
    ahead = read_sql(history)[0]
    assert _gone(pid)
    assert "public.late" in ahead.tables
    assert repr(ahead) == repr(alone)
    assert len(forks) == 1 and forks[0][1]


def test_a_child_nobody_takes_is_ended(tmp_path: Path) -> None:
    history = _history(tmp_path)
    parse_early.start(["init", "--sql", str(history), "--force"])
    pid = _started()
    parse_early.abandon()  # what the process's exit runs
    assert _gone(pid) and not parse_early._STARTED


@pytest.mark.parametrize(
    "argv",
    [
        ["lint-migrations", "--sql", "H"],
        ["inspect", "--dsn", "postgresql://x"],
        ["audit", "-s", "s.yaml", "--sql", "H", "--replay"],
        ["audit", "--targets", "f.yaml", "--sql", "H"],
        ["inspect", "--sql", "H", "--sql", "G"],
        ["inspect", "--sql", "H", "--help"],
        ["inspect", "--sql"],
        [],
    ],
)
def test_command_lines_that_start_no_child(argv: list[str]) -> None:
    assert parse_early.sql_option(argv) is None


def test_too_little_sql_or_a_cache_entry_starts_no_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = tmp_path / "small"
    small.mkdir()
    (small / "V1__t.sql").write_text("CREATE TABLE t (id int);\n" * 1000)
    parse_early.start(["inspect", "--sql", str(small)])
    assert not parse_early._STARTED
    history = _history(tmp_path)
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "1")
    cache = tmp_path / "cache"
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE_DIR", str(cache))
    (cache / "sqlmodel").mkdir(parents=True)
    (cache / "sqlmodel" / "entry.json").write_text("{}")
    parse_early.start(["inspect", "--sql", str(history)])
    assert not parse_early._STARTED  # the read may be answered from the cache


def test_the_console_script_writes_the_model_of_a_read_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped path (entry.main starts the child, the read takes it) and the read in
    one process write the same bytes."""
    from schema_audit.render import inspect as render
    from schema_audit.sources.select import load_source

    history = _history(tmp_path)
    out = tmp_path / "model.json"
    env = {**os.environ, "SCHEMA_AUDIT_CACHE": "0"}
    script = "from schema_audit.cli.entry import main; main()"
    subprocess.run(
        [sys.executable, "-c", script, "inspect", "--sql", str(history), "-o", str(out)],
        check=True,
        env=env,
    )
    with monkeypatch.context() as m:
        m.setattr(parse_ahead, "wanted", lambda size: False)
        source = load_source(sql=history)
    assert out.read_bytes() == b"".join(render.json_chunks(source))
