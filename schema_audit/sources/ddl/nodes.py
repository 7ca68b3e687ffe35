"""Small readers of pglast nodes shared by the statement families (names, roles, options)."""

from __future__ import annotations

from typing import cast

from pglast import ast
from pglast.enums import AlterTableType, RoleSpecType
from pglast.stream import RawStream

from schema_audit import pgparse
from schema_audit.sqlnorm import format_typename


def deparse(node: ast.Node | None) -> str | None:
    """pglast's text of a node (``pgparse.deparse``: RawStream's output at half its cost)."""
    if node is None:
        return None
    return pgparse.deparse(node) if isinstance(node, ast.Node) else RawStream()(node)


def flatten(value) -> list:
    """The nodes of a possibly nested tuple (BEGIN ATOMIC bodies are a list of statement lists)."""
    if isinstance(value, tuple | list):
        return [n for item in value for n in flatten(item)]
    return [] if value is None else [value]


def strings(nodes) -> list[str]:
    # sval is typed Optional; the parser fills it for every String node it makes
    return cast("list[str]", [n.sval for n in nodes or () if isinstance(n, ast.String)])


def type_text(schema: str, name: str) -> str:
    """A named type as columns of that type carry it (``format_typename``): renames, moves and
    drops of an enum find its columns, and their arrays, by this text."""
    return format_typename(ast.TypeName(names=[ast.String(sval=schema), ast.String(sval=name)]))


def roles(specs) -> list[str]:
    out = []
    for spec in specs or ():
        if spec.roletype == RoleSpecType.ROLESPEC_PUBLIC:
            out.append("public")
        elif spec.roletype == RoleSpecType.ROLESPEC_CSTRING:
            out.append(spec.rolename)
        else:
            out.append(str(spec.roletype.name).replace("ROLESPEC_", "").lower())
    return sorted(out) or ["public"]


def policy_roles(specs) -> list[str]:
    """A policy's TO list as pg_policy.polroles keeps it: PUBLIC among the roles makes it
    PUBLIC alone (PostgreSQL warns "ignoring specified roles other than PUBLIC")."""
    out = roles(specs)
    return ["public"] if "public" in out else out


def reloptions(options: tuple | list | None) -> dict[str, str]:
    """``WITH (fillfactor = 70, security_invoker)`` as pg_class.reloptions prints it."""
    out: dict[str, str] = {}
    for opt in options or ():
        if not isinstance(opt, ast.DefElem) or opt.defnamespace:
            continue  # toast.* options: not modelled
        arg = opt.arg
        if arg is None:
            value = "true"
        elif isinstance(arg, ast.String):
            value = arg.sval
        elif isinstance(arg, ast.Integer):
            value = str(arg.ival)
        elif isinstance(arg, ast.Float):
            value = str(arg.fval)
        elif isinstance(arg, ast.Boolean):
            value = "true" if arg.boolval else "false"
        else:
            value = deparse(arg) or ""
        out[opt.defname] = value
    return out


def create_reloptions(options: tuple | list | None) -> dict[str, str]:
    """``WITH (…)`` of CREATE TABLE / CREATE TABLE AS / CREATE MATERIALIZED VIEW as
    pg_class.reloptions keeps it: PostgreSQL drops ``oids`` there (old pg_dump files write
    ``WITH (oids = false)``; transformRelOptions' ignoreOids)."""
    out = reloptions(options)
    out.pop("oids", None)
    return out


def apply_reloptions(options: dict[str, str], cmd: ast.AlterTableCmd) -> None:
    """ALTER … SET (…) / RESET (…) on a table's or view's storage parameters."""
    if cmd.subtype == AlterTableType.AT_ResetRelOptions:
        for opt in cmd.def_ or ():
            if isinstance(opt, ast.DefElem) and not opt.defnamespace:  # (toast.x: toast.py)
                options.pop(opt.defname, None)
        return
    if cmd.subtype == AlterTableType.AT_ReplaceRelOptions:
        options.clear()
    options.update(reloptions(cmd.def_))


def expr_label(expr: ast.Node | None) -> str:
    """PostgreSQL's FigureColname for an index expression: a function's name, else 'expr'."""
    if isinstance(expr, ast.FuncCall):
        return strings(expr.funcname)[-1]
    if isinstance(expr, ast.TypeCast):
        return (
            expr_label(expr.arg)
            if not isinstance(expr.arg, ast.A_Const)
            else strings(expr.typeName.names)[-1]
        )
    if isinstance(expr, ast.ColumnRef):
        return strings(expr.fields)[-1]
    if isinstance(expr, ast.A_Indirection):  # (f(x)).name: the last field named, else the arg's
        fields = [i.sval or "" for i in expr.indirection or () if isinstance(i, ast.String)]
        return fields[-1] if fields else expr_label(expr.arg)
    return "expr"


def target_names(query: ast.Node | None) -> list[str]:
    """Output column names of a SELECT, as PostgreSQL would name them."""
    if not isinstance(query, ast.SelectStmt):
        return []
    if query.op and query.larg is not None:
        return target_names(query.larg)
    if query.valuesLists and not query.targetList:  # VALUES (…): column1, column2, …
        return [f"column{i + 1}" for i in range(len(query.valuesLists[0]))]
    names = []
    for target in query.targetList or ():
        if target.name:
            names.append(target.name)
        elif isinstance(target.val, ast.ColumnRef):
            fields = target.val.fields
            names.append(fields[-1].sval if isinstance(fields[-1], ast.String) else "?column?")
        else:
            label = expr_label(target.val)
            names.append("?column?" if label == "expr" else label)
    return names
