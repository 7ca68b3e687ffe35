"""CREATE SEQUENCE and ALTER SEQUENCE: OWNED BY and the options pg_sequence keeps (AS,
INCREMENT, MINVALUE, MAXVALUE, START, CACHE, CYCLE), defaulted as PostgreSQL's
``init_params`` does (sequence.c), so a static reading has the values the catalog has."""

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
    schema = interp.creation_schema(node.sequence)
    seq = Sequence(
        schema,
        node.sequence.relname,
        grants=interp._defaults_for("sequences", schema),
        provenance=[interp._prov()],
    )
    interp.model.sequences[qualify(schema, seq.name)] = seq
    interp._relations[qualify(schema, seq.name)] = "sequence"
    apply_options(seq, node.options, creating=True)
    _apply_owned_by(seq, node.options)


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
    """ALTER SEQUENCE: its options, and OWNED BY (the column that owns it: it is dropped with
    its table)."""
    key = qualify(node.sequence.schemaname or interp.search_path[0], node.sequence.relname)
    if key in interp.model.sequences:
        apply_options(interp.model.sequences[key], node.options, creating=False)
        _apply_owned_by(interp.model.sequences[key], node.options)
