"""YAML to plain Python, remembering where every value came from.

PyYAML's constructed objects forget their positions, and a spec typo must be
reported as ``file:line:column`` with its key path. So we compose the node
graph ourselves and record, for each key path, the mark of the key (for
mappings) or of the item (for sequences).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]
# libyaml's parser when PyYAML has it (about ten times faster on large specs); same nodes, same marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based
    file: str | None = None  # set when the value came from another file (extends:)


class SpecSyntaxError(Exception):
    """The file is not valid YAML; the message already names file:line:column."""


@dataclass(slots=True)
class Located:
    """A document plus a map from key path to its position in the file."""

    data: Any
    # Mark, or PyYAML's own 0-based mark kept as it came (converted only when asked: a
    # 170,000-requirement spec has half a million of them and few are ever read)
    marks: dict[Path_, Any]
    file: str

    def mark(self, path: Path_) -> Mark:
        """The position of ``path``, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while probe:
            if probe in self.marks:
                return as_mark(self.marks[probe])
            probe = probe[:-1]
        return as_mark(self.marks.get((), Mark(1, 1)))

    def where(self, path: Path_) -> str:
        m = self.mark(path)
        return f"{m.file or self.file}:{m.line}:{m.column}"


def as_mark(raw: Any, file: str | None = None) -> Mark:
    """Our 1-based Mark from PyYAML's 0-based one (or a Mark already), with ``file`` if it has none."""
    if isinstance(raw, Mark):
        return raw if raw.file or not file else Mark(raw.line, raw.column, file)
    return Mark(raw.line + 1, raw.column + 1, file)


def format_path(path: Path_) -> str:
    """``tables.tenants.columns[2].type`` style, the way users read their YAML."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(document root)"


_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def substitute(value: str, variables: dict[str, str], where: str) -> str:
    """``${NAME}`` / ``${NAME:-default}`` from ``--var`` or the environment; a missing one is an error."""

    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in variables:
            return variables[name]
        if default is not None:
            return default
        raise SpecSyntaxError(
            f"{where}: variable ${{{name}}} is not set (give --var {name}=… or set it in the environment)"
        )

    return _VARIABLE.sub(one, value)


def load_located(text: str, file: str, variables: dict[str, str] | None = None) -> Located:
    """Parse YAML text into plain Python with positions; raise SpecSyntaxError."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecSyntaxError(f"{where}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise SpecSyntaxError(f"{file}: YAML error: {exc}") from None
    marks: dict[Path_, Any] = {}
    if node is None:
        return Located({}, marks, file)
    marks[()] = _mark(node)
    constructor = yaml.SafeLoader("")
    try:
        data = _convert(node, (), marks, constructor, file, variables)
    except (
        yaml.MarkedYAMLError
    ) as exc:  # unknown tags, bad merge keys: errors found while constructing
        mark = exc.problem_mark or exc.context_mark
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
        raise SpecSyntaxError(f"{where}: YAML error: {exc.problem or exc.context}") from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:  # e.g. an unhashable mapping key
        raise SpecSyntaxError(f"{file}: YAML error: {exc}") from None
    return Located(data, marks, file)


def load_file(path: Path, variables: dict[str, str] | None = None) -> Located:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecSyntaxError(f"{path}: spec file not found") from None
    except UnicodeDecodeError as exc:
        raise SpecSyntaxError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    except OSError as exc:
        raise SpecSyntaxError(f"{path}: cannot read spec: {exc.strerror}") from None
    return load_located(text, str(path), variables)


_STR, _NULL, _BOOL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"


def _scalar(node: yaml.Node, ctor: yaml.SafeLoader) -> Any:
    """Strings, nulls and booleans directly (most of a spec); anything else through PyYAML's constructor."""
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return node.value.lower() in ("yes", "true", "on", "y")
    return ctor.construct_object(node, deep=True)


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def _convert(
    node: yaml.Node,
    path: Path_,
    marks: dict[Path_, Mark],
    ctor: yaml.SafeLoader,
    file: str,
    variables: dict[str, str] | None = None,
) -> Any:
    if isinstance(node, yaml.MappingNode):
        # YAML merge keys (<<: *anchor): flatten_mapping puts the merged pairs first; a key
        # written in the mapping itself overrides a merged one, as YAML defines, while a key
        # written twice in the mapping is still an error.
        own = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
        ctor.flatten_mapping(node)
        merged_pairs = len(node.value) - own
        written: set[str] = set()
        out: dict[str, Any] = {}
        for index, (key_node, value_node) in enumerate(node.value):
            key = (
                _scalar(key_node, ctor)
                if isinstance(key_node, yaml.ScalarNode)
                else ctor.construct_object(key_node)
            )
            if not isinstance(key, str):
                key = str(key)
            if (
                "${" in key and variables is not None
            ):  # schema names in table keys: ${APP_SCHEMA}.tenants
                km = _mark(key_node)
                key = substitute(key, variables, f"{file}:{km.line}:{km.column}")
            child = (*path, key)
            if key in written:
                m = _mark(key_node)
                raise SpecSyntaxError(
                    f"{file}:{m.line}:{m.column}: duplicate key {format_path(child)!r}"
                )
            if index >= merged_pairs:
                written.add(key)
            marks[child] = key_node.start_mark
            out[key] = _convert(value_node, child, marks, ctor, file, variables)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = (*path, index)
            marks[child] = item.start_mark
            items.append(_convert(item, child, marks, ctor, file, variables))
        return items
    value = _scalar(node, ctor)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str) and "${" in value and variables is not None:
        m = _mark(node)
        return substitute(value, variables, f"{file}:{m.line}:{m.column}")
    return value
