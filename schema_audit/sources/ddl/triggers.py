"""CREATE [OR REPLACE] TRIGGER (enabling and disabling is ALTER TABLE's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast

from schema_audit.model import Trigger, qualify
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import strings
from schema_audit.sources.ddl.refusals import cannot_find
from schema_audit.sources.ddl.registry import handles
from schema_audit.sources.ddl.trigger_when import when_text

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


# Trigger functions PostgreSQL ships: pg_catalog is searched before the search_path, so an
# unqualified `tsvector_update_trigger` is pg_catalog's (pg_dump writes it so).
_CATALOG_TRIGGER_FUNCTIONS = frozenset(
    {
        "tsvector_update_trigger",
        "tsvector_update_trigger_column",
        "suppress_redundant_updates_trigger",
    }
)


def _trigger_function(interp: DdlInterpreter, names: list[str]) -> str:
    """The trigger's function as the catalog names it (``schema.fn``, bare in public): an
    unqualified name resolved as PostgreSQL resolves it, pg_catalog first, then the
    search_path's schemas that hold a function of that name; left as written otherwise."""
    if len(names) > 1:
        schema, name = names[-2], names[-1]
    elif names[0] in _CATALOG_TRIGGER_FUNCTIONS:
        schema, name = "pg_catalog", names[0]
    else:
        name = names[0]
        found = next((s for s in interp.search_path if interp.model.functions_named(name, s)), None)
        if found is None and cannot_find(interp, None, name):
            raise ApplyError(f"function {name}() does not exist")
        schema = found or "public"
    if len(names) > 1 and cannot_find(interp, schema, name):
        raise ApplyError(f"function {schema}.{name}() does not exist")
    return name if schema == "public" else f"{schema}.{name}"


@handles(ast.CreateTrigStmt)
def create_trigger(interp: DdlInterpreter, node: ast.CreateTrigStmt) -> None:
    """CREATE [OR REPLACE] [CONSTRAINT] TRIGGER: timing, events, level, function, WHEN.
    A trigger on a view (INSTEAD OF) is not modelled: named as a blind spot, as a live read
    names it, not refused as "table … does not exist" (Marquez's jobs_view)."""
    key = qualify(interp._schema_of(node.relation), node.relation.relname)
    if key not in interp.model.tables and key in interp.model.views:
        prov = interp._prov()
        interp.model.blind_spots.append(
            f"{prov.file or 'SQL'}:{prov.line or 1}: trigger {node.trigname} on view {key} is "
            "not modelled: no requirement checks it (an INSTEAD OF trigger decides what an "
            "INSERT, UPDATE or DELETE on the view does)"
        )
        return
    table = interp._table(node.relation)
    if node.trigname in table.triggers and not node.replace:
        raise ApplyError(f"trigger {node.trigname} on {table.qualified_name} already exists")
    timing = node.timing or 0
    events = node.events or 0
    function = _trigger_function(interp, strings(node.funcname))
    event_names = [
        e
        for bit, e in ((4, "INSERT"), (16, "UPDATE"), (8, "DELETE"), (32, "TRUNCATE"))
        if events & bit
    ]
    when = "INSTEAD OF" if timing & 64 else ("BEFORE" if timing & 2 else "AFTER")
    table.triggers[node.trigname] = Trigger(
        node.trigname,
        when,
        event_names,
        level="ROW" if node.row else "STATEMENT",
        function=function,
        arguments=strings(node.args),
        when=when_text(table, node, event_names, when),
        update_columns=strings(node.columns),
        constraint=bool(node.isconstraint),
        provenance=[interp._prov()],
        deferrable=bool(node.deferrable),
        initially_deferred=bool(node.initdeferred),
        old_table=next((t.name for t in node.transitionRels or () if not t.isNew), None),
        new_table=next((t.name for t in node.transitionRels or () if t.isNew), None),
        from_table=(
            qualify(interp._schema_of(node.constrrel), node.constrrel.relname)
            if node.constrrel is not None
            else None
        ),
    )
