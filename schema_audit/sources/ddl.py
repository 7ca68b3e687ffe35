"""A DDL interpreter: apply SQL statements to a SchemaModel as PostgreSQL would, without a server.

Statements are parsed with pglast (libpg_query: the server's own grammar) and
applied in order. The goal is that the static model of a migration history
equals the model the live source reads after running the same SQL, so names
PostgreSQL chooses are chosen the same way (``sources.names``), renames carry
their dependents along, and a dropped column takes its indexes and
constraints with it.

What cannot be applied is never dropped and never fatal: ``DO`` blocks (dynamic
SQL), data changes, unknown statements and statements on missing objects
become :class:`UnappliedStatement` evidence with file and line, and a syntax
error costs only the statement it is in.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pglast
from pglast import ast
from pglast.enums import (
    AlterTableType,
    ConstrType,
    DropBehavior,
    FunctionParameterMode,
    ObjectType,
    RoleSpecType,
    SortByDir,
    SortByNulls,
)
from pglast.stream import RawStream

from schema_audit.enums import ReferentialAction
from schema_audit.model import (
    OBJECT_PRIVILEGES,
    TABLE_PRIVILEGES,
    CheckConstraint,
    Column,
    DefaultPrivilege,
    EnumType,
    Extension,
    ForeignKey,
    Function,
    Grant,
    Index,
    IndexKey,
    Policy,
    PrimaryKey,
    Provenance,
    Role,
    SchemaModel,
    Sequence,
    Table,
    Trigger,
    UnappliedStatement,
    UniqueConstraint,
    View,
    ViewColumn,
    qualify,
)
from schema_audit.pgparse import parse_sql
from schema_audit.sources import effects as fx
from schema_audit.sources.names import choose_name
from schema_audit.sqlnorm import canonical_opclass, format_typename

MATCH = {"s": "SIMPLE", "f": "FULL", "p": "PARTIAL"}
SERIAL_TYPES = {
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
    "serial2": "smallint",
}
MAX_SQL_EVIDENCE = 2000
_IGNORED = (
    ast.TransactionStmt,
    ast.VariableShowStmt,
    ast.CheckPointStmt,
    ast.DiscardStmt,
    ast.LockStmt,
    ast.ListenStmt,
    ast.NotifyStmt,
    ast.VacuumStmt,
    ast.ExplainStmt,
    ast.RefreshMatViewStmt,
    ast.ClusterStmt,
    ast.ReindexStmt,
)


class ApplyError(Exception):
    """A statement PostgreSQL would refuse here (a missing or duplicate object).

    At the top level it becomes unapplied evidence; inside a DO block it is the error an
    exception handler may catch, so it carries PostgreSQL's condition name.
    """

    def __init__(self, message: str, condition: str | None = None) -> None:
        super().__init__(message)
        self.condition = condition or _condition_of(message)


def _condition_of(message: str) -> str:
    """The condition PostgreSQL raises for a message of this interpreter (first word, verb)."""
    words = message.split()
    subject = words[0] if words else ""
    if subject in ("referenced", "the"):
        subject = words[1] if len(words) > 1 else subject
    if "already exists" in message:
        return {
            "table": "duplicate_table",
            "relation": "duplicate_table",
            "view": "duplicate_table",
            "index": "duplicate_table",
            "sequence": "duplicate_table",
            "column": "duplicate_column",
            "function": "duplicate_function",
            "schema": "duplicate_schema",
        }.get(subject, "duplicate_object")
    if "does not exist" in message:
        return {
            "table": "undefined_table",
            "relation": "undefined_table",
            "view": "undefined_table",
            "sequence": "undefined_table",
            "column": "undefined_column",
            "function": "undefined_function",
            "schema": "invalid_schema_name",
        }.get(subject, "undefined_object")
    if "primary key to reference" in message:
        return "invalid_foreign_key"
    return "object_not_in_prerequisite_state"


def _deparse(node: ast.Node | None) -> str | None:
    return None if node is None else RawStream()(node)


def _flatten(value) -> list:
    """The nodes of a possibly nested tuple (BEGIN ATOMIC bodies are a list of statement lists)."""
    if isinstance(value, tuple | list):
        return [n for item in value for n in _flatten(item)]
    return [] if value is None else [value]


def _strings(nodes) -> list[str]:
    return [n.sval for n in nodes or () if isinstance(n, ast.String)]


@dataclass(slots=True)
class _Statement:
    sql: str
    line: int
    node: ast.Node | None
    error: str | None = None


def _skip_leading(text: str, pos: int) -> int:
    """Position of the first character of a statement (after blanks and comments)."""
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
        elif text.startswith("--", pos):
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end + 1
        elif text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            pos = len(text) if end < 0 else end + 2
        else:
            break
    return pos


def split_statements(sql: str) -> Iterator[_Statement]:
    """Statements of ``sql`` with their line numbers, parsed one at a time; a syntax error stays local.

    The text is cut by PostgreSQL's own lexer (pglast's scanner split, in C) and each
    piece is parsed on its own and handed over before the next is parsed, so memory
    holds one statement's syntax tree, not a whole 200 MB dump's. A piece that does not
    parse alone is joined with the following ones until it does (``BEGIN ATOMIC … END``
    bodies contain semicolons); if it never does, it is reported alone.
    """
    # psql meta-commands (\connect, \restrict …) are not SQL; blank them, keeping line numbers.
    text = re.sub(r"(?m)^\\.*$", "", sql) if "\\" in sql else sql
    cuts = _statement_slices(text)
    counted_to, newlines = 0, 0
    index = 0
    while index < len(cuts):
        start, end = cuts[index]
        node: ast.Node | Exception | None
        try:
            node = _parse_one(text[start:end])
            taken = 1
        except pglast.parser.ParseError as exc:
            node, taken = exc, 1
            joinable = 1 if isinstance(exc, StatementTooLarge) else MAX_JOINED_PIECES
            for extra in range(1, min(joinable, len(cuts) - index)):
                try:
                    node = _parse_one(text[start : cuts[index + extra][1]])
                except pglast.parser.ParseError:
                    continue
                end, taken = cuts[index + extra][1], extra + 1
                break
        index += taken
        chunk = text[start:end]
        offset = _skip_leading(chunk, 0)
        newlines += text.count("\n", counted_to, start)  # statements come in order: each byte once
        counted_to = start
        line = newlines + chunk.count("\n", 0, offset) + 1
        body = chunk[offset:].strip().rstrip(";").strip()
        if not body:
            continue
        if isinstance(node, Exception):
            yield _Statement(body, line, None, str(node).splitlines()[0])
        else:
            yield _Statement(body, line, node)


# How many following pieces a statement that does not parse alone may absorb (BEGIN ATOMIC).
MAX_JOINED_PIECES = 64


# A syntax tree costs about 60 bytes of memory per character of SQL: a longer statement
# (data, not schema: a 100 MB INSERT) is not parsed but reported, file:line, as not read.
MAX_STATEMENT_CHARS = 4 * 1024 * 1024
STATEMENT_LIMIT_ENV = "SCHEMA_AUDIT_MAX_STATEMENT_CHARS"


class StatementTooLarge(pglast.parser.ParseError):
    """A statement longer than the limit: reported with its line, never parsed."""


def _statement_limit() -> int:
    raw = os.environ.get(STATEMENT_LIMIT_ENV, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else MAX_STATEMENT_CHARS


def _parse_one(chunk: str) -> ast.Node | None:
    # leading comments and blank lines are not the statement: a 50 MB comment before a
    # short CREATE TABLE costs nothing to skip and must not make it "too long"
    offset = _skip_leading(chunk, 0)
    statement = chunk[offset:] if offset else chunk
    limit = _statement_limit()
    if len(statement) > limit:
        raise StatementTooLarge(
            f"statement of {len(statement):,} characters is longer than the {limit:,} that are "
            f"read ({STATEMENT_LIMIT_ENV} raises the limit); not read"
        )
    parsed = parse_sql(statement)  # pgparse: ParseError "stack depth limit exceeded", no crash
    return parsed[0].stmt if parsed else None


def _statement_slices(text: str) -> list[tuple[int, int]]:
    """Character ranges of the statements: PostgreSQL's scanner, or our lexer when it cannot cope.

    The scanner tracks parentheses, so an unclosed one would swallow the rest of the file
    (and pglast then drops that rest); when the ranges do not account for every
    non-comment character, the small lexer below, which ignores parentheses, decides.
    """
    try:
        slices = [
            (s.start, s.stop)
            for s in pglast.parser.split(text, with_parser=False, only_slices=True)
        ]
    except pglast.parser.ParseError:
        return _scanner_slices(text)
    covered = 0
    for start, end in slices + [(len(text), len(text))]:
        gap = text[covered:start]
        if gap.strip(" \t\r\n;") and _skip_leading(gap.replace(";", " "), 0) < len(gap):
            return _scanner_slices(text)
        covered = end
    return slices


_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def _scanner_slices(text: str) -> list[tuple[int, int]]:
    """Character ranges of statements, split on top-level semicolons by a small lexer.

    Used only when PostgreSQL's scanner cannot split the text: it respects quotes, dollar
    quotes and comments but ignores parentheses, so one broken statement (say an
    unclosed parenthesis) cannot swallow the rest of the file.
    """
    cuts: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "'" or ch == '"':
            j = i + 1
            while j < n:
                if text[j] == ch:
                    if j + 1 < n and text[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
        elif text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif ch == "$" and (m := _DOLLAR.match(text, i)):
            j = text.find(m.group(0), m.end())
            i = n if j < 0 else j + len(m.group(0))
        elif ch == ";":
            cuts.append(i + 1)
            i += 1
        else:
            i += 1
    ranges, start = [], 0
    for cut in cuts + ([n] if not cuts or cuts[-1] < n else []):
        ranges.append((start, cut))
        start = cut
    return ranges


class DdlInterpreter:
    """Applies SQL to ``model``; see the module docstring."""

    def __init__(self, model: SchemaModel | None = None, default_schema: str = "public") -> None:
        self.model = model or SchemaModel()
        self.search_path = [default_schema]
        # The role objects are created as (SET ROLE); None = the role running the migrations.
        self.current_role: str | None = None
        # ALTER DEFAULT PRIVILEGES … REVOKE of a built-in default: (owner, object type, grantee, privilege)
        self._revoked_defaults: set[tuple[str | None, str, str, str]] = set()
        # PUBLIC may use the public schema (PostgreSQL 15+: only USAGE; CREATE is the owner's).
        self.model.schema_grants.setdefault("public", [Grant("public", "USAGE")])
        # Reverse indexes, so renames and drops do not scan every table (a 180,000-table dump
        # renamed columns 12,000 times: quadratic). Entries only grow; every use verifies them.
        # FK target -> {id: table} of tables holding one
        self._referrers: dict[tuple[str, str], dict[int, Table]] = {}
        self._index_homes: dict[tuple[str, str], Table | View] = {}  # (schema, index) -> relation
        for relation in [*self.model.tables.values(), *self.model.views.values()]:
            for index_name in relation.indexes:
                self._index_homes[(relation.schema, index_name)] = relation
            for fk in getattr(relation, "foreign_keys", {}).values():
                self._refers(relation, fk.ref_schema, fk.ref_table)
        self._file: str | None = None
        self._revision: str | None = None
        self._stmt: _Statement | None = None
        # unapplied statements whose effects no later statement has settled yet
        self.ledger = fx.Ledger()
        self._relations: dict[
            str, str
        ] = {}  # qualified relation/index name -> kind, for name choice
        for key in self.model.tables:
            self._relations[key] = "table"
        for key, view in self.model.views.items():
            self._relations[key] = "view"
            for name in view.indexes:
                self._relations[qualify(view.schema, name)] = "index"
        for table in self.model.tables.values():
            for name in table.indexes:
                self._relations[qualify(table.schema, name)] = "index"

    # -- entry points -----------------------------------------------------
    def apply_sql(
        self,
        sql: str,
        *,
        file: str | None = None,
        line: int = 1,
        revision: str | None = None,
        on_line: Callable[[int], None] | None = None,
    ) -> None:
        """Apply every statement in order; ``on_line`` hears each statement's line (progress)."""
        self._file, self._revision = file, revision
        for stmt in split_statements(sql):
            if on_line is not None:
                on_line(stmt.line)
            stmt.line += line - 1
            self._stmt = stmt
            if stmt.node is None:
                # PostgreSQL cannot parse it either: wherever the history ran, it changed nothing
                self._unapplied("error", f"syntax error: {stmt.error}", effects=[])
                continue
            before = len(self.model.unapplied)
            try:
                self._apply(stmt.node)
            except ApplyError as exc:
                self._unapplied("error", str(exc), effects=self._error_effects(stmt.node, exc))
            except Exception as exc:  # an interpreter gap must cost one statement, not the audit
                self._unapplied("unsupported", f"could not interpret: {type(exc).__name__}: {exc}")
            else:
                if len(self.model.unapplied) == before and not isinstance(stmt.node, ast.DoStmt):
                    self._settle(stmt.node)

    # -- bookkeeping ------------------------------------------------------
    def _prov(self, action: str = "created") -> Provenance:
        stmt = self._stmt
        return Provenance(
            source="migration",
            file=self._file,
            line=stmt.line if stmt else None,
            revision=self._revision,
            action=action,
            sql=stmt.sql[:MAX_SQL_EVIDENCE] if stmt else None,
        )

    def _unapplied(self, kind: str, reason: str, effects: list[fx.Effect] | None = None) -> None:
        """Record the current statement as not applied, with what it may have changed."""
        stmt = self._stmt
        assert stmt is not None
        if effects is None:
            effects = (
                []
                if kind == "data"
                else fx.statement_effects(stmt.node, self)
                if stmt.node is not None
                else fx.text_effects(stmt.sql)
            )
        record = UnappliedStatement(
            sql=stmt.sql[:MAX_SQL_EVIDENCE],
            reason=reason,
            file=self._file,
            line=stmt.line,
            revision=self._revision,
            kind=kind,
            effects=effects,
        )
        self.model.unapplied.append(record)
        self.ledger.add(record)

    def _error_effects(self, node: ast.Node, exc: ApplyError) -> list[fx.Effect]:
        """A statement on an object the model does not have: the history assumes it exists, in
        a state nothing here shows, so everything about the objects it names is open."""
        effects = fx.statement_effects(node, self)
        if exc.condition.startswith("undefined"):
            effects += [fx.Effect("*", t) for t in {e.target for e in effects} if t != "*"]
        return effects

    def _settle(self, node: ast.Node) -> None:
        """A statement applied: what it establishes again closes earlier unapplied effects."""
        if not self.ledger.open:
            return
        stmt = self._stmt
        where = (
            f"{self._file}:{stmt.line}"
            if self._file and stmt
            else f"line {stmt.line if stmt else '?'}"
        )
        if isinstance(node, ast.RenameStmt) and node.renameType in (
            ObjectType.OBJECT_TABLE,
            ObjectType.OBJECT_VIEW,
        ):
            old = qualify(self._schema_of(node.relation), node.relation.relname)
            schema = node.relation.schemaname or old.rsplit(".", 1)[0]
            self.ledger.renamed(old, qualify(schema, node.newname))
        self.ledger.settle(fx.settles(node, self), where)

    def _schema_of(self, rv: ast.RangeVar) -> str:
        if rv.schemaname:
            return rv.schemaname
        name = rv.relname
        for schema in self.search_path:
            key = qualify(schema, name)
            if key in self.model.tables or key in self.model.views:
                return schema
        return self.search_path[0] if self.search_path else "public"

    def _table(self, rv: ast.RangeVar, missing_ok: bool = False) -> Table | None:
        key = qualify(self._schema_of(rv), rv.relname)
        table = self.model.tables.get(key)
        if table is None and not missing_ok:
            raise ApplyError(f"table {key} does not exist at this point of the history")
        return table

    def _index_owner(self, schema: str | None, name: str) -> tuple[Table | View, Index] | None:
        schemas = [schema] if schema else self.search_path
        for candidate in schemas:
            relation = self._index_homes.get((candidate, name))
            if relation is not None and self._is_current(relation) and name in relation.indexes:
                return relation, relation.indexes[name]
        # not registered (or gone): the full scan is the truth
        for relation in list(self.model.tables.values()) + list(self.model.views.values()):
            if relation.schema in schemas and name in relation.indexes:
                self._index_homes[(relation.schema, name)] = relation
                return relation, relation.indexes[name]
        return None

    def _is_current(self, relation: Table | View) -> bool:
        key = relation.qualified_name
        return self.model.tables.get(key) is relation or self.model.views.get(key) is relation

    def _home(self, relation: Table | View, index_name: str) -> None:
        self._index_homes[(relation.schema, index_name)] = relation

    def _refers(self, table: Table, schema: str, name: str) -> None:
        self._referrers.setdefault((schema, name), {})[id(table)] = table

    def _tables_referencing(self, schema: str, name: str) -> list[Table]:
        """Current tables that may hold a foreign key to schema.name (the index only grows)."""
        return [
            table
            for table in self._referrers.get((schema, name), {}).values()
            if self.model.tables.get(table.qualified_name) is table
        ]

    def _name_taken(self, schema: str) -> callable:  # type: ignore[valid-type]
        return lambda name: qualify(schema, name) in self._relations

    # -- dispatch ---------------------------------------------------------
    def _apply(self, node: ast.Node) -> None:
        handler = getattr(self, f"_on_{type(node).__name__}", None)
        if handler is not None:
            handler(node)
        elif isinstance(node, ast.DoStmt):
            from schema_audit.sources.plpgsql import DoRunner

            DoRunner(self).run(node)
        elif isinstance(
            node, ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt | ast.CopyStmt | ast.MergeStmt
        ):
            self._unapplied("data", "data change: does not alter the schema")
        elif isinstance(node, _IGNORED):
            return
        else:
            self._unapplied("unsupported", f"{type(node).__name__} is not interpreted")

    # -- SET / SELECT set_config ------------------------------------------
    def _on_VariableSetStmt(self, node: ast.VariableSetStmt) -> None:
        if (node.name or "").lower() == "role":
            arg = (node.args or [None])[0]
            value = getattr(getattr(arg, "val", None), "sval", None)
            self.current_role = None if value in (None, "none") else value
            return
        if (node.name or "").lower() == "search_path":
            values = []
            for arg in node.args or ():
                if isinstance(arg, ast.A_Const) and isinstance(arg.val, ast.String):
                    values.extend(v.strip().strip('"') for v in arg.val.sval.split(","))
            self.search_path = [v for v in values if v and v != "$user" and v != "pg_catalog"] or [
                "public"
            ]

    def _on_SelectStmt(self, node: ast.SelectStmt) -> None:
        text = self._stmt.sql.lower()
        m = re.search(r"set_config\(\s*'search_path'\s*,\s*'([^']*)'", text)
        if m:
            values = [v.strip().strip('"') for v in m.group(1).split(",") if v.strip()]
            self.search_path = [v for v in values if v != "pg_catalog"] or ["public"]
            return
        if "set_config" in text or "setval" in text:
            return  # pg_dump noise
        self._unapplied("data", "SELECT: does not alter the schema")

    # -- schemas, extensions, types, roles --------------------------------
    def _on_CreateSchemaStmt(self, node: ast.CreateSchemaStmt) -> None:
        owner = node.authrole.rolename if node.authrole is not None else None
        name = node.schemaname or owner or ""
        self.model.schemas.setdefault(name, owner)
        self.model.schema_grants.setdefault(name, self._defaults_for("schemas", None))
        for element in node.schemaElts or ():
            self._apply(element)

    def _on_CreateExtensionStmt(self, node: ast.CreateExtensionStmt) -> None:
        if node.extname in self.model.extensions:
            if node.if_not_exists:
                return
            raise ApplyError(f'extension "{node.extname}" already exists', "duplicate_object")
        schema = "public"
        for opt in node.options or ():
            if opt.defname == "schema":
                schema = opt.arg.sval
        self.model.extensions[node.extname] = Extension(node.extname, schema, None, [self._prov()])

    def _on_CreateEnumStmt(self, node: ast.CreateEnumStmt) -> None:
        names = _strings(node.typeName)
        schema = names[0] if len(names) > 1 else self.search_path[0]
        if qualify(schema, names[-1]) in self.model.enums:
            raise ApplyError(f'type "{names[-1]}" already exists', "duplicate_object")
        self.model.enums[qualify(schema, names[-1])] = EnumType(
            schema, names[-1], _strings(node.vals), [self._prov()]
        )

    def _on_AlterEnumStmt(self, node: ast.AlterEnumStmt) -> None:
        names = _strings(node.typeName)
        schema = names[0] if len(names) > 1 else self.search_path[0]
        enum = self.model.enums.get(qualify(schema, names[-1]))
        if enum is None:
            raise ApplyError(f"type {names[-1]} does not exist")
        if node.oldVal:
            enum.labels = [node.newVal if label == node.oldVal else label for label in enum.labels]
        elif node.newVal not in enum.labels:
            if node.newValNeighbor and node.newValNeighbor in enum.labels:
                at = enum.labels.index(node.newValNeighbor) + (1 if node.newValIsAfter else 0)
                enum.labels.insert(at, node.newVal)
            else:
                enum.labels.append(node.newVal)
        enum.provenance.append(self._prov("altered"))

    def _on_CreateRoleStmt(self, node: ast.CreateRoleStmt) -> None:
        if node.role in self.model.roles:
            raise ApplyError(f'role "{node.role}" already exists', "duplicate_object")
        role = self.model.roles.setdefault(node.role, Role(node.role))
        role.login = node.stmt_type == 1  # ROLESTMT_USER implies LOGIN
        for opt in node.options or ():
            value = getattr(opt.arg, "boolval", True) if opt.arg is not None else True
            if opt.defname == "canlogin":
                role.login = bool(value)
            elif opt.defname == "superuser":
                role.superuser = bool(value)
            elif opt.defname == "bypassrls":
                role.bypass_rls = bool(value)
            elif opt.defname == "inherit":
                role.inherit = bool(value)
            elif opt.defname == "addroleto":
                for spec in opt.arg:
                    role.member_of.append(spec.rolename)

    def _on_GrantRoleStmt(self, node: ast.GrantRoleStmt) -> None:
        granted = [p.priv_name for p in node.granted_roles or ()]
        options = {
            o.defname: bool(getattr(o.arg, "boolval", True)) for o in node.opt or () if o.defname
        }
        for grantee in node.grantee_roles or ():
            role = self.model.roles.setdefault(grantee.rolename, Role(grantee.rolename))
            for name in granted:
                if node.is_grant and name not in role.member_of:
                    role.member_of.append(name)
                elif not node.is_grant and name in role.member_of and not options:
                    role.member_of.remove(name)
                    role.membership_options.pop(name, None)
                    continue
                if "inherit" in options or "set" in options:  # PostgreSQL 16+ WITH INHERIT/SET
                    inherit, can_set = role.membership_options.get(name, (role.inherit, True))
                    if node.is_grant:
                        inherit = options.get("inherit", inherit)
                        can_set = options.get("set", can_set)
                    else:  # REVOKE INHERIT OPTION FOR … / REVOKE SET OPTION FOR …
                        inherit = inherit and "inherit" not in options
                        can_set = can_set and "set" not in options
                    role.membership_options[name] = (inherit, can_set)
                    if role.membership_options[name] == (role.inherit, True):
                        del role.membership_options[name]

    # -- tables -----------------------------------------------------------
    def _on_CreateStmt(self, node: ast.CreateStmt) -> None:
        rv = node.relation
        schema = rv.schemaname or self.search_path[0]
        key = qualify(schema, rv.relname)
        if key in self.model.tables:
            if node.if_not_exists:
                return
            raise ApplyError(f"table {key} already exists")
        table = Table(
            schema,
            rv.relname,
            grants=self._defaults_for("tables", schema),
            provenance=[self._prov()],
            options=_reloptions(node.options),
            unlogged=rv.relpersistence == "u",
        )
        if node.partspec is not None:
            table.kind = "partitioned"
            params = ", ".join(_deparse(p) or "" for p in node.partspec.partParams)
            strategy = str(node.partspec.strategy).upper()
            strategy = (
                {"R": "RANGE", "L": "LIST", "H": "HASH"}.get(strategy[:1], strategy)
                if len(strategy) == 1
                else ("RANGE" if "RANGE" in strategy else "LIST" if "LIST" in strategy else "HASH")
            )
            table.partition_key = f"{strategy} ({params})"
        if node.partbound is not None and node.inhRelations:
            parent = node.inhRelations[0]
            parent_key = qualify(self._schema_of(parent), parent.relname)
            table.partition_of = parent_key
            parent_table = self.model.tables.get(parent_key)
            if parent_table:
                for col in parent_table.columns.values():
                    table.columns[col.name] = Column(
                        col.name, col.type, col.nullable, col.default, provenance=[self._prov()]
                    )
        if node.partbound is None:
            for parent in node.inhRelations or ():  # INHERITS: the parents' columns come first
                self._copy_columns(self._table(parent), table, LIKE_ALL, inherited=True)
        self.model.tables[key] = table
        self._relations[key] = "table"
        deferred: list[ast.Constraint] = []
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                if element.colname in table.columns and node.inhRelations:
                    continue  # a column the parent already has, restated (merged by PostgreSQL)
                deferred.extend(self._add_column(table, element))
            elif isinstance(element, ast.Constraint):
                deferred.append(element)
            elif isinstance(element, ast.TableLikeClause):
                self._copy_columns(self._table(element.relation), table, element.options or 0)
        for constraint in _without_redundant_indexes(deferred):
            self._add_constraint(table, constraint)
        if table.partition_of and table.partition_of in self.model.tables:
            self._clone_into_partition(self.model.tables[table.partition_of], table)

    def _add_column(
        self, table: Table, cd: ast.ColumnDef, action: str = "created"
    ) -> list[ast.Constraint]:
        """Add a column; return its column constraints that need the table (PK, UNIQUE, FK, CHECK)."""
        names = _strings(cd.typeName.names)
        serial = SERIAL_TYPES.get(names[-1]) if len(names) == 1 else None
        column = Column(
            cd.colname, serial or format_typename(cd.typeName), provenance=[self._prov(action)]
        )
        if cd.collClause is not None:
            column.collation = ".".join(_strings(cd.collClause.collname))
        if cd.colname in table.columns:
            raise ApplyError(f"column {cd.colname} of {table.qualified_name} already exists")
        table.columns[cd.colname] = column
        if serial:
            seq = make_seq_name(table, cd.colname, self)
            # as the catalog prints it with an empty search_path (pg_dump, the live reader)
            column.default = f"nextval('{qualify(table.schema, seq)}'::regclass)"
            column.nullable = False
            self.model.sequences[qualify(table.schema, seq)] = Sequence(
                table.schema,
                seq,
                f"{table.name}.{cd.colname}",
                grants=self._defaults_for("sequences", table.schema),
                provenance=[self._prov()],
            )
            self._relations[qualify(table.schema, seq)] = "sequence"
        pending: list[ast.Constraint] = []
        for con in cd.constraints or ():
            kind = con.contype
            if kind == ConstrType.CONSTR_NOTNULL:
                column.nullable = False
            elif kind == ConstrType.CONSTR_NULL:
                column.nullable = True
            elif kind == ConstrType.CONSTR_DEFAULT:
                column.default = _deparse(con.raw_expr)
            elif kind == ConstrType.CONSTR_IDENTITY:
                column.identity = "always" if con.generated_when == "a" else "by default"
                column.nullable = False
            elif kind == ConstrType.CONSTR_GENERATED:
                column.generated = _deparse(con.raw_expr)
            elif (
                kind in (ConstrType.CONSTR_ATTR_DEFERRABLE, ConstrType.CONSTR_ATTR_DEFERRED)
                and pending
            ):
                # DEFERRABLE / INITIALLY DEFERRED qualify the constraint written just before them.
                previous = pending[-1].constraint
                previous.deferrable = True
                if kind == ConstrType.CONSTR_ATTR_DEFERRED:
                    previous.initdeferred = True
            elif kind in (
                ConstrType.CONSTR_PRIMARY,
                ConstrType.CONSTR_UNIQUE,
                ConstrType.CONSTR_FOREIGN,
                ConstrType.CONSTR_CHECK,
                ConstrType.CONSTR_EXCLUSION,
            ):
                pending.append(_ColumnConstraint(con, cd.colname))
        return pending

    def _add_constraint(
        self, table: Table, con, column: str | None = None, action: str = "created"
    ) -> None:
        if isinstance(con, _ColumnConstraint):
            column, con = con.column, con.constraint
        kind = con.contype
        if con.conname and con.conname in _constraint_names(table):
            raise ApplyError(
                f'constraint "{con.conname}" for relation "{table.name}" already exists',
                "duplicate_object",
            )
        prov = self._prov(action)
        if kind == ConstrType.CONSTR_PRIMARY:
            columns = [column] if column else _strings(con.keys)
            name = con.conname or choose_name(
                table.name, None, "pkey", self._name_taken(table.schema)
            )
            if con.indexname:  # ADD PRIMARY KEY USING INDEX
                self._adopt_index(table, con.indexname, name, primary=True)
                columns = table.indexes[name].column_names
            else:
                self._backing_index(table, name, columns, con, primary=True)
            table.primary_key = PrimaryKey(name, columns, [prov])
            for col in columns:
                if col in table.columns:
                    table.columns[col].nullable = False
        elif kind == ConstrType.CONSTR_UNIQUE:
            columns = [column] if column else _strings(con.keys)
            name = con.conname or choose_name(
                table.name, "_".join(columns), "key", self._name_taken(table.schema)
            )
            if con.indexname:
                self._adopt_index(table, con.indexname, name, primary=False)
                columns = table.indexes[name].column_names
            else:
                self._backing_index(table, name, columns, con, primary=False)
            table.uniques[name] = UniqueConstraint(
                name,
                columns,
                nulls_not_distinct=bool(con.nulls_not_distinct),
                deferrable=bool(con.deferrable),
                initially_deferred=bool(con.initdeferred),
                provenance=[prov],
            )
        elif kind == ConstrType.CONSTR_CHECK:
            expr = _deparse(con.raw_expr) or ""
            mentioned = _columns_in(con.raw_expr, table)
            # PostgreSQL names it after the one column the expression reads, wherever it is
            # written (a column CHECK reading two columns is <table>_check)
            label_col = mentioned[0] if len(mentioned) == 1 else None
            name = con.conname or choose_name(
                table.name, label_col, "check", lambda n: n in _constraint_names(table)
            )
            table.checks[name] = CheckConstraint(
                name,
                expr,
                columns=mentioned,
                validated=not con.skip_validation,
                no_inherit=bool(con.is_no_inherit),
                provenance=[prov],
            )
        elif kind == ConstrType.CONSTR_FOREIGN:
            columns = [column] if column else _strings(con.fk_attrs)
            pk = con.pktable
            ref_schema = self._schema_of(pk)
            ref_key = qualify(ref_schema, pk.relname)
            ref_columns = _strings(con.pk_attrs)
            ref_table = table if ref_key == table.qualified_name else self.model.tables.get(ref_key)
            if not ref_columns:
                if ref_table is not None and ref_table.primary_key is None:
                    raise ApplyError(f"referenced table {ref_key} has no primary key to reference")
                if ref_table is not None:
                    ref_columns = list(ref_table.primary_key.columns)
            if ref_table is None:
                # kept (PostgreSQL had the table when it ran this), its target said to be unresolved
                self.model.blind_spots.append(
                    f"{prov.file or 'SQL'}:{prov.line or 1}: foreign key on {table.qualified_name} "
                    f"references {ref_key}, "
                    "which this history does not create; kept"
                    + ("" if ref_columns else " with its referenced columns unknown")
                )
            name = con.conname or choose_name(
                table.name, "_".join(columns), "fkey", lambda n: n in _constraint_names(table)
            )
            self._refers(table, ref_schema, pk.relname)
            table.foreign_keys[name] = ForeignKey(
                name,
                columns,
                ref_schema,
                pk.relname,
                ref_columns,
                on_delete=ReferentialAction.from_code(con.fk_del_action).value,
                on_update=ReferentialAction.from_code(con.fk_upd_action).value,
                match=MATCH.get(con.fk_matchtype or "s", "SIMPLE"),
                deferrable=bool(con.deferrable),
                initially_deferred=bool(con.initdeferred),
                validated=not con.skip_validation,
                provenance=[prov],
            )
        elif kind == ConstrType.CONSTR_EXCLUSION:
            elements = [pair[0] for pair in con.exclusions or ()]
            keys = [
                IndexKey(e.name) if e.name else IndexKey(_deparse(e.expr) or "", False)
                for e in elements
            ]
            label = "_".join(k.expression if k.is_column else "expr" for k in keys) or None
            name = con.conname or choose_name(
                table.name, label, "excl", self._name_taken(table.schema)
            )
            self._relations[qualify(table.schema, name)] = "index"
            self._home(table, name)
            table.indexes[name] = Index(
                name,
                keys,
                method=con.access_method or "gist",
                where=_deparse(con.where_clause),
                constraint=name,
                provenance=[prov],
            )
        elif kind == ConstrType.CONSTR_NOTNULL and column is None:
            for key in _strings(con.keys):
                if key in table.columns:
                    table.columns[key].nullable = False

    def _copy_columns(
        self, source: Table | None, target: Table, options: int, inherited: bool = False
    ) -> None:
        """LIKE source [INCLUDING …] and INHERITS: columns with NOT NULL always, defaults,
        generated expressions and identity as the options say (an inherited column keeps all)."""
        if source is None:
            raise ApplyError("the table to copy columns from does not exist at this point")
        for col in source.columns.values():
            if col.name in target.columns:
                continue
            generated = col.generated if options & LIKE_GENERATED else None
            target.columns[col.name] = Column(
                col.name,
                col.type,
                col.nullable,
                col.default if options & LIKE_DEFAULTS and col.generated is None else None,
                identity=col.identity if options & LIKE_IDENTITY and not inherited else None,
                generated=generated,
                collation=col.collation,
                comment=col.comment if options & LIKE_COMMENTS and not inherited else None,
                provenance=[self._prov()],
            )
        if options & LIKE_CONSTRAINTS:
            for name, check in source.checks.items():
                target.checks.setdefault(
                    name, dataclasses.replace(check, provenance=[self._prov()])
                )

    # -- partitions: what PostgreSQL clones from a partitioned table into its partitions --
    def _partitions_of(self, parent: Table) -> list[Table]:
        return [t for t in self.model.tables.values() if t.partition_of == parent.qualified_name]

    def _clone_into_partition(self, parent: Table, child: Table) -> None:
        """The parent's primary key, unique and non-constraint indexes and foreign keys, as PostgreSQL
        creates them on a new partition (index names chosen from the partition's name)."""
        if parent.primary_key and child.primary_key is None:
            name = choose_name(child.name, None, "pkey", self._name_taken(child.schema))
            child.primary_key = PrimaryKey(
                name, list(parent.primary_key.columns), provenance=[self._prov()]
            )
        for index in parent.indexes.values():
            self._clone_index(index, child)
        for fk in parent.foreign_keys.values():
            self._clone_foreign_key(fk, child)

    def _clone_index(self, index: Index, child: Table) -> None:
        if any(
            existing.keys == index.keys
            and existing.where == index.where
            and existing.include == index.include
            for existing in child.indexes.values()
        ):
            return  # created explicitly (pg_dump writes each partition's index itself)
        if index.primary:
            name = child.primary_key.name if child.primary_key else f"{child.name}_pkey"
        else:
            parts = [k.expression if k.is_column else "expr" for k in index.keys] + index.include
            label = "key" if index.constraint else "idx"
            name = choose_name(child.name, "_".join(parts), label, self._name_taken(child.schema))
        clone = Index(
            name,
            list(index.keys),
            unique=index.unique,
            method=index.method,
            where=index.where,
            include=list(index.include),
            nulls_not_distinct=index.nulls_not_distinct,
            constraint=name if index.constraint else None,
            primary=index.primary,
            provenance=[self._prov()],
        )
        if index.constraint and not index.primary:
            child.uniques[name] = UniqueConstraint(
                name, [k.expression for k in index.keys], provenance=[self._prov()]
            )
        self._relations[qualify(child.schema, name)] = "index"
        self._home(child, name)
        child.indexes[name] = clone

    def _clone_foreign_key(self, fk: ForeignKey, child: Table) -> None:
        if fk.name in child.foreign_keys:
            return
        self._refers(child, fk.ref_schema, fk.ref_table)
        child.foreign_keys[fk.name] = dataclasses.replace(
            fk,
            columns=list(fk.columns),
            ref_columns=list(fk.ref_columns),
            provenance=[self._prov()],
        )

    def _backing_index(
        self, table: Table, name: str, columns: list[str], con, primary: bool
    ) -> None:
        keys = [IndexKey(c) for c in columns]
        include = _strings(con.including) if con.including else []
        self._relations[qualify(table.schema, name)] = "index"
        self._home(table, name)
        table.indexes[name] = Index(
            name,
            keys,
            unique=True,
            include=include,
            constraint=name,
            primary=primary,
            nulls_not_distinct=bool(getattr(con, "nulls_not_distinct", False)),
            provenance=[self._prov()],
        )

    def _adopt_index(
        self, table: Table, index_name: str, constraint_name: str, primary: bool
    ) -> None:
        index = table.indexes.pop(index_name, None)
        if index is None:
            raise ApplyError(f"index {index_name} does not exist on {table.qualified_name}")
        self._relations.pop(qualify(table.schema, index_name), None)
        index.name, index.constraint, index.primary = constraint_name, constraint_name, primary
        self._home(table, constraint_name)
        table.indexes[constraint_name] = index
        self._relations[qualify(table.schema, constraint_name)] = "index"

    def _on_AlterTableStmt(self, node: ast.AlterTableStmt) -> None:
        if node.objtype in (
            ObjectType.OBJECT_INDEX,
            ObjectType.OBJECT_SEQUENCE,
            ObjectType.OBJECT_TYPE,
        ):
            return  # index/sequence storage options, ALTER SEQUENCE OWNED BY via ALTER TABLE …: nothing modelled
        if node.objtype in (ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW):
            key = qualify(self._schema_of(node.relation), node.relation.relname)
            view = self.model.views.get(key)
            for cmd in node.cmds or ():
                if view is not None and cmd.subtype == AlterTableType.AT_ChangeOwner:
                    view.owner = cmd.newowner.rolename
                elif view is not None and cmd.subtype in (
                    AlterTableType.AT_SetRelOptions,
                    AlterTableType.AT_ResetRelOptions,
                    AlterTableType.AT_ReplaceRelOptions,
                ):
                    _apply_reloptions(view.options, cmd)
            return
        view = self.model.views.get(qualify(self._schema_of(node.relation), node.relation.relname))
        if (
            view is not None
            and node.relation.relname
            and not self._table(node.relation, missing_ok=True)
        ):
            # pg_dump writes ALTER TABLE … OWNER TO for materialized views too.
            for cmd in node.cmds or ():
                if cmd.subtype == AlterTableType.AT_ChangeOwner:
                    view.owner = cmd.newowner.rolename
            return
        if node.relation.relname and not self._table(node.relation, missing_ok=True):
            sequence = qualify(self._schema_of(node.relation), node.relation.relname)
            if sequence in self.model.sequences:
                return  # pg_dump writes ALTER TABLE … OWNER TO for sequences too
        table = self._table(node.relation, missing_ok=bool(node.missing_ok))
        if table is None:
            return
        for cmd in node.cmds:
            self._alter(table, cmd)
        if table.kind == "partitioned" and node.relation.inh:  # not ALTER TABLE ONLY
            for partition in self._partitions_of(table):
                self._clone_into_partition(table, partition)

    def _alter(self, table: Table, cmd: ast.AlterTableCmd) -> None:
        t = cmd.subtype
        A = AlterTableType
        if t == A.AT_AddColumn:
            if cmd.missing_ok and cmd.def_.colname in table.columns:
                return
            for pending in self._add_column(table, cmd.def_, action="created"):
                self._add_constraint(table, pending)
            table.provenance.append(self._prov("altered"))
        elif t in (A.AT_AttachPartition, A.AT_DetachPartition):
            child = self._table(cmd.def_.name)
            assert child is not None
            if t == A.AT_AttachPartition:
                child.partition_of = table.qualified_name
                self._clone_into_partition(table, child)  # PostgreSQL clones what is missing
            elif child.partition_of == table.qualified_name:
                child.partition_of = None
            child.provenance.append(self._prov("altered"))
        elif t == A.AT_DropColumn:
            self._drop_column(table, cmd.name, bool(cmd.missing_ok))
        elif t == A.AT_AlterColumnType:
            col = self._column(table, cmd.name)
            col.type = format_typename(cmd.def_.typeName)
            col.provenance.append(self._prov("altered"))
        elif t in (A.AT_SetNotNull, A.AT_DropNotNull):
            col = self._column(table, cmd.name)
            col.nullable = t == A.AT_DropNotNull
            col.provenance.append(self._prov("altered"))
        elif t == A.AT_ColumnDefault:
            col = self._column(table, cmd.name)
            col.default = _deparse(cmd.def_) if cmd.def_ is not None else None
            col.provenance.append(self._prov("altered"))
        elif t == A.AT_AddConstraint:
            self._add_constraint(table, cmd.def_, action="created")
            table.provenance.append(self._prov("altered"))
        elif t == A.AT_DropConstraint:
            self._drop_constraint(table, cmd.name, bool(cmd.missing_ok))
        elif t == A.AT_ValidateConstraint:
            for group in (table.checks, table.foreign_keys):
                if cmd.name in group:
                    group[cmd.name].validated = True
        elif t in (A.AT_EnableRowSecurity, A.AT_DisableRowSecurity):
            table.rls_enabled = t == A.AT_EnableRowSecurity
            table.provenance.append(self._prov("altered"))
        elif t in (A.AT_ForceRowSecurity, A.AT_NoForceRowSecurity):
            table.rls_forced = t == A.AT_ForceRowSecurity
            table.provenance.append(self._prov("altered"))
        elif t == A.AT_ChangeOwner:
            table.owner = cmd.newowner.rolename
        elif t in (
            A.AT_EnableTrig,
            A.AT_DisableTrig,
            A.AT_EnableAlwaysTrig,
            A.AT_EnableReplicaTrig,
        ):
            trigger = table.triggers.get(cmd.name)
            if trigger is None:
                raise ApplyError(f"trigger {cmd.name} on {table.qualified_name} does not exist")
            trigger.enabled = {
                A.AT_EnableTrig: "ORIGIN",
                A.AT_DisableTrig: "DISABLED",
                A.AT_EnableAlwaysTrig: "ALWAYS",
                A.AT_EnableReplicaTrig: "REPLICA",
            }[t]
            trigger.provenance.append(self._prov("altered"))
        elif t in (
            A.AT_EnableTrigAll,
            A.AT_DisableTrigAll,
            A.AT_EnableTrigUser,
            A.AT_DisableTrigUser,
        ):
            state = "ORIGIN" if t in (A.AT_EnableTrigAll, A.AT_EnableTrigUser) else "DISABLED"
            for trigger in table.triggers.values():
                trigger.enabled = state
                trigger.provenance.append(self._prov("altered"))
        elif t == A.AT_AddIdentity:
            col = self._column(table, cmd.name)
            con = cmd.def_
            col.identity = "always" if getattr(con, "generated_when", "a") == "a" else "by default"
            col.nullable = False
        elif t == A.AT_DropIdentity:
            self._column(table, cmd.name).identity = None
        elif t == A.AT_DropExpression:
            self._column(table, cmd.name).generated = None
        elif t in (A.AT_SetRelOptions, A.AT_ResetRelOptions, A.AT_ReplaceRelOptions):
            _apply_reloptions(table.options, cmd)
        elif t in (A.AT_SetLogged, A.AT_SetUnLogged):
            table.unlogged = t == A.AT_SetUnLogged
        # storage, statistics, CLUSTER ON, REPLICA IDENTITY …: not modelled

    def _column(self, table: Table, name: str) -> Column:
        column = table.columns.get(name)
        if column is None:
            raise ApplyError(
                f"column {name} of {table.qualified_name} does not exist at this point of the history"
            )
        return column

    def _drop_column(self, table: Table, name: str, missing_ok: bool) -> None:
        if name not in table.columns:
            if missing_ok:
                return
            raise ApplyError(f"column {name} of {table.qualified_name} does not exist")
        del table.columns[name]
        for index_name, index in list(table.indexes.items()):
            if name in index.column_names or name in index.include:
                del table.indexes[index_name]
                self._relations.pop(qualify(table.schema, index_name), None)
        if table.primary_key and name in table.primary_key.columns:
            table.primary_key = None
        for group in (table.uniques, table.foreign_keys):
            for cname, con in list(group.items()):
                if name in con.columns:
                    del group[cname]
        for cname, ck in list(table.checks.items()):
            if name in ck.columns:
                del table.checks[cname]
        table.column_grants.pop(name, None)  # PostgreSQL drops the column's ACL with it
        for other in self._tables_referencing(table.schema, table.name):
            for cname, fk in list(other.foreign_keys.items()):
                if (fk.ref_schema, fk.ref_table) == (
                    table.schema,
                    table.name,
                ) and name in fk.ref_columns:
                    del other.foreign_keys[cname]
        table.provenance.append(self._prov("altered"))

    def _drop_constraint(self, table: Table, name: str, missing_ok: bool) -> None:
        if table.primary_key and table.primary_key.name == name:
            table.primary_key = None
        elif name in table.uniques:
            del table.uniques[name]
        elif name in table.checks:
            del table.checks[name]
        elif name in table.foreign_keys:
            del table.foreign_keys[name]
        elif not (name in table.indexes and table.indexes[name].constraint):
            if missing_ok:
                return
            raise ApplyError(f"constraint {name} of {table.qualified_name} does not exist")
        if name in table.indexes and table.indexes[name].constraint == name:
            del table.indexes[name]
            self._relations.pop(qualify(table.schema, name), None)
        table.provenance.append(self._prov("altered"))

    def _on_RenameStmt(self, node: ast.RenameStmt) -> None:
        kind = node.renameType
        OT = ObjectType
        if kind == OT.OBJECT_COLUMN:
            table = self._table(node.relation, missing_ok=bool(node.missing_ok))
            if table is not None:
                self._rename_column(table, node.subname, node.newname)
        elif kind == OT.OBJECT_TABLE:
            table = self._table(node.relation, missing_ok=bool(node.missing_ok))
            if table is not None:
                self._rename_table(table, node.newname)
        elif kind == OT.OBJECT_TABCONSTRAINT:
            table = self._table(node.relation)
            self._rename_constraint(table, node.subname, node.newname)
        elif kind == OT.OBJECT_INDEX:
            found = self._index_owner(node.relation.schemaname, node.relation.relname)
            if found is None:
                if node.missing_ok:
                    return
                raise ApplyError(f"index {node.relation.relname} does not exist")
            relation, index = found
            del relation.indexes[index.name]
            self._relations.pop(qualify(relation.schema, index.name), None)
            index.name = node.newname
            self._home(relation, node.newname)
            relation.indexes[node.newname] = index
            self._relations[qualify(relation.schema, node.newname)] = "index"
            if isinstance(relation, Table) and index.constraint:
                self._rename_constraint_only(relation, index.constraint, node.newname)
                index.constraint = node.newname
            index.provenance.append(self._prov("renamed"))
        elif kind == OT.OBJECT_POLICY:
            table = self._table(node.relation)
            policy = table.policies.pop(node.subname, None)
            if policy is None:
                raise ApplyError(f"policy {node.subname} on {table.qualified_name} does not exist")
            policy.name = node.newname
            policy.provenance.append(self._prov("renamed"))
            table.policies[node.newname] = policy
        elif kind == OT.OBJECT_TRIGGER:
            table = self._table(node.relation)
            trigger = table.triggers.pop(node.subname, None)
            if trigger is None:
                raise ApplyError(f"trigger {node.subname} on {table.qualified_name} does not exist")
            trigger.name = node.newname
            trigger.provenance.append(self._prov("renamed"))
            table.triggers[node.newname] = trigger
        elif kind in (OT.OBJECT_VIEW, OT.OBJECT_MATVIEW):
            key = qualify(self._schema_of(node.relation), node.relation.relname)
            view = self.model.views.pop(key, None)
            if view is None:
                raise ApplyError(f"view {key} does not exist")
            view.name = node.newname
            self.model.views[qualify(view.schema, view.name)] = view
        elif kind == OT.OBJECT_SCHEMA:
            return
        else:
            self._unapplied("unsupported", f"RENAME of {kind.name} is not interpreted")

    def _rename_column(self, table: Table, old: str, new: str) -> None:
        column = self._column(table, old)
        table.columns = {(new if k == old else k): v for k, v in table.columns.items()}
        column.name = new
        column.provenance.append(self._prov("renamed"))
        for index in table.indexes.values():
            for key in index.keys:
                if key.is_column and key.expression == old:
                    key.expression = new
                elif not key.is_column:
                    key.expression = rename_column_in_expr(key.expression, old, new)
            index.include = [new if c == old else c for c in index.include]
            if index.where:
                index.where = rename_column_in_expr(index.where, old, new)
        for check in table.checks.values():
            check.expression = rename_column_in_expr(check.expression, old, new)
        for policy in table.policies.values():
            policy.using = policy.using and rename_column_in_expr(policy.using, old, new)
            policy.with_check = policy.with_check and rename_column_in_expr(
                policy.with_check, old, new
            )
        for trigger in table.triggers.values():
            trigger.when = trigger.when and rename_column_in_expr(trigger.when, old, new)
            trigger.update_columns = [new if c == old else c for c in trigger.update_columns]
        for other_column in table.columns.values():
            if other_column.generated:
                other_column.generated = rename_column_in_expr(other_column.generated, old, new)
        swap = lambda cols: [new if c == old else c for c in cols]  # noqa: E731
        if table.primary_key:
            table.primary_key.columns = swap(table.primary_key.columns)
        for con in (
            list(table.uniques.values())
            + list(table.foreign_keys.values())
            + list(table.checks.values())
        ):
            con.columns = swap(con.columns)
        for other in self._tables_referencing(table.schema, table.name):
            for fk in other.foreign_keys.values():
                if (fk.ref_schema, fk.ref_table) == (table.schema, table.name):
                    fk.ref_columns = swap(fk.ref_columns)
        table.provenance.append(self._prov("altered"))

    def _rename_table(self, table: Table, new: str) -> None:
        old_key = table.qualified_name
        del self.model.tables[old_key]
        self._relations.pop(old_key, None)
        old_name, table.name = table.name, new
        self.model.tables[table.qualified_name] = table
        self._relations[table.qualified_name] = "table"
        for seq in self.model.sequences.values():  # OWNED BY follows the table's new name
            owner, _, column = (seq.owned_by or "").partition(".")
            if seq.schema == table.schema and owner == old_name:
                seq.owned_by = f"{new}.{column}"
        for other in self._tables_referencing(table.schema, old_name):
            self._refers(other, table.schema, new)
            for fk in other.foreign_keys.values():
                if (fk.ref_schema, fk.ref_table) == (table.schema, old_name):
                    fk.ref_table = new
        table.provenance.append(self._prov("renamed"))

    def _rename_constraint_only(self, table: Table, old: str, new: str) -> bool:
        if table.primary_key and table.primary_key.name == old:
            table.primary_key.name = new
            return True
        for group in (table.uniques, table.checks, table.foreign_keys):
            if old in group:
                con = group.pop(old)
                con.name = new
                group[new] = con
                return True
        return False

    def _rename_constraint(self, table: Table, old: str, new: str) -> None:
        if not self._rename_constraint_only(table, old, new):
            raise ApplyError(f"constraint {old} of {table.qualified_name} does not exist")
        index = table.indexes.pop(old, None)
        if index is not None:
            self._relations.pop(qualify(table.schema, old), None)
            index.name = index.constraint = new
            self._home(table, new)
            table.indexes[new] = index
            self._relations[qualify(table.schema, new)] = "index"
        table.provenance.append(self._prov("altered"))

    def _on_AlterObjectSchemaStmt(self, node: ast.AlterObjectSchemaStmt) -> None:
        if node.objectType == ObjectType.OBJECT_TABLE and node.relation is not None:
            table = self._table(node.relation, missing_ok=bool(node.missing_ok))
            if table is None:
                return
            old_schema = table.schema
            del self.model.tables[table.qualified_name]
            table.schema = node.newschema
            self.model.tables[table.qualified_name] = table
            for key, seq in list(self.model.sequences.items()):  # owned sequences move along
                if seq.schema == old_schema and (seq.owned_by or "").split(".")[0] == table.name:
                    del self.model.sequences[key]
                    seq.schema = node.newschema
                    self.model.sequences[qualify(seq.schema, seq.name)] = seq
        elif node.objectType == ObjectType.OBJECT_TYPE and node.object is not None:
            self._move_type(_strings(node.object), node.newschema, bool(node.missing_ok))
        elif node.objectType == ObjectType.OBJECT_SEQUENCE and node.relation is not None:
            key = qualify(self._schema_of(node.relation), node.relation.relname)
            seq = self.model.sequences.pop(key, None)
            if seq is None:
                if not node.missing_ok:
                    raise ApplyError(f"sequence {key} does not exist")
                return
            seq.schema = node.newschema
            self.model.sequences[qualify(seq.schema, seq.name)] = seq
        else:
            # every statement not applied is listed, never dropped silently
            self._unapplied(
                "unsupported",
                f"SET SCHEMA of {ObjectType(node.objectType).name.removeprefix('OBJECT_').lower()} "
                "is not modelled",
                self._mentions(self._stmt.sql if self._stmt else ""),
            )

    def _move_type(self, names: list[str], new_schema: str, missing_ok: bool) -> None:
        """ALTER TYPE … SET SCHEMA: the enum moves, and columns of that type now print it qualified."""
        schema = names[0] if len(names) > 1 else self.search_path[0]
        key = qualify(schema, names[-1])
        enum = self.model.enums.pop(key, None)
        if enum is None:
            if not missing_ok:
                raise ApplyError(f"type {key} is not an enum this history creates")
            return
        old_type = format_typename(
            ast.TypeName(names=[ast.String(sval=schema), ast.String(sval=enum.name)])
        )
        enum.schema = new_schema
        self.model.enums[qualify(new_schema, enum.name)] = enum
        new_type = format_typename(
            ast.TypeName(names=[ast.String(sval=new_schema), ast.String(sval=enum.name)])
        )
        for table in self.model.tables.values():
            for column in table.columns.values():
                if column.type == old_type:
                    column.type = new_type
                elif column.type == old_type + "[]":
                    column.type = new_type + "[]"

    def _on_AlterOwnerStmt(self, node: ast.AlterOwnerStmt) -> None:
        return  # owners of functions, types, schemas: not modelled beyond tables

    # -- indexes ----------------------------------------------------------
    def _on_IndexStmt(self, node: ast.IndexStmt) -> None:
        rv = node.relation
        schema = self._schema_of(rv)
        key = qualify(schema, rv.relname)
        relation: Table | View | None = self.model.tables.get(key) or self.model.views.get(key)
        if relation is None:
            raise ApplyError(f"relation {key} does not exist at this point of the history")
        keys: list[IndexKey] = []
        for elem in node.indexParams:
            descending = elem.ordering == SortByDir.SORTBY_DESC
            nulls = None
            if elem.nulls_ordering == SortByNulls.SORTBY_NULLS_FIRST:
                nulls = True
            elif elem.nulls_ordering == SortByNulls.SORTBY_NULLS_LAST:
                nulls = False
            if nulls is not None and nulls == descending:
                nulls = None
            opclass = canonical_opclass(node.accessMethod or "btree", _strings(elem.opclass))
            if elem.name:
                keys.append(IndexKey(elem.name, True, descending, nulls, opclass))
            else:
                keys.append(IndexKey(_deparse(elem.expr) or "", False, descending, nulls, opclass))
            keys[-1].collation = _key_collation(elem, relation)
        name = node.idxname
        if name and qualify(schema, name) in self._relations:
            if node.if_not_exists:
                return
            raise ApplyError(f"relation {qualify(schema, name)} already exists")
        if not name:
            parts = [
                k.expression if k.is_column else _expr_label(elem.expr)
                for k, elem in zip(keys, node.indexParams, strict=False)
            ]
            name = choose_name(relation.name, "_".join(parts), "idx", self._name_taken(schema))
        include = [elem.name for elem in node.indexIncludingParams or ()]
        self._home(relation, name)
        relation.indexes[name] = Index(
            name,
            keys,
            unique=bool(node.unique),
            method=node.accessMethod or "btree",
            where=_deparse(node.whereClause),
            include=include,
            nulls_not_distinct=bool(getattr(node, "nulls_not_distinct", False)),
            provenance=[self._prov()],
        )
        self._relations[qualify(schema, name)] = "index"
        if isinstance(relation, Table) and relation.kind == "partitioned" and rv.inh:
            for partition in self._partitions_of(relation):
                self._clone_index(relation.indexes[name], partition)

    # -- policies, triggers, functions ------------------------------------
    def _on_CreatePolicyStmt(self, node: ast.CreatePolicyStmt) -> None:
        table = self._table(node.table)
        if node.policy_name in table.policies:
            raise ApplyError(f"policy {node.policy_name} on {table.qualified_name} already exists")
        table.policies[node.policy_name] = Policy(
            node.policy_name,
            (node.cmd_name or "all").upper(),
            bool(node.permissive),
            _roles(node.roles),
            _deparse(node.qual),
            _deparse(node.with_check),
            [self._prov()],
        )

    def _on_AlterPolicyStmt(self, node: ast.AlterPolicyStmt) -> None:
        table = self._table(node.table)
        policy = table.policies.get(node.policy_name)
        if policy is None:
            raise ApplyError(f"policy {node.policy_name} on {table.qualified_name} does not exist")
        if node.roles:
            policy.roles = _roles(node.roles)
        if node.qual is not None:
            policy.using = _deparse(node.qual)
        if node.with_check is not None:
            policy.with_check = _deparse(node.with_check)
        policy.provenance.append(self._prov("altered"))

    def _on_CreateTrigStmt(self, node: ast.CreateTrigStmt) -> None:
        table = self._table(node.relation)
        if node.trigname in table.triggers and not node.replace:
            raise ApplyError(f"trigger {node.trigname} on {table.qualified_name} already exists")
        timing = node.timing or 0
        events = node.events or 0
        fn = _strings(node.funcname)
        function = fn[-1] if len(fn) == 1 or fn[0] == "public" else ".".join(fn)
        table.triggers[node.trigname] = Trigger(
            node.trigname,
            "INSTEAD OF" if timing & 64 else ("BEFORE" if timing & 2 else "AFTER"),
            [
                e
                for bit, e in ((4, "INSERT"), (16, "UPDATE"), (8, "DELETE"), (32, "TRUNCATE"))
                if events & bit
            ],
            level="ROW" if node.row else "STATEMENT",
            function=function,
            arguments=_strings(node.args),
            when=_deparse(node.whenClause),
            update_columns=_strings(node.columns),
            constraint=bool(node.isconstraint),
            provenance=[self._prov()],
        )

    def _on_CreateFunctionStmt(self, node: ast.CreateFunctionStmt) -> None:
        names = _strings(node.funcname)
        schema = names[0] if len(names) > 1 else self.search_path[0]
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
            provenance=[self._prov()],
        )
        for opt in node.options or ():
            if opt.defname == "as":
                parts = (
                    _strings(opt.arg)
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
            fn.body = "; ".join(filter(None, (_deparse(n) for n in _flatten(node.sql_body))))
        existing = self.model.functions.get(fn.signature)
        if existing is not None and not node.replace:
            raise ApplyError(f"function {fn.signature} already exists")
        # CREATE OR REPLACE keeps the privileges; a new function gets PUBLIC EXECUTE by default
        fn.grants = (
            existing.grants if existing is not None else self._defaults_for("functions", schema)
        )
        self.model.functions[fn.signature] = fn

    # -- views ------------------------------------------------------------
    def _on_ViewStmt(self, node: ast.ViewStmt) -> None:
        self._create_view(
            node.view,
            node.query,
            materialized=False,
            replace=bool(node.replace),
            aliases=_strings(node.aliases),
        )
        view = self.model.views.get(qualify(self._schema_of(node.view), node.view.relname))
        if view is not None:
            # CREATE OR REPLACE VIEW sets the options anew, as PostgreSQL does
            view.options = _reloptions(node.options)
            check = getattr(node.withCheckOption, "name", "") or ""
            if "LOCAL" in check:
                view.options["check_option"] = "local"
            elif "CASCADED" in check:
                view.options["check_option"] = "cascaded"

    def _on_CreateTableAsStmt(self, node: ast.CreateTableAsStmt) -> None:
        rel = node.into.rel
        if node.objtype == ObjectType.OBJECT_MATVIEW:
            self._create_view(
                rel,
                node.query,
                materialized=True,
                replace=False,
                aliases=_strings(node.into.colNames),
                if_not_exists=bool(node.if_not_exists),
            )
        else:
            schema = rel.schemaname or self.search_path[0]
            table = Table(schema, rel.relname, provenance=[self._prov()])
            for name in _target_names(node.query):
                table.columns[name] = Column(name, "unknown", provenance=[self._prov()])
            table.grants = self._defaults_for("tables", schema)
            self.model.tables[table.qualified_name] = table
            self._relations[table.qualified_name] = "table"

    def _create_view(
        self,
        rv: ast.RangeVar,
        query: ast.Node,
        *,
        materialized: bool,
        replace: bool,
        aliases: list[str],
        if_not_exists: bool = False,
    ) -> None:
        schema = rv.schemaname or self.search_path[0]
        key = qualify(schema, rv.relname)
        if key in self.model.views and not replace:
            if if_not_exists:
                return
            raise ApplyError(f"view {key} already exists")
        names = aliases or _target_names(query)
        view = View(
            schema,
            rv.relname,
            materialized=materialized,
            definition=_deparse(query) or "",
            columns=[ViewColumn(n, "") for n in names],
            depends_on=self._relations_read(query),
            provenance=[self._prov()],
        )
        old = self.model.views.get(key)
        if old is not None:
            view.indexes, view.grants = old.indexes, old.grants
        else:
            view.grants = self._defaults_for("tables", schema)
        self.model.views[key] = view
        self._relations[key] = "view"

    def _relations_read(self, query: ast.Node) -> list[str]:
        """Relations a view reads, as PostgreSQL records them: a WITH query's name is not a
        relation where it is in scope (later WITH queries and the main query; itself only
        when RECURSIVE), and an unqualified pg_* name is the catalog's (whose relations are
        pinned: PostgreSQL records no dependency on them)."""
        found: list[str] = []

        def walk(node, scope: frozenset[str]) -> None:
            if isinstance(node, tuple | list):
                for item in node:
                    walk(item, scope)
                return
            if not isinstance(node, ast.Node):
                return
            if isinstance(node, ast.SelectStmt) and node.withClause is not None:
                inner = scope
                recursive = bool(node.withClause.recursive)
                names = [cte.ctename for cte in node.withClause.ctes or ()]
                for cte in node.withClause.ctes or ():
                    walk(cte.ctequery, inner | ({cte.ctename} if recursive else set()))
                    inner = inner | {cte.ctename}
                if recursive:
                    inner = scope | set(names)
                for slot in type(node).__slots__:
                    if slot not in ("location", "withClause"):
                        walk(getattr(node, slot, None), inner)
                return
            if isinstance(node, ast.RangeVar):
                if node.schemaname is None and node.relname in scope:
                    return
                key = self._read_relation(node)
                if key not in found and not key.startswith("pg_catalog."):
                    found.append(key)  # the catalog records no dependency on pinned pg_catalog
                return
            for slot in type(node).__slots__:
                if slot != "location":
                    walk(getattr(node, slot, None), scope)

        walk(query, frozenset())
        return sorted(found)

    def _read_relation(self, rv: ast.RangeVar) -> str:
        """The qualified name a view's FROM item resolves to (pg_catalog is searched first)."""
        if rv.schemaname is None and rv.relname.startswith("pg_"):
            on_path = any(
                qualify(schema, rv.relname) in self._relations for schema in self.search_path
            )
            if not on_path:
                return qualify("pg_catalog", rv.relname)
        return qualify(self._schema_of(rv), rv.relname)

    # -- privileges, comments, sequences ----------------------------------
    def _on_GrantStmt(self, node: ast.GrantStmt) -> None:
        if node.targtype == 2:  # ACL_TARGET_DEFAULTS: only inside ALTER DEFAULT PRIVILEGES
            return
        if node.objtype in (
            ObjectType.OBJECT_SCHEMA,
            ObjectType.OBJECT_SEQUENCE,
            ObjectType.OBJECT_FUNCTION,
            ObjectType.OBJECT_PROCEDURE,
            ObjectType.OBJECT_ROUTINE,
        ):
            self._grant_on_other(node)
            return
        if node.objtype not in (ObjectType.OBJECT_TABLE,):
            return  # types, languages, large objects …: accepted, not modelled
        targets: list[Table | View] = []
        if node.targtype == 1:  # ACL_TARGET_ALL_IN_SCHEMA
            schemas = _strings(node.objects)
            targets = [t for t in self.model.tables.values() if t.schema in schemas]
            targets += [v for v in self.model.views.values() if v.schema in schemas]
        elif node.targtype == 2:  # ACL_TARGET_DEFAULTS (ALTER DEFAULT PRIVILEGES): not modelled
            return
        else:
            for rv in node.objects or ():
                key = qualify(self._schema_of(rv), rv.relname)
                target = self.model.tables.get(key) or self.model.views.get(key)
                if target is None:
                    raise ApplyError(f"relation {key} does not exist at this point of the history")
                targets.append(target)
        grantees = _roles(node.grantees)
        column_privs: list[tuple[str, list[str]]] = []
        table_privs: list[str] = []
        if not node.privileges:
            table_privs = list(TABLE_PRIVILEGES)
        else:
            for priv in node.privileges:
                name = (priv.priv_name or "all").upper()
                if priv.cols:
                    column_privs.append((name, _strings(priv.cols)))
                else:
                    table_privs.extend(TABLE_PRIVILEGES if name == "ALL" else [name])
        for target in targets:
            for grantee in grantees:
                for priv in table_privs:
                    _set_grant(target.grants, grantee, priv, node)
                if isinstance(target, Table):
                    for priv, cols in column_privs:
                        for col in cols:
                            grants = target.column_grants.setdefault(col, [])
                            if node.is_grant:
                                grants.append(Grant(grantee, priv))
                            else:
                                target.column_grants[col] = [
                                    g
                                    for g in grants
                                    if not (g.grantee == grantee and g.privilege == priv)
                                ]
            target.provenance.append(self._prov("granted" if node.is_grant else "revoked"))

    def _grant_on_other(self, node: ast.GrantStmt) -> None:
        """GRANT/REVOKE on schemas, sequences and functions: the grants effective privileges read."""
        OT = ObjectType
        in_schemas = _strings(node.objects) if node.targtype == 1 else None  # ALL … IN SCHEMA
        holders: list[list[Grant]] = []
        if node.objtype == OT.OBJECT_SCHEMA:
            kind = "schemas"
            for name in _strings(node.objects):
                if name not in self.model.schemas and name not in self.model.schema_grants:
                    raise ApplyError(f"schema {name} does not exist at this point of the history")
                holders.append(self.model.schema_grants.setdefault(name, []))
        elif node.objtype == OT.OBJECT_SEQUENCE:
            kind = "sequences"
            if in_schemas is not None:
                holders = [
                    q.grants for q in self.model.sequences.values() if q.schema in in_schemas
                ]
            else:
                for rv in node.objects or ():
                    key = qualify(self._schema_of(rv), rv.relname)
                    if key not in self.model.sequences:
                        raise ApplyError(
                            f"sequence {key} does not exist at this point of the history"
                        )
                    holders.append(self.model.sequences[key].grants)
        else:
            kind = "functions"
            if in_schemas is not None:
                holders = [
                    f.grants for f in self.model.functions.values() if f.schema in in_schemas
                ]
            else:
                for obj in node.objects or ():
                    functions = self._functions_named(obj)
                    if not functions:
                        raise ApplyError(
                            f"function {'.'.join(_strings(obj.objname))} does not exist at this point of the history"
                        )
                    holders += [f.grants for f in functions]
        wanted = _privileges_named(node.privileges, kind)
        for grants in holders:
            for grantee in _roles(node.grantees):
                for privilege in wanted:
                    _set_grant(grants, grantee, privilege, node)

    def _functions_named(self, obj: ast.ObjectWithArgs) -> list[Function]:
        """The functions an ObjectWithArgs names: by argument types when given, else every overload."""
        names = _strings(obj.objname)
        schema = names[0] if len(names) > 1 else None
        found = [
            f
            for f in self.model.functions.values()
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

    def _defaults_for(self, object_type: str, schema: str | None) -> list[Grant]:
        """The grants a new object gets: built-in defaults, minus revoked ones, plus ALTER DEFAULT PRIVILEGES."""
        out: list[Grant] = []
        builtin = BUILTIN_DEFAULTS.get(object_type)
        if builtin and (self.current_role, object_type, *builtin) not in self._revoked_defaults:
            out.append(Grant(*builtin))
        for entry in self.model.default_privileges:
            if (
                entry.object_type == object_type
                and entry.owner == self.current_role
                and entry.schema in (None, schema)
                and not any(
                    g.grantee == entry.grantee and g.privilege == entry.privilege for g in out
                )
            ):
                out.append(Grant(entry.grantee, entry.privilege))
        return out

    def _on_AlterDefaultPrivilegesStmt(self, node: ast.AlterDefaultPrivilegesStmt) -> None:
        action = node.action
        owners: list[str | None] = [self.current_role]
        schemas: list[str | None] = [None]
        for opt in node.options or ():
            if opt.defname == "roles":
                owners = list(_roles(opt.arg))
            elif opt.defname == "schemas":
                schemas = list(_strings(opt.arg))
        object_type = {
            ObjectType.OBJECT_TABLE: "tables",
            ObjectType.OBJECT_SEQUENCE: "sequences",
            ObjectType.OBJECT_FUNCTION: "functions",
            ObjectType.OBJECT_ROUTINE: "functions",
            ObjectType.OBJECT_TYPE: "types",
            ObjectType.OBJECT_SCHEMA: "schemas",
        }.get(action.objtype)
        if object_type is None:
            return
        wanted = _privileges_named(action.privileges, object_type)
        for owner in owners:
            owner = None if owner == self.current_role else owner
            for schema in schemas:
                for grantee in _roles(action.grantees):
                    for privilege in wanted:
                        entry = DefaultPrivilege(owner, schema, object_type, grantee, privilege)
                        present = entry in self.model.default_privileges
                        revoked = (owner, object_type, grantee, privilege)
                        builtin = BUILTIN_DEFAULTS.get(object_type) == (grantee, privilege)
                        if action.is_grant:
                            self._revoked_defaults.discard(revoked)
                            if not present and not (builtin and schema is None):
                                self.model.default_privileges.append(entry)
                        else:
                            if present:
                                self.model.default_privileges.remove(entry)
                            if schema is None:
                                self._revoked_defaults.add(revoked)

    def _on_CommentStmt(self, node: ast.CommentStmt) -> None:
        kind = node.objtype
        names = _strings(node.object) if isinstance(node.object, tuple | list) else []
        if kind == ObjectType.OBJECT_TABLE and names:
            table = self.model.tables.get(
                qualify(*(names if len(names) == 2 else [self.search_path[0], names[-1]]))
            )
            if table:
                table.comment = node.comment
        elif kind == ObjectType.OBJECT_COLUMN and len(names) >= 2:
            table_names = names[:-1]
            key = qualify(
                *(table_names if len(table_names) == 2 else [self.search_path[0], table_names[-1]])
            )
            table = self.model.tables.get(key)
            if table and names[-1] in table.columns:
                table.columns[names[-1]].comment = node.comment
        elif kind in (ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW) and names:
            view = self.model.views.get(
                qualify(*(names if len(names) == 2 else [self.search_path[0], names[-1]]))
            )
            if view:
                view.comment = node.comment

    def _on_CreateSeqStmt(self, node: ast.CreateSeqStmt) -> None:
        schema = node.sequence.schemaname or self.search_path[0]
        seq = Sequence(
            schema,
            node.sequence.relname,
            grants=self._defaults_for("sequences", schema),
            provenance=[self._prov()],
        )
        self.model.sequences[qualify(schema, seq.name)] = seq
        self._relations[qualify(schema, seq.name)] = "sequence"

    def _on_AlterSeqStmt(self, node: ast.AlterSeqStmt) -> None:
        for opt in node.options or ():
            if opt.defname == "owned_by":
                parts = _strings(opt.arg)
                key = qualify(
                    node.sequence.schemaname or self.search_path[0], node.sequence.relname
                )
                if key in self.model.sequences and len(parts) >= 2:
                    self.model.sequences[key].owned_by = f"{parts[-2]}.{parts[-1]}"

    # -- DROP -------------------------------------------------------------
    def _on_DropStmt(self, node: ast.DropStmt) -> None:
        OT = ObjectType
        kind = node.removeType
        cascade = node.behavior == DropBehavior.DROP_CASCADE
        for obj in node.objects or ():
            names = _strings(obj) if isinstance(obj, tuple | list) else []
            if kind in (OT.OBJECT_TABLE, OT.OBJECT_FOREIGN_TABLE):
                self._drop_table(names, bool(node.missing_ok), cascade)
            elif kind in (OT.OBJECT_VIEW, OT.OBJECT_MATVIEW):
                key = qualify(
                    *(
                        names
                        if len(names) == 2
                        else [self._lookup_schema(names[-1], views=True), names[-1]]
                    )
                )
                if self.model.views.pop(key, None) is None and not node.missing_ok:
                    raise ApplyError(f"view {key} does not exist")
                self._relations.pop(key, None)
            elif kind == OT.OBJECT_INDEX:
                found = self._index_owner(names[0] if len(names) == 2 else None, names[-1])
                if found is None:
                    if not node.missing_ok:
                        raise ApplyError(f"index {names[-1]} does not exist")
                    continue
                relation, index = found
                del relation.indexes[index.name]
                self._relations.pop(qualify(relation.schema, index.name), None)
            elif kind in (OT.OBJECT_POLICY, OT.OBJECT_TRIGGER):
                table_names, object_name = names[:-1], names[-1]
                key = qualify(
                    *(
                        table_names
                        if len(table_names) == 2
                        else [self._lookup_schema(table_names[-1]), table_names[-1]]
                    )
                )
                table = self.model.tables.get(key)
                group = (
                    (table.policies if kind == OT.OBJECT_POLICY else table.triggers)
                    if table
                    else None
                )
                if group is None or group.pop(object_name, None) is None:
                    if not node.missing_ok:
                        raise ApplyError(
                            f"{'policy' if kind == OT.OBJECT_POLICY else 'trigger'} {object_name} on {key} does not exist"
                        )
                elif table is not None:
                    table.provenance.append(self._prov("altered"))
            elif kind in (OT.OBJECT_FUNCTION, OT.OBJECT_PROCEDURE):
                fn_names = _strings(obj.objname) if isinstance(obj, ast.ObjectWithArgs) else names
                for signature, fn in list(self.model.functions.items()):
                    if fn.name == fn_names[-1] and (len(fn_names) == 1 or fn.schema == fn_names[0]):
                        del self.model.functions[signature]
            elif kind == OT.OBJECT_TYPE:
                for n in obj if isinstance(obj, tuple | list) else [obj]:
                    if isinstance(n, ast.TypeName):
                        tn = _strings(n.names)
                        self.model.enums.pop(
                            qualify(*(tn if len(tn) == 2 else [self.search_path[0], tn[-1]])), None
                        )
            elif kind == OT.OBJECT_SEQUENCE:
                key = qualify(*(names if len(names) == 2 else [self.search_path[0], names[-1]]))
                self.model.sequences.pop(key, None)
                self._relations.pop(key, None)
            elif kind == OT.OBJECT_EXTENSION:
                name = obj.sval if isinstance(obj, ast.String) else (names[-1] if names else "")
                self.model.extensions.pop(name, None)
            elif kind == OT.OBJECT_SCHEMA:
                name = obj.sval if isinstance(obj, ast.String) else ""
                self.model.schemas.pop(name, None)
                self.model.schema_grants.pop(name, None)
                if cascade:
                    for key, table in list(self.model.tables.items()):
                        if table.schema == name:
                            del self.model.tables[key]

    def _lookup_schema(self, name: str, views: bool = False) -> str:
        for schema in self.search_path:
            key = qualify(schema, name)
            if key in (self.model.views if views else self.model.tables):
                return schema
        return self.search_path[0] if self.search_path else "public"

    def _drop_table(self, names: list[str], missing_ok: bool, cascade: bool) -> None:
        schema = names[0] if len(names) == 2 else self._lookup_schema(names[-1])
        key = qualify(schema, names[-1])
        table = self.model.tables.pop(key, None)
        if table is None:
            if missing_ok:
                return
            raise ApplyError(f"table {key} does not exist")
        self._relations.pop(key, None)
        for name in table.indexes:
            self._relations.pop(qualify(table.schema, name), None)
        for other in self._tables_referencing(table.schema, table.name):
            for cname, fk in list(other.foreign_keys.items()):
                if (fk.ref_schema, fk.ref_table) == (table.schema, table.name):
                    del other.foreign_keys[cname]
        if cascade:
            for vkey, view in list(self.model.views.items()):
                if key in view.depends_on:
                    del self.model.views[vkey]
                    self._relations.pop(vkey, None)
        for skey, seq in list(self.model.sequences.items()):
            if (
                seq.owned_by
                and seq.schema == table.schema
                and seq.owned_by.split(".")[0] == table.name
            ):
                del self.model.sequences[skey]
                self._relations.pop(skey, None)  # its name is free again (a new SERIAL reuses it)


def _without_redundant_indexes(constraints: list) -> list:
    """CREATE TABLE's constraints without a UNIQUE that repeats the primary key or an earlier
    UNIQUE (same columns in the same order, same options): PostgreSQL builds one index and
    one constraint for them (transformIndexConstraints), keeping the primary key, and an
    unnamed survivor takes the dropped one's name."""

    def shape(item) -> tuple | None:
        con = item.constraint if isinstance(item, _ColumnConstraint) else item
        if (
            con.contype not in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE)
            or con.indexname
        ):
            return None
        columns = [item.column] if isinstance(item, _ColumnConstraint) else _strings(con.keys)
        return (
            tuple(columns),
            tuple(_strings(con.including)),
            bool(con.nulls_not_distinct),
            bool(con.deferrable),
            bool(con.initdeferred),
            tuple(_deparse(o) or "" for o in con.options or ()),
            con.indexspace,
        )

    def node(item):
        return item.constraint if isinstance(item, _ColumnConstraint) else item

    primary = [c for c in constraints if node(c).contype == ConstrType.CONSTR_PRIMARY]
    kept: list = list(primary[:1])
    out: list = []
    for item in constraints:
        if primary and item is primary[0]:
            out.append(item)
            continue
        mine = shape(item)
        prior = next((k for k in kept if mine is not None and shape(k) == mine), None)
        if prior is not None:
            if not node(prior).conname and node(item).conname:
                node(prior).conname = node(item).conname
            continue
        if mine is not None:
            kept.append(item)
        out.append(item)
    return out


@dataclass(slots=True)
class _ColumnConstraint:
    """A column constraint (``id int PRIMARY KEY``) remembered with its column until the table exists."""

    constraint: ast.Constraint
    column: str


def _key_collation(elem: ast.IndexElem, relation: Table | View) -> str | None:
    """An index key's COLLATE as the catalog keeps it: only when it is not the column's own."""
    names = [n for n in _strings(elem.collation) if n != "pg_catalog"] if elem.collation else []
    if not names:
        return None
    name = ".".join(names)
    columns = relation.columns if isinstance(relation.columns, dict) else {}
    column = columns.get(elem.name) if elem.name else None
    own = (column.collation or "default") if column is not None else "default"
    return None if name == own.removeprefix("pg_catalog.") else name


def _constraint_names(table: Table) -> set[str]:
    names = set(table.uniques) | set(table.checks) | set(table.foreign_keys)
    if table.primary_key:
        names.add(table.primary_key.name)
    return names


def _columns_in(expr: ast.Node | None, table: Table) -> list[str]:
    """Distinct table columns an expression mentions, in order of appearance."""
    out: list[str] = []

    def walk(node) -> None:
        if isinstance(node, tuple | list):
            for item in node:
                walk(item)
        elif isinstance(node, ast.ColumnRef):
            fields = _strings(node.fields)
            if fields and fields[-1] in table.columns and fields[-1] not in out:
                out.append(fields[-1])
        elif isinstance(node, ast.Node):
            for slot in type(node).__slots__:
                if slot != "location":
                    walk(getattr(node, slot, None))

    walk(expr)
    return out


def rename_column_in_expr(text: str, old: str, new: str) -> str:
    """The expression with column ``old`` renamed (also ``NEW.old`` / ``OLD.old`` in trigger WHEN)."""
    try:
        stmt = parse_sql(f"SELECT {text}")[0].stmt
    except pglast.parser.ParseError:
        return text
    node = stmt.targetList[0].val
    changed = False

    def walk(item) -> None:
        nonlocal changed
        if isinstance(item, tuple | list):
            for sub in item:
                walk(sub)
        elif isinstance(item, ast.ColumnRef):
            fields = list(item.fields)
            if fields and isinstance(fields[-1], ast.String) and fields[-1].sval == old:
                fields[-1] = ast.String(sval=new)
                item.fields = tuple(fields)
                changed = True
        elif isinstance(item, ast.Node):
            for slot in type(item).__slots__:
                if slot != "location":
                    walk(getattr(item, slot, None))

    walk(node)
    return (_deparse(node) or text) if changed else text


def _expr_label(expr: ast.Node | None) -> str:
    """PostgreSQL's FigureColname for an index expression: a function's name, else 'expr'."""
    if isinstance(expr, ast.FuncCall):
        return _strings(expr.funcname)[-1]
    if isinstance(expr, ast.TypeCast):
        return (
            _expr_label(expr.arg)
            if not isinstance(expr.arg, ast.A_Const)
            else _strings(expr.typeName.names)[-1]
        )
    if isinstance(expr, ast.ColumnRef):
        return _strings(expr.fields)[-1]
    return "expr"


# CREATE TABLE … (LIKE t INCLUDING …) option bits (PostgreSQL's TableLikeOption).
LIKE_COMMENTS, LIKE_CONSTRAINTS, LIKE_DEFAULTS, LIKE_GENERATED, LIKE_IDENTITY = 1, 4, 8, 16, 32
LIKE_ALL = 0x7FFFFFFF


def _set_grant(grants: list[Grant], grantee: str, privilege: str, node: ast.GrantStmt) -> None:
    """GRANT adds the entry once; REVOKE removes it (in place: the list is its object's)."""
    present = any(g.grantee == grantee and g.privilege == privilege for g in grants)
    if node.is_grant and not present:
        grants.append(Grant(grantee, privilege, bool(node.grant_option)))
    elif not node.is_grant and present:
        grants[:] = [g for g in grants if not (g.grantee == grantee and g.privilege == privilege)]


def _privileges_named(privileges, kind: str) -> list[str]:
    """The privileges a GRANT/REVOKE names (AccessPriv nodes; none or ALL = every one of ``kind``)."""
    names = [(p.priv_name or "all").upper() for p in privileges or ()] or ["ALL"]
    return [p for name in names for p in (OBJECT_PRIVILEGES[kind] if name == "ALL" else [name])]


# What PUBLIC gets on a new object without any ALTER DEFAULT PRIVILEGES.
BUILTIN_DEFAULTS = {"functions": ("public", "EXECUTE"), "types": ("public", "USAGE")}


def _roles(specs) -> list[str]:
    out = []
    for spec in specs or ():
        if spec.roletype == RoleSpecType.ROLESPEC_PUBLIC:
            out.append("public")
        elif spec.roletype == RoleSpecType.ROLESPEC_CSTRING:
            out.append(spec.rolename)
        else:
            out.append(str(spec.roletype.name).replace("ROLESPEC_", "").lower())
    return sorted(out) or ["public"]


def _arg_text(param) -> str:
    """One argument as pg_get_function_identity_arguments prints it: [mode] [name] type."""
    mode = {
        FunctionParameterMode.FUNC_PARAM_INOUT: "INOUT ",
        FunctionParameterMode.FUNC_PARAM_VARIADIC: "VARIADIC ",
    }.get(param.mode, "")
    name = f"{param.name} " if param.name else ""
    return f"{mode}{name}{format_typename(param.argType)}"


def _target_names(query: ast.Node | None) -> list[str]:
    """Output column names of a SELECT, as PostgreSQL would name them."""
    if not isinstance(query, ast.SelectStmt):
        return []
    if query.op and query.larg is not None:
        return _target_names(query.larg)
    names = []
    for target in query.targetList or ():
        if target.name:
            names.append(target.name)
        elif isinstance(target.val, ast.ColumnRef):
            fields = target.val.fields
            names.append(fields[-1].sval if isinstance(fields[-1], ast.String) else "?column?")
        else:
            label = _expr_label(target.val)
            names.append("?column?" if label == "expr" else label)
    return names


def make_seq_name(table: Table, column: str, interp: DdlInterpreter) -> str:
    return choose_name(table.name, column, "seq", interp._name_taken(table.schema))


def interpret(sql: str, *, file: str | None = None) -> SchemaModel:
    """Apply ``sql`` to an empty model (convenience for tests and one-file sources)."""
    interpreter = DdlInterpreter()
    interpreter.apply_sql(sql, file=file)
    return interpreter.model


def _reloptions(options: tuple | list | None) -> dict[str, str]:
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
            value = _deparse(arg) or ""
        out[opt.defname] = value
    return out


def _apply_reloptions(options: dict[str, str], cmd: ast.AlterTableCmd) -> None:
    """ALTER … SET (…) / RESET (…) on a table's or view's storage parameters."""
    if cmd.subtype == AlterTableType.AT_ResetRelOptions:
        for opt in cmd.def_ or ():
            if isinstance(opt, ast.DefElem):
                options.pop(opt.defname, None)
        return
    if cmd.subtype == AlterTableType.AT_ReplaceRelOptions:
        options.clear()
    options.update(_reloptions(cmd.def_))
