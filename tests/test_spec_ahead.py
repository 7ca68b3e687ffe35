"""A large spec's document read by a forked child while the static audit reads the history
(``spec/ahead.py``, issue 19).

The spec built from the child's document is the one this process builds from its own
reading (every requirement, waiver and position); the document is taken only for the very
bytes this process then reads (a spec changed meanwhile is read again here); an invalid
spec is worded as without the child; and the CLI still says a spec's error first, before
an error of the history's read, as when the spec was loaded before the read.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from synthetic import write

from schema_audit import api
from schema_audit.spec import ahead, load
from schema_audit.spec.load import SpecError, load_spec

ENV = {"SCHEMA_AUDIT_CACHE": "0", "SCHEMA_AUDIT_PROGRESS": "0", "NO_COLOR": "1"}


@pytest.fixture(autouse=True)
def _uncached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every spec read from its text (a cached document has no reader's positions)."""
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a 60-table history's folder, init's spec of it: ≈ 140 KB of block YAML)."""
    work = tmp_path_factory.mktemp("ahead")
    folder, _ = write(60, work)
    spec = work / "init.yaml"
    spec.write_text(api.init_spec(api.read_source(sql=folder), history=folder))
    return folder, spec


def _started(path: Path, monkeypatch: pytest.MonkeyPatch) -> ahead.Ahead:
    monkeypatch.setattr(ahead, "MIN_BYTES", 0)
    started = ahead.start(path)
    if started is None:
        pytest.skip("no fork here (not Linux, another thread or one core)")
    return started


def _not_read_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process reading the document itself fails the test (after the fork)."""

    def refused(*args: object) -> None:
        raise AssertionError("the document was read in this process")

    monkeypatch.setattr(load, "read_block", refused)
    monkeypatch.setattr(load, "load_plain", refused)


def test_the_child_s_document_builds_the_same_spec(history, monkeypatch) -> None:
    _, path = history
    own = load_spec(path)
    started = _started(path, monkeypatch)
    _not_read_here(monkeypatch)
    taken = load_spec(path, ahead=started)
    assert taken == own
    assert taken.requirements == own.requirements and len(own.requirements) > 2000
    assert [r.location for r in taken.requirements] == [r.location for r in own.requirements]
    assert taken.waivers == own.waivers and taken.sha256 == own.sha256


def test_a_spec_changed_meanwhile_is_read_again(history, monkeypatch, tmp_path) -> None:
    _, original = history
    path = tmp_path / "spec.yaml"
    path.write_text(original.read_text())
    started = _started(path, monkeypatch)
    got = started._job.result()  # the child has read and checked it
    assert got is not None
    path.write_text("# edited after the child read it\n" + original.read_text())
    started._job.result = lambda: got
    taken = load_spec(path, ahead=started)
    assert taken == load_spec(path)
    assert taken.requirements[-1].location != load_spec(original).requirements[-1].location


def test_an_invalid_spec_is_worded_as_without_the_child(history, monkeypatch, tmp_path) -> None:
    _, original = history
    path = tmp_path / "spec.yaml"
    path.write_text(original.read_text() + "bogus_key: 1\n")
    with pytest.raises(SpecError) as own:
        load_spec(path)
    started = _started(path, monkeypatch)
    with pytest.raises(SpecError) as taken:
        load_spec(path, ahead=started)
    assert taken.value.problems == own.value.problems
    assert "unknown key 'bogus_key'" in own.value.problems[0]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from schema_audit.spec import ahead; ahead.MIN_BYTES = 0\n"
    code += "import sys; sys.argv[0] = 'schema-audit'\n"
    code += "from schema_audit.cli.entry import main; main()\n"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_cli_says_the_spec_s_error_before_the_read_s(history, tmp_path) -> None:
    folder, original = history
    bad = tmp_path / "bad.yaml"
    bad.write_text(original.read_text() + "bogus_key: 1\n")
    missing = tmp_path / "no_such_history"
    both = _cli("audit", "-s", str(bad), "--sql", str(missing), "-q")
    assert both.returncode == 2
    assert both.stderr.count("schema-audit: ") == 1 and "unknown key 'bogus_key'" in both.stderr
    read = _cli("audit", "-s", str(original), "--sql", str(missing), "-q")
    assert (read.returncode, read.stderr) == (
        2,
        f"schema-audit: {missing}: no such file or directory\n",
    )
    ok = _cli("audit", "-s", str(original), "--sql", str(folder), "-q")
    assert ok.returncode == 0 and ok.stdout.startswith("verdict: PASS"), ok.stderr
