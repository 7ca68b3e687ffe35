"""Option values with no meaning are usage errors: exit 2, nothing written, no traceback.

Each of these was accepted silently: ``inspect -f xml`` wrote JSON, ``diff -f github`` and
``lint-migrations -f gitlab`` wrote the terminal text, ``inspect --indent -1`` indented,
``--output-dir ''`` wrote every report into the current directory, ``--schema ''`` and
``--search-path ','`` were dropped, negative timeouts were passed on, ``--keep-scratch``
without ``--replay`` kept nothing, ``init --expires-in 99999999`` was an internal error.
Every command is run from an empty directory so that anything it writes shows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import ROOT, run_cli

SPEC = str(ROOT / "specs" / "backend_guide_b03.yaml")
HISTORY = str(ROOT / "tests" / "fixtures" / "b03_alembic")
DUMP = str(ROOT / "tests" / "fixtures" / "rich_schema.sql")

REFUSED: list[tuple[list[str], str]] = [
    # formats a command does not write
    (["inspect", "--sql", DUMP, "-f", "xml"], "--format"),
    (["diff", DUMP, DUMP, "-f", "github"], "--format"),
    (["diff", DUMP, DUMP, "-f", "gitlab"], "--format"),
    (["lint-migrations", HISTORY, "-f", "gitlab"], "--format"),
    (["audit", "-s", SPEC, "--targets", "fleet.yaml", "-f", "gitlab"], "not gitlab"),
    # negative counts, indents and timeouts
    (["inspect", "--sql", DUMP, "--indent", "-1"], "--indent"),
    (["audit", "-s", SPEC, "-m", HISTORY, "--statement-timeout", "-1"], "--statement-timeout"),
    (["audit", "-s", SPEC, "-m", HISTORY, "--lock-timeout", "-5"], "--lock-timeout"),
    (["audit", "-s", SPEC, "--targets", "fleet.yaml", "--target-timeout", "0"], "--target-timeout"),
    (
        ["audit", "-s", SPEC, "--targets", "fleet.yaml", "--target-timeout", "-5"],
        "--target-timeout",
    ),
    (
        ["audit", "-s", SPEC, "--targets", "fleet.yaml", "--target-timeout", "nan"],
        "--target-timeout",
    ),
    (
        ["audit", "-s", SPEC, "--targets", "fleet.yaml", "--target-timeout", "inf"],
        "--target-timeout",
    ),
    # empty strings where a name is needed
    (["inspect", "--sql", DUMP, "--schema", ""], "--schema"),
    (["inspect", "--sql", DUMP, "--search-path", ""], "--search-path"),
    (["inspect", "--sql", DUMP, "--search-path", ","], "--search-path"),
    (["inspect", "--sql", DUMP, "--search-path", "storage,,public"], "--search-path"),
    (["inspect", "--sql", DUMP, "--dsn", ""], "--dsn"),
    (["inspect", "--sql", DUMP, "-o", ""], "--output"),
    (["diff", "", DUMP], "LEFT"),
    (["lint-migrations", HISTORY, "--allow", ""], "--allow"),
    (["audit", "-s", SPEC, "-m", HISTORY, "--output-dir", ""], "--output-dir"),
    (["audit", "-s", SPEC, "-m", HISTORY, "--rules", ""], "--rules"),
    (["audit", "-s", SPEC, "-m", HISTORY, "--replay", "--scratch-dsn", ""], "--scratch-dsn"),
    (["init", "-m", HISTORY, "-o", "spec.yaml", "--only", ","], "--only"),
    (["init", "-m", HISTORY, "-o", "spec.yaml", "--tables", ""], "--tables"),
    (["init", "-m", HISTORY, "-o", "spec.yaml", "--name", ""], "--name"),
    (["init", "-m", HISTORY, "-o", "spec.yaml", "--tenant-column", ""], "--tenant-column"),
    (["validate-spec", ""], "SPEC"),
    # values no date can hold
    (["init", "-m", HISTORY, "-o", "spec.yaml", "--expires-in", "99999999"], "--expires-in"),
    # options that do nothing without another: typed on the command line, a mistake
    (["audit", "-s", SPEC, "-m", HISTORY, "--keep-scratch"], "only applies with --replay"),
    (
        ["audit", "-s", SPEC, "-m", HISTORY, "--scratch-dsn", "host=/x"],
        "only applies with --replay",
    ),
    (["audit", "-s", SPEC, "-m", HISTORY, "--replay-setup", SPEC], "only applies with --replay"),
    (["audit", "-s", SPEC, "-m", HISTORY, "--target-timeout", "5"], "only applies with --targets"),
]


@pytest.mark.parametrize(("args", "named"), REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_a_meaningless_option_value_is_a_usage_error(
    args: list[str], named: str, tmp_path: Path
) -> None:
    (tmp_path / "fleet.yaml").write_text("targets:\n  - {name: a, dsn: 'host=/nonexistent'}\n")
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert named in proc.stderr, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet.yaml"]  # nothing written
    if proc.stderr.startswith("schema-audit: "):  # our own check: one line
        assert proc.stderr.count("\n") == 1, proc.stderr


def test_meaningful_values_beside_them_still_work(tmp_path: Path) -> None:
    """The edges that mean something: indent 0, the formats each command writes, a search_path."""
    compact = run_cli("inspect", "--sql", DUMP, "--indent", "0", "--search-path", "public")
    assert compact.returncode == 0, compact.stderr
    assert compact.stdout.startswith("{\n")
    assert run_cli("inspect", "--sql", DUMP, "-f", "json").returncode == 0
    same = run_cli("diff", DUMP, DUMP, "-f", "json")
    assert same.returncode == 0 and '"differences": []' in same.stdout
    assert run_cli("lint-migrations", HISTORY, "-f", "github").returncode == 0


def test_replay_keys_in_the_configuration_are_defaults_not_requests(tmp_path: Path) -> None:
    """``scratch-dsn`` in schema-audit.toml serves the runs with --replay; a run without it is
    no mistake (only the same option typed on the command line is)."""
    (tmp_path / "schema-audit.toml").write_text('scratch-dsn = "host=/nonexistent"\n')
    proc = run_cli("audit", "-s", SPEC, "-m", HISTORY, "-q", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr  # B0.3 fails its spec: the audit ran
    assert "only applies" not in proc.stderr


def test_shell_completion_after_an_empty_value_still_completes() -> None:
    """Completion parses the line typed so far leniently: an empty value typed earlier is not
    the user's request yet (it printed the usage error and an internal error instead)."""
    import os
    import subprocess
    import sys

    script = Path(sys.executable).parent / "schema-audit"
    if not script.exists():
        pytest.skip("the console script is not installed in this environment")
    proc = subprocess.run(
        [str(script)],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "_SCHEMA_AUDIT_COMPLETE": "complete_bash",
            "COMP_WORDS": "schema-audit inspect --schema '' --ind",
            "COMP_CWORD": "4",
        },
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["--indent"]
