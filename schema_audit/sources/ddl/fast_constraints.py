"""PRIMARY KEY, UNIQUE, FOREIGN KEY and CHECK constraints read from the parser's plain data
(CREATE TABLE's, ALTER TABLE … ADD CONSTRAINT's), for ``sources.ddl.fast``'s readers.

A constraint is read as ``constraints.constraint_read`` reads its node: the plain shapes as
plain data (so the parsing child makes the read, ``parse_ahead``), any other (EXCLUDE,
USING INDEX, WITH options, a key not known here) as its data, from which the apply step
builds the node. A CREATE TABLE CHECK is printed here for the statement's own column
types, once per expression shape and types of the names it reads; ``fast``'s apply step
uses that text only where the model gives every column its type as written and no domain
takes part, else the node's.
"""

from __future__ import annotations

import marshal
from collections.abc import Hashable
from typing import Any

from schema_audit.model import Column
from schema_audit.pgparse import BUILD_ERRORS
from schema_audit.sources.ddl.constraints import ConstraintRead, constraint_read, printed_check
from schema_audit.sources.ddl.fast_data import (
    _MEMO_MAX,
    _RANGE_VAR_KEYS,
    _check,
    _facts,
    _Lazy,
    _NotHere,
    _strings,
)

# a constraint as read from its data: (its ``apply_constraint`` read, or None where its node
# is read; the Constraint's data where the node may be needed: None for the other plain reads)
_ConstraintItem = tuple["ConstraintRead | None", Any]


def _constraint(con: Any, column: str | None) -> _ConstraintItem:
    """A Constraint's data read for ``apply_constraint`` as ``constraints.constraint_read``
    reads its node (``column``: a column constraint's): PRIMARY KEY, UNIQUE, FOREIGN KEY and
    CHECK of the plain shapes; any other (EXCLUDE, USING INDEX, WITH options, a key this
    reader does not know) is read from its node, built from the data by the apply step."""
    try:
        return _plain_constraint(con, column)
    except _NotHere:
        return None, con


def _plain_constraint(con: Any, column: str | None) -> _ConstraintItem:
    if con.__class__ is not dict:
        raise _NotHere
    _check(con, _CONSTRAINT_KEYS)
    kind = _CONSTRAINT_KINDS.get(con.get("contype", ""))
    if kind is None:
        raise _NotHere
    read: ConstraintRead = {
        "kind": kind,
        "name": con.get("conname"),
        "column": column,
        "indexname": None,
        "deferrable": bool(con.get("deferrable", False)),
        "initdeferred": bool(con.get("initdeferred", False)),
        "validated": not con.get("skip_validation", False),
    }
    data = None
    if kind == "primary" or kind == "unique":
        read["keys"] = _strings(con.get("keys", ()))
        read["include"] = _strings(con["including"]) if con.get("including") else []
        read["nulls_not_distinct"] = bool(con.get("nulls_not_distinct", False))
        read["indexspace"] = con.get("indexspace")
        read["options"] = ()
    elif kind == "check":
        if "raw_expr" not in con:
            raise _NotHere
        data = con  # its node is built where the printed text does not hold
        read["no_inherit"] = bool(con.get("is_no_inherit", False))
        read["printed"] = None
    else:
        read["fk_attrs"] = _strings(con.get("fk_attrs", ()))
        read["pk_schema"], read["pk_table"] = _fk_target(con.get("pktable"))
        read["pk_attrs"] = _strings(con.get("pk_attrs", ()))
        actions = con.get("fk_del_action"), con.get("fk_upd_action"), con.get("fk_matchtype")
        if not all(action.__class__ is str for action in actions):
            raise _NotHere
        read["del_action"], read["upd_action"], read["matchtype"] = actions
        read["del_set_cols"] = []  # a column list (fk_del_set_cols) is not plain: the node path
    return read, data


def _fk_target(rv: Any) -> tuple[str | None, str]:
    """(schemaname, relname) of a foreign key's RangeVar (no catalog name)."""
    if rv.__class__ is not dict:
        raise _NotHere
    _check(rv, _RANGE_VAR_KEYS)
    return rv.get("schemaname"), rv["relname"]


def _printed_check(data: Any, types: dict[str, str], nodes: _Lazy) -> tuple | None:
    """(text, columns it reads) of a CHECK's raw expression ``data`` over a new table whose
    columns have ``types`` (``constraints.printed_check``), one print per shape and types of
    the names it reads; None where it is read from its node by the apply step."""
    try:
        facts = _facts(data)
        assert facts is not None
        key = (facts[0], bool(types), tuple([(name, types.get(name)) for name in facts[2]]))
        found = _CHECKS.get(key)
        if found is None:
            columns = {name: Column(name, type_) for name, type_ in types.items()}
            # built from a copy: building consumes the data, which the apply step may build
            # the node from (where this text does not hold)
            copy = marshal.loads(marshal.dumps(data))
            _, text, mentioned = printed_check(nodes.node(copy), columns, None)
            found = (text, tuple(mentioned))
            if len(_CHECKS) >= _MEMO_MAX:
                _CHECKS.clear()
            _CHECKS[key] = found
        return found
    except (_NotHere, *BUILD_ERRORS):
        return None


_CHECKS: dict[Hashable, tuple[str | None, tuple[str, ...]]] = {}


def _constraint_read(
    item: _ConstraintItem, column: str | None, nodes: _Lazy, printed: bool
) -> ConstraintRead:
    """The ``apply_constraint`` read of a :func:`_constraint` pair: as read, or from the
    node built from its data (a CHECK whose printed text does not hold: ``printed`` False)."""
    read, data = item
    if read is None or (read["kind"] == "check" and (not printed or read["printed"] is None)):
        return constraint_read(nodes.node({"Constraint": data}), column)
    return read


# the Constraint keys ``_plain_constraint`` reads (or, as the tree handlers, leaves unread:
# location, is_enforced, initially_valid); any other sends the constraint to its node
_CONSTRAINT_KEYS = frozenset(
    {
        "contype",
        "conname",
        "location",
        "is_enforced",
        "initially_valid",
        "skip_validation",
        "deferrable",
        "initdeferred",
        "keys",
        "including",
        "nulls_not_distinct",
        "indexspace",
        "raw_expr",
        "is_no_inherit",
        "pktable",
        "pk_attrs",
        "fk_attrs",
        "fk_matchtype",
        "fk_upd_action",
        "fk_del_action",
    }
)


_CONSTRAINT_KINDS = {
    "CONSTR_PRIMARY": "primary",
    "CONSTR_UNIQUE": "unique",
    "CONSTR_CHECK": "check",
    "CONSTR_FOREIGN": "foreign",
}


_TABLE_CONSTRAINTS = frozenset(
    {"CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_FOREIGN", "CONSTR_CHECK", "CONSTR_EXCLUSION"}
)
