"""Reports read by people are a target too (issue 21): the HTML page runs only its own script,
and the terminal shows names from a database or a spec as text, never as escape sequences."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from cli_runner import run_cli

from schema_audit.api import audit_model
from schema_audit.render import html
from schema_audit.sources.ddl import interpret
from schema_audit.spec.load import load_spec

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "reports" / "b03_forensic_report.html"


def _policy(page: str) -> dict[str, list[str]]:
    [content] = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in content.split(";")) if d}


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _page() -> str:
    """A report rendered now (the checked-in one would not show a change to the renderer)."""
    spec = load_spec(ROOT / "tests" / "data" / "hostile_spec.yaml")
    return html.render(audit_model(spec, interpret("CREATE TABLE t (id int);"), "sql"))


def test_the_html_policy_allows_only_its_own_script_and_style() -> None:
    page = _page()
    policy = _policy(page)
    assert policy["default-src"] == ["'none'"]  # nothing remote, of any kind
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(scripts) == 1 and len(styles) == 1  # the hostile names stayed text
    assert policy["script-src"] == [_sha(scripts[0])]  # no 'unsafe-inline': no onerror=…
    assert policy["style-src"] == [_sha(styles[0])]
    assert page.index("Content-Security-Policy") < page.index("<title>")  # before any data
    assert PAGE.read_text().count("Content-Security-Policy") == 1  # the checked-in report too


def _chromium() -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "headless Chromium is needed for this test: apt-get install chromium"
    return browser


def test_chromium_runs_the_report_script_but_nothing_injected(tmp_path: Path) -> None:
    """Defence in depth: were escaping ever to fail, an injected handler or script does not run
    and nothing is fetched, while the report's own filter script still does."""
    page = _page()
    injected = (
        '<img src="http://127.0.0.1:9/beacon.png" onerror="document.title=\'pwned-handler\'">'
        "<script>document.title='pwned-script'</script>"
        '<link rel="stylesheet" href="http://127.0.0.1:9/remote.css">'
    )
    hostile = tmp_path / "hostile.html"
    hostile.write_text(page.replace("<h1>", injected + "<h1>", 1))
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    dom = subprocess.run(
        [_chromium(), *flags, "--dump-dom", hostile.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "pwned" not in dom.stdout.split("</title>")[0], "an injected script ran"
    assert re.search(r'id="shown-count">\d+ of \d+ shown<', dom.stdout), "our script was blocked"
    assert "Content Security Policy" in dom.stderr  # the browser says what it refused


def test_terminal_output_shows_no_escape_sequences_or_forged_lines(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        'name: "\\e]0;owned\\a\\e[2Jspec"\n'
        "tables:\n"
        '  "evil\\e[32m":\n'
        "    columns:\n"
        '      "x\\nPASS           high     tables.fake: forged": {}\n'
        "questions:\n"
        '  - {id: "Q\\e[5m1", title: "t\\u202eitle", requirements: ["tables.*"]}\n'
    )
    (tmp_path / "schema.sql").write_text('CREATE TABLE "evil\x1b[32m" (id int);\n')
    env = {**os.environ, "NO_COLOR": "1", "SCHEMA_AUDIT_CACHE": "0"}
    for fmt in ("terminal", "github"):
        proc = run_cli(
            "audit",
            "-s",
            str(spec),
            "--sql",
            str(tmp_path / "schema.sql"),
            "-f",
            fmt,
            "--rules",
            "none",
            base_env=env,
            timeout=120,
        )
        assert proc.returncode == 1, proc.stderr
        for char in ("\x1b", "\x07", "\u202e"):
            assert char not in proc.stdout, (fmt, char)
        assert not any(line.startswith("PASS ") for line in proc.stdout.splitlines()), fmt
        assert "forged" in proc.stdout  # the name is shown, on its finding's own line
