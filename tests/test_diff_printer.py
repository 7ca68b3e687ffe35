"""One printer for "property differs" details (issue 12): every kind words a difference the
same way, and a new kind cannot bring its own copy of the wording."""

from __future__ import annotations

import re
from pathlib import Path

from schema_audit.audit.findings import Diff, describe_diffs, show

ROOT = Path(__file__).resolve().parents[1]


def test_differences_are_worded_actual_first_then_expected() -> None:
    diffs = [Diff("nullable", False, True), Diff("on_delete", "CASCADE", "RESTRICT")]
    assert describe_diffs(diffs) == (
        "nullable is True, expected False; on_delete is RESTRICT, expected CASCADE"
    )
    assert describe_diffs([Diff("include", ["a"], ["a", "b"])], show) == (
        f"include is {show(['a', 'b'])}, expected {show(['a'])}"
    )


def test_no_module_words_a_difference_itself() -> None:
    copy = re.compile(r"\{d\.property\} is \{")
    owners = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "schema_audit").rglob("*.py")
        if copy.search(path.read_text(encoding="utf-8"))
    ]
    assert owners == ["schema_audit/audit/findings.py"]
