"""``extends:`` composition: merge a spec over its bases without losing a requirement.

Mappings merge key by key. Lists of requirements (a table's indexes, policies,
triggers …) merge *by identity*: an item with the same name, or for unnamed
items the same shape (an index's columns and predicate, a trigger's timing and
events …), refines the base's item key by key; other items are added. Replacing
a table's whole list silently dropped hundreds of requirements when a team added
one index to a table of an ``init`` spec. ``replace: true`` in a mapping (a table,
a selector) makes it replace the base's instead of merging into it. Sections that
are plain lists (questions, waivers …) concatenate.

Positions follow the items: every value keeps the file:line it was written at,
so ``validate-spec --explain`` can say where each requirement came from.
"""

from __future__ import annotations

from typing import Any

from schema_audit.spec.yamlpos import Path_

CONCATENATED = ("questions", "exit_gates", "waivers", "categories", "absent_tables")
# a table's (or a selector's require:) lists whose items are requirements
IDENTITY_LISTS = (
    "unique",
    "checks",
    "foreign_keys",
    "indexes",
    "policies",
    "triggers",
    "privileges",
)
Moves = dict[Path_, Path_]


def identity(item: Any) -> Any:
    """What makes a list item the same requirement: its name, else its shape."""
    if not isinstance(item, dict):
        return ("value", repr(item))
    if item.get("name"):
        return ("name", item["name"])
    if item.get("id"):
        return ("id", item["id"])
    shape = {
        k: v
        for k, v in item.items()
        if k
        in (
            "columns",
            "leading",
            "covers",
            "where",
            "references",
            "expression",
            "command",
            "timing",
            "events",
            "level",
            "roles",
            "grant",
            "deny",
        )
    }
    return ("shape", repr(sorted(shape.items())))


def merge(
    base: Any,
    override: Any,
    *,
    base_path: Path_ = (),
    over_path: Path_ = (),
    key: str | None = None,
    base_moves: Moves | None = None,
    over_moves: Moves | None = None,
) -> Any:
    """``override`` merged over ``base``; list items that move are recorded in the ``*_moves``."""
    base_moves = base_moves if base_moves is not None else {}
    over_moves = over_moves if over_moves is not None else {}
    if isinstance(base, dict) and isinstance(override, dict):
        if override.get("replace") is True:
            return {k: v for k, v in override.items() if k != "replace"}
        out = dict(base)
        for k, v in override.items():
            out[k] = (
                merge(
                    base[k],
                    v,
                    base_path=(*base_path, k),
                    over_path=(*over_path, k),
                    key=k,
                    base_moves=base_moves,
                    over_moves=over_moves,
                )
                if k in base
                else v
            )
        return out
    if isinstance(base, list) and isinstance(override, list):
        if key in CONCATENATED:
            for i in range(len(override)):
                over_moves[(*over_path, i)] = (*base_path, len(base) + i)
            return base + override
        if key in IDENTITY_LISTS:
            return _merge_items(base, override, base_path, over_path, base_moves, over_moves)
    return override


def _merge_items(
    base: list[Any],
    override: list[Any],
    base_path: Path_,
    over_path: Path_,
    base_moves: Moves,
    over_moves: Moves,
) -> list[Any]:
    out = list(base)
    where = {identity(item): i for i, item in enumerate(base)}
    for i, item in enumerate(override):
        slot = where.get(identity(item))
        if slot is None:
            slot = len(out)
            out.append(item)
            where[identity(item)] = slot
        else:
            out[slot] = merge(
                out[slot],
                item,
                base_path=(*base_path, slot),
                over_path=(*base_path, slot),
                base_moves=base_moves,
                over_moves=over_moves,
            )
        over_moves[(*over_path, i)] = (*base_path, slot)
    return out


def move(path: Path_, moves: Moves) -> Path_:
    """Where a value written at ``path`` ended up (its longest moved prefix decides)."""
    if not moves:
        return path
    for cut in range(len(path), 0, -1):
        target = moves.get(path[:cut])
        if target is not None:
            return (*target, *path[cut:])
    return path
