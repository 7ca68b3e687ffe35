"""``match:`` — one block of requirements applied to every table a selector picks.

A schema with hundreds of tenant tables states "every table with
``organization_id`` has RLS, this policy, the column NOT NULL, an FK and an
index leading with it" once. The spec loader flattens each ``require:`` block
into *template* requirements (ids ``match.<name>.<SCHEMA>.<TABLE>.…``); at audit
time, when the schema is known, :func:`expand` picks the tables and stamps the
templates out per table, so every finding still names one object with a stable
id (``match.tenant_tables.public.invoices.rls``).

Precedence (docs/spec-format.md): a table's explicit entry under ``tables:``
replaces the same requirement (same table, same kind and identity: the column
name, the index or policy name or shape) coming from any selector; selectors
add up otherwise (two selectors both requiring RLS give two findings). A
selector that picks no table is itself a FAIL finding (``match.<name>``), never
silence.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from schema_audit import sqlnorm
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.model import SchemaModel, Table, qualify
from schema_audit.spec.model import ExitGate, Question, Requirement, Selector, Spec, match_ids

SCHEMA_SLOT = "\x00schema"
TABLE_SLOT = "\x00table"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _types_equal(expected: str, actual: str) -> bool:
    try:
        return sqlnorm.canonical_type(expected) == sqlnorm.canonical_type(actual)
    except ValueError:
        return " ".join(expected.lower().split()) == " ".join(actual.lower().split())


_GLOB_CHARS = frozenset("*?[")  # what makes fnmatch's pattern more than the text itself


def _has_column(table: Table, wanted: Any) -> bool:
    """``wanted`` is a column name (glob) or ``{name: glob, type: t}``."""
    spec = wanted if isinstance(wanted, dict) else {"name": wanted}
    name = spec.get("name", "*")
    if "type" not in spec and type(name) is str and not _GLOB_CHARS.intersection(name):
        # a plain name matches only itself (fnmatchcase without a wildcard): one lookup
        # instead of a glob match per column (has_column: tenant_id on every table)
        return name in table.columns
    for column in table.columns.values():
        if not fnmatch.fnmatchcase(column.name, name):
            continue
        if "type" in spec and not _types_equal(spec["type"], column.type):
            continue
        return True
    return False


def _glob(pattern: Any) -> Callable[[str], bool]:
    """``fnmatch.fnmatchcase(text, pattern)`` as a function of the text, the pattern compiled
    once (as fnmatch compiles it) and one without a wildcard compared as text; a pattern
    that is not text is left to fnmatch (which says what is wrong with it)."""
    if type(pattern) is not str:
        return lambda text: fnmatch.fnmatchcase(text, pattern)
    if not _GLOB_CHARS.intersection(pattern):
        return lambda text: text == pattern
    match = re.compile(fnmatch.translate(pattern)).match
    return lambda text: match(text) is not None


def _names(globs: list[Any]) -> Callable[[Table], bool]:
    """Whether a table's name, or its ``schema.name``, matches one of ``globs``."""
    matchers = [_glob(g) for g in globs]
    if len(matchers) == 1:  # the common case: no generator per table
        (one,) = matchers
        return lambda table: one(table.name) or one(f"{table.schema}.{table.name}")
    return lambda table: any(m(table.name) or m(f"{table.schema}.{table.name}") for m in matchers)


def picks(select: dict[str, Any], table: Table, default_schema: str) -> bool:
    """Whether the ``select:`` mapping picks ``table`` (every given condition must hold)."""
    return picker(select, default_schema)(table)


def picker(select: dict[str, Any], default_schema: str) -> Callable[[Table], bool]:
    """:func:`picks` for one ``select:`` mapping, its globs compiled once for every table it
    is asked about (each selector is asked about every table of the schema: fnmatch's call
    per glob and table was half of expanding the 1,000-table selector spec)."""
    schemas = [_glob(s) for s in _as_list(select.get("schema")) or [default_schema]]
    schema = schemas[0] if len(schemas) == 1 else lambda text: any(m(text) for m in schemas)
    named = _names(_as_list(select["tables"])) if "tables" in select else None
    excluded = _names(_as_list(select["exclude"])) if "exclude" in select else None
    has = _as_list(select.get("has_column"))
    lacks = _as_list(select.get("lacks_column"))

    def picks(table: Table) -> bool:
        if not schema(table.schema):
            return False
        if table.partition_of and not select.get("partitions", False):
            return False  # a partition answers through its parent unless asked for
        if named is not None and not named(table):
            return False
        if "regex" in select and not re.search(select["regex"], table.name):
            return False
        if excluded is not None and excluded(table):
            return False
        if not all(_has_column(table, c) for c in has):
            return False
        if any(_has_column(table, c) for c in lacks):
            return False
        if "rls" in select and table.rls_enabled != select["rls"]:
            return False
        return "partitioned" not in select or (table.kind == "partitioned") == select["partitioned"]

    return picks


def selected(selector: Selector, model: SchemaModel, default_schema: str) -> list[Table]:
    picks = picker(selector.select, default_schema)
    return [t for _, t in sorted(model.tables.items()) if t.kind != "foreign" and picks(t)]


def _stamp(value: str | None, schema: str, name: str) -> str | None:
    if value is None:
        return None
    return value.replace(SCHEMA_SLOT, schema).replace(TABLE_SLOT, name)


def _identity(req: Requirement) -> tuple[str, str, str, str] | None:
    """(schema, table, kind, what) — what a requirement is about, independent of who asked."""
    if not req.table:
        return None
    return req.schema, req.table, req.kind, _suffix(req.id, req.parent)


def expand(spec: Spec, model: SchemaModel) -> tuple[list[Requirement], dict[str, list[Table]]]:
    """The spec's requirements with every selector stamped out on the tables it picks.

    Returns the requirements (explicit ones first, in spec order, then each selector's
    per table) and, per selector name, the tables it picked.
    """
    if not spec.selectors:
        return list(spec.requirements), {}
    picked: dict[str, list[Table]] = {}
    stamped: list[Requirement] = []
    for selector in spec.selectors:
        tables = selected(selector, model, spec.default_schema)
        picked[selector.name] = tables
        templates = selector.templates
        for table in tables:
            schema, name = table.schema, table.name
            # a slotted text stamped once per table (the templates of a table share their
            # parent's id: a selector spec stamps 64,000 requirements at 5,000 tables)
            texts: dict[str, str] = {}
            for template in templates:
                rid = template.id
                stamped_id = texts.get(rid)
                if stamped_id is None:
                    stamped_id = texts[rid] = _stamp(rid, schema, name) or rid
                parent = template.parent
                if parent is not None:
                    stamped_parent = texts.get(parent)
                    if stamped_parent is None:
                        stamped_parent = texts[parent] = parent.replace(
                            SCHEMA_SLOT, schema
                        ).replace(TABLE_SLOT, name)
                else:
                    stamped_parent = None
                # the template with its slots filled, built positionally in Requirement's
                # field order (dataclasses.replace walks the fields)
                stamped.append(
                    Requirement(
                        stamped_id,
                        template.kind,
                        schema,
                        name,
                        name if template.kind == "table" else template.name,
                        template.severity,
                        template.category,
                        template.props,
                        template.at,
                        template.impact,
                        template.description,
                        stamped_parent,
                        list(template.questions),
                        template.file,
                    )
                )
    return [*spec.requirements, *_not_overridden(spec.requirements, stamped)], picked


class _Overrides(NamedTuple):
    """The identities of a spec's explicit requirements that may override a stamp, worked out
    before the model is read (:func:`prepare`)."""

    explicit: list[Requirement]  # the spec's own requirements, as they were then
    length: int
    endings: dict[str, frozenset[str]]  # per kind, the id suffixes its templates stamp
    identities: set[tuple[str, str, str, str] | None]


_PREPARED: list[_Overrides] = []  # the one prepared, taken (or dropped) by the next expansion


def prepare(spec: Spec) -> None:
    """Work out now the explicit side of :func:`_not_overridden` for ``spec`` (``audit --dsn``
    while it waits for the server's last catalog rows, ``cli/audit._meanwhile``): with
    init's 1,000-table spec, the identities of its 24,000 column and RLS requirements were
    ≈ 0.01 s of the expansion after the read, on the critical path before the judging
    starts. Nothing when the spec has no selector, or a template's stamped suffix cannot be
    known before stamping (a slot in it)."""
    _PREPARED.clear()
    if not spec.selectors:
        return
    endings: dict[str, set[str]] = {}
    for selector in spec.selectors:
        for template in selector.templates:
            suffix = _suffix(template.id, template.parent)
            if "\x00" in suffix:
                return
            endings.setdefault(template.kind, set()).add(suffix)
    explicit = spec.requirements
    ends = {kind: tuple(suffixes) for kind, suffixes in endings.items()}
    identities = {
        _identity(r) for r in explicit if r.table and r.kind in ends and r.id.endswith(ends[r.kind])
    }
    frozen = {kind: frozenset(suffixes) for kind, suffixes in endings.items()}
    _PREPARED.append(_Overrides(explicit, len(explicit), frozen, identities))


def _suffix(rid: str, parent: str | None) -> str:
    """What an id says beyond its parent's (:func:`_identity`'s last part)."""
    return rid[len(parent) :] if parent and rid.startswith(parent) else ""


def _prepared_identities(
    explicit: list[Requirement], identities: list[tuple[str, str, str, str] | None]
) -> set[tuple[str, str, str, str] | None] | None:
    """The prepared explicit identities when they were worked out for ``explicit`` (the same
    list, as long) and cover every stamp's kind and suffix (``identities``, the stamps'):
    then a stamp's identity is among them exactly when :func:`_not_overridden`'s own filter
    would find it (an explicit requirement with a stamp's identity ends with its suffix).
    Else None. Taken either way: used once at most."""
    if not _PREPARED:
        return None
    prepared = _PREPARED.pop()
    if prepared.explicit is not explicit or prepared.length != len(explicit):
        return None
    endings = prepared.endings
    for identity in identities:
        if identity is not None and identity[3] not in endings.get(identity[2], ()):
            return None
    return prepared.identities


def _not_overridden(explicit: list[Requirement], stamped: list[Requirement]) -> list[Requirement]:
    """The stamped requirements, in order, but those whose identity (:func:`_identity`) an
    explicit requirement has: the table's own entry refines or overrides them.

    Filtered first: an explicit requirement can only match a stamp of its kind, and only
    when its id ends with the suffix of such a stamp (one ``endswith`` in C; an empty suffix,
    a table's or an ``id:`` of its own, lets every id through), so the identities of init's
    120,000 column and RLS requirements are not all made to be compared with 10,000 stamps.
    Those identities are worked out before the read when :func:`prepare` ran for the spec."""
    identities = [_identity(r) for r in stamped]
    overriding = _prepared_identities(explicit, identities)
    if overriding is None:
        overriding = _explicit_identities(explicit, stamped, identities)
    if not overriding:  # (a spec of selectors only: nothing to override)
        return stamped
    return [
        req
        for req, identity in zip(stamped, identities, strict=True)
        if identity is None or identity not in overriding
    ]


def _explicit_identities(
    explicit: list[Requirement],
    stamped: list[Requirement],
    identities: list[tuple[str, str, str, str] | None],
) -> set[tuple[str, str, str, str] | None]:
    """The identities of the explicit requirements that may be a stamp's (``identities``):
    of its kind, their id ending with the suffix of such a stamp."""
    kinds = {r.kind for r in stamped}
    candidates = [r for r in explicit if r.kind in kinds and r.table]
    if not candidates:
        return set()
    suffixes: dict[str, set[str]] = {}
    for identity in identities:
        if identity is not None:
            suffixes.setdefault(identity[2], set()).add(identity[3])
    endings = {kind: tuple(ends) for kind, ends in suffixes.items()}  # per kind
    return {
        _identity(r) for r in candidates if r.kind in endings and r.id.endswith(endings[r.kind])
    }


def _selector_findings(spec: Spec, picked: dict[str, list[Table]]) -> list[Finding]:
    """``match.<name>``: which tables a selector picked; picking none is a FAIL, never silence."""
    out = []
    for selector in spec.selectors:
        tables = picked.get(selector.name, [])
        req = Requirement(
            id=f"match.{selector.name}",
            kind="selector",
            schema=spec.default_schema,
            table=None,
            name=selector.name,
            severity=selector.severity,
            category=selector.category,
            props=selector.select,
            at=selector.location,
        )
        if not tables:
            out.append(
                finding_for(
                    req,
                    "FAIL",
                    f"selector {selector.name} picks no table: its requirements apply to nothing",
                    diffs=[Diff("tables", "at least one", 0)],
                )
            )
            continue
        names = [qualify(t.schema, t.name) for t in tables]
        shown = ", ".join(names[:10]) + (f" … (+{len(names) - 10})" if len(names) > 10 else "")
        out.append(
            finding_for(
                req,
                "PASS",
                f"selector {selector.name} picks {len(tables)} table{'s' if len(tables) != 1 else ''}: {shown}",
            )
        )
    return out


def _relink(spec: Spec, requirements: list[Requirement]) -> tuple[list[Question], list[ExitGate]]:
    """Questions and exit gates whose patterns name selector ids, linked to the stamped ones."""
    if not spec.questions and not spec.exit_gates:
        return [], []
    ids = [r.id for r in requirements]
    questions = []
    for q in spec.questions:
        extra = [r for p in q.patterns if p.startswith("match.") for r in match_ids(p, ids)]
        questions.append(
            dataclasses.replace(
                q, requirement_ids=list(dict.fromkeys([*q.requirement_ids, *extra]))
            )
        )
    gates = []
    for g in spec.exit_gates:
        extra = [r for p in g.patterns if p.startswith("match.") for r in match_ids(p, ids)]
        gates.append(
            dataclasses.replace(
                g, requirement_ids=list(dict.fromkeys([*g.requirement_ids, *extra]))
            )
        )
    return questions, gates


def expanded_spec(spec: Spec, model: SchemaModel) -> tuple[Spec, list[Finding]]:
    """A copy of ``spec`` with every selector stamped out on ``model``, and the selectors' findings.

    The copy has no selectors left, so expanding it again changes nothing.
    """
    if not spec.selectors:
        return spec, []
    requirements, picked = expand(spec, model)
    questions, gates = _relink(spec, requirements)
    asked: dict[str, list[str]] = {}
    for q in questions:
        for rid in q.requirement_ids:
            asked.setdefault(rid, []).append(q.id)
    for req in requirements if asked else ():  # no question: nothing to add to any
        extra = [q for q in dict.fromkeys(asked.get(req.id, [])) if q not in req.questions]
        if extra:
            req.questions = [*req.questions, *extra]
    expanded = dataclasses.replace(
        spec, requirements=requirements, selectors=[], questions=questions, exit_gates=gates
    )
    return expanded, _selector_findings(spec, picked)
