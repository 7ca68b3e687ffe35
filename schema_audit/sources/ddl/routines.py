"""CREATE FUNCTION / PROCEDURE: signature, body, security, volatility, settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import FunctionParameterMode

from schema_audit.model import Function
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import deparse, flatten, strings
from schema_audit.sources.ddl.registry import handles
from schema_audit.sqlnorm import format_typename

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


@handles(ast.CreateFunctionStmt)
def create_function(interp: DdlInterpreter, node: ast.CreateFunctionStmt) -> None:
    """CREATE [OR REPLACE] FUNCTION / PROCEDURE; OR REPLACE keeps the existing grants."""
    names = strings(node.funcname)
    schema = names[0] if len(names) > 1 else interp.search_path[0]
    args = [
        p
        for p in node.parameters or ()
        if p.mode
        not in (FunctionParameterMode.FUNC_PARAM_OUT, FunctionParameterMode.FUNC_PARAM_TABLE)
    ]
    arguments = ", ".join(_arg_text(p) for p in args)
    fn = Function(
        schema,
        names[-1],
        arguments=arguments,
        returns=format_typename(node.returnType) if node.returnType is not None else "",
        provenance=[interp._prov()],
    )
    for opt in node.options or ():
        if opt.defname == "as":
            parts = (
                strings(opt.arg)
                if isinstance(opt.arg, tuple | list)
                else [getattr(opt.arg, "sval", "")]
            )
            fn.body = parts[0] if parts else ""
        elif opt.defname == "language":
            fn.language = opt.arg.sval
        elif opt.defname == "security":
            fn.security_definer = bool(opt.arg.boolval)
        elif opt.defname == "volatility":
            fn.volatility = opt.arg.sval.upper()
        elif opt.defname == "strict":
            fn.strict = bool(opt.arg.boolval)
        elif opt.defname == "parallel":
            fn.parallel = opt.arg.sval.upper()
        elif opt.defname == "set" and isinstance(opt.arg, ast.VariableSetStmt):
            values = ", ".join(
                str(getattr(a.val, "sval", ""))
                for a in opt.arg.args or ()
                if isinstance(a, ast.A_Const)
            )
            fn.config.append(f"{opt.arg.name}={values}")
    if node.sql_body is not None and not fn.body:
        fn.body = "; ".join(filter(None, (deparse(n) for n in flatten(node.sql_body))))
    existing = interp.model.functions.get(fn.signature)
    if existing is not None and not node.replace:
        raise ApplyError(f"function {fn.signature} already exists")
    # CREATE OR REPLACE keeps the privileges; a new function gets PUBLIC EXECUTE by default
    fn.grants = (
        existing.grants if existing is not None else interp._defaults_for("functions", schema)
    )
    interp.model.functions[fn.signature] = fn


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
    wanted = [format_typename(t) for t in obj.objargs or ()]

    def same(arguments: str) -> bool:  # "[mode] [name] type" each ends with its type
        args = [a for a in arguments.split(", ") if a]
        return len(args) == len(wanted) and all(
            a.endswith(w) for a, w in zip(args, wanted, strict=False)
        )

    return [f for f in found if same(f.arguments)] or found


def _arg_text(param) -> str:
    """One argument as pg_get_function_identity_arguments prints it: [mode] [name] type."""
    mode = {
        FunctionParameterMode.FUNC_PARAM_INOUT: "INOUT ",
        FunctionParameterMode.FUNC_PARAM_VARIADIC: "VARIADIC ",
    }.get(param.mode, "")
    name = f"{param.name} " if param.name else ""
    return f"{mode}{name}{format_typename(param.argType)}"
