"""tools/protections.py stays runnable: every entry names code that is in its file, once.

A protection whose snippet no longer matches (code moved, a merge garbled the list) would be
reported by the tool as an error instead of CAUGHT/MISSED, and only when someone runs it; this
test notices at once, in every `make test`.
"""

from __future__ import annotations

import sys
from dataclasses import replace
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
    args = protections.pytest_args(protection)
    for before, selection in zip(["", *args], args, strict=False):
        if before == "-k":  # one expression, however many words
            continue
        # a word of a -k expression split off would be taken for a file: pytest stops with a
        # usage error, which the tool counted as CAUGHT before
        assert selection.startswith(("tests/", "-")), (protection.name, selection)
        if selection.startswith("tests/"):
            assert (ROOT / selection.split("::")[0]).exists(), selection


def test_a_protection_left_in_place_is_missed() -> None:
    """The tool's own check: with the protected code left as it is, the tests pass and the
    protection is MISSED (a ``-k 'a and b'`` selection split on spaces made pytest stop on a
    usage error, and every such protection was reported CAUGHT whatever its tests did)."""
    chosen = next(
        p for p in protections.PROTECTIONS if p.name == "exclusion-constraint-index-listed"
    )
    assert "-k '" in chosen.tests
    assert protections.check(replace(chosen, removed=chosen.code + "  # unchanged")) is False
