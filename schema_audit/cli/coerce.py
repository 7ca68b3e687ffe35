"""Option values converted without pydantic where the answer is plain (issue 19: B0.3 cold start).

Typer (0.2x) converts every option value, defaults included, through a pydantic
``TypeAdapter`` it builds per option on first use: for ``audit`` that is 34 adapters and
the import of pydantic, about 0.1 CPU s of a 1 s static audit, spent turning ``"x.yaml"``
into ``Path("x.yaml")`` and ``30000`` into ``30000``.

:func:`install` puts a :class:`PlainFirst` in front of each option's converter: it
answers the cases whose result is certain (no value, a ``str`` for ``str``, an ``int`` in
range for ``int``, a member of the choices, a path that typer's own path check accepts,
lists of those) and hands everything else — every value it is unsure of and every value
that is an error — to typer's own pydantic converter, built only then. So the results
are the ones typer gives and every error message is typer's own, word for word.
``tests/test_cli_coerce.py`` checks the plain answers against typer's for each kind.

Typer's converter is private API; on a typer without it (``_runtime_param``) nothing is
installed and typer converts as before.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

_UNSURE = object()
_MAX_DIGITS = 18  # int("…") of up to 18 ASCII digits is what pydantic's int parsing gives


class PlainFirst:
    """An option's converter: the plain cases here, the rest through typer's own."""

    def __init__(self, param: Any) -> None:
        self._param = param
        self._typer: Any = None

    def typer_converter(self) -> Any:
        """Typer's own converter for this option (pydantic is imported when it is built)."""
        if self._typer is None:
            from typer._coercion import build_runtime_param

            self._typer = build_runtime_param(self._param.type_descriptor)
        return self._typer

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        """The converted value: typer's ``RuntimeParam.coerce`` contract."""
        multiple = param.multiple or param.nargs == -1
        if value is None:
            return () if multiple else None
        plain = _UNSURE
        if multiple:
            if isinstance(value, (list, tuple)):
                plain = self._plain_list(value, ctx)
        else:
            plain = self._plain(self._param.type_descriptor.annotation, value, ctx)
        if plain is _UNSURE:
            return self.typer_converter().coerce(value, param=param, ctx=ctx)
        return plain

    def _plain_list(self, values: list[Any] | tuple[Any, ...], ctx: Any) -> Any:
        annotation = self._param.type_descriptor.annotation
        if get_origin(annotation) is not list:
            return _UNSURE
        (item,) = get_args(annotation)
        converted = []
        for value in values:
            one = self._plain(item, value, ctx)
            if one is _UNSURE:
                return _UNSURE
            converted.append(one)
        return converted

    def _plain(self, annotation: Any, value: Any, ctx: Any) -> Any:
        """The value typer would give for ``value`` under ``annotation``, or ``_UNSURE``."""
        info = self._param.type_descriptor.parameter_info
        if info.parser is not None:
            return _UNSURE
        if annotation is str:
            return value if type(value) is str else _UNSURE
        if annotation is int:
            return _plain_int(value, info)
        if annotation is float:
            return value if type(value) is float else _UNSURE
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            return _plain_choice(value, tuple(annotation), info.case_sensitive, ctx)
        if annotation is Path and info.path_type is None:
            return self._plain_path(value, info, ctx)
        return _UNSURE

    def _plain_path(self, value: Any, info: Any, ctx: Any) -> Any:
        """``Path(value)`` when typer's own path checks (exists, readable …) accept it."""
        if type(value) is not str and not isinstance(value, Path):
            return _UNSURE
        from typer._click.exceptions import BadParameter
        from typer._param_types import coerce_cli_path

        try:
            return coerce_cli_path(Path(value), info, path_type=Path, param=self._param, ctx=ctx)
        except BadParameter:  # typer words the error from the value as given: its converter
            return _UNSURE


def _plain_int(value: Any, info: Any) -> Any:
    if info.clamp:
        return _UNSURE
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS:
        value = int(value)
    if type(value) is not int:
        return _UNSURE
    if (info.min is not None and value < info.min) or (info.max is not None and value > info.max):
        return _UNSURE
    return value


def _plain_choice(value: Any, choices: tuple[Any, ...], case_sensitive: bool, ctx: Any) -> Any:
    if type(value) is not str and not any(value is choice for choice in choices):
        return _UNSURE
    from typer._param_types import coerce_cli_choice

    try:
        return coerce_cli_choice(value, choices=choices, case_sensitive=case_sensitive, ctx=ctx)
    except ValueError:
        return _UNSURE


#: typer's private modules the plain converter calls into. ``pyproject.toml`` allows any
#: typer from 0.12 on: one that keeps ``_runtime_param`` but moves one of these would make
#: every command fail with ImportError, so they are looked up before anything is installed.
_TYPER_PRIVATE = ("typer._coercion", "typer._click.exceptions", "typer._param_types")


def _typer_private_api_present() -> bool:
    """Whether every private typer module :class:`PlainFirst` uses can be found (not run)."""
    from importlib.util import find_spec

    try:
        return all(find_spec(name) is not None for name in _TYPER_PRIVATE)
    except (ImportError, ValueError):
        return False


def install(params: list[Any]) -> None:
    """Put a :class:`PlainFirst` converter on each of a command's ``params`` typer converts.

    Nothing is installed when typer lacks a private module the converter needs: typer then
    converts every value itself, as it did before this module existed.
    """
    if not _typer_private_api_present():
        return
    for param in params:
        if getattr(param, "_runtime_param", _UNSURE) is None and hasattr(param, "type_descriptor"):
            param._runtime_param = PlainFirst(param)
