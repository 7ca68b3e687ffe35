"""tools/protections.py stays runnable: every entry names code that is in its file, once.

A protection whose snippet no longer matches (code moved, a merge garbled the list) would be
reported by the tool as an error instead of CAUGHT/MISSED, and only when someone runs it; this
test notices at once, in every `make test`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import protections  # noqa: E402


def test_the_list_has_unique_names() -> None:
    names = [p.name for p in protections.PROTECTIONS]
    assert len(names) == len(set(names)) and len(names) >= 30


@pytest.mark.parametrize("protection", protections.PROTECTIONS, ids=lambda p: p.name)
def test_each_protection_names_code_that_exists_once(protection: protections.Protection) -> None:
    text = (ROOT / protection.file).read_text()
    assert text.count(protection.code) == 1, (protection.file, protection.code)
    assert protection.removed != protection.code
    for selection in protection.tests.split():
        if selection.startswith("tests/"):
            assert (ROOT / selection.split("::")[0]).exists(), selection
