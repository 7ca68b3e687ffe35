"""ALTER TYPE … RENAME VALUE: the label follows into the expressions that hold it.

PostgreSQL stores an enum constant by the label's OID, not its text, so after
``RENAME VALUE 'require_application' TO 'RequireApplication'`` (Lemmy) a column default
``'require_application'`` prints ``'RequireApplication'::registration_mode_enum``, and so do
CHECKs, index predicates, policies and trigger WHENs comparing a column of that type with
the label. Read as written, the static model kept the old label: a false FAIL against the
catalog's spec, and a spec written from the history that no migrated database can meet.

A string literal is an enum constant when PostgreSQL coerces it to the enum (or its array):
an explicit cast to the type, a column default of a column of that type, or an operand
compared (``=``, ``<>``, ``IN``, ``= ANY``) with a column of that type. Other text, such as
function bodies, keeps the old label, as the catalog does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import A_Expr_Kind

from schema_audit.model import Table
from schema_audit.sources.ddl.nodes import strings, type_text
from schema_audit.sources.ddl.renames import _edit_expr

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# what a node is coerced to, as far as the renamed label cares
_SCALAR, _ARRAY = "enum", "enum[]"


class _Relabel:
    """Renames ``old`` to ``new`` in the enum constants of one expression's tree."""

    def __init__(self, schema: str, name: str, old: str, new: str, columns: Mapping[str, str]):
        self.schema, self.name, self.old, self.new = schema, name, old, new
        scalar = type_text(schema, name)
        # column name -> _SCALAR / _ARRAY for the table's columns of the enum's type
        self.columns = {
            column: _SCALAR if type_ == scalar else _ARRAY
            for column, type_ in columns.items()
            if type_ in (scalar, scalar + "[]")
        }
        self.changed = False

    def _type_kind(self, type_name: ast.TypeName | None) -> str | None:
        names = strings(type_name.names) if type_name is not None else []
        if not names or names[-1] != self.name or (len(names) > 1 and names[0] != self.schema):
            return None
        return _ARRAY if type_name is not None and type_name.arrayBounds else _SCALAR

    def _kind(self, node: object) -> str | None:
        """The enum kind of an operand: a column of the type, or a cast to it."""
        if isinstance(node, ast.ColumnRef):
            fields = node.fields or ()
            last = fields[-1] if fields else None
            return self.columns.get(last.sval or "") if isinstance(last, ast.String) else None
        if isinstance(node, ast.TypeCast):
            return self._type_kind(node.typeName)
        return None

    def visit(self, node: object, kind: str | None = None) -> None:
        """Walk ``node``; ``kind`` says what PostgreSQL coerces this very node to."""
        if isinstance(node, tuple | list):
            for item in node:
                self.visit(item, kind)
            return
        if not isinstance(node, ast.Node):
            return
        if isinstance(node, ast.A_Const):
            self._constant(node, kind)
        elif isinstance(node, ast.TypeCast):
            self.visit(node.arg, self._type_kind(node.typeName))
        elif isinstance(node, ast.A_ArrayExpr):
            self.visit(node.elements, _SCALAR if kind == _ARRAY else None)
        elif isinstance(node, ast.A_Expr):
            self._compared(node)
        else:
            for slot in getattr(type(node), "__slots__", ()):
                value = getattr(node, slot, None)
                if isinstance(value, ast.Node | tuple | list):
                    self.visit(value)

    def _compared(self, node: ast.A_Expr) -> None:
        """An operand compared with a column of the type (or a cast to it) is coerced to it."""
        left, right = self._kind(node.lexpr), self._kind(node.rexpr)
        if node.kind in (A_Expr_Kind.AEXPR_OP_ANY, A_Expr_Kind.AEXPR_OP_ALL) and left == _SCALAR:
            right = _ARRAY  # x = ANY ('{a,b}') / ANY (ARRAY[…])
            self.visit(node.lexpr)
            self.visit(node.rexpr, right)
            return
        self.visit(node.lexpr, right)
        self.visit(node.rexpr, left)  # IN (…): each item of the list

    def _constant(self, node: ast.A_Const, kind: str | None) -> None:
        value = node.val
        if kind is None or not isinstance(value, ast.String) or value.sval is None:
            return
        if kind == _SCALAR and value.sval == self.old:
            node.val = ast.String(sval=self.new)
            self.changed = True
        elif kind == _ARRAY:
            relabelled = _relabel_array_literal(value.sval, self.old, self.new)
            if relabelled != value.sval:
                node.val = ast.String(sval=relabelled)
                self.changed = True

    def expression(self, text: str | None, kind: str | None = None) -> str | None:
        """``text`` with the label renamed (unchanged text stays as written)."""
        if not text or self.old not in text:
            return text

        def edit(node: ast.Node) -> bool:
            self.changed = False
            self.visit(node, kind)
            return self.changed

        return _edit_expr(text, edit)


_ARRAY_ITEM = re.compile(r'\s*("(?:[^"\\]|\\.)*"|[^,{}"\\]*)\s*(?:,|$)')
_NEEDS_QUOTES = re.compile(r'[{}",\\\s]')


def _relabel_array_literal(text: str, old: str, new: str) -> str:
    """``'{a,"b c"}'`` with the item ``old`` renamed, quoted as array_out quotes; anything
    but a flat one-dimensional literal is left as written."""
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")) or not body[1:-1].strip():
        return text
    items, inner, at = [], body[1:-1], 0
    while at < len(inner):
        match = _ARRAY_ITEM.match(inner, at)
        if match is None or match.end() == at:
            return text
        raw = match.group(1)
        items.append(re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw.strip())
        at = match.end()
    if old not in items:
        return text
    out = []
    for item in items:
        if item == old:
            item = new
        if not item or item.upper() == "NULL" or _NEEDS_QUOTES.search(item):
            item = '"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"'
        out.append(item)
    return "{" + ",".join(out) + "}"


def rename_label(interp: DdlInterpreter, schema: str, name: str, old: str, new: str) -> None:
    """Every enum constant ``old`` of type schema.name in the model's stored expressions
    becomes ``new``, as the catalog prints it after the rename."""
    for table in interp.model.tables.values():
        _relabel_table(table, _Relabel(schema, name, old, new, _column_types(table)))


def _column_types(table: Table) -> dict[str, str]:
    return {column.name: column.type for column in table.columns.values()}


def _relabel_table(table: Table, relabel: _Relabel) -> None:
    for column in table.columns.values():
        column.default = relabel.expression(column.default, relabel.columns.get(column.name))
        column.generated = relabel.expression(column.generated)
    for check in table.checks.values():
        check.expression = relabel.expression(check.expression) or check.expression
    for index in table.indexes.values():
        index.where = relabel.expression(index.where)
        for key in index.keys:
            if not key.is_column:
                key.expression = relabel.expression(key.expression) or key.expression
    for policy in table.policies.values():
        policy.using = relabel.expression(policy.using)
        policy.with_check = relabel.expression(policy.with_check)
    for trigger in table.triggers.values():
        trigger.when = relabel.expression(trigger.when)
