"""CREATE FUNCTION / PROCEDURE: signature, body, security, volatility, settings."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from pglast import ast
from pglast.enums import FunctionParameterMode, VariableSetKind

from schema_audit.model import Function
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import deparse, flatten, strings
from schema_audit.sources.ddl.registry import handles
from schema_audit.sources.ddl.tables import searched_names, searched_type
from schema_audit.sqlnorm import format_typename, quote_ident

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


@handles(ast.CreateFunctionStmt)
def create_function(interp: DdlInterpreter, node: ast.CreateFunctionStmt) -> None:
    """CREATE [OR REPLACE] FUNCTION / PROCEDURE; OR REPLACE keeps the existing grants."""
    names = strings(node.funcname)
    schema = names[0] if len(names) > 1 else interp.search_path[0]
    params = list(node.parameters or ())
    # the identity arguments as pg_get_function_identity_arguments prints them: OUT ones too,
    # not the columns of RETURNS TABLE
    arguments = ", ".join(
        _arg_text(interp, p, bool(node.is_procedure))
        for p in params
        if p.mode != FunctionParameterMode.FUNC_PARAM_TABLE
    )
    fn = Function(
        schema,
        names[-1],
        arguments=arguments,
        returns=_result_text(interp, node, params),
        provenance=[interp._prov()],
        defaults=[_default_text(interp, p) for p in params if p.defexpr is not None],
    )
    for opt in node.options or ():
        if opt.defname == "as":
            parts = (
                strings(opt.arg)
                if isinstance(opt.arg, tuple | list)
                else [getattr(opt.arg, "sval", "")]
            )
            # AS 'obj_file', 'link_symbol' (a C function): prosrc holds the symbol
            fn.body = parts[-1] if parts else ""
        elif opt.defname == "language":
            fn.language = opt.arg.sval
        elif opt.defname == "set" and isinstance(opt.arg, ast.VariableSetStmt):
            fn.config.append(setting_text(opt.arg))
        else:
            _set_attribute(fn, opt)
    if node.sql_body is not None and not fn.body:
        fn.body = "; ".join(filter(None, (deparse(n) for n in flatten(node.sql_body))))
    existing = interp.model.functions.get(fn.signature)
    if existing is not None and not node.replace:
        raise ApplyError(f"function {fn.signature} already exists")
    # CREATE OR REPLACE keeps the privileges (and the comment); a new function gets PUBLIC
    # EXECUTE by default
    fn.grants = (
        existing.grants if existing is not None else interp._defaults_for("functions", schema)
    )
    if existing is not None:
        fn.comment = existing.comment
    interp.model.functions[fn.signature] = fn
    if node.sql_body is not None:  # (its calls are dependencies: temp_session)
        interp._standard_bodies[id(fn)] = fn
    if schema == "pg_temp":
        interp._temp_routines.add(fn.signature)  # gone when the session ends (end_session)


def setting_text(stmt: ast.VariableSetStmt) -> str:
    """``name=value, …`` as the function's proconfig holds a SET clause (numbers too). A
    search_path's items are quoted as PostgreSQL 15 stores them (``search_path="other,
    public"`` for ``= 'other, public'``: one schema, ``"$user", public``, ``""`` for ``''``):
    written bare, one schema with a comma read as two (``function_calls.own_search_path``)."""
    quoted = stmt.name == "search_path"
    values = ", ".join(
        quote_ident(a.val.sval)
        if quoted and isinstance(a.val, ast.String)
        else str(
            next((getattr(a.val, f) for f in ("sval", "ival", "fval") if hasattr(a.val, f)), "")
        )
        for a in stmt.args or ()
        if isinstance(a, ast.A_Const)
    )
    return f"{stmt.name}={values}"


@handles(ast.AlterFunctionStmt)
def alter_function(interp: DdlInterpreter, node: ast.AlterFunctionStmt) -> None:
    """ALTER FUNCTION / PROCEDURE … SECURITY, volatility, STRICT, PARALLEL, SET / RESET
    (Supabase's advice `ALTER FUNCTION f SET search_path = ''`), COST, ROWS, LEAKPROOF. SET … FROM CURRENT takes the session's value: listed, not guessed."""
    func = node.func
    assert func is not None  # the grammar requires the function's name
    found = functions_named(interp, func)
    if not found:
        raise ApplyError(f"function {'.'.join(strings(func.objname))} does not exist")
    if len(found) > 1:
        raise ApplyError(f"function name {'.'.join(strings(func.objname))} is not unique")
    fn = found[0]
    sets = [o.arg for o in node.actions or () if isinstance(o.arg, ast.VariableSetStmt)]
    if any(VariableSetKind(v.kind or 0) == VariableSetKind.VAR_SET_CURRENT for v in sets):
        interp._unapplied("unsupported", "SET … FROM CURRENT takes the session's value")
        return
    for opt in node.actions or ():
        if opt.defname == "set" and isinstance(opt.arg, ast.VariableSetStmt):
            fn.config = _set_config(fn.config, opt.arg)
        else:
            _set_attribute(fn, opt)
    fn.provenance.append(interp._prov("altered"))


def _set_attribute(fn: Function, opt: ast.DefElem) -> None:
    """SECURITY, volatility, STRICT and PARALLEL, written alike by CREATE and ALTER FUNCTION;
    LEAKPROOF, COST and ROWS (CREATE without them: the default, as a new Function has);
    SUPPORT is not modelled."""
    arg: Any = opt.arg  # a Boolean or a String node, as the grammar writes each option
    if opt.defname == "security":
        fn.security_definer = bool(arg.boolval)
    elif opt.defname == "volatility":
        fn.volatility = arg.sval.upper()
    elif opt.defname == "strict":
        fn.strict = bool(arg.boolval)
    elif opt.defname == "parallel":
        fn.parallel = arg.sval.upper()
    elif opt.defname == "leakproof":
        fn.leakproof = bool(arg.boolval)
    elif opt.defname in ("cost", "rows"):  # an Integer or a Float node
        estimate = (arg.fval if isinstance(arg, ast.Float) else arg.ival) or 0
        setattr(fn, opt.defname, str(estimate))


def _set_config(config: list[str], stmt: ast.VariableSetStmt) -> list[str]:
    """proconfig after one SET / RESET: a setting already there is replaced in place (as
    PostgreSQL's GUCArrayAdd does), a new one appended; RESET ALL empties it."""
    kind = VariableSetKind(stmt.kind or 0)
    if kind == VariableSetKind.VAR_RESET_ALL:
        return []
    value = setting_text(stmt) if kind == VariableSetKind.VAR_SET_VALUE else None
    out: list[str] = []
    for entry in config:
        if entry.partition("=")[0] == stmt.name:
            if value is not None:
                out.append(value)
                value = None
        else:
            out.append(entry)
    return out + ([value] if value is not None else [])


def functions_named(interp: DdlInterpreter, obj: ast.ObjectWithArgs) -> list[Function]:
    """The functions an ObjectWithArgs names: by argument types when given, else every overload."""
    names = strings(obj.objname)
    schema = names[0] if len(names) > 1 else None
    found = [
        f
        for f in interp.model.functions.values()
        if f.name == names[-1] and (schema is None or f.schema == schema)
    ]
    if obj.args_unspecified or len(found) <= 1:
        return found
    wanted = [_bare_type(t) for t in obj.objargs or ()]

    def same(arguments: str) -> bool:  # "[mode] [name] type" each ends with its type
        args = [a for a in arguments.split(", ") if a and not a.startswith("OUT ")]
        return len(args) == len(wanted) and all(
            a.endswith(w) for a, w in zip(args, wanted, strict=False)
        )

    return [f for f in found if same(f.arguments)] or found


def _arg_text(interp: DdlInterpreter, param, is_procedure: bool) -> str:
    """One argument as pg_get_function_identity_arguments prints it: [mode] [name] type, the
    type without its modifier (the catalog keeps only the type's oid); a procedure's plain
    arguments are printed IN, since its OUT ones belong to its identity."""
    mode = {
        FunctionParameterMode.FUNC_PARAM_INOUT: "INOUT ",
        FunctionParameterMode.FUNC_PARAM_VARIADIC: "VARIADIC ",
        FunctionParameterMode.FUNC_PARAM_OUT: "OUT ",
    }.get(param.mode, "IN " if is_procedure else "")
    name = f"{quote_ident(param.name)} " if param.name else ""
    return f"{mode}{name}{_typed(interp, param.argType)}"


def _default_text(interp: DdlInterpreter, param: ast.FunctionParameter) -> str:
    """An argument's DEFAULT as the catalog stores it: a string literal is a value of the
    argument's type (``a int DEFAULT '5'`` is stored ``5``, ``d int[] DEFAULT '{1,2}'``
    ``'{1,2}'::integer[]``), written here as that cast; the bare literal compared as a string
    was a false FAIL. A polymorphic argument's (``anyelement``) is left as written."""
    text = deparse(param.defexpr) or ""
    literal = param.defexpr
    if not (isinstance(literal, ast.A_Const) and isinstance(literal.val, ast.String)):
        return text
    if param.argType is None or param.argType.pct_type:
        return text  # (``%TYPE``: the column's type, not read here)
    type_text = _typed(interp, param.argType)
    if type_text.startswith("any"):
        return text
    return f"{text}::{type_text}"


def _result_text(interp: DdlInterpreter, node: ast.CreateFunctionStmt, params: list) -> str:
    """The result as pg_get_function_result prints it: ``TABLE(name type, …)``, ``SETOF type``,
    the type of a single OUT parameter, ``record`` for several, nothing for a procedure."""
    if node.is_procedure:
        return ""
    table = [p for p in params if p.mode == FunctionParameterMode.FUNC_PARAM_TABLE]
    if table:
        columns = ", ".join(f"{quote_ident(p.name)} {_typed(interp, p.argType)}" for p in table)
        return f"TABLE({columns})"
    if node.returnType is not None:
        text = _typed(interp, node.returnType)
        return f"SETOF {text}" if node.returnType.setof else text
    outs = [
        p
        for p in params
        if p.mode in (FunctionParameterMode.FUNC_PARAM_OUT, FunctionParameterMode.FUNC_PARAM_INOUT)
    ]
    if len(outs) == 1:
        return _typed(interp, outs[0].argType)
    return "record" if outs else ""


def _typed(interp: DdlInterpreter, typename: ast.TypeName) -> str:
    """An argument's or the result's type as the catalog prints it: bare (:func:`_bare_type`),
    under its schema when the search_path finds an enum, domain or row type outside public."""
    bare = _bare_type(typename)
    return searched_type(interp, bare) if searched_names(strings(typename.names)) else bare


def _bare_type(typename: ast.TypeName) -> str:
    """A type as format_type prints it without a modifier (``character varying``, not ``(10)``):
    a function's argument and result types are stored as bare type oids."""
    bare = copy.copy(typename)
    bare.typmods = None
    bare.setof = False
    return format_typename(bare)
