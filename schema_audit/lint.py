"""``lint-migrations``: destructive changes in upgrade paths, found on parsed operations.

What the seed review wanted as a grep script (``validate-migration.sh``), done
on the statements PostgreSQL's own grammar sees, with the model of the schema
so far as context: a type change is judged against the column's type at that
point of the history, ``SET NOT NULL`` against whether the table was created
in the same migration or is known to hold rows.

Only upgrade paths are linted (Alembic ``upgrade()``, ``.up.sql`` files,
Flyway versions); DROPs in ``downgrade()`` are what downgrades are for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pglast import ast
from pglast.enums import AlterTableType, ObjectType

from schema_audit.lint_online import ONLINE_RULES, OnlineChecker
from schema_audit.model import qualify
from schema_audit.sources.ddl import DdlInterpreter, split_statements
from schema_audit.sources.ignores import (
    find_ignore,
    source_lines,
)
from schema_audit.sqlnorm import canonical_type, format_typename

RULES: dict[str, tuple[str, str]] = {
    # id: (name, what it means)
    "SA001": ("drop-table", "DROP TABLE destroys the table and its data"),
    "SA002": ("drop-column", "DROP COLUMN destroys the column's data and breaks readers of it"),
    "SA003": ("drop-constraint", "DROP CONSTRAINT removes an integrity guarantee"),
    "SA004": ("drop-policy", "DROP POLICY removes a row-level security rule"),
    "SA005": ("drop-trigger", "DROP TRIGGER removes a guard (immutability, audit)"),
    "SA006": ("truncate", "TRUNCATE deletes every row"),
    "SA007": ("disable-rls", "DISABLE / NO FORCE ROW LEVEL SECURITY turns tenant isolation off"),
    "SA008": ("type-change", "ALTER COLUMN TYPE that narrows the type or rewrites the table"),
    "SA009": (
        "set-not-null",
        "SET NOT NULL (or ADD COLUMN NOT NULL without DEFAULT) on a table holding rows",
    ),
    "SA010": (
        "drop-object",
        "DROP VIEW / MATERIALIZED VIEW / FUNCTION / INDEX / TYPE in an upgrade",
    ),
}
DESTRUCTIVE = dict(RULES)
RULES.update(ONLINE_RULES)  # checked with --online only
BY_NAME = {name: rule for rule, (name, _) in RULES.items()}


@dataclass(slots=True)
class Violation:
    rule: str
    name: str
    message: str
    file: str | None
    line: int | None
    revision: str | None
    sql: str
    suppressed: str | None = None  # the reason given in a `schema-audit: ignore` comment


@dataclass(slots=True)
class LintResult:
    violations: list[Violation] = field(default_factory=list)
    allowed: list[Violation] = field(default_factory=list)
    statements: int = 0
    files: int = 0
    layout: str = ""  # how the path was read: alembic, prisma, flyway, …
    unread: list[str] = field(default_factory=list)  # unparseable statements, unreadable files
    unrendered: list[str] = field(default_factory=list)  # Alembic revisions not (fully) read


def _allowed_set(allow: list[str]) -> set[str]:
    out = set()
    for item in allow:
        for part in item.split(","):
            part = part.strip()
            if part in RULES:
                out.add(part)
            elif part in BY_NAME:
                out.add(BY_NAME[part])
            elif part:
                raise ValueError(
                    f"unknown rule {part!r}; rules: {', '.join(f'{k} ({v[0]})' for k, v in RULES.items())}"
                )
    return out


def _widening(old: str, new: str) -> bool:
    """Type changes PostgreSQL makes without a rewrite and without losing values."""
    if old == new:
        return True
    var = re.fullmatch(r"character varying(?:\((\d+)\))?", old)
    if var and (new == "text" or new == "character varying"):
        return True
    new_var = re.fullmatch(r"character varying\((\d+)\)", new)
    if var and new_var and var.group(1) and int(new_var.group(1)) >= int(var.group(1)):
        return True
    num = re.fullmatch(r"numeric\((\d+),(\d+)\)", old)
    new_num = re.fullmatch(r"numeric\((\d+),(\d+)\)", new)
    if num and new == "numeric":
        return True
    return bool(
        num
        and new_num
        and new_num.group(2) == num.group(2)
        and int(new_num.group(1)) >= int(num.group(1))
    )


class _Linter:
    def __init__(
        self,
        allow: set[str],
        assume_populated: bool,
        search_path: list[str] | None = None,
        online: bool = False,
    ) -> None:
        self.online = OnlineChecker() if online else None
        self.allow = allow
        self.assume_populated = assume_populated
        self.interpreter = DdlInterpreter(
            default_schema=search_path[0] if search_path else "public"
        )
        if search_path:
            self.interpreter.search_path = list(search_path)
        self.result = LintResult()
        # displayed file name -> its lines, for ignore comments
        self.sources: dict[str, tuple[str, ...]] = {}
        self.populated: set[str] = set()  # tables data was written to in the history
        self.created_here: set[str] = set()  # tables created by the current migration
        self.backfilled: set[tuple[str, str]] = (
            set()
        )  # (table, column) updated in the current migration

    def migration(self, statements: list[tuple[str, str | None, int | None, str | None]]) -> None:
        """Lint one migration's statements (sql, file, line, revision), then apply them."""
        self.created_here.clear()
        self.backfilled.clear()
        if self.online:
            self.online.new_migration()
        self.result.files += 1
        for sql, file, line, revision in statements:
            for stmt in split_statements(sql):
                self.result.statements += 1
                first = (line or 1) + stmt.line - 1
                if stmt.node is None and stmt.error:
                    self.result.unread.append(
                        f"{file or 'SQL'}:{(line or 1) + stmt.line - 1}: syntax error: {stmt.error}"
                    )
                if stmt.node is not None:
                    where = (file, (line or 1) + stmt.line - 1, revision, stmt.sql)
                    found = self._check(stmt.node)
                    if self.online:
                        found += self.online.check(
                            stmt.node, self.interpreter.model, self.created_here
                        )
                    for rule, message in found:
                        violation = Violation(rule, RULES[rule][0], message, *where)
                        violation.suppressed = self._suppression(file, where[1], rule)
                        allowed = rule in self.allow or violation.suppressed is not None
                        (self.result.allowed if allowed else self.result.violations).append(
                            violation
                        )
                    self._track(stmt.node)
                # judged against the state right before it: apply it before the next one
                self.interpreter.apply_sql(stmt.sql, file=file, line=first, revision=revision)

    def _suppression(self, file: str | None, line: int | None, rule: str) -> str | None:
        """The reason of a ``schema-audit: ignore RULE reason`` comment for the statement at ``line``."""
        found = find_ignore(file, self.sources.get(file or ""), line, line, {rule, RULES[rule][0]})
        return found[1] if found else None

    def _key(self, rv: ast.RangeVar) -> str:
        return qualify(rv.schemaname or "public", rv.relname)

    def _track(self, node: ast.Node) -> None:
        if isinstance(node, ast.CreateStmt):
            self.created_here.add(self._key(node.relation))
        elif isinstance(node, ast.InsertStmt | ast.CopyStmt) and node.relation is not None:
            self.populated.add(self._key(node.relation))
        elif isinstance(node, ast.UpdateStmt):
            key = self._key(node.relation)
            self.populated.add(key)
            for target in node.targetList or ():
                self.backfilled.add((key, target.name))

    def _exists(self, kind: ObjectType, obj: object) -> bool | None:
        """Whether the object a DROP names exists in the model here (None: cannot tell)."""
        model = self.interpreter.model
        if isinstance(obj, ast.ObjectWithArgs):
            names = [s.sval for s in obj.objname or () if isinstance(s, ast.String)]
        elif isinstance(obj, tuple | list):
            names = [s.sval for s in obj if isinstance(s, ast.String)]
        elif isinstance(obj, ast.TypeName):
            names = [s.sval for s in obj.names or () if isinstance(s, ast.String)]
        else:
            names = [getattr(obj, "sval", "")]
        if not names or not all(names):
            return None

        def key(parts: list[str]) -> str:
            return qualify(parts[-2] if len(parts) > 1 else "public", parts[-1])

        if kind == ObjectType.OBJECT_TABLE:
            return key(names) in model.tables
        if kind in (ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW):
            return key(names) in model.views
        if kind == ObjectType.OBJECT_INDEX:
            schema = names[-2] if len(names) > 1 else "public"
            return any(
                names[-1] in t.indexes for t in model.tables.values() if t.schema == schema
            ) or any(names[-1] in v.indexes for v in model.views.values() if v.schema == schema)
        if kind in (ObjectType.OBJECT_TRIGGER, ObjectType.OBJECT_POLICY):
            table = model.tables.get(key(names[:-1])) if len(names) > 1 else None
            if table is None:
                return False
            group = table.triggers if kind == ObjectType.OBJECT_TRIGGER else table.policies
            return names[-1] in group
        if kind in (ObjectType.OBJECT_FUNCTION, ObjectType.OBJECT_PROCEDURE):
            schema = names[-2] if len(names) > 1 else None
            return any(
                f.name == names[-1] and (schema is None or f.schema == schema)
                for f in model.functions.values()
            )
        if kind == ObjectType.OBJECT_TYPE:
            return key(names) in model.enums or None
        return None

    def _has_rows(self, key: str) -> bool:
        return key not in self.created_here and (self.assume_populated or key in self.populated)

    def _check(self, node: ast.Node) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        model = self.interpreter.model
        if isinstance(node, ast.DropStmt):
            kind = node.removeType
            objects = list(node.objects or ())
            if node.missing_ok:
                # DROP … IF EXISTS of what does not exist at this point drops nothing
                # (the idempotent `DROP INDEX IF EXISTS ix; CREATE INDEX ix …` idiom)
                objects = [o for o in objects if self._exists(kind, o) is not False]
                if not objects:
                    return out
            label = ", ".join(n for n in (_object_label(kind, o) for o in objects) if n)
            if kind == ObjectType.OBJECT_TABLE:
                out.append(("SA001", f"drops table {label}"))
            elif kind == ObjectType.OBJECT_POLICY:
                out.append(("SA004", f"drops policy {label}"))
            elif kind == ObjectType.OBJECT_TRIGGER:
                out.append(("SA005", f"drops trigger {label}"))
            elif kind in (
                ObjectType.OBJECT_VIEW,
                ObjectType.OBJECT_MATVIEW,
                ObjectType.OBJECT_FUNCTION,
                ObjectType.OBJECT_INDEX,
                ObjectType.OBJECT_TYPE,
            ):
                out.append(
                    ("SA010", f"drops {kind.name.replace('OBJECT_', '').lower()} {label}".rstrip())
                )
        elif isinstance(node, ast.TruncateStmt):
            out.append(("SA006", "truncates " + ", ".join(rv.relname for rv in node.relations)))
        elif isinstance(node, ast.AlterTableStmt) and node.objtype == ObjectType.OBJECT_TABLE:
            key = self._key(node.relation)
            table = model.tables.get(key)
            for cmd in node.cmds:
                t = cmd.subtype
                if t == AlterTableType.AT_DropColumn:
                    out.append(("SA002", f"drops column {node.relation.relname}.{cmd.name}"))
                elif t == AlterTableType.AT_DropConstraint:
                    out.append(("SA003", f"drops constraint {cmd.name} on {node.relation.relname}"))
                elif t in (
                    AlterTableType.AT_DisableRowSecurity,
                    AlterTableType.AT_NoForceRowSecurity,
                ):
                    verb = "disables" if t == AlterTableType.AT_DisableRowSecurity else "un-forces"
                    out.append(("SA007", f"{verb} row level security on {node.relation.relname}"))
                elif t == AlterTableType.AT_AlterColumnType:
                    new = format_typename(cmd.def_.typeName)
                    old = (
                        table.columns[cmd.name].type
                        if table and cmd.name in table.columns
                        else None
                    )
                    if old is None or not _widening(canonical_type(old), new):
                        out.append(
                            (
                                "SA008",
                                f"changes {node.relation.relname}.{cmd.name} from {old or 'unknown'} "
                                f"to {new} (narrows or rewrites the table)",
                            )
                        )
                elif t == AlterTableType.AT_SetNotNull:
                    column = table.columns.get(cmd.name) if table else None
                    if (
                        self._has_rows(key)
                        and (key, cmd.name) not in self.backfilled
                        and not (column and column.default)
                    ):
                        out.append(
                            (
                                "SA009",
                                f"sets {node.relation.relname}.{cmd.name} NOT NULL on a table holding "
                                "rows, without a default or a backfill in this migration",
                            )
                        )
                elif t == AlterTableType.AT_AddColumn:
                    cd = cmd.def_
                    kinds = {c.contype.name for c in cd.constraints or ()}
                    if (
                        "CONSTR_NOTNULL" in kinds
                        and "CONSTR_DEFAULT" not in kinds
                        and self._has_rows(key)
                    ):
                        out.append(
                            (
                                "SA009",
                                f"adds NOT NULL column {node.relation.relname}.{cd.colname} without a "
                                "default to a table holding rows",
                            )
                        )
        return out


Migration = list[tuple[str, str | None, int | None, str | None]]


def _object_label(kind: ObjectType, obj: object) -> str:
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


def _alembic_migrations(path: Path, result: LintResult, execute: bool) -> list[Migration]:
    from schema_audit.sources.alembic import render_history

    history = render_history(path, execute=execute)
    result.layout = f"alembic, {len(history.revisions)} revisions"
    for rev in history.revisions:
        if rev.partial:
            result.unrendered.append(
                f"revision {rev.revision} was not fully linted: {rev.gap()} "
                "(--allow-unrendered accepts a partial lint)"
            )
    return [
        [(s.sql, s.file, s.line, s.revision) for s in rev.statements] for rev in history.revisions
    ]


def _sql_migrations(path: Path, result: LintResult) -> list[Migration]:
    from schema_audit.sources.sqlfile import _CONTENT, _display, _up_section, discover

    layout = discover(path)
    result.layout = layout.describe()
    result.unread += [i.message for i in layout.issues if i.severity == "error"]
    out = []
    contents = 0
    for file in layout.files:
        display = _display(file, path)
        try:
            raw = file.read_bytes()
            if b"\x00" in raw[:8192]:
                raise ValueError("binary file, not SQL")
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            result.unread.append(f"{display}: not UTF-8 text (byte {exc.start}); not linted")
            continue
        except (ValueError, OSError) as exc:
            result.unread.append(f"{display}: {exc}; not linted")
            continue
        up = _up_section(text)
        contents += bool(_CONTENT.search(up))
        out.append([(up, display, 1, layout.versions.get(file, file.stem))])
    if not contents and not result.unread:
        raise ValueError(f"{path}: no SQL statement in {layout.describe()}")
    return out


def is_alembic(path: Path) -> bool:
    """An Alembic project or a bare versions/ folder, recognised by content (``revision =``)."""
    from schema_audit.sources.sqlfile import looks_like_alembic

    return looks_like_alembic(path)


def lint(
    path: Path,
    *,
    allow: list[str] | None = None,
    assume_populated: bool = False,
    execute: bool = True,
    search_path: list[str] | None = None,
    online: bool = False,
) -> LintResult:
    """Lint an Alembic project, a folder of SQL migrations or one SQL file (``execute=False``:
    Alembic revisions are read from their syntax trees, never run)."""
    linter = _Linter(_allowed_set(allow or []), assume_populated, search_path, online)
    result = linter.result
    migrations = (
        _alembic_migrations(path, result, execute)
        if is_alembic(path)
        else _sql_migrations(path, result)
    )
    linter.sources = source_lines(path)
    for statements in migrations:
        linter.migration(statements)
    return linter.result
