"""CREATE [OR REPLACE] TRIGGER (enabling and disabling is ALTER TABLE's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast

from schema_audit.model import Trigger
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import deparse, strings
from schema_audit.sources.ddl.registry import handles

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


@handles(ast.CreateTrigStmt)
def create_trigger(interp: DdlInterpreter, node: ast.CreateTrigStmt) -> None:
    """CREATE [OR REPLACE] [CONSTRAINT] TRIGGER: timing, events, level, function, WHEN."""
    table = interp._table(node.relation)
    if node.trigname in table.triggers and not node.replace:
        raise ApplyError(f"trigger {node.trigname} on {table.qualified_name} already exists")
    timing = node.timing or 0
    events = node.events or 0
    fn = strings(node.funcname)
    function = fn[-1] if len(fn) == 1 or fn[0] == "public" else ".".join(fn)
    table.triggers[node.trigname] = Trigger(
        node.trigname,
        "INSTEAD OF" if timing & 64 else ("BEFORE" if timing & 2 else "AFTER"),
        [
            e
            for bit, e in ((4, "INSERT"), (16, "UPDATE"), (8, "DELETE"), (32, "TRUNCATE"))
            if events & bit
        ],
        level="ROW" if node.row else "STATEMENT",
        function=function,
        arguments=strings(node.args),
        when=deparse(node.whenClause),
        update_columns=strings(node.columns),
        constraint=bool(node.isconstraint),
        provenance=[interp._prov()],
    )
