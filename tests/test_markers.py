"""`make test-fast` leaves out what needs a server, a browser or minutes (issue 12)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _collected(*args: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    return {line.strip() for line in out.stdout.splitlines() if "::" in line}


def test_the_fast_selection_skips_server_browser_and_slow_tests() -> None:
    files = ["tests/test_api.py", "tests/test_reports.py", "tests/test_fuzz_spec.py"]
    everything = _collected(*files)
    fast = _collected("-m", "not db and not browser and not slow", *files)
    db = "tests/test_api.py::test_replay_honours_inline_ignores_like_the_static_audit"
    browser = "tests/test_reports.py::test_html_report_renders_in_headless_chromium"
    pure = "tests/test_api.py::test_one_call_audits_b03_exactly_as_the_cli_does"
    assert {db, browser, pure} <= everything
    assert db not in fast and browser not in fast and pure in fast
    assert not any(t.startswith("tests/test_fuzz_spec.py") for t in fast)
    assert _collected("-m", "db", "tests/test_api.py") == {db}
