"""What a DROP statement drops, as the DROP rules (SA001, SA004, SA005, SA010) report it.

``DROP … IF EXISTS`` of what does not exist at that point of the history drops
nothing (the idempotent ``DROP INDEX IF EXISTS ix; CREATE INDEX ix …`` idiom), so
those objects are left out, and a statement left with none is not reported.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import ObjectType

from schema_audit.lint.rules import LintContext
from schema_audit.sqlnorm import format_typename


def dropped(node: ast.Node, ctx: LintContext, kinds: tuple[ObjectType, ...]) -> str | None:
    """The objects a DROP of one of ``kinds`` really drops, labelled; None when it drops none."""
    if not isinstance(node, ast.DropStmt) or node.removeType not in kinds:
        return None
    kind = node.removeType
    objects = list(node.objects or ())
    if node.missing_ok:
        objects = [o for o in objects if ctx.exists(kind, o) is not False]
        if not objects:
            return None
    return ", ".join(n for n in (object_label(kind, o) for o in objects) if n)


def object_label(kind: ObjectType, obj: object) -> str:
    """The dropped object as a person would name it: ``f(text, integer)``, ``trg on t``."""
    if isinstance(obj, ast.ObjectWithArgs):
        name = ".".join(s.sval for s in obj.objname or () if isinstance(s, ast.String))
        if obj.args_unspecified:
            return name
        args = ", ".join(format_typename(a) for a in obj.objargs or ())
        return f"{name}({args})"
    if isinstance(obj, ast.TypeName):
        return ".".join(s.sval for s in obj.names or () if isinstance(s, ast.String))
    if isinstance(obj, tuple | list):
        names = [s.sval for s in obj if isinstance(s, ast.String)]
        if kind in (ObjectType.OBJECT_TRIGGER, ObjectType.OBJECT_POLICY) and len(names) > 1:
            return f"{names[-1]} on {'.'.join(names[:-1])}"
        return ".".join(names)
    return getattr(obj, "sval", "") or ""
