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
from typing import Any, Protocol

import yaml

Path_ = tuple[str | int, ...]
# libyaml's parser when PyYAML has it (about ten times faster on large specs); same nodes, same marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Mark:
    """A position in a spec file (1-based line and column, and the file when it is another one)."""

    line: int  # 1-based
    column: int  # 1-based
    file: str | None = None  # set when the value came from another file (extends:)


class SpecSyntaxError(Exception):
    """The file is not valid YAML; the message already names file:line:column."""


class Derived(Protocol):
    """Positions a reader did not put in ``Located.marks`` but keeps otherwise or works
    out when asked (spec.blockread: block keys and items in a list per collection, the
    keys and items inside one-line flow collections read again from their line)."""

    def find(self, path: Path_) -> Any:
        """The position of ``path`` (as stored in ``Located.marks``), or ``None``."""

    def every(self) -> dict[Path_, Any]:
        """Every position not in ``Located.marks``, in document order."""

    def entries(self, path: Path_) -> list[Any] | None:
        """The positions of the entries of the collection at ``path`` in its order, if kept
        so (else ``None``: ask :meth:`find`)."""


@dataclass(slots=True)
class Located:
    """A document plus a map from key path to its position in the file."""

    data: Any
    # Mark, PyYAML's own 0-based mark kept as it came, or pack_mark's int (converted only
    # when asked: a 170,000-requirement spec has half a million of them and few are read)
    marks: dict[Path_, Any]
    file: str
    # positions not in ``marks``, worked out when asked (a third of init's spec's positions
    # are inside flow collections, and only an error ever reads one)
    derived: Derived | None = None

    def position(self, path: Path_) -> Any:
        """The stored or derived position of exactly ``path`` (``None`` if it has none)."""
        raw = self.marks.get(path)
        if raw is None and self.derived is not None:
            raw = self.derived.find(path)
        return raw

    def all_marks(self) -> dict[Path_, Any]:
        """Every key's and item's position, in document order (for the spec cache and tests)."""
        if self.derived is None:
            return self.marks
        return {**self.marks, **self.derived.every()}

    def entries(self, path: Path_) -> list[Any] | None:
        """The positions of the entries of the collection at ``path``, in its order (keys
        of a mapping, items of a list), when the reader keeps them so; else ``None``
        (:meth:`position` answers for each entry). The builder reads one per requirement."""
        return None if self.derived is None else self.derived.entries(path)

    def mark(self, path: Path_) -> Mark:
        """The position of ``path``, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while probe:
            raw = self.position(probe)
            if raw is not None:
                return as_mark(raw)
            probe = probe[:-1]
        return as_mark(self.marks.get((), Mark(1, 1)))

    def where(self, path: Path_) -> str:
        raw = self.marks.get(path)
        if type(raw) is int:  # pack_mark's (0-based, no file)
            return f"{self.file}:{(raw >> 32) + 1}:{(raw & _COLUMN) + 1}"
        if raw is not None and not isinstance(raw, Mark):  # PyYAML's own (0-based, no file)
            return f"{self.file}:{raw.line + 1}:{raw.column + 1}"  # what as_mark would give
        m = self.mark(path)
        return f"{m.file or self.file}:{m.line}:{m.column}"


_COLUMN = (1 << 32) - 1


def pack_mark(line: int, column: int) -> int:
    """A 0-based line and column in one int: a position costs an int instead of an object
    (spec.blockread keeps a million of them for init's 5,000-table spec)."""
    return (line << 32) | column


def as_mark(raw: Any, file: str | None = None) -> Mark:
    """Our 1-based Mark from PyYAML's 0-based one, pack_mark's int (or a Mark already),
    with ``file`` if it has none."""
    if isinstance(raw, Mark):
        return raw if raw.file or not file else Mark(raw.line, raw.column, file)
    if type(raw) is int:
        return Mark((raw >> 32) + 1, (raw & _COLUMN) + 1, file)
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
VAR_ENV_PREFIX = "SCHEMA_AUDIT_VAR_"


def substitute(value: str, variables: dict[str, str | None], where: str) -> str:
    """``${NAME}`` / ``${NAME:-default}`` from declared variables only; anything else is an error.

    ``variables`` holds what the spec may use: its ``vars:`` (``None`` = declared without a
    default), ``SCHEMA_AUDIT_VAR_<NAME>`` and ``--var``. The rest of the environment is never
    read: in CI the spec comes from the pull request, and ``${PGPASSWORD}`` in a name would
    otherwise print the secret into every report.
    """

    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = variables.get(name)
        if value is not None:
            return value
        if default is not None:
            return default
        if name in variables:
            raise SpecSyntaxError(
                f"{where}: variable ${{{name}}} has no value: give --var {name}=… or set "
                f"{VAR_ENV_PREFIX}{name} (vars: declares it without a default)"
            )
        raise SpecSyntaxError(
            f"{where}: variable ${{{name}}} is not declared: declare it under vars:, give "
            f"--var {name}=… or set {VAR_ENV_PREFIX}{name} (no other environment variable is read)"
        )

    return _VARIABLE.sub(one, value)


# top-level keys whose values are taken literally: they decide what ${VAR} means and which
# files are read, so they are never themselves substituted
LITERAL_KEYS = ("vars", "extends")


def compose(text: str, file: str) -> yaml.Node | None:
    """The YAML node graph of ``text`` (aliases are shared nodes, not yet expanded)."""
    try:
        return yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecSyntaxError(f"{where}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise SpecSyntaxError(f"{file}: YAML error: {exc}") from None


def convert(
    node: yaml.Node | None, file: str, variables: dict[str, str | None] | None = None
) -> Located:
    """Plain Python with positions from a composed graph; ``${VAR}`` substituted when
    ``variables`` is given. Check the graph's size first (spec.limits): aliases expand here."""
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


def load_located(text: str, file: str, variables: dict[str, str | None] | None = None) -> Located:
    """Parse trusted YAML text into plain Python with positions; raise SpecSyntaxError."""
    return convert(compose(text, file), file, variables)


def read_text(path: Path, max_bytes: int | None = None) -> str:
    """A spec file's text, refusing one larger than ``max_bytes`` before reading it whole."""
    try:
        with path.open("rb") as handle:
            raw = _read_at_most(handle, max_bytes) if max_bytes is not None else handle.read()
        if max_bytes is not None and len(raw) > max_bytes:
            raise SpecSyntaxError(
                f"{path}: larger than {max_bytes:,} bytes (limit: SCHEMA_AUDIT_SPEC_MAX_BYTES)"
            )
        return raw.decode("utf-8")
    except FileNotFoundError:
        raise SpecSyntaxError(f"{path}: spec file not found") from None
    except UnicodeDecodeError as exc:
        raise SpecSyntaxError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    except OSError as exc:
        raise SpecSyntaxError(f"{path}: cannot read spec: {exc.strerror}") from None


def _read_at_most(handle: Any, max_bytes: int) -> bytes:
    """Up to ``max_bytes + 1`` bytes in chunks (a pipe or device has no size to check first)."""
    chunks: list[bytes] = []
    total = 0
    while total <= max_bytes:
        chunk = handle.read(min(1 << 20, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def load_file(path: Path, variables: dict[str, str | None] | None = None) -> Located:
    return load_located(read_text(path), str(path), variables)


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


_MERGE = "tag:yaml.org,2002:merge"


def flatten_merges(ctor: yaml.SafeLoader, node: yaml.MappingNode) -> None:
    """Resolve merge keys (``<<: *anchor``) in place, the mapping's own keys winning.

    PyYAML puts the merged pairs before the mapping's own and lets the last of a repeated
    key win; a merged key that the mapping sets again is dropped here, so only a key
    written twice by hand is a duplicate.
    """
    own = [pair for pair in node.value if pair[0].tag != _MERGE]
    if len(own) == len(node.value):
        return
    ctor.flatten_mapping(node)
    merged = node.value[: len(node.value) - len(own)]
    written = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
    kept: dict[Any, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in merged:
        name = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
        if name not in written:
            kept.pop(name, None)
            kept[name] = (key_node, value_node)
    node.value = [*kept.values(), *own]


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def _convert(
    node: yaml.Node,
    path: Path_,
    marks: dict[Path_, Mark],
    ctor: yaml.SafeLoader,
    file: str,
    variables: dict[str, str | None] | None = None,
) -> Any:
    if isinstance(node, yaml.MappingNode):
        flatten_merges(ctor, node)  # resolves YAML merge keys (<<: *anchor)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
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
            if key in out:  # merged keys a mapping overrides are gone (flatten_merges)
                m = _mark(key_node)
                raise SpecSyntaxError(
                    f"{file}:{m.line}:{m.column}: duplicate key {format_path(child)!r}"
                )
            marks[child] = key_node.start_mark
            literal = not path and key in LITERAL_KEYS
            out[key] = _convert(
                value_node, child, marks, ctor, file, None if literal else variables
            )
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = (*path, index)
            marks[child] = item.start_mark
            items.append(_convert(item, child, marks, ctor, file, variables))
        return items
    try:
        value = _scalar(node, ctor)
    except ValueError as exc:  # '2025-13-01' resolves as a timestamp that is no date
        m = _mark(node)
        raise SpecSyntaxError(
            f"{file}:{m.line}:{m.column}: {format_path(path)}: YAML error: {exc} ({node.value!r})"
        ) from None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str) and "${" in value and variables is not None:
        m = _mark(node)
        return substitute(value, variables, f"{file}:{m.line}:{m.column}")
    return value
