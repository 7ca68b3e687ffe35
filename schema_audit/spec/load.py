"""Load a spec YAML: parse with positions, validate, flatten into requirements.

Every problem is a :class:`SpecError` whose lines each read
``file:line:column: key.path: what is wrong (did you mean 'x'?)`` so the CLI
can print them and exit 2 without a traceback.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from schema_audit import cache
from schema_audit.errors import SchemaAuditError
from schema_audit.gcpause import collector_paused
from schema_audit.spec import compose
from schema_audit.spec.blockread import read_block
from schema_audit.spec.limits import SpecLimits, check_graph, env_name
from schema_audit.spec.model import (
    Category,
    ExitGate,
    Question,
    Requirement,
    Selector,
    Spec,
    Waiver,
    match_ids,
    place_text,
)
from schema_audit.spec.plainload import load_plain
from schema_audit.spec.schema import SPEC_SCHEMA
from schema_audit.spec.validator import compile_schema
from schema_audit.spec.yamlpos import (
    VAR_ENV_PREFIX,
    Located,
    Mark,
    Path_,
    SpecSyntaxError,
    as_mark,
    convert,
    format_path,
    read_text,
)
from schema_audit.spec.yamlpos import compose as compose_yaml

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

    from schema_audit.spec.ahead import Ahead

MAX_REPORTED_ERRORS = 20
# the keys of a requirement's props that set its own id, severity, category, impact,
# description or questions (most of init's have none: their requirements take the defaults)
_OWN_KEYS = frozenset({"id", "severity", "category", "impact", "description", "questions"})


class SpecError(SchemaAuditError):
    """The spec cannot be used. ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(*problems)


def load_spec(
    path: str | Path,
    variables: dict[str, str] | None = None,
    *,
    allowed_roots: Sequence[str | Path] = (),
    environ: Mapping[str, str] | None = None,
    ahead: Ahead | None = None,
) -> Spec:
    """Load, compose (``extends:``), substitute ``${VAR}`` and validate a spec; SpecError on any problem.

    The spec may come from a pull request, so it is treated as hostile: its size, nesting
    and alias expansion are bounded (spec.limits), ``extends:`` stays inside the spec's
    directory (or ``allowed_roots``), and ``${VAR}`` resolves only the spec's ``vars:``,
    ``SCHEMA_AUDIT_VAR_<NAME>`` and ``variables`` (``--var``), never the rest of the
    environment.

    ``ahead``: the document read and checked by a child meanwhile (``spec.ahead``), taken
    when it read these very bytes; ended here either way.
    """
    # composing allocates a million objects that all stay alive until the spec is built: the
    # collector's repeated walks of them were 60% of the load (3.2 s of CPU against 1.3 s)
    try:
        with collector_paused():
            return _load_spec(Path(path), variables, allowed_roots, environ, ahead)
    finally:
        if ahead is not None:
            ahead.end()


def _load_spec(
    path: Path,
    variables: dict[str, str] | None,
    allowed_roots: Sequence[str | Path],
    environ: Mapping[str, str] | None,
    ahead: Ahead | None = None,
) -> Spec:
    env = os.environ if environ is None else environ
    try:
        limits = SpecLimits.from_env(env)
        confinement = _Confinement(path, allowed_roots)
        confinement.check_spec(path)
        text = read_text(path, limits.max_bytes)
    except SpecSyntaxError as exc:
        raise SpecError([str(exc)]) from None
    raw = text.encode("utf-8")
    # block YAML as init writes it is read line by line faster than its cached document loads
    # (init's 1,000-table spec: 0.54 s to the spec loaded, 1.04-1.11 s from the cache's 11.6 MB
    # of JSON with a position per key): the cache serves the slower readings only
    taken = ahead.located(path, text, raw, limits) if ahead is not None else None
    if taken is not None:
        located, digest = taken  # read and checked by the child (spec.ahead), as below
        return _build(located, str(path), digest.hexdigest())
    block = read_block(text, str(path), limits.max_nodes, limits.max_depth)
    if block is not None:
        validate(block)
        return _build(block, str(path), hashlib.sha256(raw).hexdigest())
    cache_key = _cache_key(path, raw, limits)
    cached = _cached_document(path, cache_key) if cache_key else None
    if cached is not None:
        return _build(*cached)
    plain = load_plain(text, str(path), limits.max_nodes, limits.max_depth)
    if plain is not None:
        located, digest = plain, hashlib.sha256(raw)
    else:
        located, digest = _composed(path, text, limits, confinement, env, variables)
    validate(located)
    if cache_key:
        _remember_document(cache_key, located, digest.hexdigest())
    return _build(located, str(path), digest.hexdigest())


def _plain(text: str, file: str, limits: SpecLimits) -> Located | None:
    """A plain document (almost every spec) read without building its node graph: line by
    line when it is block YAML as init writes it (spec.blockread), else from libyaml's
    events (spec.plainload); None: anything else, or any problem (the composing path)."""
    located = read_block(text, file, limits.max_nodes, limits.max_depth)
    if located is None:
        located = load_plain(text, file, limits.max_nodes, limits.max_depth)
    return located


def document(path: Path, limits: SpecLimits) -> tuple[Located, str] | None:
    """The plain document at ``path`` as :func:`load_spec` reads it, checked, with the
    SHA-256 of its bytes (``spec.ahead``'s child); None where :func:`load_spec` would
    compose it or refuse it (it then says why)."""
    try:
        text = read_text(path, limits.max_bytes)
    except SpecSyntaxError:
        return None
    located = _plain(text, str(path), limits)
    if located is None:
        return None
    try:
        validate(located)
    except SpecError:
        return None
    return located, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _composed(
    path: Path,
    text: str,
    limits: SpecLimits,
    confinement: _Confinement,
    env: Mapping[str, str],
    variables: dict[str, str] | None,
) -> tuple[Located, Any]:
    """The spec through its node graph: every YAML feature, ``extends:``, ``vars:``, and
    every error worded with its position."""
    try:
        tree = _Reader(limits, confinement).read(path, text, chain=())
        values = _values(tree, env, variables or {})
        return _compose(tree, values)
    except SpecSyntaxError as exc:
        raise SpecError([str(exc)]) from None


SPEC_CACHE_FORMAT = 1


def _cache_key(path: Path, raw: bytes, limits: SpecLimits) -> str | None:
    """A key for a spec whose document depends on its bytes alone: no ``extends:``, no ``${VAR}``.

    Composing a 170,000-requirement spec with positions and validating it is most of a large
    audit; a valid document is cached (JSON: the data and every key's position).
    """
    if not cache.enabled():
        return None
    if b"${" in raw or b"extends" in raw:
        return None
    # the limits are part of the key: a spec cached under generous limits must not pass stricter ones
    return cache.key(f"spec-{SPEC_CACHE_FORMAT}", raw, str(path).encode(), repr(limits).encode())


def _cached_document(path: Path, cache_key: str) -> tuple[Located, str, str] | None:
    entry = cache.read("specs", cache_key)
    try:
        marks = {tuple(p): Mark(line, column) for p, line, column in entry["marks"]}
        located = Located(entry["data"], marks, str(path))
        return located, str(path), str(entry["sha256"])
    except (TypeError, KeyError, ValueError):
        return None


def _remember_document(cache_key: str, located: Located, sha: str) -> None:
    marks = []
    for key_path, raw in located.all_marks().items():
        mark = as_mark(raw)
        marks.append([list(key_path), mark.line, mark.column])
    cache.write("specs", cache_key, {"data": located.data, "marks": marks, "sha256": sha})


# -- reading the extends: tree, bounded and confined ---------------------------


class _Confinement:
    """Files a spec may read: inside its own directory tree, or under a directory the
    command line allows (``--spec-allow``). Judged on the resolved path, so a symlink
    that points out is refused like ``../`` or an absolute path."""

    def __init__(self, spec: Path, allowed: Sequence[str | Path]) -> None:
        self.home = spec.absolute().parent.resolve()
        self.roots = [self.home, *(Path(a).resolve() for a in allowed)]

    def inside(self, path: Path) -> bool:
        return any(path == root or path.is_relative_to(root) for root in self.roots)

    def check_spec(self, path: Path) -> None:
        if not self.inside(path.resolve()):
            raise SpecSyntaxError(
                f"{path}: the spec is a symlink to a file outside {self.home} "
                "(allow its directory with --spec-allow DIR)"
            )

    def check(self, path: Path, where: str, written: str) -> None:
        if self.inside(path.resolve()):
            return
        through = " through a symlink" if self.inside(Path(os.path.abspath(path))) else ""
        raise SpecSyntaxError(
            f"{where}: extends {written!r} is outside {self.home}{through}: a spec reads only "
            "files in its own directory tree (allow another with --spec-allow DIR)"
        )


@dataclass
class _File:
    """One spec file of the tree: its node graph (checked against the limits), the files it
    extends, and what it declares under ``vars:``."""

    path: Path
    text: str
    node: Any
    declared: dict[str, str | None]
    parents: list[_File] = field(default_factory=list)


class _Reader:
    def __init__(self, limits: SpecLimits, confinement: _Confinement) -> None:
        self.limits = limits
        self.confinement = confinement
        self.loaded = 0

    def read(self, path: Path, text: str, chain: tuple[Path, ...]) -> _File:
        file = str(path)
        node = compose_yaml(text, file)
        if node is not None:
            check_graph(node, file, self.limits)
            if not isinstance(node, yaml.MappingNode):
                raise SpecSyntaxError(
                    f"{_where(node, file)}: the spec must be a mapping of keys (name:, tables:, …)"
                )
        unit = _File(path, text, node, _declared(node, file))
        here = (*chain, path)
        for written, where in _extends(node, file):
            base = Path(written) if Path(written).is_absolute() else path.parent / written
            self.confinement.check(base, where, written)
            if any(base.resolve() == seen.resolve() for seen in here):
                names = [self._name(p) for p in (*here, base)]
                raise SpecSyntaxError(f"{where}: extends cycle: {' -> '.join(names)}")
            if len(here) > self.limits.max_extends_depth:
                raise SpecSyntaxError(
                    f"{where}: extends chain deeper than {self.limits.max_extends_depth} files "
                    f"(limit: {env_name('max_extends_depth')})"
                )
            self.loaded += 1
            if self.loaded > self.limits.max_extends_files:
                raise SpecSyntaxError(
                    f"{where}: extends loads more than {self.limits.max_extends_files} files "
                    f"(limit: {env_name('max_extends_files')})"
                )
            if not base.exists():
                raise SpecSyntaxError(f"{where}: extends {written!r}: no such file")
            parent_text = read_text(base, self.limits.max_bytes)
            unit.parents.append(self.read(base, parent_text, here))
        return unit

    def _name(self, path: Path) -> str:
        return os.path.relpath(os.path.abspath(path), self.confinement.home)


def _top_level(node: Any, key: str) -> Any:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node
    return None


def _where(node: Any, file: str) -> str:
    return f"{file}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def _extends(node: Any, file: str) -> list[tuple[str, str]]:
    """Each ``extends:`` entry as written, with its position."""
    value = _top_level(node, "extends")
    if value is None:
        return []
    items = value.value if isinstance(value, yaml.SequenceNode) else [value]
    out = []
    for item in items:
        if not (isinstance(item, yaml.ScalarNode) and item.tag == "tag:yaml.org,2002:str"):
            raise SpecSyntaxError(
                f"{_where(item, file)}: extends takes a file path or a list of them"
            )
        out.append((item.value, _where(item, file)))
    return out


def _declared(node: Any, file: str) -> dict[str, str | None]:
    """``vars:`` as name -> default (``None``: declared, must be given)."""
    value = _top_level(node, "vars")
    if value is None:
        return {}
    data = convert(value, file).data
    if not isinstance(data, dict):
        raise SpecSyntaxError(f"{_where(value, file)}: vars: expected a mapping of NAME: default")
    out: dict[str, str | None] = {}
    for name, default in data.items():
        if isinstance(default, dict | list):
            raise SpecSyntaxError(
                f"{_where(value, file)}: vars.{name}: expected a string, number or null"
            )
        if isinstance(default, bool):
            default = "true" if default else "false"
        out[name] = None if default is None else str(default)
    return out


def _values(
    tree: _File, environ: Mapping[str, str], given: dict[str, str]
) -> dict[str, str | None]:
    """What ``${NAME}`` may resolve to: declared defaults (the extending file wins), then
    ``SCHEMA_AUDIT_VAR_<NAME>``, then ``--var``."""
    values: dict[str, str | None] = {}

    def collect(unit: _File) -> None:
        for parent in unit.parents:
            collect(parent)
        values.update(unit.declared)

    collect(tree)
    values.update(
        {k[len(VAR_ENV_PREFIX) :]: v for k, v in environ.items() if k.startswith(VAR_ENV_PREFIX)}
    )
    values.update(given)
    return values


def _compose(unit: _File, values: dict[str, str | None]) -> tuple[Located, Any]:
    """A spec merged over the specs it ``extends:`` (spec.compose: mappings merge, requirement
    lists merge by identity, list sections concatenate; positions follow the items)."""
    located = convert(unit.node, str(unit.path), values)
    digest = hashlib.sha256(unit.text.encode("utf-8"))
    located.data.pop("extends", None)
    if not unit.parents:
        return located, digest
    merged: dict[str, Any] = {}
    marks: dict[Path_, Any] = {}
    for parent in unit.parents:
        base, base_digest = _compose(parent, values)
        digest.update(base_digest.digest())
        moves: compose.Moves = {}
        merged = compose.merge(merged, base.data, over_moves=moves)
        marks.update(
            {compose.move(k, moves): as_mark(mark, base.file) for k, mark in base.marks.items()}
        )
    moves = {}
    merged = compose.merge(merged, located.data, over_moves=moves)
    marks.update({compose.move(k, moves): mark for k, mark in located.marks.items()})
    return Located(merged, marks, located.file), digest


# -- validation ---------------------------------------------------------------

# valid or not, in one pass of compiled closures (spec.validator); a 30,000-requirement spec
# took jsonschema over a second. jsonschema runs only on an invalid spec, to word its errors.
_IS_VALID = compile_schema(SPEC_SCHEMA)


def validate(located: Located) -> None:
    if _IS_VALID(located.data):
        return
    from jsonschema import Draft202012Validator

    errors = sorted(
        Draft202012Validator(SPEC_SCHEMA).iter_errors(located.data),
        key=lambda e: (located.mark(tuple(e.absolute_path)).line, str(e.absolute_path)),
    )
    problems: list[str] = []
    seen: set[str] = set()
    for error in errors:
        for leaf in _leaves(error):
            line = _describe(leaf, located)
            if line not in seen:
                seen.add(line)
                problems.append(line)
    if problems:
        if len(problems) > MAX_REPORTED_ERRORS:
            extra = len(problems) - MAX_REPORTED_ERRORS
            problems = problems[:MAX_REPORTED_ERRORS] + [f"… and {extra} more problems"]
        raise SpecError(problems)


def _describe(error: ValidationError, located: Located) -> str:
    """Turn a jsonschema error into our one-line, positioned message."""
    path: Path_ = tuple(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        unknown = [k for k in error.instance if k not in allowed]
        key = unknown[0] if unknown else "?"
        where = located.where((*path, key))
        hint = _did_you_mean(key, allowed)
        return f"{where}: {format_path((*path, key))}: unknown key {key!r}{hint}"
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        name = missing[0] if missing else error.message
        return f"{located.where(path)}: {format_path(path)}: missing required key {name!r}"
    if error.validator == "enum":
        options = ", ".join(repr(o) for o in error.validator_value if o is not None)
        hint = ""
        if isinstance(error.instance, str):
            hint = _did_you_mean(
                error.instance, [o for o in error.validator_value if isinstance(o, str)]
            )
        return (
            f"{located.where(path)}: {format_path(path)}: {error.instance!r} is not one of "
            f"{options}{hint}"
        )
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        got = _yaml_type(error.instance)
        return f"{located.where(path)}: {format_path(path)}: expected {expected}, got {got}"
    if error.validator == "const":
        return f"{located.where(path)}: {format_path(path)}: must be {error.validator_value!r}"
    return f"{located.where(path)}: {format_path(path)}: {error.message}"


def _leaves(error: ValidationError) -> list[ValidationError]:
    """For anyOf/oneOf, every error of the branch the user meant.

    The meant branch is the one whose type matched (its errors are deeper
    than a bare type mismatch); all its errors are reported, not just one.
    """
    if not error.context:
        return [error]
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    meant = [
        errs
        for errs in branches.values()
        if not (len(errs) == 1 and errs[0].validator == "type" and not errs[0].relative_path)
    ]
    chosen = max(
        meant or list(branches.values()), key=lambda errs: max(len(e.absolute_path) for e in errs)
    )
    return [leaf for sub in chosen for leaf in _leaves(sub)]


def _did_you_mean(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _yaml_type(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "list",
        dict: "mapping",
    }.get(type(value), type(value).__name__)


# -- flattening ---------------------------------------------------------------


# what a primary_key mapping states besides its columns (init writes each when not the default)
_PK_STATED = ("name", "comment", "include", "tablespace", "clustered")


class _Builder:
    def __init__(self, located: Located, file: str, sha: str) -> None:
        self.loc = located
        doc = located.data
        defaults = doc.get("defaults") or {}
        self.default_schema = defaults.get("schema", "public")
        self.default_severity = defaults.get("severity", "high")
        self.spec_severity = defaults.get("severity")  # else each kind's registered default
        self.default_category = defaults.get("category")
        self.spec = Spec(
            name=doc["name"],
            path=file,
            sha256=sha,
            phase=doc.get("phase"),
            date=str(doc["date"]) if doc.get("date") else None,
            description=doc.get("description"),
            default_schema=self.default_schema,
            settings=dict(doc.get("settings") or {}),
            rules=dict(doc.get("rules") or {}),
            categories=[Category(c["id"], c["title"]) for c in doc.get("categories") or []],
        )
        self.problems: list[str] = []
        self.ids: dict[str, str | int] = {}  # id -> where it is (as Requirement.at)
        self.position = located.position
        self.file_prefix = f"{located.file}:"
        self.wheres: dict[Path_, str] = {}
        self.questioned = False  # some requirement names its questions itself
        # strict: {exactly: [...]}: every table entry is strict about these kinds
        self.global_exactly = list((doc.get("strict") or {}).get("exactly") or [])

    # each requirement goes through here so ids stay unique and positions known
    def add(
        self,
        rid: str,
        kind: str,
        path: Path_,
        props: dict[str, Any],
        *,
        schema: str,
        table: str | None,
        name: str | None,
        parent: Requirement | None = None,
    ) -> Requirement:
        return self.put(rid, kind, path, props, schema, table, name, parent)

    def put(
        self,
        rid: str,
        kind: str,
        path: Path_,
        props: dict[str, Any],
        schema: str,
        table: str | None,
        name: str | None,
        parent: Requirement | None,
        raw: Any = None,
    ) -> Requirement:
        """:meth:`add` with positional arguments (a 5,000-table spec calls it 220,000 times:
        keyword arguments were a fifth of building); ``raw`` is ``path``'s position when
        the caller has it (:meth:`positions`)."""
        if raw is None:
            raw = self.position(path)
        # blockread's packed position is kept as it is (Requirement.location words it as
        # Located.where does, when read); any other is worded now
        where = raw if type(raw) is int else self.where_of(path)
        if rid in self.ids or not _OWN_KEYS.isdisjoint(props):
            return self.add_slow(rid, kind, props, schema, table, name, parent, where)
        self.ids[rid] = where
        # positional, in Requirement's field order
        req = Requirement(
            rid,
            kind,
            schema,
            table,
            name,
            parent.severity if parent else self.spec_severity or _kind_severity(kind),
            parent.category if parent else self.default_category,
            props,
            where,
            None,
            None,
            parent.id if parent else None,
            [],
            self.file_prefix,
        )
        self.spec.requirements.append(req)
        return req

    def positions(self, path: Path_, count: int) -> Any:
        """The positions of the ``count`` entries of the collection at ``path``, in order,
        when the reader kept them so (spec.blockread); else ``None`` for each (``put``
        then asks for its path's position)."""
        kept = self.loc.entries(path)
        if kept is not None and len(kept) == count:
            return kept
        return itertools.repeat(None, count)

    def where_of(self, path: Path_) -> str:
        """``Located.where`` for a path with no position of its own, once per path (strict
        mode's requirements share their table's ``exactly`` path)."""
        where = self.wheres.get(path)
        if where is None:
            where = self.wheres[path] = self.loc.where(path)
        return where

    def add_slow(
        self,
        rid: str,
        kind: str,
        props: dict[str, Any],
        schema: str,
        table: str | None,
        name: str | None,
        parent: Requirement | None,
        where: str | int,
    ) -> Requirement:
        """A requirement whose props set its own id, severity, category, impact,
        description or questions, or whose id is taken (``where``: as Requirement.at)."""
        get = props.get
        rid = get("id", rid)
        if rid in self.ids:
            here, first = place_text(where, self.file_prefix), self.ids[rid]
            self.problems.append(
                f"{here}: duplicate requirement id {rid!r} "
                f"(first at {place_text(first, self.file_prefix)})"
            )
        self.ids[rid] = where
        questions = get("questions")
        req = Requirement(
            rid,
            kind,
            schema,
            table,
            name,
            get("severity")
            or (parent.severity if parent else self.spec_severity or _kind_severity(kind)),
            get("category") or (parent.category if parent else self.default_category),
            props,
            where,
            get("impact"),
            get("description"),
            parent.id if parent else None,
            list(questions) if questions else [],
            self.file_prefix,
        )
        if questions:
            self.questioned = True
        self.spec.requirements.append(req)
        return req

    def split_name(self, key: str, props: dict[str, Any]) -> tuple[str, str]:
        if "schema" in props:
            return props["schema"], key
        if "." in key and not key.startswith('"'):
            schema, _, name = key.partition(".")
            return schema, name
        return self.default_schema, key

    def build(self) -> Spec:
        doc = self.loc.data
        tables = doc.get("tables") or {}
        for (key, props), raw in zip(
            tables.items(), self.positions(("tables",), len(tables)), strict=True
        ):
            self.table(key, props or {}, raw=raw)
        for key, block in (doc.get("match") or {}).items():
            self.match(key, block or {})
        for key in doc.get("absent_tables") or []:
            schema, name = self.split_name(key, {})
            self.add(
                f"absent_tables.{key}",
                "absent_table",
                ("absent_tables",),
                {},
                schema=schema,
                table=name,
                name=name,
            )
        for section, kind in (("views", "view"), ("materialized_views", "materialized_view")):
            for key, props in (doc.get(section) or {}).items():
                self.view(section, kind, key, props or {})
        for key, props in (doc.get("functions") or {}).items():
            props = props or {}
            schema, name = self.split_name(key, props)
            self.add(
                f"functions.{key}",
                "function",
                ("functions", key),
                props,
                schema=schema,
                table=None,
                name=name,
            )
        for key, props in (doc.get("enums") or {}).items():
            props = props or {}
            schema, name = self.split_name(key, props)
            self.add(
                f"enums.{key}",
                "enum",
                ("enums", key),
                props,
                schema=schema,
                table=None,
                name=name,
            )
        for key, props in (doc.get("domains") or {}).items():
            props = props or {}
            schema, name = self.split_name(key, props)
            self.add(
                f"domains.{key}",
                "domain",
                ("domains", key),
                props,
                schema=schema,
                table=name,  # strict.domains counts the entries by it
                name=name,
            )
        for key, props in (doc.get("composite_types") or {}).items():
            props = props or {}
            schema, name = self.split_name(key, props)
            self.add(
                f"composite_types.{key}",
                "composite_type",
                ("composite_types", key),
                props,
                schema=schema,
                table=name,  # strict.composite_types counts the entries by it
                name=name,
            )
        for key, props in (doc.get("range_types") or {}).items():
            props = props or {}
            schema, name = self.split_name(key, props)
            self.add(
                f"range_types.{key}",
                "range_type",
                ("range_types", key),
                props,
                schema=schema,
                table=name,  # strict.range_types counts the entries by it
                name=name,
            )
        for key, props in (doc.get("sequences") or {}).items():
            props = props or {}
            schema, name = self.split_name(key, props)
            self.add(
                f"sequences.{key}",
                "sequence",
                ("sequences", key),
                props,
                schema=schema,
                table=None,
                name=name,
            )
        for key, props in (doc.get("schemas") or {}).items():
            self.add(
                f"schemas.{key}",
                "schema",
                ("schemas", key),
                props or {},
                schema=key,
                table=None,
                name=key,
            )
        for index, props in enumerate(doc.get("default_privileges") or []):
            self.add(
                f"default_privileges.{props['objects']}_to_{props['to']}_{index}",
                "default_privilege",
                ("default_privileges", index),
                props,
                schema=props.get("schema") or self.default_schema,
                table=None,
                name=None,
            )
        for key, props in (doc.get("forbidden_columns") or {}).items():
            self.add(
                f"forbidden_columns.{key}",
                "forbidden_column",
                ("forbidden_columns", key),
                props,
                schema=self.default_schema,
                table=None,
                name=key,
            )
        for key, props in (doc.get("probes") or {}).items():
            schema, table = (
                self.split_name(props["table"], props)
                if props.get("table")
                else (self.default_schema, None)
            )
            self.add(
                f"probes.{key}",
                "probe",
                ("probes", key),
                props,
                schema=schema,
                table=table,
                name=key,
            )
        waivers = doc.get("waivers") or []
        for index, (waiver, raw) in enumerate(
            zip(waivers, self.positions(("waivers",), len(waivers)), strict=True)
        ):
            self.spec.waivers.append(
                Waiver(
                    waiver["requirement"],
                    waiver["reason"],
                    # the reader's packed position, worded when read; else worded now
                    raw if type(raw) is int else self.where_of(("waivers", index)),
                    waiver.get("owner"),
                    str(waiver["expires"]) if waiver.get("expires") else None,
                    self.file_prefix,
                )
            )
        strict = doc.get("strict") or {}
        for objects in (
            "tables",
            "views",
            "functions",
            "sequences",
            "domains",
            "rules",
            "composite_types",
            "range_types",
        ):
            if strict.get(objects):
                self.add(
                    f"strict.{objects}",
                    f"strict_{objects}",
                    ("strict",),
                    {**strict, "schemas": strict.get("schemas") or [self.default_schema]},
                    schema=self.default_schema,
                    table=None,
                    name=objects,
                )
        if isinstance(strict.get("extensions"), dict):  # the database's whole set
            self.add(
                "strict.extensions",
                "strict_extensions",
                ("strict",),
                {"extensions": strict["extensions"]},
                schema=self.default_schema,
                table=None,
                name="extensions",
            )
        if strict.get("default_privileges"):
            self.add(
                "strict.default_privileges",
                "strict_default_privileges",
                ("strict",),
                {},
                schema=self.default_schema,
                table=None,
                name="default_privileges",
            )
        self.check_rule_ids(doc)
        self.link_questions(doc)
        if self.problems:
            raise SpecError(self.problems)
        return self.spec

    def match(self, selector: str, block: dict[str, Any]) -> None:
        """A ``match:`` entry: its ``require:`` block flattened once into slotted templates."""
        from schema_audit.spec.selectors import SCHEMA_SLOT, TABLE_SLOT

        require = dict(block.get("require") or {})
        for inherited in ("severity", "category"):
            if inherited in block and inherited not in require:
                require[inherited] = block[inherited]
        saved = self.spec.requirements
        self.spec.requirements = []
        self.table(
            TABLE_SLOT,
            {**require, "schema": SCHEMA_SLOT},
            base=f"match.{selector}.{SCHEMA_SLOT}.{TABLE_SLOT}",
            path=("match", selector, "require"),
        )
        templates, self.spec.requirements = self.spec.requirements, saved
        self.spec.selectors.append(
            Selector(
                name=selector,
                select=dict(block.get("select") or {}),
                templates=templates,
                location=self.loc.where(("match", selector)),
                severity=block.get("severity") or self.default_severity,
                category=block.get("category") or self.default_category,
            )
        )

    def table(
        self,
        key: str,
        props: dict[str, Any],
        *,
        base: str | None = None,
        path: Path_ | None = None,
        raw: Any = None,
    ) -> None:
        schema, name = self.split_name(key, props)
        # "public.tenants" and "tenants" are the same table when public is the default schema.
        if base is None:
            base = (
                f"tables.{name}"
                if schema == self.default_schema and "schema" not in props
                else f"tables.{key}"
            )
        path = path or ("tables", key)
        put = self.put
        table = put(base, "table", path, props, schema, name, name, None, raw)
        common = {"schema": schema, "table": name, "parent": table}

        columns = props.get("columns") or {}
        columns_path = (*path, "columns")
        # put()'s common case inline (a column with its position, none of its own keys, an
        # id not taken): half of init's requirements are columns
        ids, append, prefix = self.ids, self.spec.requirements.append, self.file_prefix
        severity, category, table_id = table.severity, table.category, table.id
        for (col, cprops), col_raw in zip(
            columns.items(), self.positions(columns_path, len(columns)), strict=True
        ):
            cprops = cprops or {}
            rid = f"{base}.columns.{col}"
            if type(col_raw) is int and rid not in ids and _OWN_KEYS.isdisjoint(cprops):
                ids[rid] = col_raw
                append(
                    Requirement(
                        rid,
                        "column",
                        schema,
                        name,
                        col,
                        severity,
                        category,
                        cprops,
                        col_raw,
                        None,
                        None,
                        table_id,
                        [],
                        prefix,
                    )
                )
            else:
                put(rid, "column", (*columns_path, col), cprops, schema, name, col, table, col_raw)
            if cprops.get("references"):
                fk = {"columns": [col], "references": cprops["references"]}
                if cprops.get("on_delete"):
                    fk["on_delete"] = cprops["on_delete"]
                for inherited in ("severity", "category", "impact", "questions"):
                    if inherited in cprops:
                        fk[inherited] = cprops[inherited]
                self.add(
                    f"{base}.foreign_keys.{col}",
                    "foreign_key",
                    (*path, "columns", col),
                    fk,
                    name=None,
                    **common,
                )

        pk = props.get("primary_key")
        if pk:
            # `required`: any primary key (a column literally named so is written [required])
            stated: dict[str, Any] = {}
            if isinstance(pk, dict):  # {columns, name, comment}: init's form
                stated = {k: pk[k] for k in _PK_STATED if k in pk}
                pk = pk.get("columns") or []
            columns = None if pk == "required" else [pk] if isinstance(pk, str) else list(pk)
            self.add(
                f"{base}.primary_key",
                "primary_key",
                (*path, "primary_key"),
                {"columns": columns, **stated},
                name=None,
                **common,
            )

        for section, kind in (
            ("unique", "unique"),
            ("checks", "check"),
            ("foreign_keys", "foreign_key"),
            ("indexes", "index"),
            ("policies", "policy"),
            ("triggers", "trigger"),
            ("privileges", "privilege"),
        ):
            items = props.get(section)
            if not items:
                continue
            section_path = (*path, section)
            for index, (item, item_raw) in enumerate(
                zip(items, self.positions(section_path, len(items)), strict=True)
            ):
                named = item.get("name")
                label = named or self.shape_label(kind, item, index)
                rid = f"{base}.{section}.{label}"
                put(rid, kind, (*section_path, index), item, schema, name, named, table, item_raw)
        if props.get("rls") is not None:
            self.add(f"{base}.rls", "rls", (*path, "rls"), props["rls"], name=None, **common)
        exactly = props.get("exactly")
        if exactly is None and base.startswith("tables."):
            exactly = self.global_exactly
        exactly_path = (*path, "exactly")
        # no ``exactly:`` of its own: its position is the table's (Located.where's nearest
        # ancestor), known already when the reader kept it
        exactly_raw = raw if "exactly" not in props else None
        allow = props.get("allow") or []
        for kind in exactly or []:
            rid = f"{base}.exactly.{kind}"
            strict = {"what": kind, "allow": list(allow)}
            if type(exactly_raw) is int and rid not in ids:  # put()'s common case inline
                ids[rid] = exactly_raw
                append(
                    Requirement(
                        rid,
                        "strict",
                        schema,
                        name,
                        kind,
                        severity,
                        category,
                        strict,
                        exactly_raw,
                        None,
                        None,
                        table_id,
                        [],
                        prefix,
                    )
                )
                continue
            put(rid, "strict", exactly_path, strict, schema, name, kind, table, exactly_raw)

    def view(self, section: str, kind: str, key: str, props: dict[str, Any]) -> None:
        schema, name = self.split_name(key, props)
        base = f"{section}.{key}"
        path: Path_ = (section, key)
        view = self.add(base, kind, path, props, schema=schema, table=name, name=name)
        for index, item in enumerate(props.get("indexes") or []):
            label = item.get("name") or self.shape_label("index", item, index)
            self.add(
                f"{base}.indexes.{label}",
                "index",
                (*path, "indexes", index),
                item,
                schema=schema,
                table=name,
                name=item.get("name"),
                parent=view,
            )

    @staticmethod
    def shape_label(kind: str, item: dict[str, Any], index: int) -> str:
        """A readable id part for an unnamed requirement: its kind's label (its columns,
        command, events …; schema_audit/kinds/), or its position."""
        from schema_audit.kinds import registry

        label = registry()[kind].label
        return label(item, index) if label is not None else f"{kind}_{index}"

    def check_rule_ids(self, doc: dict[str, Any]) -> None:
        """Per-rule entries must name a rule that exists (a typo would silently do nothing)."""
        ids = [k for k in doc.get("rules") or {} if re.fullmatch(r"[A-Z]+[0-9]{3}", str(k))]
        if not ids:
            return
        from schema_audit.audit.rules import RULES

        for rid in ids:
            if rid not in RULES:
                self.problems.append(
                    f"{self.loc.where(('rules', rid))}: rules.{rid}: no such rule"
                    f"{_did_you_mean(rid, sorted(RULES))}"
                )

    def link_questions(self, doc: dict[str, Any]) -> None:
        if not doc.get("questions") and not doc.get("exit_gates"):
            return  # nothing to link (init's spec: no list of every id to make)
        ids = [r.id for r in self.spec.requirements]
        # selector requirements exist per table only at audit time; a pattern may name them
        stamped = [t.id for sel in self.spec.selectors for t in sel.templates]
        stamped += [f"match.{sel.name}" for sel in self.spec.selectors]
        by_id = {r.id: r for r in self.spec.requirements}
        for index, q in enumerate(doc.get("questions") or []):
            where = self.loc.where(("questions", index))
            question = Question(
                id=q["id"],
                category=q.get("category"),
                title=q.get("title", ""),
                question=q.get("question", ""),
                patterns=list(q["requirements"]),
                note=q.get("note"),
                location=where,
            )
            for pattern_index, pattern in enumerate(question.patterns):
                matched = match_ids(pattern, ids)
                if not matched and not match_ids(pattern, stamped):
                    pw = self.loc.where(("questions", index, "requirements", pattern_index))
                    self.problems.append(
                        f"{pw}: questions[{index}] ({q['id']}): {pattern!r} matches no requirement"
                        f"{_did_you_mean(pattern, ids)}"
                    )
                for rid in matched:
                    if rid not in question.requirement_ids:
                        question.requirement_ids.append(rid)
                    if q["id"] not in by_id[rid].questions:
                        by_id[rid].questions.append(q["id"])
            self.spec.questions.append(question)
        # requirements may also name their questions directly
        known = {q.id: q for q in self.spec.questions}
        for req in self.spec.requirements if self.questioned else ():
            for qid in req.questions:
                if qid in known and req.id not in known[qid].requirement_ids:
                    known[qid].requirement_ids.append(req.id)
        for index, gate in enumerate(doc.get("exit_gates") or []):
            where = self.loc.where(("exit_gates", index))
            eg = ExitGate(
                criterion=gate["criterion"], patterns=list(gate["requirements"]), location=where
            )
            for pattern_index, pattern in enumerate(eg.patterns):
                matched = match_ids(pattern, ids)
                if not matched and not match_ids(pattern, stamped):
                    pw = self.loc.where(("exit_gates", index, "requirements", pattern_index))
                    self.problems.append(
                        f"{pw}: exit_gates[{index}]: {pattern!r} matches no requirement"
                        f"{_did_you_mean(pattern, ids)}"
                    )
                eg.requirement_ids.extend(r for r in matched if r not in eg.requirement_ids)
            self.spec.exit_gates.append(eg)


def _kind_severity(kind: str) -> str:
    """The severity requirement kind ``kind`` registered (schema_audit/kinds/)."""
    from schema_audit.kinds import registry

    return registry()[kind].severity


def _build(located: Located, file: str, sha: str) -> Spec:
    return _Builder(located, file, sha).build()
