"""Alembic histories without a database: render each revision to SQL offline, then interpret it.

The revision graph is read from the files themselves (``ast``: revision,
down_revision, whether downgrade() does anything), not from ScriptDirectory,
because ScriptDirectory imports every file at once and one broken revision
would take the whole history down with it. Each revision's ``upgrade()`` then
runs under Alembic's own Operations API in offline (``as_sql``) mode for the
postgresql dialect, so loops, f-strings, ``op.create_table`` with SQLAlchemy
types and ``op.create_index(postgresql_where=…)`` all come out as plain SQL.
The project's env.py is never run (it may need a database); when a revision fails to
render, env.py's module-level imports are run once (Alembic would have run them first)
and the revision is tried again.

Every emitted statement is mapped back to the line of the ``op.*`` call that
produced it (for an ``op.execute()`` of a string literal, to the first line of the
SQL itself) by looking at the call stack while Alembic writes it.
"""

from __future__ import annotations

import ast as pyast
import configparser
import contextlib
import functools
import hashlib
import heapq
import importlib.util
import io
import re
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schema_audit import cache
from schema_audit.model import Revision, SchemaModel, UnappliedStatement
from schema_audit.progress import SILENT, Reporter
from schema_audit.sources import alembic_light, render_cache
from schema_audit.sources.issues import UNRENDERED_SQL as UNRENDERED_SQL
from schema_audit.sources.issues import MigrationIssue as MigrationIssue  # (re-exported)
from schema_audit.sources.issues import MigrationSourceError as MigrationSourceError
from schema_audit.sources.issues import unrendered as unrendered

# Revisions that only hand SQL text to op.execute() are rendered by alembic_light's stand-ins
# (identical output, no Alembic/SQLAlchemy import); False sends every revision to real Alembic
# (the differential tests compare both).
LIGHT = True


@dataclass(slots=True)
class RenderedStatement:
    """One SQL statement an Alembic revision rendered, with where it came from."""

    sql: str
    file: str
    line: int | None
    revision: str
    # the line upgrade() was running when the statement was emitted (a helper function's
    # statement carries the helper's line): what an autocommit block holds follows it
    at: int | None = None


@dataclass(slots=True)
class RenderedRevision:
    """One Alembic revision: its place in the graph and the statements it rendered (or why none)."""

    revision: str
    file: str
    message: str
    down_revisions: list[str]
    has_downgrade: bool
    statements: list[RenderedStatement] = field(default_factory=list)
    error: str | None = None
    path: Path | None = None
    # when rendering failed or was not allowed (no-exec): what the syntax tree gave instead
    blind_spots: list[tuple[int, str]] | None = None

    @property
    def partial(self) -> bool:
        """Part of upgrade() is missing from ``statements`` (not rendered, not read literally)."""
        return self.error is not None and (self.blind_spots is None or bool(self.blind_spots))

    def gap(self) -> str:
        """Why the revision is (partly) missing, with the line of each blind spot."""
        head = self.error or "not rendered"
        if not self.blind_spots:
            return head
        spots = "; ".join(f"line {line}: {why}" for line, why in self.blind_spots)
        read = len(self.statements)
        return f"{head}; read from its syntax tree: {read} statement(s), not read: {spots}"


@dataclass(slots=True)
class AlembicHistory:
    """A whole Alembic history as rendered: revisions in applied order, heads and problems."""

    revisions: list[RenderedRevision]
    heads: list[str]
    findings: list[MigrationIssue]
    root: Path
    # env.py runs each revision in a transaction of its own (else one for the whole run), and
    # the lines of each revision's autocommit blocks (sources/alembic_transactions)
    per_revision: bool = False
    autocommit: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    # the DBAPI driver env.py connects with, None when not known (sources/alembic_driver),
    # and where env.py makes its engine (env.py:line, for what an unknown one leaves open)
    driver: str | None = None
    driver_at: str = "env.py"
    # the autocommit blocks upgrade() surely enters (alembic_transactions.surely_entered)
    entered: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


# -- locating the project ----------------------------------------------------


@dataclass(slots=True)
class _Project:
    """Where an Alembic project lives, as alembic.ini (or the folder layout) says."""

    here: Path  # the folder of alembic.ini (or the project folder)
    dirs: list[Path]  # version locations, in the order Alembic searches them
    script_dir: Path | None = None  # where env.py is
    sys_paths: list[Path] = field(default_factory=list)  # prepend_sys_path, then here
    # Alembic reads a version location's subfolders only when the ini says so
    # (``recursive_version_locations = true``; ``Script._list_py_dir``)
    recursive: bool = False


def _split(raw: str, separator: str) -> list[str]:
    """alembic.ini list values: ``path_separator`` (space, newline, colon, semicolon, os)."""
    import os

    sep = {
        "space": " ",
        "newline": "\n",
        "colon": ":",
        "semicolon": ";",
        "os": os.pathsep,
    }.get(separator.strip())
    if sep is None:  # legacy: spaces or commas
        return [p for p in raw.replace(",", " ").split() if p]
    return [p.strip() for p in raw.split(sep) if p.strip()]


def _package_location(location: str, sys_paths: list[Path]) -> Path | None:
    """``script_location = package:path`` → the folder, found on the project's sys.path.

    Alembic resolves it with ``importlib.resources``: the first token is the package, each
    later one a folder (``prefect:server:database:_migrations``); taken as one folder name,
    ``server:database:_migrations`` was never found (PrefectHQ/prefect)."""
    package, *inner = location.split(":")
    for root in sys_paths:
        candidate = root.joinpath(*package.split("."))
        if (candidate / "__init__.py").is_file() or candidate.is_dir():
            return candidate.joinpath(*inner).resolve()
    return None


def _script_folder(folder: Path) -> bool:
    """Whether ``folder`` is an Alembic script folder itself (env.py or versions/ in it)."""
    return (folder / "env.py").is_file() or (folder / "versions").is_dir()


def _locate(path: Path) -> _Project:
    """The project for an alembic.ini, a project dir, a script dir or a bare versions/ dir."""
    path = path.resolve()
    ini = path if path.is_file() else path / "alembic.ini"
    if ini.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(ini, encoding="utf-8")
        except configparser.Error as exc:
            raise MigrationSourceError(f"{ini}: cannot read alembic.ini: {exc}") from None
        here = ini.parent

        toml = _toml_alembic(here)

        def value(key: str, default: str = "") -> str:
            if not parser.has_option("alembic", key) and isinstance(toml.get(key), str):
                # Alembic >= 1.16: an option the ini lacks is read from [tool.alembic]
                return str(toml[key]).replace("%(here)s", str(here))
            return parser.get("alembic", key, fallback=default).replace("%(here)s", str(here))

        def values(key: str) -> list[str]:
            """A list option: the ini's, split; else [tool.alembic]'s TOML list."""
            listed = toml.get(key)
            if not parser.has_option("alembic", key) and isinstance(listed, list):
                return [str(v).replace("%(here)s", str(here)) for v in listed]
            return _split(value(key), separator)

        separator = value("path_separator", "legacy")
        sys_paths = [
            (here / p).resolve() if not Path(p).is_absolute() else Path(p)
            for p in values("prepend_sys_path")
        ] + [here]
        # an alembic.ini shipped inside the package it migrates (PrefectHQ/prefect's
        # prefect/server/database/alembic.ini): the package is importable from the folder
        # above its outermost package, as it is where the project is installed
        sys_paths += [root for root in _import_roots(here) if root not in sys_paths]
        # Flask-Migrate's alembic.ini (CTFd, redash) has none: Flask-Migrate runs the folder it
        # stands in, as alembic_runner does (Alembic itself requires the key)
        location = value("script_location", "." if _script_folder(here) else "alembic")
        if ":" in location and not Path(location).is_absolute() and location[1:2] != ":":
            script_dir = _package_location(location, sys_paths)
            if script_dir is None:
                raise MigrationSourceError(
                    f"{ini}: script_location {location}: package "
                    f"{location.partition(':')[0]} not found under {here}"
                )
        else:
            script_dir = (here / location).resolve()
        dirs = [Path(p) for p in values("version_locations")]
        dirs = [d if d.is_absolute() else (here / d) for d in dirs] or [script_dir / "versions"]
        recursive = value("recursive_version_locations") == "true"  # Alembic's own test
        if not parser.has_option("alembic", "recursive_version_locations"):
            # Alembic >= 1.16 falls back to pyproject.toml's [tool.alembic] (a TOML boolean;
            # ``alembic init --template pyproject`` keeps its options there)
            recursive = toml.get("recursive_version_locations") is True
        return _Project(here, [d for d in dirs if d.is_dir()], script_dir, sys_paths, recursive)
    if (path / "versions").is_dir():
        roots = _import_roots(path, path.parent)
        recursive = _toml_recursive(path) or _toml_recursive(path.parent)
        return _Project(path, [path / "versions"], path, roots, recursive)
    if path.is_dir() and any(path.glob("*.py")):
        script = path.parent.parent
        if path.parent.name == "versions" and (script / "env.py").is_file():
            # one folder of versions/ that env.py picks at run time (PrefectHQ/prefect's
            # versions/postgresql, the folder the not-read warning names): its env.py and the
            # package root above it belong to it
            roots = _import_roots(path.parent, script, script.parent)
            return _Project(path.parent, [path], script, roots)
        return _Project(path.parent, [path], None, _import_roots(path.parent, path.parent.parent))
    raise MigrationSourceError(f"{path}: no alembic.ini, env.py or versions/ folder here")


def _toml_alembic(folder: Path) -> dict[str, object]:
    """pyproject.toml's [tool.alembic] in ``folder`` (empty when absent or unreadable).

    Alembic >= 1.16 reads its options there when alembic.ini does not set them
    (``alembic init --template pyproject``); without it the template's date-based subfolders
    (versions/2024/01/...) were not read, exit 2, and its script_location not found."""
    import tomllib

    toml = folder / "pyproject.toml"
    if not toml.is_file():
        return {}
    try:
        data = tomllib.loads(toml.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    table = data.get("tool", {}).get("alembic", {})
    return table if isinstance(table, dict) else {}


def _toml_recursive(folder: Path) -> bool:
    """``recursive_version_locations = true`` (a TOML boolean) in ``folder``'s pyproject.toml."""
    return _toml_alembic(folder).get("recursive_version_locations") is True


def _import_roots(*folders: Path) -> list[Path]:
    """The sys.path entries guessed for a project without alembic.ini: each folder, or, for a
    package (an ``__init__.py`` in it), the folder above its outermost package. Python never
    runs a package's folder as a sys.path entry; put first, its modules shadowed the standard
    library's (pypi/warehouse's ``warehouse/logging.py``: importing alembic failed on
    ``logging.config``, an internal error, exit 2), and ``import warehouse`` did not work."""
    roots = []
    for folder in folders:
        while (folder / "__init__.py").is_file() and folder.parent != folder:
            folder = folder.parent
        roots.append(folder)
    return list(dict.fromkeys(roots))


def _versions_dirs(path: Path) -> tuple[Path, list[Path]]:
    """(project dir, version dirs) for an alembic.ini, a project dir or a script dir."""
    project = _locate(path)
    return project.here, project.dirs


@contextlib.contextmanager
def _project_path(project: _Project):
    """The project's own sys.path entries, as Alembic's prepend_sys_path would set them."""
    paths = [str(p) for p in project.sys_paths]
    added = [p for p in dict.fromkeys(paths) if p not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for p in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(p)


def _env_imports(project: _Project, issues: list[MigrationIssue]) -> None:
    """Run env.py's module-level imports (never its migration functions) before rendering.

    Revisions rely on the import state env.py leaves behind: env.py does
    ``import mypkg.types`` and a revision that only does ``import mypkg`` then uses
    ``mypkg.types.UUIDType()``. Alembic would have run env.py first; its imports are
    reproduced here, each on its own, and one that fails is noted and skipped.
    """
    env = project.script_dir / "env.py" if project.script_dir else None
    if env is None or not env.is_file():
        return
    try:
        tree = pyast.parse(env.read_text(encoding="utf-8"), filename=str(env))
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return
    for node in tree.body:
        if not isinstance(node, pyast.Import | pyast.ImportFrom):
            continue
        if isinstance(node, pyast.ImportFrom) and (node.module or "").split(".")[0] == "alembic":
            continue
        code = compile(pyast.Module(body=[node], type_ignores=[]), str(env), "exec")
        try:
            exec(code, {"__name__": "schema_audit_env_imports"})  # noqa: S102
        except Exception as exc:  # an app import that needs settings, a database …
            issues.append(
                MigrationIssue(
                    "env-import",
                    f"env.py:{node.lineno}: {pyast.unparse(node)} failed ({type(exc).__name__}: "
                    f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}); "
                    "revisions relying on it may not render",
                    None,
                    str(env),
                    node.lineno,
                    "info",
                )
            )


def _env_metadata(project: _Project, issues: list[MigrationIssue]) -> Any:
    """env.py's ``target_metadata`` when its MetaData has a naming convention of its own.

    Alembic builds every op's constraints in a MetaData with that convention
    (``schemaobj.metadata()``), online and offline: PrefectHQ/prefect's
    ``op.create_check_constraint("ck_block_document_reference__no_self_reference", …)`` is
    ``ck_block_document_reference__ck_block_document_referenc_824f`` in its database, an
    unnamed UNIQUE ``uq_<table>__<column>``. Only the imports and assignments
    ``target_metadata = …`` needs are run (never env.py's migration code); one that fails is
    noted, and names are then rendered without the convention."""
    env = project.script_dir / "env.py" if project.script_dir else None
    if env is None or not env.is_file():
        return None
    try:
        body = pyast.parse(env.read_text(encoding="utf-8"), filename=str(env)).body
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return None
    index = next((i for i, node in enumerate(body) if _assigns(node, {"target_metadata"})), None)
    if index is None or isinstance(body[index].value, pyast.Constant):  # type: ignore[attr-defined]
        return None
    needed = _loaded_names(body[index])
    chosen = [body[index]]
    for node in reversed(body[:index]):
        if _assigns(node, needed) or _imports(node, needed):
            chosen.append(node)
            needed |= _loaded_names(node)
    namespace: dict[str, Any] = {"__name__": "schema_audit_env_metadata"}
    for node in reversed(chosen):
        code = compile(pyast.Module(body=[node], type_ignores=[]), str(env), "exec")
        try:
            exec(code, namespace)  # noqa: S102
        except Exception as exc:  # an app import that needs settings, a database …
            issues.append(
                MigrationIssue(
                    "env-metadata",
                    f"env.py:{node.lineno}: {pyast.unparse(node)[:80]} failed "
                    f"({type(exc).__name__}); constraint names are rendered without "
                    "target_metadata's naming convention, if it has one",
                    None,
                    str(env),
                    node.lineno,
                    "info",
                )
            )
            return None
    import sqlalchemy as sa  # (only here: a history without target_metadata may never need it)

    metadata = namespace.get("target_metadata")
    if not isinstance(metadata, sa.MetaData):
        return None
    return None if metadata.naming_convention == sa.MetaData().naming_convention else metadata


def _assigns(node: pyast.stmt, names: set[str]) -> bool:
    """A module-level ``name = …`` binding one of ``names``."""
    targets = node.targets if isinstance(node, pyast.Assign) else []
    return any(isinstance(t, pyast.Name) and t.id in names for t in targets)


def _imports(node: pyast.stmt, names: set[str]) -> bool:
    """An import binding one of ``names`` (a ``*`` import may bind any); never alembic's."""
    if isinstance(node, pyast.ImportFrom):
        if (node.module or "").split(".")[0] == "alembic":
            return False
        return any(a.name == "*" or (a.asname or a.name) in names for a in node.names)
    if isinstance(node, pyast.Import):
        return any((a.asname or a.name.split(".")[0]) in names for a in node.names)
    return False


def _loaded_names(node: pyast.stmt) -> set[str]:
    """The names a statement reads."""
    return {
        n.id
        for n in pyast.walk(node)
        if isinstance(n, pyast.Name) and isinstance(n.ctx, pyast.Load)
    }


# -- reading revision files --------------------------------------------------


@dataclass(slots=True)
class _RevisionFile:
    """A revision file as read before rendering: its identity, links and syntax tree."""

    path: Path
    revision: str
    down: list[str]
    message: str
    has_downgrade: bool
    needs_connection: int | None  # line of an op.get_bind() / connection read
    tree: pyast.Module
    calls: list[tuple[int, int, int | None, bool]]  # (start, end, literal line, arg is literal)


def _string_value(node: pyast.AST | None) -> object:
    if isinstance(node, pyast.Constant):
        return node.value
    if isinstance(node, pyast.Tuple | pyast.List):
        return tuple(_string_value(e) for e in node.elts)
    return None


def _leading_newlines(node: pyast.AST) -> int:
    """Blank lines before the SQL starts inside a string literal (Alembic strips them)."""
    head = (
        node.value
        if isinstance(node, pyast.Constant)
        else next(
            (v.value for v in getattr(node, "values", []) if isinstance(v, pyast.Constant)), ""
        )
    )
    if not isinstance(head, str):
        return 0
    stripped = head.lstrip()
    return head[: len(head) - len(stripped)].count("\n")


def _is_noop(body: list[pyast.stmt]) -> bool:
    for stmt in body:
        if isinstance(stmt, pyast.Pass):
            continue
        if isinstance(stmt, pyast.Expr) and isinstance(stmt.value, pyast.Constant):
            continue  # docstring or "..."
        return False
    return True


def _read_revision(path: Path, display: str) -> tuple[_RevisionFile | None, MigrationIssue | None]:
    try:
        source = path.read_text(encoding="utf-8")
        tree = pyast.parse(source, filename=str(path))
    except SyntaxError as exc:
        return None, MigrationIssue(
            "import-error",
            f"{display}:{exc.lineno}: syntax error: {exc.msg}",
            None,
            display,
            exc.lineno,
            "error",
        )
    except (UnicodeDecodeError, ValueError) as exc:
        return None, MigrationIssue(
            "import-error",
            f"{display}: not a readable Python file ({exc})",
            None,
            display,
            None,
            "error",
        )
    values: dict[str, object] = {}
    functions: dict[str, pyast.FunctionDef] = {}
    for node in tree.body:
        if isinstance(node, pyast.Assign | pyast.AnnAssign):
            targets = node.targets if isinstance(node, pyast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, pyast.Name):
                    values[target.id] = _string_value(node.value)
        elif isinstance(node, pyast.FunctionDef):
            functions[node.name] = node
    revision = values.get("revision")
    if not isinstance(revision, str):
        return None, None  # not a revision file (helpers, __init__.py)
    down = values.get("down_revision")
    downs = [d for d in (down if isinstance(down, tuple) else (down,)) if isinstance(d, str)]
    doc = pyast.get_docstring(tree) or ""
    # The message is the docstring's first paragraph (Alembic's -m), which may wrap over lines.
    message = " ".join(doc.strip().split("\n\n")[0].split()) if doc.strip() else ""
    downgrade = functions.get("downgrade")
    upgrade_fn = functions.get("upgrade")
    # A revision that changes nothing (an empty baseline) needs no downgrade either.
    changes = upgrade_fn is not None and not _is_noop(upgrade_fn.body)
    has_downgrade = (downgrade is not None and not _is_noop(downgrade.body)) or not changes
    needs_connection = None
    upgrade = functions.get("upgrade")
    calls: list[tuple[int, int, int | None, bool]] = []
    for node in pyast.walk(tree):
        if isinstance(node, pyast.Call) and isinstance(node.func, pyast.Attribute):
            if (
                node.func.attr in ("get_bind", "get_context")
                and upgrade is not None
                and (upgrade.lineno <= node.lineno <= (upgrade.end_lineno or node.lineno))
            ):
                needs_connection = needs_connection or node.lineno
            first = node.args[0] if node.args else None
            # Only op.execute() passes its SQL through verbatim; other ops generate it.
            literal = node.func.attr == "execute" and isinstance(
                first, pyast.Constant | pyast.JoinedStr
            )
            calls.append(
                (
                    node.lineno,
                    node.end_lineno or node.lineno,
                    first.lineno + _leading_newlines(first) if literal else None,
                    literal,
                )
            )
    return _RevisionFile(
        path, revision, downs, message, has_downgrade, needs_connection, tree, calls
    ), None


# -- the graph -----------------------------------------------------------------


def _order(
    files: dict[str, _RevisionFile], issues: list[MigrationIssue]
) -> tuple[list[str], list[str]]:
    children: dict[str, list[str]] = {rev: [] for rev in files}
    for rev, info in files.items():
        for down in info.down:
            if down in children:
                children[down].append(rev)
            else:
                issues.append(
                    MigrationIssue(
                        "missing-down-revision",
                        f"revision {rev} revises {down}, which does not exist",
                        rev,
                        None,
                        None,
                        "error",
                    )
                )
    heads = sorted(rev for rev, kids in children.items() if not kids)
    if len(heads) > 1:
        issues.append(
            MigrationIssue(
                "multiple-heads",
                f"the history has {len(heads)} heads: {', '.join(heads)} "
                "(alembic upgrade head would fail; add a merge revision)",
                None,
                None,
                None,
                "error",
            )
        )
    for rev, kids in sorted(children.items()):
        if len(kids) > 1:
            issues.append(
                MigrationIssue(
                    "branch-point",
                    f"revision {rev} is the parent of {len(kids)} branches: "
                    f"{', '.join(sorted(kids))}",
                    rev,
                    None,
                    None,
                    "info",
                )
            )
    for rev, info in sorted(files.items()):
        if len(info.down) > 1:
            issues.append(
                MigrationIssue(
                    "merge",
                    f"revision {rev} merges {', '.join(info.down)}",
                    rev,
                    None,
                    None,
                    "info",
                )
            )
    # Kahn's algorithm from the bases; ties broken by revision id so the order is stable.
    pending = {rev: len([d for d in info.down if d in files]) for rev, info in files.items()}
    ready = sorted(rev for rev, n in pending.items() if n == 0)  # a sorted list is a heap
    order: list[str] = []
    while ready:
        rev = heapq.heappop(ready)
        order.append(rev)
        for child in children[rev]:
            pending[child] -= 1
            if pending[child] == 0:
                heapq.heappush(ready, child)
    cyclic = sorted(set(files) - set(order))
    if cyclic:
        issues.append(
            MigrationIssue(
                "cycle", f"revisions in a cycle: {', '.join(cyclic)}", None, None, None, "error"
            )
        )
    return order, heads


# -- rendering -------------------------------------------------------------------


class _CapturingBuffer(io.StringIO):
    """Alembic's offline output buffer that also remembers which source line wrote each chunk."""

    def __init__(self, revision_file: _RevisionFile) -> None:
        super().__init__()
        self.revision_file = revision_file
        self.target = str(revision_file.path.resolve())
        # (sql, line, literal, the line of the outermost frame of the revision file)
        self.chunks: list[tuple[str, int | None, bool, int | None]] = []

    def write(self, text: str) -> int:
        if text.strip():
            line, literal = self._source_line()
            self.chunks.append((text, line, literal, self._running_line()))
        return super().write(text)

    def _running_line(self) -> int | None:
        """The line upgrade() (the revision file's outermost frame) is running: a helper
        function called in an autocommit block emits while the block is open."""
        frame, found = sys._getframe(1), None
        while frame is not None:
            if frame.f_code.co_filename == self.target:
                found = frame.f_lineno
            frame = frame.f_back
        return found

    def _source_line(self) -> tuple[int | None, bool]:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == self.target:
                lineno = frame.f_lineno
                best = None
                for start, end, literal_line, literal in self.revision_file.calls:
                    if start <= lineno <= end and (best is None or end - start < best[1] - best[0]):
                        best = (start, end, literal_line, literal)
                if best and best[3]:
                    return best[2], True
                return (best[0] if best else lineno), False
            frame = frame.f_back
        return None, False


def _render_cached(
    info: _RevisionFile, display: str, project: Path, metadata: Any = None
) -> tuple[list[RenderedStatement], str | None]:
    """``_render``, through the rendered-SQL cache when the revision is self-contained.

    A self-contained revision is first run against the stand-ins of ``alembic_light``
    (no Alembic, no SQLAlchemy import, no cache needed); only when they decline does it
    go to the cache and real Alembic. With env.py's ``metadata`` (a naming convention of its
    own) it goes to Alembic alone: neither the stand-ins nor the cache know the convention.
    """
    if (line := _asks_offline(info)) is not None:
        # not rendered: offline, it would take the branch an online upgrade does not take
        return [], (
            f"{display}:{line}: the revision asks whether the upgrade runs offline "
            "(is_offline_mode() / as_sql): its branches differ online"
        )
    if metadata is not None:
        return _render(info, display, project, metadata)
    contained = info.tree is not None and render_cache.self_contained(info.tree)
    if contained and LIGHT:
        light = _render_light(info, display, project)
        if light is not None:
            return light, None
    if not (cache.enabled() and contained):
        return _render(info, display, project)
    try:
        cache_key = render_cache.key(info.path.read_bytes())
    except OSError:
        return _render(info, display, project)
    cached = render_cache.load(cache_key)
    if cached is not None:
        return [
            RenderedStatement(sql, display, line, info.revision, at) for sql, line, at in cached
        ], None
    statements, error = _render(info, display, project)
    if error is None:
        render_cache.store(cache_key, [(s.sql, s.line, s.at) for s in statements])
    return statements, error


def _render(
    info: _RevisionFile, display: str, project: Path, metadata: Any = None
) -> tuple[list[RenderedStatement], str | None]:
    from alembic.operations import Operations
    from alembic.runtime.environment import EnvironmentContext
    from alembic.runtime.migration import MigrationContext

    module_name = _module_name(info)
    added = [p for p in (str(project), str(project.parent)) if p not in sys.path]
    sys.path[:0] = added
    buffer = _CapturingBuffer(info)
    error = None
    try:
        spec = importlib.util.spec_from_file_location(module_name, info.path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        # `from alembic import context` is this environment under `alembic upgrade --sql`
        # too (context.get_context(): privacyidea's revisions ask the dialect's name), so it
        # is installed as Alembic's proxy while the revision runs (a revision asking
        # is_offline_mode() is not rendered at all: _asks_offline)
        environment = EnvironmentContext(_project_config(project), None, as_sql=True)
        context = MigrationContext.configure(
            dialect_name="postgresql",
            # op.get_context().config is the project's Config under `alembic upgrade --sql`
            # too: CKAN's revisions read an option of it before doing anything
            environment_context=environment,
            # the default pyformat paramstyle doubles every % in op.execute() text, so
            # format('… %I …') would reach the interpreter as format('… %%I …')
            dialect_opts={"paramstyle": "named"},
            opts={
                "as_sql": True,
                "output_buffer": buffer,
                "literal_binds": True,
                "transactional_ddl": False,
                # Alembic names each op's constraints through it (schemaobj.metadata())
                **({"target_metadata": metadata} if metadata is not None else {}),
            },
        )
        _stored_generated_columns(context.dialect)
        _committing_mock_connection(context.connection, buffer)
        environment._migration_context = context
        with environment, Operations.context(context), warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Computed column .* as 'STORED'")
            module.upgrade()
    except Exception as exc:  # anything a migration file can raise
        error = _describe_error(exc, info.path, display)
    finally:
        for p in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(p)
        sys.modules.pop(module_name, None)
    return _statements(info, display, buffer), error


def _stored_generated_columns(dialect: Any) -> None:
    """Render ``sa.Computed(…)`` without ``persisted=`` as an online upgrade on PostgreSQL 15
    to 17 does: ``GENERATED ALWAYS AS (…) STORED``. SQLAlchemy 2.1's dialect, knowing no
    server, renders PostgreSQL 18's form with no keyword (a virtual column), which those
    servers refuse and the static reading refuses with them (``ddl/refusals.py``); the
    ``--no-exec`` reader writes STORED too."""
    if getattr(dialect, "supports_virtual_generated_columns", False):
        dialect.supports_virtual_generated_columns = False


def _asks_offline(info: _RevisionFile) -> int | None:
    """The first line where the revision asks whether it runs offline (``….is_offline_mode()``,
    ``….as_sql``), or None. Rendering is Alembic's offline mode, where the answer is yes, but
    the database a spec describes was upgraded online (review19: ``if
    context.get_context().as_sql: return`` before an add_column was a false PASS); such a
    revision is read from its syntax tree, the question a blind spot naming its line. The
    option asked by its name is the same question (``op.get_context().opts["as_sql"]``,
    ``.opts.get("as_sql")``, ``getattr(ctx, "as_sql")``: silence19, a false PASS too)."""
    if info.tree is None:
        return None
    lines = [
        node.lineno
        for node in pyast.walk(info.tree)
        if (isinstance(node, pyast.Attribute) and node.attr in ("is_offline_mode", "as_sql"))
        or (isinstance(node, pyast.Constant) and node.value == "as_sql")
    ]
    return min(lines) if lines else None


def _committing_mock_connection(connection: Any, buffer: _CapturingBuffer) -> None:
    """Let ``op.get_bind().commit()`` pass while rendering offline, written as the COMMIT
    it sends online and the BEGIN SQLAlchemy sends before the next statement (any driver).

    Warehouse's revisions commit Alembic's transaction before ``autocommit_block()`` so that
    ``CREATE INDEX CONCURRENTLY`` runs outside one; offline, ``op.get_bind()`` is SQLAlchemy's
    MockConnection, which has no ``commit`` (AttributeError: the revision was read from its
    syntax tree, its index missing, exit 2). Ending a transaction changes no schema object
    (the transaction the reading puts each revision in, sources/alembic_transactions, is
    ended before the autocommit block such a commit precedes). Online it commits Alembic's
    transaction so far (PostgreSQL 15, psycopg and psycopg2): read as a no-op, a later
    refusal undid the run's earlier revisions too (alembic22: DEFERRED where they stay).
    ``rollback()`` stays missing: online it would undo what the revision did before it."""
    if connection is not None and not hasattr(connection, "commit"):

        def commit() -> None:
            buffer.write("COMMIT;\n\n")
            buffer.write("BEGIN;\n\n")

        connection.commit = commit


@functools.lru_cache(maxsize=8)
def _project_config(project: Path):
    """The Alembic Config of the project's alembic.ini (an empty one without it), as a
    revision sees it through ``op.get_context().config``."""
    from alembic.config import Config

    ini = project / "alembic.ini"
    return Config(str(ini)) if ini.is_file() else Config()


def _module_name(info: _RevisionFile) -> str:
    return "schema_audit_revision_" + hashlib.sha1(str(info.path).encode()).hexdigest()[:12]


def _render_light(
    info: _RevisionFile, display: str, project: Path
) -> list[RenderedStatement] | None:
    """The revision's statements from ``alembic_light``'s stand-ins, or None when they declined."""
    added = [p for p in (str(project), str(project.parent)) if p not in sys.path]
    sys.path[:0] = added
    buffer = _CapturingBuffer(info)
    try:
        declined = alembic_light.run(info.path, _module_name(info), buffer)
    finally:
        for p in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(p)
    return None if declined else _statements(info, display, buffer)


def _statements(
    info: _RevisionFile, display: str, buffer: _CapturingBuffer
) -> list[RenderedStatement]:
    """The captured chunks as statements: terminator off, generated SQL on one line."""
    from schema_audit.pgparse import one_line  # (pglast: only once a revision has rendered)

    statements = []
    for text, line, literal, at in buffer.chunks:
        sql = text.strip()
        if sql.endswith(";"):
            sql = sql[:-1].rstrip()
        if not literal:
            # Generated SQL (op.create_table …): one line, so provenance lines stay at the call.
            sql = one_line(sql)
        statements.append(
            RenderedStatement(sql, display, line, info.revision, at if at != line else None)
        )
    _attribute_batch_lines(info, statements)
    return statements


def _attribute_batch_lines(info: _RevisionFile, statements: list[RenderedStatement]) -> None:
    """Give each statement of a ``with op.batch_alter_table(…)`` block the line of its own call.

    Alembic emits a batch's operations when the block exits, so the call stack shows the
    ``with`` line for all of them (a finding would point there and an inline ignore above
    ``batch_op.drop_column(…)`` would not apply). The block's calls read from the syntax
    tree give each statement's own line; they are used only when they account for exactly
    the statements the block rendered.
    """
    blocks = [
        node
        for node in pyast.walk(info.tree)
        if isinstance(node, pyast.With)
        and any(
            isinstance(item.context_expr, pyast.Call)
            and isinstance(item.context_expr.func, pyast.Attribute)
            and item.context_expr.func.attr == "batch_alter_table"
            for item in node.items
        )
    ]
    if not blocks:
        return
    from schema_audit.sources.alembic_ast import read_upgrade

    reading = read_upgrade(info.tree)
    for block in blocks:
        at_with = [s for s in statements if s.line == block.lineno]
        end = block.end_lineno or block.lineno
        own = [line for _, line in reading.statements if block.lineno < line <= end]
        if at_with and len(own) == len(at_with):
            for statement, line in zip(at_with, own, strict=True):
                statement.line = line


def _describe_error(exc: BaseException, path: Path, display: str) -> str:
    line = None
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if Path(frame.filename).resolve() == path.resolve():
            line = frame.lineno
            break
    where = f"{display}:{line}" if line else display
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{where}: {type(exc).__name__}: {message}".rstrip(": ")


def _revision_files(
    directory: Path, recursive: bool, base: Path, issues: list[MigrationIssue]
) -> list[Path]:
    """The ``*.py`` files Alembic lists in a version location: its top level only, unless
    ``recursive_version_locations = true``. A subfolder holding ``*.py`` that Alembic does not
    read is named (PrefectHQ/prefect keeps ``versions/postgresql`` and ``versions/sqlite``, the
    same revision ids in both, and env.py picks one at run time): reading every file below
    applied revisions Alembic never runs."""
    if recursive:
        return sorted(p for p in directory.rglob("*.py") if "__pycache__" not in p.parts)
    unread = sorted(
        sub
        for sub in directory.iterdir()
        if sub.is_dir() and sub.name != "__pycache__" and any(sub.rglob("*.py"))
    )
    if unread:
        names = ", ".join(_display(sub, base) + "/" for sub in unread)
        issues.append(
            MigrationIssue(
                "not-read",
                f"{names}: not read, as Alembic reads only the top level of a version location "
                "unless recursive_version_locations = true (if env.py picks one of them at run "
                "time, pass that folder to --migrations)",
                None,
                _display(directory, base),
                None,
                "warning",
            )
        )
    return sorted(directory.glob("*.py"))


def render_history(
    path: Path, *, execute: bool = True, reporter: Reporter = SILENT
) -> AlembicHistory:
    """Every revision of the history at ``path``, in order, rendered to SQL.

    A revision that cannot be rendered is read from its syntax tree instead (its literal
    ``op.*`` calls); with ``execute=False`` no revision is imported or run at all (no-exec):
    every one is read that way, and what cannot be read literally is a blind spot.
    """
    located = _locate(Path(path))
    project, dirs = located.here, located.dirs
    if not dirs:
        raise MigrationSourceError(f"{path}: the versions folder does not exist")
    base = Path(path).resolve()
    base = base.parent if base.is_file() else base
    files: dict[str, _RevisionFile] = {}
    issues: list[MigrationIssue] = []
    displays: dict[str, str] = {}
    for directory in dirs:
        for file in _revision_files(directory, located.recursive, base, issues):
            if "__pycache__" in file.parts:
                continue
            display = _display(file, base)
            info, issue = _read_revision(file, display)
            if issue:
                issues.append(issue)
            if info is None:
                continue
            if info.revision in files:
                issues.append(
                    MigrationIssue(
                        "duplicate-revision",
                        f"revision id {info.revision} is used by "
                        f"{displays[info.revision]} and {display}",
                        info.revision,
                        display,
                        None,
                        "error",
                    )
                )
                continue
            files[info.revision] = info
            displays[info.revision] = display
    if not files and all(issue.code == "not-read" for issue in issues):
        unread = [issue.message for issue in issues if issue.code == "not-read"]
        raise MigrationSourceError(
            f"{path}: no Alembic revision files found" + (f"; {unread[0]}" if unread else "")
        )
    order, heads = _order(files, issues)
    for issue in issues:
        if issue.revision and not issue.file and issue.revision in displays:
            issue.file = displays[issue.revision]
    revisions: list[RenderedRevision] = []
    # A project whose revisions never have a downgrade chose forward-only migrations; a missing
    # downgrade is a finding only where the project's own convention is to write them.
    convention_has_downgrades = any(
        f.has_downgrade and _function_line(f, "upgrade") and not _empty_upgrade(f)
        for f in files.values()
    )
    env_imported = False
    metadata = None
    if execute:
        with _project_path(located), contextlib.redirect_stdout(sys.stderr):
            metadata = _env_metadata(located, issues)
    progress = reporter.progress("rendering Alembic revisions", len(order), "revisions")
    for number, rev in enumerate(order):
        if progress:
            progress.update(number)
        info = files[rev]
        display = displays[rev]
        rendered = RenderedRevision(
            rev, display, info.message, info.down, info.has_downgrade, path=info.path
        )
        if not info.has_downgrade and convention_has_downgrades:
            issues.append(
                MigrationIssue(
                    "no-downgrade",
                    f"revision {rev} has no real downgrade(): it cannot be rolled back",
                    rev,
                    display,
                    _function_line(info, "downgrade"),
                    "warning",
                )
            )
        if execute:
            # a revision's (or env.py's) print() goes to stderr: stdout is the report or JSON
            with _project_path(located), contextlib.redirect_stdout(sys.stderr):
                rendered.statements, rendered.error = _render_cached(
                    info, display, project, metadata
                )
                if rendered.error and not env_imported:
                    # what Alembic would have done first: env.py's imports; then try again
                    env_imported = True
                    _env_imports(located, issues)
                    rendered.statements, rendered.error = _render_cached(
                        info, display, project, metadata
                    )
        else:
            rendered.error = "not run (no-exec)"
        if rendered.error:
            _read_syntax_tree(rendered, info)
        if rendered.error and not execute:
            if rendered.blind_spots:
                issues.append(
                    MigrationIssue(
                        "blind-spot",
                        f"revision {rev} read without running it: {rendered.gap()}",
                        rev,
                        display,
                        rendered.blind_spots[0][0],
                        "error",
                    )
                )
        elif rendered.error and not rendered.partial:
            issues.append(
                MigrationIssue(
                    "read-from-syntax-tree",
                    f"revision {rev} could not be rendered ({rendered.error}); all of its "
                    f"upgrade() was read from its syntax tree instead "
                    f"({len(rendered.statements)} statement(s))",
                    rev,
                    display,
                    None,
                    "info",
                )
            )
        elif rendered.error:
            if info.needs_connection:
                issues.append(
                    MigrationIssue(
                        "needs-connection",
                        f"revision {rev} reads from the database (op.get_bind() at line {info.needs_connection}) and "
                        f"cannot be rendered offline: {rendered.gap()}; audit with --replay to settle it",
                        rev,
                        display,
                        info.needs_connection,
                        "warning",
                    )
                )
            else:
                issues.append(
                    MigrationIssue(
                        "render-error",
                        f"revision {rev} could not be rendered: {rendered.gap()}",
                        rev,
                        display,
                        None,
                        "error",
                    )
                )
        revisions.append(rendered)
    if progress:
        progress.done()
    from schema_audit.sources import alembic_driver, alembic_transactions

    env = located.script_dir / "env.py" if located.script_dir else None
    autocommit = {
        rev: spans
        for rev, info in files.items()
        if (spans := alembic_transactions.autocommit_lines(info.tree))
    }
    return AlembicHistory(
        revisions,
        heads,
        issues,
        project,
        alembic_transactions.per_revision(env),
        autocommit,
        alembic_driver.driver(env, project / "alembic.ini"),
        f"{_display(env, base) if env else 'env.py'}:{alembic_driver.line(env)}",
        {rev: alembic_transactions.surely_entered(files[rev].tree) for rev in autocommit},
    )


def _read_syntax_tree(rendered: RenderedRevision, info: _RevisionFile) -> None:
    """Replace what rendering gave with the revision's literal op.* calls read from its tree.

    What Alembic rendered before upgrade()'s statement that raised is kept (those statements
    ran whole, with the project's own column types); only from that statement on is the tree
    read. PrefectHQ/prefect's revisions change the schema, then migrate rows through
    ``op.get_bind()``: read whole from the tree, a ``create_table`` with
    ``prefect.server.utilities.database.Timestamp()`` columns was lost, the next index on it
    refused, and the run taken as stopped there."""
    from schema_audit.sources.alembic_ast import read_upgrade

    reading = read_upgrade(info.tree)
    start = _rendered_prefix_end(rendered, info)
    kept = [s for s in rendered.statements if start and s.line is not None and s.line < start]
    rendered.statements = kept + [
        RenderedStatement(sql, rendered.file, line, rendered.revision)
        for sql, line in reading.statements
        if not start or line >= start
    ]
    rendered.blind_spots = [(line, why) for line, why in reading.blind_spots if line >= start]


def _rendered_prefix_end(rendered: RenderedRevision, info: _RevisionFile) -> int:
    """The first line of upgrade()'s top-level statement that raised while rendering, when
    every statement rendered came from upgrade()'s lines up to the end of that one (the ones
    before it ran whole); else 0: nothing rendered is kept. A revision not run at all (one
    asking is_offline_mode()) rendered nothing; an error in a helper names no line of
    upgrade()'s own statements."""
    upgrade = next(
        (n for n in info.tree.body if isinstance(n, pyast.FunctionDef) and n.name == "upgrade"),
        None,
    )
    found = re.match(rf"{re.escape(rendered.file)}:(\d+): ", rendered.error or "")
    if upgrade is None or found is None or not rendered.statements:
        return 0
    failed = int(found.group(1))
    top = next((n for n in upgrade.body if n.lineno <= failed <= (n.end_lineno or n.lineno)), None)
    if top is None or any(
        s.line is None or not upgrade.body[0].lineno <= s.line <= (top.end_lineno or top.lineno)
        for s in rendered.statements
    ):
        return 0
    return top.lineno


def _empty_upgrade(info: _RevisionFile) -> bool:
    for node in info.tree.body:
        if isinstance(node, pyast.FunctionDef) and node.name == "upgrade":
            return _is_noop(node.body)
    return True


def _function_line(info: _RevisionFile, name: str) -> int | None:
    for node in info.tree.body:
        if isinstance(node, pyast.FunctionDef) and node.name == name:
            return node.lineno
    return None


def _display(file: Path, base: Path) -> str:
    """The file as reports show it: relative to the parent of the folder the user named."""
    try:
        return str(file.resolve().relative_to(base.parent))
    except ValueError:
        return str(file)


def model_from_history(history: AlembicHistory, *, reporter: Reporter = SILENT) -> SchemaModel:
    # imported here: the interpreter (and pglast under it) is not needed by the SQL sources'
    # cached reads, which import this module for its issue and error classes
    from schema_audit.sources import alembic_driver, alembic_transactions, history_stop
    from schema_audit.sources.ddl import DdlInterpreter
    from schema_audit.sources.effects import python_effects

    interpreter = DdlInterpreter()
    model = interpreter.model
    progress = reporter.progress("interpreting revisions", len(history.revisions), "revisions")
    # each revision in Alembic's transaction; the run stops at the first refusal
    # (sources/alembic_transactions, history_stop)
    stopped: str | None = None
    perhaps: str | None = None  # why the run perhaps stopped (a driver not known)
    undone = committed = skipped = 0  # revisions before ``committed``: committed for sure
    tail = False  # the revision at ``committed`` committed up to its last block or COMMIT only
    # after a COMMIT the revision sends, a new transaction unless the driver is psycopg2: a
    # driver not known is perhaps psycopg, whose transaction a later refusal rolls back
    begins_again = history.driver != alembic_driver.STAYS_OUTSIDE
    for number, rev in enumerate(history.revisions):
        if progress:
            progress.update(number)
        model.revisions.append(
            Revision(rev.revision, rev.file, rev.message, rev.down_revisions, rev.has_downgrade)
        )
        spans = history.autocommit.get(rev.revision, [])
        entered = history.entered.get(rev.revision, [])
        statements = alembic_transactions.statements(rev, spans, begins_again, entered)
        commits = alembic_transactions.commit_lines(rev, spans)
        gap = (
            alembic_transactions.driver_gap(rev, spans)
            if commits and history.driver not in alembic_driver.KNOWN
            else None
        )
        if stopped is not None or perhaps is not None:
            interpreter.not_run(
                statements, rev.file, rev.revision, stopped or "", "alembic", perhaps
            )
            skipped += stopped is not None
        else:
            seen = len(model.unapplied)
            head, rest = (  # what runs after its COMMIT is the driver's: not known
                alembic_transactions.split_at_commit(statements, gap[0])
                if gap is not None
                else (statements, [])
            )
            interpreter.apply_statements(head, file=rev.file, revision=rev.revision)
            stopped = history_stop.stop_at(model.unapplied, seen, "alembic")
            if gap is not None and stopped is None:
                perhaps = alembic_transactions.driver_reason(rev.file, gap, history.driver_at)
                interpreter.not_run(rest, rev.file, rev.revision, "", "alembic", perhaps)
                model.blind_spots.append(
                    alembic_transactions.driver_note(rev.file, gap, history.driver_at)
                )
            elif rest:  # (refused before its COMMIT: the run stops there, either driver)
                interpreter.not_run(rest, rev.file, rev.revision, stopped or "", "alembic")
            if stopped is not None and alembic_transactions.committed_before(statements, stopped):
                committed, tail = number, False  # (a block or a COMMIT before the refusal)
            if stopped is not None and not history.per_revision:
                earlier = history.revisions[committed:number]
                for done in earlier:
                    undo = alembic_transactions.statements(
                        done,
                        history.autocommit.get(done.revision, []),
                        begins_again,
                        history.entered.get(done.revision, []),
                    )
                    if tail and done is earlier[0]:  # (what ran after its last COMMIT only)
                        undo = alembic_transactions.after_last_commit(undo)
                    interpreter.not_run(
                        undo,
                        done.file,
                        done.revision,
                        stopped,
                        why=alembic_transactions.undone_reason(stopped),
                    )
                undone = len(earlier)
            elif commits or alembic_transactions.blocks_run(rev, spans, entered):  # (so
                committed, tail = number, True  # far: the run's transaction begins again)
            bound = alembic_transactions.after_bind_commit(statements)
            if stopped is None and bound is not None and not history.per_revision:
                perhaps = alembic_transactions.bind_commit_reason(rev.file, bound[0])
                interpreter.not_run(bound[1], rev.file, rev.revision, "", "alembic", perhaps)
        for line, why in rev.blind_spots or ():
            model.blind_spots.append(
                f"{rev.file}:{line}: {why} (revision {rev.revision}, not read literally)"
            )
        if rev.partial:
            source = rev.path.read_text(encoding="utf-8", errors="replace") if rev.path else ""
            record = UnappliedStatement(
                sql=UNRENDERED_SQL.format(revision=rev.revision),
                reason=rev.gap(),
                file=rev.file,
                revision=rev.revision,
                kind="dynamic",
                effects=python_effects(source),  # from its op.* calls, settled by later revisions
            )
            model.unapplied.append(record)
            interpreter.ledger.add(record)
    interpreter.end_session()  # `alembic upgrade` runs every revision on one connection
    if skipped:
        history_stop.note(model, "alembic", stopped)
    if undone:
        model.blind_spots.append(alembic_transactions.run_note(stopped or "", undone))
    if progress:
        progress.done()
    return model


def load_alembic(path: Path, *, execute: bool = True) -> SchemaModel:
    return model_from_history(render_history(path, execute=execute))
