"""What a newcomer meets first: the README's commands, help, Ctrl-C, links that resolve."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from b03 import SPEC
from cli_runner import run_cli

ROOT = Path(__file__).resolve().parent.parent
ENSURE_DEPS = ROOT / "tools" / "ensure-deps.sh"
COMMANDS = ["audit", "inspect", "init", "diff", "lint-migrations", "validate-spec", "config"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Help texts wrapped at 100 columns, whatever the terminal running the tests."""
    return run_cli(*args, env={"COLUMNS": "100"})


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_dash_h_is_help_and_every_value_is_named(command: str) -> None:
    proc = run(*([command] if command else []), "-h")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: ")
    # typer's defaults print the Python annotation: `--replay <bool>`, `--dsn <str>`
    assert "<bool>" not in proc.stdout
    assert not re.search(r"--[\w-]+ <(str|int|path|list\[\w+\])>", proc.stdout), proc.stdout


def test_option_values_are_named_after_what_they_hold() -> None:
    help_text = run("audit", "-h").stdout
    assert re.search(r"--dsn DSN\b", help_text)
    assert re.search(r"-s, --spec PATH\b", help_text)
    assert re.search(r"--var NAME=VALUE\b", help_text)
    assert re.search(r"--lock-timeout N\b", help_text)
    assert re.search(r"--replay\s{2,}Replay", help_text)  # a flag takes no value


def test_ctrl_c_exits_130_with_one_line_and_no_traceback() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "schema_audit.cli",
            "audit",
            "-s",
            str(SPEC),
            "--replay",
            "-m",
            str(ROOT / "tests" / "fixtures" / "b03_alembic"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SCHEMA_AUDIT_CACHE": "0", "SCHEMA_AUDIT_PROGRESS": "1"},
    )
    assert proc.stderr is not None
    # the first progress line says the audit is under way (imports done, handler installed);
    # a replay then still has a cluster to start, so the interrupt lands mid-run
    first = proc.stderr.readline()
    assert first.startswith("rendering Alembic revisions"), first
    assert proc.poll() is None, "the replay finished before the interrupt: nothing was tested"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == "schema-audit: interrupted"
    assert "Traceback" not in err
    assert "environment" not in err.lower()


def _fake_path(tmp_path: Path, programs: list[str]) -> str:
    """A PATH holding only ``id`` and stand-ins for ``programs`` (apt-get is absent on purpose)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(shutil.which("id") or "/usr/bin/id", bin_dir / "id")
    for name in programs:
        stub = bin_dir / name
        stub.write_text("#!/bin/sh\nexit 0\n")
        stub.chmod(0o755)
    return str(bin_dir)


def test_make_test_stops_before_running_with_the_install_command(tmp_path: Path) -> None:
    env = {"PATH": _fake_path(tmp_path, []), "HOME": str(tmp_path)}
    proc = subprocess.run(
        ["/bin/bash", str(ENSURE_DEPS), "postgres", "chromium"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.fail("this test expects Debian's PostgreSQL layout (/usr/lib/postgresql/*/bin)")
    assert proc.returncode == 1
    assert "missing chromium" in proc.stderr
    assert "apt-get install chromium" in proc.stderr


def test_make_test_goes_on_silently_when_everything_is_there(tmp_path: Path) -> None:
    env = {"PATH": _fake_path(tmp_path, ["chromium", "initdb", "pg_ctl"]), "HOME": str(tmp_path)}
    proc = subprocess.run(
        ["/bin/bash", str(ENSURE_DEPS), "postgres", "chromium"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert (proc.returncode, proc.stderr) == (0, "")


def test_the_makefile_checks_dependencies_before_test_and_demo() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: install deps-test$", makefile, re.M)
    assert re.search(r"^demo: install deps-demo$", makefile, re.M)
    assert "tools/ensure-deps.sh postgres chromium" in makefile


def _tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", *patterns], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    return [ROOT / line for line in out.splitlines() if line]


_LINK = re.compile(r"\]\(([^)\s]+)\)")
# prose naming a file of ours: "see docs/x.md", "in DESIGN.md", "at specs/README.md"
_MENTION = re.compile(
    r"\b(?:see|in|at|from)\s+`?((?:\.{0,2}/)?[\w.-]+(?:/[\w.-]+)*\.(?:md|yaml|yml|json|py|sql|toml))`?",
    re.I,
)
# names of files a user writes or has, not files of this repository
_OUTPUT_NAMES = re.compile(
    r"^(out|r|audit|fleet|previous|report|results|junit|bomb|spec|schema|schema-audit|pyproject)\."
)


def _resolves(base: Path, target: str) -> bool:
    target = target.split("#", 1)[0]
    if not target or re.match(r"^[a-z]+:", target):
        return True
    return (base / target).exists() or (ROOT / target).exists()


def test_every_markdown_link_and_file_mention_resolves_inside_the_repository() -> None:
    broken = []
    for path in _tracked("*.md", "*.yaml", "*.yml"):
        # fixtures are inputs; the reference review quotes another project's file names verbatim
        if any(part in str(path) for part in ("tests/fixtures", "tests/data", "docs/reference")):
            continue
        text = path.read_text()
        if path.suffix != ".md":  # YAML: only what its comments say
            lines = text.split("\n")
            text = "\n".join(ln.lstrip()[1:] if ln.lstrip().startswith("#") else "" for ln in lines)
        found = (
            [(m.start(), m.group(1)) for m in _LINK.finditer(text)] if path.suffix == ".md" else []
        )
        found += [(m.start(), m.group(1)) for m in _MENTION.finditer(text)]
        for offset, target in found:
            if not _OUTPUT_NAMES.match(target) and not _resolves(path.parent, target):
                line = text.count("\n", 0, offset) + 1
                broken.append(f"{path.relative_to(ROOT)}:{line}: {target}")
    assert broken == []


def test_help_texts_name_only_files_that_exist() -> None:
    help_text = run("audit", "-h").stdout
    for mention in re.findall(r"see ([\w./-]+\.\w+)", help_text):
        assert (ROOT / mention).exists(), mention
