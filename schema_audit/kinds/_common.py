"""Small helpers the kind modules share: reading a finding's diffs, labelling list items."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Finding
from schema_audit.model import qualify
from schema_audit.spec.model import Requirement


def diff_of(f: Finding, prop: str) -> Diff | None:
    """The finding's diff of ``prop``, if it has one."""
    return next((d for d in f.diffs if d.property == prop), None)


def exists(f: Finding) -> bool:
    """Whether the object the finding is about exists (its ``exists`` diff says not)."""
    return not any(d.property == "exists" and d.actual is False for d in f.diffs)


def after_adding(f: Finding) -> str:
    """' — after adding a, b' when required columns are missing too (the finding's diff says so)."""
    d = diff_of(f, "missing_columns")
    return f" — after adding {', '.join(d.actual)}" if d and d.actual else ""


def columns_label(item: Mapping[str, Any]) -> str | None:
    """An unnamed list item's id part from its columns (``tenant_id+email``), if it has any."""
    columns = item.get("columns")
    if not columns:
        return None
    return "+".join(c.split()[0].strip("()") for c in columns)


COMMENT_PROP = {
    "type": ["string", "null"],
    "description": "Its COMMENT (null = none); compared when stated, and under exactly: an "
    "unstated one FAILs.",
}


def comment_diffs(props: Mapping[str, Any], actual: str | None) -> list[Diff]:
    """A Diff when the requirement states a ``comment`` (null or empty = none) the object does
    not have: a COMMENT ON INDEX / CONSTRAINT / TRIGGER / POLICY changed after ``init``."""
    if "comment" in props and (props["comment"] or None) != (actual or None):
        return [Diff("comment", props["comment"], actual)]
    return []


def type_facets(req: Requirement) -> list[Facet]:
    """What a type entry's finding reads from the model (domains, composite and range
    types): the type by its key, so an unapplied statement on it DEFERs only that entry."""
    return [Facet("type", qualify(req.schema, req.name or ""))]
