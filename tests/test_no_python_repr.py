"""No Python ``repr`` reaches a user: every output format of the B0.3 and hostile-name audits
is scanned for ``None``, ``True``/``False``, and list, tuple or dict reprs.

SQL and JSON spell their literals otherwise (``NULL``, ``TRUE``/``true``, ``ARRAY['a']``,
``null``), so a hit is a value printed with ``str()`` instead of as SQL or prose.
"""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from test_hostile_names import SCRIPT

from schema_audit.api import audit_model
from schema_audit.demo import static_audit
from schema_audit.render import github, html, json_report, junit, markdown, sarif, terminal
from schema_audit.sources import live
from schema_audit.spec.load import load_spec

REPRS = [
    (re.compile(r"\bNone\b"), "None"),
    (re.compile(r"\b(True|False)\b"), "True/False"),
    (re.compile(r"(?<![A-Za-z])\[\s*(?:'|\(|None\b|True\b|False\b)"), "list repr"),
    (re.compile(r"\(\(\s*'|\(\s*'[^']*',\s*\)"), "tuple repr"),
    (re.compile(r"\{\s*'[^']*'\s*:"), "dict repr"),
]


def _outputs(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    buffer = io.StringIO()
    terminal.render(result, Console(file=buffer, width=200, color_system=None), verbose=True)
    return {
        "terminal": buffer.getvalue(),
        "json": json_report.render(result),
        "markdown": markdown.render(result, date="2026-01-01"),
        "html": html.render(result, date="2026-01-01"),
        "junit": junit.render(result),
        "sarif": sarif.render(result),
        "github": github.render(result),
    }


def _reprs(text: str) -> list[str]:
    hits = []
    for line in text.splitlines():
        for pattern, what in REPRS:
            if pattern.search(line):
                hits.append(f"{what}: {line.strip()[:200]}")
    return hits


@pytest.fixture(scope="module")
def b03_outputs() -> dict[str, str]:
    return _outputs(static_audit())


@pytest.mark.parametrize(
    "fmt", ["terminal", "json", "markdown", "html", "junit", "sarif", "github"]
)
def test_b03_audit_prints_no_python_repr(b03_outputs: dict[str, str], fmt: str) -> None:
    assert _reprs(b03_outputs[fmt]) == []


def test_hostile_name_audit_prints_no_python_repr(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("repr", SCRIPT)
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        'name: hostile\ntables:\n  "order":\n    comment: expected comment\n    columns:\n'
        '      "naïve café": {type: integer, nullable: false, default: 1}\n'
        '      "missing | col": {}\n'
        "    indexes:\n      - name: idx | pipe\n        columns: [select, dot.ted]\n"
        "        include: [naïve café]\n"
        '  "Sales Data.order":\n    primary_key: [user]\n    columns:\n'
        "      user: {type: text, unique: true}\n"
    )
    result = audit_model(load_spec(spec), live.introspect(dsn), "live", dsn, rules="all")
    outputs = _outputs(result)
    assert any(f.status == "FAIL" for f in result.findings)
    hits = {fmt: _reprs(text) for fmt, text in outputs.items()}
    assert hits == {fmt: [] for fmt in outputs}
