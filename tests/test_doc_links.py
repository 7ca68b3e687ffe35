"""Every relative link in the docs resolves, and nothing points at a DESIGN.md outside the repo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted(
    [ROOT / "README.md", ROOT / "specs" / "README.md", *(ROOT / "docs").rglob("*.md")],
    key=str,
)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(ROOT)) for d in DOCS])
def test_relative_links_resolve(doc: Path) -> None:
    broken = [
        target
        for target in LINK.findall(doc.read_text())
        if "://" not in target and not (doc.parent / target).exists()
    ]
    assert broken == []


def test_the_design_document_is_in_the_repository() -> None:
    sources = [*DOCS, *(ROOT / "schema_audit").rglob("*.py")]
    stale = [str(p.relative_to(ROOT)) for p in sources if "DESIGN.md" in p.read_text()]
    assert stale == []
    assert (ROOT / "docs" / "design.md").exists() and (ROOT / "docs" / "architecture.md").exists()
