"""Which texts held a permanent object before a same-named temporary one was made.

PostgreSQL resolves a cast (``'happy'::mood``) or a ``nextval('s')`` literal when the
view, default or CHECK holding it is made, and stores the OID it found. A temporary type
or sequence of the same name made later does not take its place, so the session's end
(``temp_session``) must not re-resolve such a text with the temporary objects first: it
dropped views, CHECKs and defaults PostgreSQL 15 keeps (a false FAIL of each).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

TEMP = "pg_temp"


def shadowing(interp: DdlInterpreter, name: str) -> None:
    """A temporary relation or type ``name`` is being made: where a permanent object of
    that name exists, the expressions permanent objects hold now found it (PostgreSQL
    stores the OID a cast or nextval literal resolved to when the view, default or CHECK
    was made, and a rename keeps it); they are remembered so the session's end does not
    re-resolve them to the temporary one (a false FAIL: views, CHECKs and defaults
    dropped that PostgreSQL keeps)."""
    model = interp.model
    kinds = (model.sequences, model.enums, model.domains, model.tables, model.views)
    if not any(o.name == name and o.schema != TEMP for k in kinds for o in k.values()):
        return
    made = interp._made_before.setdefault(name, set())
    for holder, field in _fields(interp):
        interp._holders.append(holder)  # (kept alive: its id() stays its own)
        made.add((id(holder), field))


def restated(interp: DdlInterpreter, holder: object, field: str) -> None:
    """``holder``'s ``field`` is given a new expression (ALTER COLUMN … SET DEFAULT, ALTER
    POLICY): resolved now, it finds a temporary namesake made before, as PostgreSQL's."""
    for made in interp._made_before.values():
        made.discard((id(holder), field))


def _fields(interp: DdlInterpreter) -> Iterator[tuple[object, str]]:
    """Each object of a permanent one holding an expression, with the field holding it
    (an index is never given another in place: one field)."""
    model = interp.model
    yield from ((v, "definition") for v in model.views.values() if v.schema != TEMP)
    for table in model.tables.values():
        if table.schema == TEMP:
            continue
        for column in table.columns.values():
            yield from ((column, "default"), (column, "generated"))
        yield from ((check, "expression") for check in table.checks.values())
        yield from ((index, "index") for index in table.indexes.values())
        for policy in table.policies.values():
            yield from ((policy, "using"), (policy, "with_check"))
        yield from ((trigger, "when") for trigger in table.triggers.values())
    for domain in model.domains.values():
        yield from ((domain, f"check {name}") for name in domain.checks)
    for fn in interp._standard_bodies.values():
        yield fn, "body"
