"""Enum members named where a check runs once per requirement (issue 19).

On Python 3.11 ``EnumType`` has a ``__getattr__``, so reading ``Status.PASS`` calls
``type.__getattribute__`` as a Python-level method (~0.25 µs, about 1,800 instructions)
where a module's name costs a dictionary probe; every PASS finding of init's spec named
it once or twice (judging init's 1,000-table spec: 106 M instructions). The checks use
``schema_audit.enums.PASS``, the same member.
"""

from __future__ import annotations

import re
from pathlib import Path

from schema_audit import enums
from schema_audit.enums import Status

KINDS = Path(enums.__file__).parent / "kinds"


def test_pass_is_the_member_itself() -> None:
    assert enums.PASS is Status.PASS
    assert enums.PASS == "PASS" and isinstance(enums.PASS, Status)


def test_the_checks_name_pass_by_the_module_constant() -> None:
    """No requirement kind reads ``Status.PASS`` from the enum class (each did, per PASS)."""
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(KINDS.glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bStatus\.PASS\b", line)
    ]
    assert offenders == []
