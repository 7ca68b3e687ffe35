"""Which partition index is attached to which index of its partitioned parent.

PostgreSQL records the attachment (pg_inherits between the two indexes, a partition
dependency) and acts on it: DROP INDEX of an attached partition index is refused ("cannot
drop index events_2026_status_idx because index events_status requires it", CASCADE or
not), and DROP INDEX of the parent drops every index attached to it, down the tree. The
static reading kept no such link, so it dropped the partition's index where PostgreSQL
refuses the statement (the rest of the history audited as if it had applied) and left an
explicitly attached index (`ALTER INDEX … ATTACH PARTITION`, or an equal index ATTACH
PARTITION adopted) behind when the parent's was dropped.

The links are held by identity (an index renamed stays linked) beside the model, and cross
from one file to the next with the reader's session (``resume.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schema_audit.model import Index, Table, View

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# id(partition index) -> (its table, it, the parent table, the parent's index)
Links = dict[int, tuple[Table | View, Index, Table | View, Index]]


def links(interp: DdlInterpreter) -> Links:
    found: Links | None = getattr(interp, "_index_links", None)
    if found is None:
        found = interp._index_links = {}  # type: ignore[attr-defined]
    return found


def link(
    interp: DdlInterpreter, child: Table | View, index: Index, parent: Table | View, of: Index
) -> None:
    """``index`` (on partition ``child``) is now attached to ``of`` (on ``parent``)."""
    links(interp)[id(index)] = (child, index, parent, of)


def _current(interp: DdlInterpreter, relation: Table | View, index: Index) -> bool:
    return relation.indexes.get(index.name) is index and interp._is_current(relation)


def parent_of(interp: DdlInterpreter, index: Index) -> tuple[Table | View, Index] | None:
    """The parent index ``index`` is attached to, while both exist."""
    entry = getattr(interp, "_index_links", {}).get(id(index))
    if entry is None or entry[1] is not index:
        return None
    child, _, parent, of = entry
    if not (_current(interp, child, index) and _current(interp, parent, of)):
        return None
    return parent, of


def attached_to(interp: DdlInterpreter, of: Index) -> list[tuple[Table | View, Index]]:
    """The current partition indexes attached to ``of``, in the order they were attached."""
    found = getattr(interp, "_index_links", {})
    return [
        (child, index)
        for child, index, _, parent_index in found.values()
        if parent_index is of and _current(interp, child, index)
    ]


def detach(interp: DdlInterpreter, partition: Table, parent: Table) -> None:
    """DETACH PARTITION: the partition's indexes are no longer attached to the parent's
    (they stay, as indexes of a table of its own)."""
    found = getattr(interp, "_index_links", {})
    for key, (child, _, owner, _) in list(found.items()):
        if child is partition and owner is parent:
            del found[key]


def rekey(relation: Table | View, old: str, new: str) -> None:
    """The index named ``old`` renamed ``new`` in its place among the relation's indexes.

    The indexes are kept in the order they were made, which is PostgreSQL's order (by OID)
    when ATTACH PARTITION adopts the first of several equal indexes of the partition; a
    rename moved the index last, and the static reading adopted another one than the
    catalog did (so a later DROP INDEX of the parent dropped the wrong one)."""
    items = [(new if key == old else key, value) for key, value in relation.indexes.items()]
    relation.indexes.clear()
    relation.indexes.update(items)


def capture(interp: DdlInterpreter) -> list[tuple[str, str, str, str]] | None:
    """The current links as (partition, its index, parent table, parent index) names; None
    when one is not between current relations' current indexes (not kept exactly)."""
    out = []
    for child, index, parent, of in getattr(interp, "_index_links", {}).values():
        if _current(interp, child, index) and _current(interp, parent, of):
            if isinstance(child, View) or isinstance(parent, View):
                return None
            out.append((child.qualified_name, index.name, parent.qualified_name, of.name))
    return out


def restore(interp: DdlInterpreter, kept: list[tuple[str, str, str, str]]) -> None:
    tables = interp.model.tables
    for child, index, parent, of in kept:
        link(
            interp,
            tables[child],
            tables[child].indexes[index],
            tables[parent],
            tables[parent].indexes[of],
        )
