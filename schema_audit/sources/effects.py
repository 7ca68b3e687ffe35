"""What a statement can change, and what a later statement settles again.

The static reader keeps going past what it cannot apply (dynamic SQL it cannot decide, a
statement on an object it does not know). Such a statement is not a reason to doubt the
whole table for the whole history: it can only change the *kinds* of object its verbs
reach (``ENABLE ROW LEVEL SECURITY`` cannot add a foreign key), on the objects it *names*,
and only until a later plain statement establishes them again (a foreign key dropped and
re-added after it is known again). This module answers those three questions from the
parsed statement, never from a regular expression over its text:

* :func:`statement_effects` — the :class:`Effect` s of a parsed statement;
* :func:`text_effects` — for text that does not parse (dynamic SQL with unknown pieces),
  the kinds its keywords can reach, on any object;
* :func:`settles` — the facets an applied statement establishes again;
* :class:`Ledger` — the open effects of the unapplied statements so far, settled as the
  history goes on.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import pglast
from pglast import ast
from pglast.enums import AlterTableType, CmdType, ConstrType, DropBehavior, ObjectType

from schema_audit.model import Effect, UnappliedStatement, qualify
from schema_audit.pgparse import parse_sql

# An identifier the PL/pgSQL evaluator puts where a value is unknown: a name holding it is "*".
HOLE = "sa_hole_"

CONSTRAINT_KINDS = ("primary_key", "unique", "check", "foreign_key", "index")
# What dropping or renaming a column can reach on its table (never the table itself).
COLUMN_REACH = ("column", *CONSTRAINT_KINDS, "policy", "trigger", "view")
_CONTYPE_KINDS: dict[int, tuple[str, ...]] = {
    ConstrType.CONSTR_PRIMARY: ("primary_key", "index", "column"),
    ConstrType.CONSTR_UNIQUE: ("unique", "index"),
    ConstrType.CONSTR_FOREIGN: ("foreign_key",),
    ConstrType.CONSTR_CHECK: ("check",),
    ConstrType.CONSTR_EXCLUSION: ("index",),
    ConstrType.CONSTR_NOTNULL: ("column",),
}


class Resolver(Protocol):
    """What names resolve against: the interpreter's search path and model."""

    search_path: list[str]

    def _schema_of(self, rv: ast.RangeVar) -> str: ...

    def _index_owner(self, schema: str | None, name: str) -> tuple[object, object] | None: ...


def _name(text: str | None) -> str:
    return "*" if not text or HOLE in text else text


def _relation(rv: ast.RangeVar | None, resolver: Resolver) -> str:
    if rv is None or not rv.relname or HOLE in rv.relname or HOLE in (rv.schemaname or ""):
        return "*"
    return qualify(resolver._schema_of(rv), rv.relname)


def _strings(nodes) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.sval for n in nodes or () if isinstance(n, ast.String)]


def _qualified(names: list[str], resolver: Resolver) -> str:
    if not names or any(HOLE in n for n in names):
        return "*"
    schema = names[-2] if len(names) > 1 else (resolver.search_path or ["public"])[0]
    return qualify(schema, names[-1])


def _e(kind: str, target: str, name: str = "*", sticky: bool = False) -> Effect:
    return Effect(kind, target, name, sticky)


# the relation each element of CREATE SCHEMA makes (or, for an index or a trigger, the one it
# is on), by node type name: PostgreSQL puts it in the schema being created
SCHEMA_ELEMENT_RELATION = {
    "CreateSeqStmt": "sequence",
    "CreateStmt": "relation",
    "ViewStmt": "view",
    "IndexStmt": "relation",
    "CreateTrigStmt": "relation",
}


def schema_elements(node: ast.CreateSchemaStmt) -> list[ast.Node]:
    """Copies of the elements of ``CREATE SCHEMA app CREATE TABLE t …`` with each element's
    relation in ``app`` when it names no schema, as PostgreSQL's transformCreateSchemaStmt
    puts it (one naming another schema is left as written: PostgreSQL refuses it)."""
    name = node.schemaname or (node.authrole.rolename if node.authrole is not None else None)
    elements = [copy.deepcopy(e) for e in node.schemaElts or ()]
    for element in elements:
        field = SCHEMA_ELEMENT_RELATION.get(type(element).__name__)
        rv = getattr(element, field) if field else None
        if rv is not None and not rv.schemaname:
            rv.schemaname = name
    return elements


def statement_effects(node: ast.Node | None, resolver: Resolver) -> list[Effect]:
    """What ``node`` can change, by kind, target and name (``*`` where it cannot be known)."""
    if node is None:
        return [_e("*", "*")]
    handler = _HANDLERS.get(type(node).__name__)
    if handler is not None:
        return dedupe(handler(node, resolver))
    if isinstance(node, ast.SelectStmt) and node.intoClause is not None:
        return [
            _e("*", _relation(node.intoClause.rel, resolver))
        ]  # SELECT … INTO t: CREATE TABLE AS
    if isinstance(node, ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt | ast.SelectStmt):
        # data, unless it calls a function of the history that may change the schema (a
        # lone `SELECT mk('t')` applied and then perhaps rolled back: what the body made)
        return _history_calls(node, resolver)
    if isinstance(node, ast.CopyStmt | ast.VariableShowStmt | ast.TransactionStmt):
        return []
    if isinstance(node, ast.VacuumStmt):  # VACUUM / ANALYZE: rows and statistics, no schema
        return []
    return [_e("*", "*")]


def _history_calls(node: ast.Node, resolver: Resolver) -> list[Effect]:
    """The effects of the bodies of the history's schema-changing functions ``node`` calls
    (none when the resolver is not an interpreter with a model)."""
    if getattr(getattr(resolver, "model", None), "functions", None) is None:
        return []
    from schema_audit.sources.function_calls import may_call_history, schema_calls

    # the statement's text, when ``node`` is the one being read, tells first whether it may
    # call a function of the history at all (a data load's INSERTs call only built-ins)
    stmt = getattr(resolver, "_stmt", None)
    if stmt is not None and stmt.node is node and not may_call_history(resolver, stmt.sql):  # type: ignore[arg-type]
        return []
    return dedupe(e for _, _, found in schema_calls(resolver, node) for e in found)  # type: ignore[arg-type]


def dedupe(effects: Iterable[Effect]) -> list[Effect]:
    out: dict[tuple[str, str, str, bool], Effect] = {}
    for e in effects:
        out.setdefault((e.kind, e.target, e.name, e.sticky), e)
    return list(out.values())


def _create_table(node: ast.CreateStmt, r: Resolver) -> list[Effect]:
    target = _relation(node.relation, r)
    out = [_e("*", target)]
    if node.partbound is not None and node.inhRelations:
        out.append(_e("partition", _relation(node.inhRelations[0], r)))
    return out


def _constraint_effects(
    con: ast.Constraint, target: str, column: str | None = None
) -> list[Effect]:
    kinds = _CONTYPE_KINDS.get(con.contype, ())
    name = _name(con.conname)
    out = []
    for kind in kinds:
        out.append(_e(kind, target, (column or "*") if kind == "column" else name))
    return out


def _alter_table(node: ast.AlterTableStmt, r: Resolver) -> list[Effect]:
    A = AlterTableType
    if node.objtype in (ObjectType.OBJECT_INDEX, ObjectType.OBJECT_SEQUENCE):
        return []
    target = _relation(node.relation, r)
    if node.objtype in (ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW):
        return [_e("view", target), _e("owner", target), _e("privilege", target)]
    out: list[Effect] = []
    for cmd in node.cmds or ():
        t = cmd.subtype
        column = _name(cmd.name)
        if t == A.AT_AddColumn:
            cd = cmd.def_
            out.append(_e("column", target, _name(cd.colname)))
            for con in cd.constraints or ():
                if isinstance(con, ast.Constraint):
                    out += _constraint_effects(con, target, _name(cd.colname))
        elif t == A.AT_DropColumn:
            out += [_e(k, target) for k in COLUMN_REACH]
        elif t in (A.AT_AttachPartition, A.AT_DetachPartition):
            out.append(_e("*", target))
            if isinstance(cmd.def_, ast.PartitionCmd):
                out.append(_e("*", _relation(cmd.def_.name, r)))
        elif t == A.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
            out += _constraint_effects(cmd.def_, target)
        elif t in (A.AT_DropConstraint, A.AT_ValidateConstraint, A.AT_AlterConstraint):
            name = _name(cmd.name) if cmd.name else "*"
            out += [_e(kind, target, name) for kind in CONSTRAINT_KINDS]
            if t == A.AT_DropConstraint:
                out.append(_e("column", target))  # a dropped primary key leaves NOT NULL, …
        elif t in (A.AT_EnableRowSecurity, A.AT_DisableRowSecurity):
            out.append(_e("rls", target, "enabled"))
        elif t in (A.AT_ForceRowSecurity, A.AT_NoForceRowSecurity):
            out.append(_e("rls", target, "forced"))
        elif t == A.AT_ChangeOwner:
            out += [_e("owner", target), _e("privilege", target)]
        elif t in (
            A.AT_EnableTrig,
            A.AT_DisableTrig,
            A.AT_EnableAlwaysTrig,
            A.AT_EnableReplicaTrig,
            A.AT_EnableTrigAll,
            A.AT_DisableTrigAll,
            A.AT_EnableTrigUser,
            A.AT_DisableTrigUser,
        ):
            out.append(_e("trigger", target, column if cmd.name else "*"))
        elif t in (A.AT_AlterColumnType,):
            out += [_e("column", target, column), _e("index", target), _e("check", target)]
        elif t in (
            A.AT_SetNotNull,
            A.AT_DropNotNull,
            A.AT_ColumnDefault,
            A.AT_AddIdentity,
            A.AT_DropIdentity,
            A.AT_SetIdentity,
            A.AT_DropExpression,
        ):
            out.append(_e("column", target, column))
        elif t == A.AT_ReplicaIdentity:  # judged with the table (its requirement's "exists")
            out.append(_e("exists", target))
        # storage, statistics, fillfactor, CLUSTER ON: nothing the audit reads
    if node.relation is not None and node.relation.inh:
        out += _on_children(out, target, r)
    return out


def _on_children(effects: list[Effect], target: str, r: Resolver) -> list[Effect]:
    """An ALTER TABLE on an inheritance parent reaches its children (PostgreSQL recurses): the
    same effects on each of them, as far as the resolver knows the tree."""
    if target == "*" or not getattr(r, "_inheritance", None):
        return []
    from schema_audit.sources.ddl import inheritance  # the interpreter's package imports us

    model = getattr(r, "model", None)
    table = model.tables.get(target) if model is not None else None
    if table is None:
        return []
    keys = inheritance.descendant_keys(r, table)  # type: ignore[arg-type]
    return [
        Effect(e.kind, key, e.name, e.sticky) for key in keys for e in effects if e.target == target
    ]


def _rename(node: ast.RenameStmt, r: Resolver) -> list[Effect]:
    OT = ObjectType
    kind = node.renameType
    target = _relation(node.relation, r) if node.relation is not None else "*"
    old, new = _name(node.subname), _name(node.newname)
    if kind in (OT.OBJECT_TABLE, OT.OBJECT_VIEW, OT.OBJECT_MATVIEW, OT.OBJECT_FOREIGN_TABLE):
        renamed = "*" if target == "*" or new == "*" else qualify(target.split(".")[0], new)
        return [_e("*", target), _e("*", renamed)]
    if kind == OT.OBJECT_COLUMN:
        out = [_e(k, target) for k in COLUMN_REACH]  # expressions, keys, policies follow it
        return out + (_on_children(out, target, r) if node.relation and node.relation.inh else [])
    if kind == OT.OBJECT_TABCONSTRAINT:
        return [_e(k, target, n) for k in CONSTRAINT_KINDS for n in (old, new)]
    if kind == OT.OBJECT_INDEX:
        rv = node.relation
        found = r._index_owner(rv.schemaname, rv.relname) if rv and HOLE not in rv.relname else None
        home = getattr(found[0], "qualified_name", "*") if found else "*"
        out = [
            _e(k, home, n)
            for k in ("index", "unique", "primary_key")
            for n in (_name(rv.relname), new)
        ]
        return out
    if kind in (OT.OBJECT_POLICY, OT.OBJECT_TRIGGER):
        label = "policy" if kind == OT.OBJECT_POLICY else "trigger"
        return [_e(label, target, old), _e(label, target, new)]
    if kind == OT.OBJECT_SCHEMA:
        return [_e("*", "*")]
    if kind in (OT.OBJECT_FUNCTION, OT.OBJECT_PROCEDURE, OT.OBJECT_ROUTINE):
        return [_e("function", "*")]
    if kind in (OT.OBJECT_TYPE, OT.OBJECT_DOMAIN):
        return [_e("type", "*")]
    if kind == OT.OBJECT_ROLE:
        return [_e("role", "*")]
    return [_e("*", "*")]


def _drop(node: ast.DropStmt, r: Resolver) -> list[Effect]:
    OT = ObjectType
    kind = node.removeType
    cascade = node.behavior == DropBehavior.DROP_CASCADE
    out: list[Effect] = []
    for obj in node.objects or ():
        names = _strings(obj) if isinstance(obj, tuple | list) else []
        if kind in (OT.OBJECT_TABLE, OT.OBJECT_FOREIGN_TABLE, OT.OBJECT_VIEW, OT.OBJECT_MATVIEW):
            out.append(_e("*", _lookup(names, r)))
            if cascade:
                out += [_e("view", "*"), _e("foreign_key", "*")]
        elif kind == OT.OBJECT_INDEX:
            name = _name(names[-1] if names else None)
            found = (
                r._index_owner(names[0] if len(names) == 2 else None, name) if name != "*" else None
            )
            home = getattr(found[0], "qualified_name", "*") if found else "*"
            out += [
                _e("index", home, name),
                _e("unique", home, name),
                _e("primary_key", home, name),
            ]
        elif kind in (OT.OBJECT_POLICY, OT.OBJECT_TRIGGER):
            label = "policy" if kind == OT.OBJECT_POLICY else "trigger"
            out.append(_e(label, _lookup(names[:-1], r), _name(names[-1] if names else None)))
        elif kind == OT.OBJECT_RULE:
            out.append(_e("rule", _lookup(names[:-1], r), _name(names[-1] if names else None)))
        elif kind in (OT.OBJECT_FUNCTION, OT.OBJECT_PROCEDURE, OT.OBJECT_ROUTINE):
            fn = _strings(obj.objname) if isinstance(obj, ast.ObjectWithArgs) else names
            out.append(_e("function", _qualified(fn, r)))
            if cascade:
                out.append(_e("trigger", "*"))
        elif kind in (OT.OBJECT_TYPE, OT.OBJECT_DOMAIN):
            out.append(_e("type", "*"))
            if cascade:
                out.append(_e("column", "*"))
        elif kind == OT.OBJECT_SEQUENCE:
            out.append(_e("sequence", _lookup(names, r)))
            if cascade:
                out.append(_e("column", "*"))
        elif kind == OT.OBJECT_ROLE:
            out.append(_e("role", getattr(obj, "rolename", None) or "*"))
        else:  # schemas, extensions, anything CASCADE may reach
            out.append(
                _e("*", "*") if cascade or kind == OT.OBJECT_SCHEMA else _e("extension", "*")
            )
    return out


def _lookup(names: list[str], r: Resolver) -> str:
    if not names or any(HOLE in n for n in names):
        return "*"
    if len(names) > 1:
        return qualify(names[-2], names[-1])
    return _relation(ast.RangeVar(relname=names[-1], inh=True), r)


def _grant(node: ast.GrantStmt, r: Resolver) -> list[Effect]:
    if node.targtype == 0 and node.objtype == ObjectType.OBJECT_TABLE:
        return [_e("privilege", _relation(rv, r)) for rv in node.objects or ()]
    return [_e("privilege", "*")]


def _role(node: ast.Node, r: Resolver) -> list[Effect]:
    name = getattr(node, "role", None)
    if isinstance(name, ast.RoleSpec):
        name = name.rolename
    return [_e("role", name if isinstance(name, str) else "*"), _e("privilege", "*")]


def _typed(kind: str):  # type: ignore[no-untyped-def]
    def handler(node, r: Resolver) -> list[Effect]:  # type: ignore[no-untyped-def]
        for slot in ("typeName", "funcname", "defnames"):
            names = getattr(node, slot, None)
            if names:
                return [_e(kind, _qualified(_strings(names), r))]
        if isinstance(getattr(node, "typevar", None), ast.RangeVar):
            return [_e(kind, _relation(node.typevar, r))]
        return [_e(kind, "*")]

    return handler


# what a DefineStmt makes besides a type: a text search object, a collation or an operator
# is no model kind (a strict set of types does not read it), an aggregate is a function
_DEFINED = {
    ObjectType.OBJECT_AGGREGATE: "function",
    ObjectType.OBJECT_COLLATION: "collation",
    ObjectType.OBJECT_OPERATOR: "operator",
    ObjectType.OBJECT_TSCONFIGURATION: "text_search",
    ObjectType.OBJECT_TSDICTIONARY: "text_search",
    ObjectType.OBJECT_TSPARSER: "text_search",
    ObjectType.OBJECT_TSTEMPLATE: "text_search",
}

_HANDLERS = {
    "CreateStmt": _create_table,
    "CreateTableAsStmt": lambda n, r: [_e("*", _relation(n.into.rel, r))],
    "ViewStmt": lambda n, r: [_e("*", _relation(n.view, r))],
    "AlterTableStmt": _alter_table,
    "RenameStmt": _rename,
    "DropStmt": _drop,
    "IndexStmt": lambda n, r: [
        _e("index", _relation(n.relation, r), _name(n.idxname)),
        *([_e("unique", _relation(n.relation, r))] if n.unique else []),
    ],
    # a rule only adds to pg_rewrite (not modelled, named as a blind spot); ON SELECT turns
    # its table into a view
    "RuleStmt": lambda n, r: [
        _e("*" if n.event == CmdType.CMD_SELECT else "rule", _relation(n.relation, r))
    ],
    "CreatePolicyStmt": lambda n, r: [_e("policy", _relation(n.table, r), _name(n.policy_name))],
    "AlterPolicyStmt": lambda n, r: [_e("policy", _relation(n.table, r), _name(n.policy_name))],
    "CreateTrigStmt": lambda n, r: [_e("trigger", _relation(n.relation, r), _name(n.trigname))],
    "CreateFunctionStmt": _typed("function"),
    "AlterFunctionStmt": lambda n, r: [_e("function", _qualified(_strings(n.func.objname), r))],
    "CreateEnumStmt": _typed("type"),
    "AlterEnumStmt": _typed("type"),
    "CreateDomainStmt": lambda n, r: [_e("type", _qualified(_strings(n.domainname), r))],
    "CompositeTypeStmt": _typed("type"),
    "DefineStmt": lambda n, r: _typed(_DEFINED.get(n.kind, "type"))(n, r),
    "CreateRangeStmt": _typed("type"),
    "GrantStmt": _grant,
    "GrantRoleStmt": lambda n, r: [_e("role", "*"), _e("privilege", "*")],
    "AlterDefaultPrivilegesStmt": lambda n, r: [_e("privilege", "*", sticky=True)],
    "CreateRoleStmt": _role,
    "AlterRoleStmt": _role,
    "DropRoleStmt": lambda n, r: [_e("role", "*"), _e("privilege", "*")],
    "CreateSchemaStmt": lambda n, r: (
        [_e("schema", _name(n.schemaname))]
        + [e for el in schema_elements(n) for e in statement_effects(el, r)]
    ),
    "CreateExtensionStmt": lambda n, r: [
        _e("extension", _name(n.extname)),
        _e("function", "*"),
        _e("type", "*"),
    ],
    "CommentStmt": lambda n, r: [_e("comment", "*")],
    # a publication lists tables for logical replication; it changes none of them (Supabase's
    # supabase_realtime): without this its keyword TABLE made it "may change anything"
    "CreatePublicationStmt": lambda n, r: [_e("publication", _name(n.pubname))],
    "AlterPublicationStmt": lambda n, r: [_e("publication", _name(n.pubname))],
    # a text search configuration's or dictionary's mappings change no table, column or
    # index that exists (MusicBrainz's `ALTER TEXT SEARCH CONFIGURATION mb_simple ALTER
    # MAPPING …`): its keywords made it "may change anything", DEFERRING a whole history
    "AlterTSConfigurationStmt": lambda n, r: [
        _e("text_search", _qualified(_strings(n.cfgname), r))
    ],
    "AlterTSDictionaryStmt": lambda n, r: [_e("text_search", _qualified(_strings(n.dictname), r))],
    # extended statistics (not modelled: a named blind spot of the live read) guide the planner
    # and change no table, column, index or grant (LemmyNet/lemmy's `CREATE STATISTICS …
    # FROM post_actions`): "may change anything" DEFERRED every finding of a history
    "CreateStatsStmt": lambda n, r: [_e("statistics", _qualified(_strings(n.defnames), r))],
    "AlterStatsStmt": lambda n, r: [_e("statistics", _qualified(_strings(n.defnames), r))],
    "CreateSeqStmt": lambda n, r: [_e("sequence", _relation(n.sequence, r))],
    "AlterSeqStmt": lambda n, r: [_e("sequence", _relation(n.sequence, r)), _e("column", "*")],
    "AlterOwnerStmt": lambda n, r: [_e("owner", "*"), _e("privilege", "*")],
    "AlterObjectSchemaStmt": lambda n, r: (
        # where it goes too: a strict set of that schema reads it (Facet.schemas)
        [_e("*", _relation(n.relation, r)), _e("*", qualify(n.newschema, n.relation.relname))]
        if n.relation is not None
        else [_e("*", "*")]
    ),
    "VariableSetStmt": lambda n, r: [],
    "RefreshMatViewStmt": lambda n, r: [],
}


# Keywords (as PostgreSQL's scanner names them) and the kinds of object they can reach.
_KEYWORD_KINDS: dict[str, tuple[str, ...]] = {
    "SECURITY": ("rls",),
    "POLICY": ("policy",),
    "FOREIGN": ("foreign_key",),
    "REFERENCES": ("foreign_key",),
    "PRIMARY": ("primary_key", "index", "column"),
    "UNIQUE": ("unique", "index"),
    "CHECK": ("check",),
    "INDEX": ("index", "unique"),
    "CONSTRAINT": CONSTRAINT_KINDS,
    "COLUMN": ("column",),
    "ADD_P": ("column",),
    "DEFAULT": ("column",),
    "NULL_P": ("column",),
    "TYPE_P": ("column", "type"),
    "ENUM_P": ("type",),
    "DOMAIN_P": ("type",),
    "TRIGGER": ("trigger",),
    "FUNCTION": ("function",),
    "PROCEDURE": ("function",),
    "GRANT": ("privilege",),
    "REVOKE": ("privilege",),
    "OWNER": ("owner", "privilege"),
    "ROLE": ("role", "privilege"),
    "USER": ("role", "privilege"),
    "VIEW": ("view",),
    "COMMENT": ("comment",),
    "SEQUENCE": ("sequence",),
    "EXTENSION": ("extension", "function", "type"),
    "SCHEMA": ("schema",),
}
# Verbs that can reach everything on an object (it appears, disappears or changes name).
_EVERYTHING = {"DROP", "RENAME", "TABLE", "CASCADE", "INHERIT", "ATTACH", "DETACH"}


def text_effects(text: str) -> list[Effect]:
    """For text that does not parse: the kinds its keywords can reach, on any object.

    The text is tokenised by PostgreSQL's own scanner (comments ignored); string literals
    are scanned too, since dynamic SQL lives in them. Text without a single keyword that
    names a kind (``EXECUTE stmt`` with ``stmt`` unknown) can change anything.
    """
    keywords = _keywords(text, depth=0)
    kinds: set[str] = set()
    for word in keywords:
        if word in _EVERYTHING:
            return [_e("*", "*", sticky="DEFAULT" in keywords and "PRIVILEGES" in keywords)]
        kinds.update(_KEYWORD_KINDS.get(word, ()))
    if not kinds:
        return [_e("*", "*")]
    sticky = "PRIVILEGES" in keywords and "DEFAULT" in keywords
    return [_e(k, "*", sticky=sticky and k == "privilege") for k in sorted(kinds)]


def _keywords(text: str, depth: int) -> set[str]:
    try:
        tokens = pglast.parser.scan(text)
    except pglast.parser.ParseError:
        return {"DROP"}  # not even scannable: anything
    out: set[str] = set()
    for token in tokens:
        if token.kind != "NO_KEYWORD":
            out.add(token.name)
        elif token.name == "SCONST" and depth < 3:
            literal = text[token.start : token.end + 1]
            if len(literal) >= 2 and literal[0] == "'" and literal[-1] == "'":
                out |= _keywords(literal[1:-1].replace("''", "'"), depth + 1)
    return out


# -- settling ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settled:
    """A facet a successfully applied statement establishes again (``kind`` ``*``: all of it)."""

    kind: str
    target: str
    name: str = "*"
    fresh: bool = False  # the target was created (or removed) by this statement: wildcards spare it


def settles(node: ast.Node, resolver: Resolver, created: bool = True) -> list[Settled]:
    """What ``node`` (just applied) makes known regardless of what came before it.

    Only statements that would have failed had the earlier unapplied code already made the
    object (``ADD CONSTRAINT x``, ``CREATE POLICY p``) or that remove it whatever it was
    (``DROP … IF EXISTS``) settle anything; ``IF NOT EXISTS`` forms, which skip silently,
    settle nothing. ``created`` is False when a CREATE was skipped that way.
    """
    A = AlterTableType
    OT = ObjectType
    if isinstance(node, ast.CreateStmt):
        if node.if_not_exists or not created:
            return []
        return [Settled("*", _relation(node.relation, resolver), fresh=True)]
    if isinstance(node, ast.DropStmt) and node.removeType in (OT.OBJECT_TABLE, OT.OBJECT_VIEW):
        return [
            Settled("*", _lookup(_strings(o), resolver), fresh=True)
            for o in node.objects or ()
            if isinstance(o, tuple | list)
        ]
    if isinstance(node, ast.AlterTableStmt) and node.objtype == OT.OBJECT_TABLE:
        target = _relation(node.relation, resolver)
        out: list[Settled] = []
        for cmd in node.cmds or ():
            t = cmd.subtype
            if t == A.AT_AddColumn and not cmd.missing_ok:
                out.append(Settled("column", target, cmd.def_.colname))
            elif t == A.AT_DropColumn:
                out.append(Settled("column", target, cmd.name))
            elif t == A.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
                con = cmd.def_
                if con.contype == ConstrType.CONSTR_PRIMARY:
                    out.append(Settled("primary_key", target))
                if con.conname:
                    out += [Settled(k, target, con.conname) for k in CONSTRAINT_KINDS]
            elif t == A.AT_DropConstraint and cmd.name:
                out += [Settled(k, target, cmd.name) for k in CONSTRAINT_KINDS]
            elif t in (A.AT_EnableRowSecurity, A.AT_DisableRowSecurity):
                out.append(Settled("rls", target, "enabled"))
            elif t in (A.AT_ForceRowSecurity, A.AT_NoForceRowSecurity):
                out.append(Settled("rls", target, "forced"))
            elif t == A.AT_ChangeOwner:
                out.append(Settled("owner", target))
        return out
    if isinstance(node, ast.IndexStmt) and node.idxname and not node.if_not_exists:
        return [Settled("index", _relation(node.relation, resolver), node.idxname)]
    if isinstance(node, ast.CreatePolicyStmt):
        return [Settled("policy", _relation(node.table, resolver), node.policy_name)]
    if isinstance(node, ast.CreateTrigStmt):
        return [Settled("trigger", _relation(node.relation, resolver), node.trigname)]
    if isinstance(node, ast.DropStmt) and node.removeType in (OT.OBJECT_POLICY, OT.OBJECT_TRIGGER):
        label = "policy" if node.removeType == OT.OBJECT_POLICY else "trigger"
        out = []
        for obj in node.objects or ():
            names = _strings(obj) if isinstance(obj, tuple | list) else []
            if len(names) >= 2:
                out.append(Settled(label, _lookup(names[:-1], resolver), names[-1]))
        return out
    if isinstance(node, ast.CreateFunctionStmt) and node.replace:
        return [Settled("function", _qualified(_strings(node.funcname), resolver))]
    if isinstance(node, ast.CreateEnumStmt):
        return [Settled("type", _qualified(_strings(node.typeName), resolver))]
    return []


def _covers(s: Settled, e: Effect) -> bool:
    return (
        e.target == s.target
        and s.target != "*"
        and (s.kind == "*" or s.kind == e.kind)
        and (s.name == "*" or s.name == e.name)
    )


class Ledger:
    """The unapplied statements whose effects are still open, settled as the history goes on."""

    def __init__(self) -> None:
        self.open: list[UnappliedStatement] = []

    def add(self, stmt: UnappliedStatement) -> None:
        if stmt.effects:
            self.open.append(stmt)
            stmt.may_affect = sorted({e.target for e in stmt.effects})

    def settle(self, facets: list[Settled], where: str) -> None:
        """Remove the open effects ``facets`` establish again; wildcards spare fresh objects."""
        if not self.open or not facets:
            return
        for stmt in self.open:
            kept: list[Effect] = []
            for effect in stmt.effects:
                hit = next((s for s in facets if _covers(s, effect)), None)
                if hit is not None:
                    stmt.settled.append(f"{effect.describe()} settled again at {where}")
                    continue
                if effect.target == "*" and not effect.sticky:
                    for s in facets:
                        if s.fresh and s.kind == "*" and s.target not in effect.spared:
                            effect.spared.append(s.target)
                kept.append(effect)
            stmt.effects = kept
            stmt.may_affect = sorted({e.target for e in kept})
        self.open = [s for s in self.open if s.effects]

    def renamed(self, old: str, new: str) -> None:
        """A relation renamed: what could have happened to it now concerns its new name."""
        for stmt in self.open:
            for effect in list(stmt.effects):
                if effect.target == old:
                    stmt.effects.append(Effect(effect.kind, new, effect.name, effect.sticky))
                if old in effect.spared:
                    effect.spared.append(new)
            stmt.may_affect = sorted({e.target for e in stmt.effects})

    def touching(self, kinds: set[str], target: str = "*") -> list[UnappliedStatement]:
        """Open statements that may have changed objects of ``kinds`` (on ``target``)."""
        return [
            stmt
            for stmt in self.open
            if any(
                (e.kind == "*" or e.kind in kinds)
                and (target == "*" or e.target in ("*", target))
                and target not in e.spared
                for e in stmt.effects
            )
        ]


# -- Alembic revisions that could not be rendered ---------------------------------------------

# op.<name>(…) -> (kind, position of the table argument, position of the object's name)
_OPS: dict[str, tuple[str, int | None, int | None]] = {
    "create_table": ("*", 0, None),
    "drop_table": ("*", 0, None),
    "rename_table": ("*", 0, None),
    "add_column": ("column", 0, None),
    "drop_column": ("column", 0, 1),
    "alter_column": ("column", 0, 1),
    "create_index": ("index", 1, 0),
    "drop_index": ("index", None, 0),
    "create_foreign_key": ("foreign_key", 1, 0),
    "create_unique_constraint": ("unique", 1, 0),
    "create_check_constraint": ("check", 1, 0),
    "create_primary_key": ("primary_key", 1, 0),
    "drop_constraint": ("constraint", 1, 0),
    "create_table_comment": ("comment", 0, None),
    "drop_table_comment": ("comment", 0, None),
}


def python_effects(source: str, default_schema: str = "public") -> list[Effect]:
    """What an Alembic revision that could not be rendered offline may change: its ``op.*``
    calls read from the Python syntax tree (not from words in comments), with ``*`` wherever a
    table or name is not a literal; ``op.execute`` of literal SQL by the SQL's own effects.
    Anything else that can reach the database (a connection, a helper) can change anything."""
    import ast as pyast

    try:
        tree = pyast.parse(source)
    except SyntaxError:
        return [_e("*", "*")]
    out: list[Effect] = []
    anything = False
    for node in pyast.walk(tree):
        if not isinstance(node, pyast.Call) or not isinstance(node.func, pyast.Attribute):
            continue
        func = node.func
        owner = func.value.id if isinstance(func.value, pyast.Name) else None
        if owner != "op":
            if func.attr in ("execute", "exec_driver_sql", "get_bind"):
                anything = True  # a connection: SQL the syntax tree cannot follow
            continue
        args = list(node.args)
        schema = default_schema
        for kw in node.keywords:
            if kw.arg == "schema" and isinstance(kw.value, pyast.Constant):
                schema = str(kw.value.value)
        if func.attr == "execute":
            text = args[0] if args else None
            if isinstance(text, pyast.Constant) and isinstance(text.value, str):
                out += _sql_effects(text.value)
            else:
                anything = True
            continue
        if func.attr == "batch_alter_table":
            out.append(_e("*", _literal_table(args, 0, schema)))
            continue
        spec = _OPS.get(func.attr)
        if spec is None:
            if func.attr not in ("get_context", "f", "inline_literal"):
                anything = True
            continue
        kind, table_at, name_at = spec
        target = _literal_table(args, table_at, schema) if table_at is not None else "*"
        name = _literal(args, name_at) if name_at is not None else "*"
        kinds = CONSTRAINT_KINDS if kind == "constraint" else (kind,)
        out += [_e(k, target, name) for k in kinds]
        if func.attr == "rename_table" and len(args) > 1:
            out.append(_e("*", _literal_table(args, 1, schema)))
    if anything:
        out.append(_e("*", "*"))
    return dedupe(out) or [_e("*", "*")]


def _literal(args: list, at: int | None) -> str:  # type: ignore[type-arg]
    import ast as pyast

    if at is None or at >= len(args):
        return "*"
    value = args[at]
    return (
        str(value.value)
        if isinstance(value, pyast.Constant) and isinstance(value.value, str)
        else "*"
    )


def _literal_table(args: list, at: int, schema: str) -> str:  # type: ignore[type-arg]
    name = _literal(args, at)
    return "*" if name == "*" else qualify(schema, name)


class _SearchPath:
    """A resolver with only a search path, for SQL read outside a history."""

    def __init__(self, schema: str = "public") -> None:
        self.search_path = [schema]

    def _schema_of(self, rv: ast.RangeVar) -> str:
        return rv.schemaname or self.search_path[0]

    def _index_owner(self, schema: str | None, name: str) -> None:
        return None


def _sql_effects(sql: str) -> list[Effect]:
    try:
        nodes = [raw.stmt for raw in parse_sql(sql)]
    except pglast.parser.ParseError:
        return text_effects(sql)
    resolver = _SearchPath()
    return [e for node in nodes for e in statement_effects(node, resolver)]  # type: ignore[arg-type]
