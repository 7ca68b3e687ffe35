"""CREATE SEQUENCE and ALTER SEQUENCE: OWNED BY and the options pg_sequence keeps (AS,
INCREMENT, MINVALUE, MAXVALUE, START, CACHE, CYCLE), defaulted as PostgreSQL's
``init_params`` does (sequence.c), so a static reading has the values the catalog has."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast

from schema_audit.model import Sequence, View, qualify
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import strings
from schema_audit.sources.ddl.registry import handles

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


@handles(ast.CreateSeqStmt)
def create_sequence(interp: DdlInterpreter, node: ast.CreateSeqStmt) -> None:
    """CREATE SEQUENCE: the sequence with the default grants of its creator."""
    schema = interp.creation_schema(node.sequence)
    seq = Sequence(
        schema,
        node.sequence.relname,
        grants=interp._defaults_for("sequences", schema),
        provenance=[interp._prov()],
    )
    owned_by = _owned_by(interp, seq, node.options)  # (refused: no sequence is made)
    interp.model.sequences[qualify(schema, seq.name)] = seq
    interp._relations[qualify(schema, seq.name)] = "sequence"
    apply_options(seq, node.options, creating=True)
    if owned_by is not None:
        seq.owned_by = owned_by[0]


# format_type's name of each integer type a sequence may be, and its range
_TYPES = {
    "int2": "smallint",
    "smallint": "smallint",
    "int4": "integer",
    "integer": "integer",
    "int": "integer",
    "int8": "bigint",
    "bigint": "bigint",
}
RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}


def _number(arg: object) -> int:
    """An option's number: an Integer node, or a Float one past 32 bits (its text)."""
    value = getattr(arg, "ival", None)
    return int(value) if value is not None else int(str(getattr(arg, "fval", arg)))


def apply_options(seq: Sequence, options: tuple[ast.DefElem, ...] | None, creating: bool) -> None:
    """The options of CREATE / ALTER SEQUENCE (or a serial's, with only AS), in the order
    PostgreSQL's init_params applies them: a changed AS moves a MINVALUE / MAXVALUE that was
    the old type's bound to the new type's; NO MINVALUE / NO MAXVALUE (and creation) take the
    default for the direction of INCREMENT; START defaults to the bound it starts from."""
    given = {opt.defname: opt.arg for opt in options or ()}
    reset_min = reset_max = False
    if "as" in given:
        names = strings(given["as"].names)
        new_type = _TYPES.get(names[-1].lower(), names[-1].lower())
        if not creating:
            low, high = RANGES.get(seq.data_type, RANGES["bigint"])
            reset_max, reset_min = seq.maxvalue == high, seq.minvalue == low
        seq.data_type = new_type
    elif creating:
        seq.data_type = "bigint"
    if "increment" in given:
        seq.increment = _number(given["increment"])
    elif creating:
        seq.increment = 1
    if "cycle" in given:
        seq.cycle = bool(given["cycle"].boolval)
    elif creating:
        seq.cycle = False
    low, high = RANGES.get(seq.data_type, RANGES["bigint"])
    if given.get("maxvalue") is not None:
        seq.maxvalue = _number(given["maxvalue"])
    elif creating or "maxvalue" in given or reset_max:
        seq.maxvalue = high if seq.increment > 0 or reset_max else -1
    if given.get("minvalue") is not None:
        seq.minvalue = _number(given["minvalue"])
    elif creating or "minvalue" in given or reset_min:
        seq.minvalue = low if seq.increment < 0 or reset_min else 1
    if given.get("start") is not None:
        seq.start = _number(given["start"])
    elif creating:
        seq.start = seq.minvalue if seq.increment > 0 else seq.maxvalue
    if given.get("cache") is not None:
        seq.cache = _number(given["cache"])
    elif creating:
        seq.cache = 1


def _owned_by(
    interp: DdlInterpreter, seq: Sequence, options: tuple[ast.DefElem, ...] | None
) -> tuple[str | None] | None:
    """OWNED BY t.c (in CREATE or ALTER SEQUENCE): the column that owns the sequence, so it is
    dropped with its table or column (``(None,)``: OWNED BY NONE; None: no OWNED BY). Checked
    as PostgreSQL's process_owned_by checks it, which refuses the whole statement: the table
    (found through the search_path, temporary first) must exist, be a table or a view, be in
    the sequence's schema, and have the column. (A different owner is refused too; the model
    knows both owners only where the history names them.)"""
    for opt in options or ():
        if opt.defname != "owned_by":
            continue
        parts = strings(opt.arg)
        if parts == ["none"]:
            return (None,)
        if len(parts) < 2:
            raise ApplyError("invalid OWNED BY option", "syntax_error")
        relname, column = parts[-2], parts[-1]
        key = qualify(interp._schema_named(parts[-3] if len(parts) > 2 else None, relname), relname)
        relation = interp.model.tables.get(key) or interp.model.views.get(key)
        if relation is None and key in interp.model.sequences:
            raise ApplyError(f"sequence cannot be owned by relation {key}", "wrong_object_type")
        if relation is None:
            raise ApplyError(f"relation {key} does not exist at this point of the history")
        if getattr(relation, "materialized", False):
            raise ApplyError(f"sequence cannot be owned by relation {key}", "wrong_object_type")
        if relation.schema != seq.schema:
            raise ApplyError(
                "sequence must be in same schema as table it is linked to",
                "object_not_in_prerequisite_state",
            )
        if seq.owner is not None and relation.owner is not None and seq.owner != relation.owner:
            raise ApplyError(
                "sequence must have same owner as table it is linked to",
                "object_not_in_prerequisite_state",
            )
        if isinstance(relation, View):
            known = column in {c.name for c in relation.columns}
        else:
            known = column in relation.columns
        if not known:
            raise ApplyError(f"column {column} of relation {key} does not exist")
        return (f"{relname}.{column}",)
    return None


@handles(ast.AlterSeqStmt)
def alter_sequence(interp: DdlInterpreter, node: ast.AlterSeqStmt) -> None:
    """ALTER SEQUENCE: its options, and OWNED BY (the column that owns it: it is dropped with
    its table)."""
    rv = node.sequence
    paths = [rv.schemaname] if rv.schemaname else ["pg_temp", *interp.search_path]
    keys = [qualify(schema, rv.relname) for schema in paths]
    key = next((k for k in keys if k in interp.model.sequences), keys[-1])
    if key in interp.model.sequences:
        seq = interp.model.sequences[key]
        owned_by = _owned_by(interp, seq, node.options)  # (refused: nothing changes)
        apply_options(seq, node.options, creating=False)
        if owned_by is not None:
            seq.owned_by = owned_by[0]
