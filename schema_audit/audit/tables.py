"""What the table and constraint kinds share (``schema_audit/kinds/``): scalar display,
which constraint or index enforces uniqueness, reading ``table(col)`` references."""

from __future__ import annotations

import re

from schema_audit.model import Table


def show_scalar(value: object) -> str:
    """A scalar diff value in a message: ``none``, ``true``/``false``, else its text."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def unique_on(table: Table, columns: list[str], allow_index: bool) -> str | None:
    """Name of a constraint or full (non-partial) unique index on exactly these columns."""
    wanted = sorted(columns)
    if table.primary_key and sorted(table.primary_key.columns) == wanted:
        return table.primary_key.name
    for uq in table.uniques.values():
        if sorted(uq.columns) == wanted:
            return uq.name
    if allow_index:
        for index in table.indexes.values():
            if (
                index.unique
                and not index.where
                and all(k.is_column for k in index.keys)
                and sorted(index.column_names) == wanted
            ):
                return index.name
    return None


def sqlnorm_columns(expression: str) -> list[str]:
    """Identifiers an expression mentions (a rough guess, for messages and near-misses)."""
    words = re.findall(r"\b([a-z_][a-z0-9_]*)\b(?!\s*\()", expression.lower())
    keywords = {
        "and",
        "or",
        "not",
        "null",
        "is",
        "in",
        "true",
        "false",
        "between",
        "like",
        "ilike",
        "any",
        "all",
        "array",
        "text",
        "numeric",
        "integer",
    }
    out: list[str] = []
    for w in words:
        if w not in keywords and w not in out:
            out.append(w)
    return out


def parse_reference(text: str, default_schema: str) -> tuple[str, str, list[str]]:
    """'schema.table(col, …)' → (schema, table, columns); columns may be empty (= its PK).
    The table is named as ``init`` writes it, bare: a schema may hold spaces and quotes
    (PostgREST's ``SPECIAL "@/\\#~_-``), so anything but parentheses is its name."""
    m = re.fullmatch(r"\s*([^()]*[^()\s])\s*(?:\(([^()]*)\))?\s*", text)
    if not m:
        raise ValueError(f"cannot read reference {text!r}; expected 'table(column)'")
    target, cols = m.group(1), m.group(2)
    schema, _, table = target.rpartition(".")
    columns = [c.strip().strip('"') for c in cols.split(",")] if cols else []
    return (schema or default_schema, table.strip('"'), columns)
