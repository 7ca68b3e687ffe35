"""Find the tenant column of a schema, so ``init`` can write the pattern instead of 500 entries.

A multi-tenant schema repeats one column (``organization_id``, ``tenant_id`` …)
on most of its tables, usually as a foreign key to one table. ``init`` turns what
it sees into a ``match:`` selector and says it in a comment ("125 of 139 tables
carry organization_id; 122 have no RLS"), so the first review is about the
pattern and its exceptions.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from schema_audit.model import SchemaModel, Table

_TENANT_WORDS = re.compile(
    r"^(tenant|org|organization|organisation|account|workspace|company|team|customer|client|"
    r"project|space)_?(id|uuid|key)$",
    re.IGNORECASE,
)
MIN_TABLES = 2
MIN_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class TenantPattern:
    """A column most tables carry, guessed as the tenant key, with the tables that carry it."""

    column: str
    tables: tuple[Table, ...]  # tables carrying the column (not the one it references)
    total: int  # tables considered
    referenced: str | None  # qualified table most of its foreign keys point at

    @property
    def without_rls(self) -> tuple[Table, ...]:
        return tuple(t for t in self.tables if not t.rls_enabled)

    @property
    def not_forced(self) -> tuple[Table, ...]:
        return tuple(t for t in self.tables if t.rls_enabled and not t.rls_forced)

    def summary(self) -> str:
        bare, loose = len(self.without_rls), len(self.not_forced)
        return (
            f"{len(self.tables)} of {self.total} tables carry {self.column}; "
            f"{bare} {'has' if bare == 1 else 'have'} no RLS, {loose} RLS not forced"
        )


def _considered(model: SchemaModel) -> list[Table]:
    return [
        t
        for _, t in sorted(model.tables.items())
        if not t.partition_of
        and t.kind != "foreign"
        and not (t.name == "alembic_version" and t.schema == "public")
    ]


def detect(model: SchemaModel, column: str | None = None) -> TenantPattern | None:
    """The tenant column (``column`` if given): a tenant-like name on enough tables."""
    tables = _considered(model)
    if not tables:
        return None
    if column is None:
        counts = Counter(c for t in tables for c in t.columns if _TENANT_WORDS.match(c))
        ranked = [
            (n, c) for c, n in counts.items() if n >= MIN_TABLES and n >= MIN_SHARE * len(tables)
        ]
        if not ranked:
            return None
        column = max(ranked)[1]
    carrying = [t for t in tables if column in t.columns]
    targets = Counter(
        f"{fk.ref_schema}.{fk.ref_table}"
        for t in carrying
        for fk in t.foreign_keys.values()
        if fk.columns == [column]
    )
    referenced = targets.most_common(1)[0][0] if targets else None
    carrying = [t for t in carrying if f"{t.schema}.{t.name}" != referenced]
    if not carrying:
        return None
    return TenantPattern(column, tuple(carrying), len(tables), referenced)
