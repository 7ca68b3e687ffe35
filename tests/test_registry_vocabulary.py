"""Every registry refuses a group or severity that is not the tool's, at import time, in the
same words (one check in ``schema_audit/registry.py`` instead of a copy per registry)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from schema_audit.kinds import requirement_kind
from schema_audit.lint.rules import lint_rule
from schema_audit.probes.kinds import probe
from schema_audit.rules import rule

COMMON = {"id": "X1", "name": "x", "hint": "x"}
DECORATORS: list[tuple[str, Callable[..., Any], dict[str, Any]]] = [
    ("rule", rule, {}),
    ("lint rule", lint_rule, {"summary": "x"}),
    ("requirement kind", requirement_kind, {"title": "x", "spec": "x"}),
]


@pytest.mark.parametrize(("what", "decorator", "extra"), DECORATORS, ids=[d[0] for d in DECORATORS])
def test_an_unknown_group_is_an_import_time_error(what: str, decorator, extra) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=f"^{what} X1: unknown group 'nope'$"):
        decorator(**COMMON, **extra, group="nope", severity="high")


@pytest.mark.parametrize(
    ("decorator", "extra"),
    [
        (d, {**e, "group": g})
        for (_, d, e), g in zip(DECORATORS, ["security", "destructive", "tables"], strict=True)
    ]
    + [(probe, {"protects": "x"})],
)
def test_an_unknown_severity_is_an_import_time_error(decorator, extra) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="'hgh' is not a valid Severity"):
        decorator(**COMMON, **extra, severity="hgh")
