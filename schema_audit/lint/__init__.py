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

from dataclasses import dataclass, field
from pathlib import Path

from pglast import ast

from schema_audit.lint.rules import LintContext, LintRule, registry
from schema_audit.sources.ddl import DdlInterpreter
from schema_audit.sources.ignores import (
    find_ignore,
    source_lines,
)
from schema_audit.sources.psqlinclude import Includes, is_include
from schema_audit.sources.psqlvars import variables_at
from schema_audit.sources.statements import split_statements

# id: (name, what it means), destructive rules first, then the online ones (--online only)
RULES: dict[str, tuple[str, str]] = {r.id: (r.name, r.summary) for r in registry().values()}
DESTRUCTIVE = {r.id: (r.name, r.summary) for r in registry().values() if r.group == "destructive"}
BY_NAME = {name: rule for rule, (name, _) in RULES.items()}


@dataclass(slots=True)
class Violation:
    """One statement a lint rule objects to, with where it is in the history."""

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
    """What ``lint-migrations`` found: the violations, those a waiver allowed, and what could not
    be read."""

    violations: list[Violation] = field(default_factory=list)
    allowed: list[Violation] = field(default_factory=list)
    statements: int = 0
    files: int = 0
    layout: str = ""  # how the path was read: alembic, prisma, flyway, …
    unread: list[str] = field(default_factory=list)  # unparseable statements, unreadable files
    # Alembic revisions not (fully) read, psql meta-commands (\i, \gexec …) not followed
    unrendered: list[str] = field(default_factory=list)


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


class _Linter:
    def __init__(
        self,
        allow: set[str],
        assume_populated: bool,
        search_path: list[str] | None = None,
        online: bool = False,
    ) -> None:
        self.rules: list[LintRule] = [
            r for r in registry().values() if r.group == "destructive" or online
        ]
        self.allow = allow
        self.interpreter = DdlInterpreter(
            default_schema=search_path[0] if search_path else "public"
        )
        if search_path:
            self.interpreter.search_path = list(search_path)
        self.context = LintContext(self.interpreter.model, assume_populated)
        self.result = LintResult()
        # a SQL history's includes (``\\i`` …), followed from its folder; its files by name
        self.includes: Includes | None = None
        self.paths: dict[str | None, Path] = {}
        # displayed file name -> its lines, for ignore comments
        self.sources: dict[str, tuple[str, ...]] = {}

    def migration(self, statements: list[tuple[str, str | None, int | None, str | None]]) -> None:
        """Lint one migration's statements (sql, file, line, revision), then apply them."""
        self.context.new_migration()
        self.result.files += 1
        for sql, file, line, revision in statements:
            if self.includes is not None:
                self.includes.reading = [self.paths[file]] if file in self.paths else []
            self._text(sql, file, line, revision)

    def _text(
        self,
        sql: str,
        file: str | None,
        line: int | None,
        revision: str | None,
        variables: dict[str, str] | None = None,
    ) -> None:
        """Lint one text's statements, an included file's in place (``variables``: the psql
        variables set when it starts)."""
        for stmt in split_statements(sql, True, variables):
            self.result.statements += 1
            first = (line or 1) + stmt.line - 1
            following = self.includes is not None and bool(self.includes.reading)
            if stmt.psql_meta and following and is_include(stmt.sql):
                # psql runs the file in place: so does the lint
                self._include(stmt.sql, f"{file}:{first}", sql, stmt.line, revision, variables)
                continue
            if stmt.psql_meta:  # psql ran statements not linted here: a partial lint
                self.result.unrendered.append(
                    f"{file or 'SQL'}:{first}: {stmt.error} "
                    "(--allow-unrendered accepts a partial lint)"
                )
            elif stmt.node is None and stmt.error:
                self.result.unread.append(f"{file or 'SQL'}:{first}: syntax error: {stmt.error}")
            if stmt.node is not None:
                where = (file, (line or 1) + stmt.line - 1, revision, stmt.sql)
                for rule, message in self._check(stmt.node):
                    violation = Violation(rule, RULES[rule][0], message, *where)
                    violation.suppressed = self._suppression(file, where[1], rule)
                    allowed = rule in self.allow or violation.suppressed is not None
                    (self.result.allowed if allowed else self.result.violations).append(violation)
                self._track(stmt.node)
            # judged against the state right before it: apply it before the next one
            self.interpreter.apply_sql(stmt.sql, file=file, line=first, revision=revision)

    def _include(
        self,
        command: str,
        where: str,
        sql: str,
        line: int,
        revision: str | None,
        variables: dict[str, str] | None,
    ) -> None:
        """``\\i`` / ``\\ir`` …: the included file linted in place, with its own file:line and
        the variables set before the include (``psqlinclude``: where it starts, what is refused,
        as the static reading and the replay). Before, the lint named the line as not followed
        and a DROP in the included file was never looked at."""
        includes = self.includes
        assert includes is not None
        path = includes.resolve(command, where)
        text = includes.read(path, where)
        inherited = variables_at(sql, line, variables)
        includes.reading.append(path)
        try:
            self._text(text, includes.display(path), 1, revision, inherited)
        finally:
            includes.reading.pop()

    def _check(self, node: ast.Node) -> list[tuple[str, str]]:
        """(rule, message) for every flag the rules raise on the statement: the destructive
        rules first, then the online ones, each group in the order of the statement's
        subcommands."""
        self.context.model = self.interpreter.model
        out: list[tuple[str, str]] = []
        for group in ("destructive", "online"):
            flags = [
                (flag.at, r.id, flag.message)
                for r in self.rules
                if r.group == group and r.check is not None
                for flag in r.check(node, self.context)
            ]
            out += [(rule, message) for _, rule, message in sorted(flags, key=lambda f: f[0])]
        return out

    def _suppression(self, file: str | None, line: int | None, rule: str) -> str | None:
        """The reason of a ``schema-audit: ignore RULE reason`` comment for the statement at ``line``."""
        found = find_ignore(file, self.sources.get(file or ""), line, line, {rule, RULES[rule][0]})
        return found[1] if found else None

    def _track(self, node: ast.Node) -> None:
        ctx = self.context
        if isinstance(node, ast.CreateStmt):
            ctx.created_here.add(ctx.key(node.relation))
        elif isinstance(node, ast.InsertStmt | ast.CopyStmt) and node.relation is not None:
            ctx.populated.add(ctx.key(node.relation))
        elif isinstance(node, ast.UpdateStmt):
            key = ctx.key(node.relation)
            ctx.populated.add(key)
            for target in node.targetList or ():
                ctx.backfilled.add((key, target.name))


Migration = list[tuple[str, str | None, int | None, str | None]]


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


def _sql_migrations(path: Path, result: LintResult, linter: _Linter) -> list[Migration]:
    from schema_audit.sources.sqlfile import _CONTENT, _display, _up_section, discover

    layout = discover(path)
    parent = path.resolve().parent
    linter.includes = Includes(
        path.resolve() if path.is_dir() else parent, lambda p: _display(p, path, parent)
    )
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
        linter.paths[display] = file
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
    if is_alembic(path):
        migrations = _alembic_migrations(path, result, execute)
    else:
        migrations = _sql_migrations(path, result, linter)
    linter.sources = source_lines(path)
    for statements in migrations:
        linter.migration(statements)
    return linter.result
