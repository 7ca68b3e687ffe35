"""Option values converted without pydantic give what typer's own converter gives (issue 19).

``schema_audit.cli.coerce`` answers the plain cases of typer's option conversion itself so
that a run does not import pydantic. Each value here goes through both converters of the
same option, the plain-first one and typer's pydantic one, and must come out the same:
the same value of the same type, or the same error with the same message. Values come
from the command line (strings), from defaults and from schema-audit.toml (ints, lists).
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from typer._coercion import build_runtime_param

from schema_audit.cli import coerce
from schema_audit.cli.commands import COMMANDS, load_command

VALUES: list[Any] = [
    None,
    "",
    "x",
    "a//b/",
    " x ",
    "x\udcff",
    "~/x",
    "specs/backend_guide_b03.yaml",
    "/nonexistent/file",
    "0",
    "05",
    "1_000",
    "+5",
    "-1",
    " 7 ",
    "٣",
    "99999999999999999999999",
    "1.5",
    "1e3",
    "nan",
    "terminal",
    "JSON",
    "json",
    "High",
    "low",
    "passes",
    "yes",
    "true",
    0,
    1,
    -1,
    10,
    30000,
    2**70,
    1.5,
    300.0,
    True,
    False,
    Path("x"),
    ["a", "b"],
    ("a", "b"),
    ("1", "2"),
    (),
    [],
    [1, 2],
]


def _outcome(converter: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    try:
        result = converter.coerce(value, param=param, ctx=ctx)
    except Exception as exc:  # the error typer reports is part of the outcome
        return "error", (type(exc).__name__, getattr(exc, "message", str(exc)))
    items = result if isinstance(result, (list, tuple)) else [result]
    return "value", (type(result).__name__, repr(result), [type(item) for item in items])


def _options(name: str) -> list[Any]:
    command = load_command(name)
    ctx = command.context_class(command)
    return [(ctx, param) for param in command.get_params(ctx) if hasattr(param, "type_descriptor")]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_plain_conversion_is_typers_own(name: str) -> None:
    compared = 0
    for ctx, param in _options(name):
        for value in [
            *VALUES,
            *(list(param.type_descriptor.annotation) if _is_enum(param) else []),
        ]:
            ours = _outcome(coerce.PlainFirst(param), value, param, ctx)
            typers = _outcome(build_runtime_param(param.type_descriptor), value, param, ctx)
            assert ours == typers, (param.name, value)
            compared += 1
    assert compared > 0


def _is_enum(param: Any) -> bool:
    annotation = param.type_descriptor.annotation
    return isinstance(annotation, type) and issubclass(annotation, Enum)


def test_the_plain_cases_need_no_typer_converter() -> None:
    """The values a B0.3 audit converts (paths, defaults, choices) never build typer's converter."""
    options = {param.name: (ctx, param) for ctx, param in _options("audit")}
    cases = {
        "spec": "specs/backend_guide_b03.yaml",
        "migrations": "tests/fixtures/b03_alembic",
        "fmt": "json",
        "top": "5",
        "statement_timeout": 30000,
        "target_timeout": 300.0,
        "var": ("A=1",),
        "spec_allow": ("/tmp",),
        "dsn": None,
    }
    for name, value in cases.items():
        ctx, param = options[name]
        converter = coerce.PlainFirst(param)
        converter.coerce(value, param, ctx)
        assert converter._typer is None, name
    ctx, param = options["top"]
    converter = coerce.PlainFirst(param)
    with pytest.raises(Exception, match="greater than or equal to 0"):
        converter.coerce("-1", param, ctx)  # an error: typer's converter words it
    assert converter._typer is not None


@pytest.mark.parametrize("missing", coerce._TYPER_PRIVATE)
def test_a_typer_without_the_private_modules_converts_everything_itself(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    """A typer that moved a private module gets no plain converter (no ImportError later)."""
    params = [param for _, param in _options("audit")]
    for param in params:
        monkeypatch.setattr(param, "_runtime_param", None)
    monkeypatch.setitem(sys.modules, missing, None)  # find_spec answers None: "not there"
    coerce.install(params)
    assert all(param._runtime_param is None for param in params)
    monkeypatch.delitem(sys.modules, missing)
    coerce.install(params)
    assert all(isinstance(param._runtime_param, coerce.PlainFirst) for param in params)
