"""CREATE SEQUENCE and ALTER SEQUENCE … OWNED BY."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast

from schema_audit.model import Sequence, qualify
from schema_audit.sources.ddl.nodes import strings
from schema_audit.sources.ddl.registry import handles

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


@handles(ast.CreateSeqStmt)
def create_sequence(interp: DdlInterpreter, node: ast.CreateSeqStmt) -> None:
    """CREATE SEQUENCE: the sequence with the default grants of its creator."""
    schema = node.sequence.schemaname or interp.search_path[0]
    seq = Sequence(
        schema,
        node.sequence.relname,
        grants=interp._defaults_for("sequences", schema),
        provenance=[interp._prov()],
    )
    interp.model.sequences[qualify(schema, seq.name)] = seq
    interp._relations[qualify(schema, seq.name)] = "sequence"
    _apply_owned_by(seq, node.options)


def _apply_owned_by(seq: Sequence, options: tuple[ast.DefElem, ...] | None) -> None:
    """OWNED BY t.c (in CREATE or ALTER SEQUENCE): the column that owns the sequence, so it is
    dropped with its table or column; OWNED BY NONE clears it, as in PostgreSQL."""
    for opt in options or ():
        if opt.defname == "owned_by":
            parts = strings(opt.arg)
            if parts == ["none"]:
                seq.owned_by = None
            elif len(parts) >= 2:
                seq.owned_by = f"{parts[-2]}.{parts[-1]}"


@handles(ast.AlterSeqStmt)
def alter_sequence(interp: DdlInterpreter, node: ast.AlterSeqStmt) -> None:
    """ALTER SEQUENCE … OWNED BY: the column that owns it (it is dropped with its table)."""
    key = qualify(node.sequence.schemaname or interp.search_path[0], node.sequence.relname)
    if key in interp.model.sequences:
        _apply_owned_by(interp.model.sequences[key], node.options)
