"""SQL sources: one file (a pg_dump --schema-only included) or a folder of SQL migrations.

Folders are ordered by the conventions people use, versions compared
numerically part by part (so V10 comes after V9):

* Flyway: ``V1__init.sql``, ``V1.1__x.sql``, ``V2_1__x.sql``; repeatable ``R__x.sql`` after them;
* golang-migrate / dbmate: ``0001_init.up.sql`` (``.down.sql`` is not applied
  but each ``.up.sql`` should have one); authelia's ``V0001.Initial_Schema.up.sql`` alike;
* timestamped ``20240101120000_x.sql`` and numbered ``001_x.sql`` prefixes;
* dbmate's ``-- migrate:up`` / ``-- migrate:down`` and goose's ``-- +goose Up`` /
  ``-- +goose Down`` sections in one file (only the up section is applied, line numbers
  kept; goose's Go migrations are named as not read); sql-migrate's ``-- +migrate Up`` /
  ``-- +migrate Down`` alike (equal numeric prefixes ordered by file name, as it does);
* drizzle-kit's ``meta/_journal.json``: the files it lists, in its order;
* diesel's ``<version>_<name>/up.sql`` folders;
* graphile-migrate: ``committed/000001[-message].sql`` in order, after ``afterReset.sql``;
* postgrator: ``0001.do.init.sql`` in numeric version order (``.undo.`` files are downgrades;
  its ``.do.*.js`` code migrations are named as not read);
* pop / Ory's popx: ``<version>_<name>[.<dialect>][.autocommit].up.sql``, one folder for every
  database: the ``postgres`` file of a version, else its dialect-less one;
* anything else alphabetically, with a note saying so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from schema_audit.gcpause import collector_paused
from schema_audit.model import Revision, SchemaModel, UnappliedStatement
from schema_audit.progress import SILENT, Reporter
from schema_audit.sources import runner_config
from schema_audit.sources.issues import MigrationIssue, MigrationSourceError

if TYPE_CHECKING:
    from schema_audit.sources import model_cache

# Imported where they are used, not here: the parsing child of a long history is forked
# once this module is imported (``parse_early``) and runs only ``discover`` and ``prepared``;
# the model cache, psql's includes and the runners' tables are the read's (≈ 0.01 s, after
# the fork, while the child parses).

_FLYWAY = re.compile(r"^V(?P<version>\d+(?:[._]\d+)*)__(?P<name>.+)\.sql$", re.IGNORECASE)
_REPEATABLE = re.compile(r"^R__(?P<name>.+)\.sql$", re.IGNORECASE)
# (authelia's own runner: ``V0001.Initial_Schema.up.sql``; its ``.down.sql`` was applied
# alphabetically before each up file)
_UPDOWN = re.compile(r"^V?(?P<version>\d+)[._-](?P<name>.+)\.(?P<dir>up|down)\.sql$", re.IGNORECASE)
_FLYWAY_UNDO = re.compile(r"^U\d+(?:[._]\d+)*__.+\.sql$", re.IGNORECASE)
# postgrator (node): ``<version>.do[.<description>].sql`` applied in numeric version order,
# ``<version>.undo[…].sql`` its downgrade, never applied upwards (omnivore-app/omnivore)
_POSTGRATOR = re.compile(
    r"^(?P<version>\d+)\.(?P<dir>do|undo)(?:\.(?P<name>.*))?\.sql$", re.IGNORECASE
)
_POSTGRATOR_CODE = re.compile(r"^\d+\.do(?:\..*)?\.(?:js|cjs|mjs)$", re.IGNORECASE)
_NUMBERED = re.compile(r"^(?P<version>\d+)[_-]?(?P<name>.*)\.sql$", re.IGNORECASE)
# ``0001_x_down.sql`` beside ``.up.sql`` files (harness/harness): golang-migrate's parser does
# not read the name (``<version>_<name>.<up|down>.<ext>``) and ignores the file; it is a downgrade
_SUFFIX_DOWN = re.compile(r"^V?\d+[._-].*[_-]down\.sql$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Entry:
    """A migration file found in a folder, with its naming convention and sort key."""

    path: Path
    convention: str
    key: tuple
    version: str


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.split(r"[._]", version))


def _classify(paths: list[Path]) -> tuple[list[_Entry], set[str], list[Path]]:
    """Each file's naming convention and sort key; also the versions that have a ``.down.sql``,
    and the downgrade files never applied (``undo``)."""
    entries: list[_Entry] = []
    downs: set[str] = set()
    undo: list[Path] = []
    updown = any(_UPDOWN.match(path.name) for path in paths)
    for path in paths:
        name = path.name
        if updown and _SUFFIX_DOWN.match(name) and not _UPDOWN.match(name):
            undo.append(path)  # a downgrade golang-migrate does not even read: never applied
        elif m := _UPDOWN.match(name):
            if m["dir"].lower() == "down":
                downs.add(m["version"])
                continue
            entries.append(
                _Entry(path, "up/down", (0, _version_key(m["version"]), name), m["version"])
            )
        elif m := _POSTGRATOR.match(name):
            if m["dir"].lower() == "undo":
                downs.add(m["version"])
                continue
            entries.append(
                _Entry(path, "postgrator", (0, _version_key(m["version"]), name), m["version"])
            )
        elif _FLYWAY_UNDO.match(name):
            undo.append(path)  # Flyway Teams' undo scripts: the downgrade side, never applied
        elif m := _FLYWAY.match(name):
            entries.append(
                _Entry(path, "flyway", (0, _version_key(m["version"]), name), m["version"])
            )
        elif m := _REPEATABLE.match(name):
            entries.append(_Entry(path, "flyway-repeatable", (1, (), name), f"R__{m['name']}"))
        elif m := _NUMBERED.match(name):
            entries.append(
                _Entry(path, "numbered", (0, _version_key(m["version"]), name), m["version"])
            )
        else:
            entries.append(_Entry(path, "unnumbered", (2, (), name), path.stem))
    return entries, downs, undo


def order_sql_files(folder: Path) -> tuple[list[Path], list[MigrationIssue]]:
    """The files to apply, in order, and what was noticed about the folder."""
    layout = discover(folder)
    return layout.files, layout.issues


def _order_flat(folder: Path, paths: list[Path]) -> tuple[list[_Entry], list[MigrationIssue]]:
    issues: list[MigrationIssue] = []
    entries, downs, undo = _classify(paths)
    issues += [
        MigrationIssue(
            "down-name-not-applied",
            f"{path.name} is not applied: its name ends in _down, a downgrade "
            "(golang-migrate reads only <version>_<name>.up.sql / .down.sql and ignores it)",
            None,
            str(path),
            None,
            "warning",
        )
        for path in undo
        if not _FLYWAY_UNDO.match(path.name)
    ]
    conventions = {e.convention for e in entries} - {"flyway-repeatable"}
    if len(conventions) > 1:
        issues.append(
            MigrationIssue(
                "mixed-conventions",
                f"{folder}: mixes file naming conventions "
                f"({', '.join(sorted(conventions))}); order may not be what you expect",
                file=str(folder),
                severity="warning",
            )
        )
    if "unnumbered" in conventions:
        issues.append(
            MigrationIssue(
                "unordered-files",
                f"{folder}: files without a version prefix are applied alphabetically",
                file=str(folder),
                severity="info",
            )
        )
    # A forward-only project (no .down.sql at all) made a choice; a missing one among others is a gap.
    if downs:
        for entry in entries:
            if entry.convention in ("up/down", "postgrator") and entry.version not in downs:
                undo_name = ".undo.sql" if entry.convention == "postgrator" else ".down.sql"
                issues.append(
                    MigrationIssue(
                        "no-downgrade",
                        f"{entry.path.name} has no matching {undo_name}",
                        entry.version,
                        str(entry.path),
                        None,
                        "warning",
                    )
                )
    seen: dict[tuple, Path] = {}
    for entry in entries:
        if entry.convention in ("unnumbered", "flyway-repeatable"):
            continue  # no version: Flyway keys a repeatable by its description (its file name)
        if entry.key[:2] in seen:
            issues.append(
                MigrationIssue(
                    "duplicate-version",
                    f"version {entry.version} is used by "
                    f"{seen[entry.key[:2]].name} and {entry.path.name}",
                    entry.version,
                    str(entry.path),
                    None,
                    "error",
                )
            )
        seen[entry.key[:2]] = entry.path
    entries.sort(key=lambda e: e.key)
    return entries, issues


@dataclass(slots=True)
class Layout:
    """What a SQL source is, as its migration tool wrote it: the files to apply, in order."""

    name: str  # prisma | golang-migrate | dbmate | flyway | sqitch | supabase | rails structure.sql | …
    files: list[Path]
    versions: dict[Path, str]
    issues: list[MigrationIssue]

    def describe(self) -> str:
        count = len(self.files)
        return f"{self.name} layout, {count} file{'s' if count != 1 else ''}"


_REVISION_PY = re.compile(r"(?m)^revision\s*(?::[^=]*)?=\s*['\"]")


def looks_like_alembic(folder: Path) -> bool:
    """An Alembic project (its folder or its alembic.ini) or a bare versions/ folder,
    recognised by its files' content."""
    if folder.is_file():
        return folder.suffix == ".ini"
    if not folder.is_dir():
        return False
    if (folder / "alembic.ini").is_file() or (folder / "env.py").is_file():
        return True
    candidates = [folder, folder / "versions"]
    for directory in candidates:
        if not directory.is_dir():
            continue
        for file in sorted(directory.glob("*.py"))[:50]:
            try:
                if _REVISION_PY.search(file.read_text(encoding="utf-8", errors="replace")):
                    return True
            except OSError:
                continue
    return False


_DJANGO = re.compile(r"(?m)^class \w+\(migrations\.Migration\):")


_RAILS = (
    "it holds Rails' schema.rb or Ruby migrations: give --sql db/structure.sql, which Rails "
    "writes with config.active_record.schema_format = :sql, or audit a database they migrated "
    "with --dsn"
)
# a file given to --sql that is certainly not SQL: one line saying what it is, where a syntax
# error at line 1 said "the audit went on without this statement" and then stopped (rubygems.org's
# db/schema.rb)
_NOT_SQL = {
    ".rb": f"a Ruby file, not SQL ({_RAILS.removeprefix('it holds ')})",
    ".py": "a Python file, not SQL (Alembic revisions: read their folder with --migrations; "
    "Django migrations: audit a database they migrated with --dsn)",
}
_ACTIVE_RECORD = re.compile(r"\bActiveRecord::(?:Schema|Migration)\b")


def _looks_like_rails(folder: Path) -> bool:
    """A Rails db/ folder (schema.rb, migrate/*.rb) or its migrate/ folder, by content."""
    return _holds(folder, "migrate", "*.rb", _ACTIVE_RECORD)


def _looks_like_django(folder: Path) -> bool:
    """A Django app's migrations/ folder (or the app holding one), by its files' content."""
    return _holds(folder, "migrations", "0*.py", _DJANGO)


def _holds(folder: Path, inner: str, pattern: str, marker: re.Pattern[str]) -> bool:
    """Whether ``folder`` or its ``inner`` folder has, among its first 20 files matching
    ``pattern``, one whose head ``marker`` finds."""
    for directory in (folder, folder / inner):
        if directory.is_dir():
            for file in sorted(directory.glob(pattern))[:20]:
                if marker.search(_head(file)):
                    return True
    return False


def _sql_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".sql")


def _prisma(folder: Path) -> Layout | None:
    """Prisma: ``migrations/<timestamp>_<name>/migration.sql``, ``migration_lock.toml`` beside them."""
    for root in (folder, folder / "migrations", folder / "prisma" / "migrations"):
        if not root.is_dir():
            continue
        steps = sorted(d for d in root.iterdir() if d.is_dir() and (d / "migration.sql").is_file())
        if steps and ((root / "migration_lock.toml").is_file() or not _sql_files(root)):
            files = [d / "migration.sql" for d in steps]
            return Layout("prisma", files, {f: f.parent.name for f in files}, _prisma_gaps(root))
    return None


def _prisma_gaps(root: Path) -> list[MigrationIssue]:
    """Migration folders without a migration.sql (a project's own runner applies a
    migration.ts there, say): nothing in them is read, and each is named, never skipped
    silently."""
    issues = []
    for folder in sorted(d for d in root.iterdir() if d.is_dir() and d.name[:1].isdigit()):
        if (folder / "migration.sql").is_file():
            continue
        names = sorted(p.name for p in folder.iterdir() if p.is_file())
        issues.append(
            MigrationIssue(
                "not-read",
                f"{folder.name}: no migration.sql; "
                + (f"not read: {', '.join(names)}" if names else "an empty folder"),
                folder.name,
                str(folder),
                None,
                "warning",
            )
        )
    return issues


def _sqitch(folder: Path) -> Layout | None:
    """sqitch: ``sqitch.plan`` names the changes in order, ``deploy/<change>.sql`` applies each
    (``sqitch.conf``'s ``top_dir``, ``plan_file``, ``deploy_dir`` and ``extension`` move them,
    as ``sqitch init --top-dir sql`` does)."""
    conf = _sqitch_conf(folder / "sqitch.conf")
    top = folder / conf.get("top_dir", ".")
    plan = folder / conf["plan_file"] if "plan_file" in conf else top / "sqitch.plan"
    if not plan.is_file():
        plan = folder / "sqitch.plan"  # (older sqitch: the plan beside sqitch.conf)
    deploy = folder / conf["deploy_dir"] if "deploy_dir" in conf else top / "deploy"
    extension = conf.get("extension", "sql")
    if not (plan.is_file() and deploy.is_dir()):
        return None
    files: list[Path] = []
    issues: list[MigrationIssue] = []
    for number, raw in enumerate(plan.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "%@#":
            continue  # pragmas, tags, comments
        change = line.split()[0]
        if change.startswith("!"):
            continue  # a revert marker in a reworked plan
        path = deploy / f"{change}.{extension}"
        if path.is_file():
            if path not in files:
                files.append(path)
        else:
            issues.append(
                MigrationIssue(
                    "missing-file",
                    f"{plan.name}:{number}: change {change} has no {deploy.name}/{path.name}",
                    change,
                    str(plan),
                    number,
                    "error",
                )
            )
    return Layout("sqitch", files, {f: f.stem for f in files}, issues)


def _sqitch_conf(path: Path) -> dict[str, str]:
    """``sqitch.conf``'s ``[core]`` settings (git-config syntax; comments and other sections
    skipped; a ``[engine "pg"]`` setting wins over core's, as for ``sqitch --engine pg``)."""
    if not path.is_file():
        return {}
    core: dict[str, str] = {}
    engine: dict[str, str] = {}
    section = ""
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]").strip().lower()
            continue
        key, sep, value = line.partition("=")
        value = value.split(" #")[0].strip().strip('"')
        if sep and section in ("core", 'engine "pg"'):
            (core if section == "core" else engine)[key.strip().lower()] = value
    return {**core, **engine}


def _diesel(folder: Path) -> Layout | None:
    """diesel: ``migrations/<version>_<name>/up.sql`` (``down.sql`` beside it is never
    applied), ordered by version, the folder name's part before ``_`` without its dashes.
    diesel applies folders only: a loose ``*.sql`` beside them (crates.io keeps a data script
    there) is named as not read, and does not turn the folder into a flat SQL layout."""
    for root in (folder, folder / "migrations"):
        if not root.is_dir():
            continue
        steps = [d for d in root.iterdir() if d.is_dir() and (d / "up.sql").is_file()]
        if not steps:
            continue
        steps.sort(key=lambda d: (d.name.split("_", 1)[0].replace("-", ""), d.name))
        files = [d / "up.sql" for d in steps]
        issues = [
            MigrationIssue(
                "not-read",
                f"{d.name}: no up.sql; not read: "
                + (", ".join(sorted(p.name for p in d.iterdir() if p.is_file())) or "empty"),
                d.name,
                str(d),
                None,
                "warning",
            )
            for d in sorted(root.iterdir())
            if d.is_dir() and d.name[:1].isdigit() and not (d / "up.sql").is_file()
        ]
        issues += [
            MigrationIssue(
                "not-read",
                f"{p.name}: not in a <version>_<name>/ folder, so diesel does not apply it; "
                "not read",
                p.stem,
                str(p),
                None,
                "info",
            )
            for p in _sql_files(root)
        ]
        return Layout("diesel", files, {f: f.parent.name for f in files}, issues)
    return None


def _drizzle(folder: Path) -> Layout | None:
    """drizzle-kit: ``meta/_journal.json`` lists the migrations its migrator applies, in order
    (``entries[].tag`` names ``<tag>.sql``); a SQL file the journal does not list is never
    applied by drizzle (a branch's leftover), so it is named and not read."""
    journal = folder / "meta" / "_journal.json"
    if not journal.is_file():
        return None
    try:
        doc = json.loads(journal.read_text(encoding="utf-8"))
        tags = [str(entry["tag"]) for entry in doc["entries"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise MigrationSourceError(f"{journal}: not a drizzle journal ({exc})") from None
    dialect = str(doc.get("dialect", "postgresql"))
    if dialect not in ("pg", "postgresql"):
        raise MigrationSourceError(f"{journal}: dialect {dialect}; this tool reads PostgreSQL")
    files: list[Path] = []
    issues: list[MigrationIssue] = []
    for tag in tags:
        path = folder / f"{tag}.sql"
        if path.is_file():
            files.append(path)
        else:
            issues.append(
                MigrationIssue(
                    "missing-file",
                    f"meta/_journal.json lists {tag}, which has no {tag}.sql",
                    tag,
                    str(journal),
                    None,
                    "error",
                )
            )
    listed = set(files)
    for path in _sql_files(folder):
        if path not in listed:
            issues.append(
                MigrationIssue(
                    "not-in-journal",
                    f"{path.name}: not in meta/_journal.json, so drizzle does not apply it; "
                    "not read",
                    path.stem,
                    str(path),
                    None,
                    "info",
                )
            )
    return Layout("drizzle", files, {f: f.stem for f in files}, issues)


_GRAPHILE_COMMITTED = re.compile(r"^\d+(?:-[^/]*)?\.sql$")
_GMRC_SEARCH_PATH = re.compile(r'"search_path"\s*:\s*"([^"]*)"')


def _graphile_migrate(folder: Path) -> Layout | None:
    """graphile-migrate: ``migrations/committed/000001.sql`` (``000002-message.sql`` …) applied
    in order; ``afterReset.sql`` beside them runs first whenever the database is made from
    scratch (``graphile-migrate reset``: the extensions a superuser creates). ``current.sql``
    or ``current/`` is work not committed yet, which ``migrate`` never applies: named, not read.
    Read as a flat folder, only ``afterReset.sql`` was applied and every committed migration
    was ignored without a word."""
    committed = folder / "committed"
    if not committed.is_dir():
        return None
    steps = [p for p in committed.iterdir() if p.is_file() and _GRAPHILE_COMMITTED.match(p.name)]
    if not steps:
        return None
    steps.sort(key=lambda p: (int(p.name.split("-", 1)[0].split(".", 1)[0]), p.name))
    files: list[Path] = []
    issues: list[MigrationIssue] = []
    reset = folder / "afterReset.sql"
    if reset.is_file():
        files.append(reset)
        issues.append(
            MigrationIssue(
                "after-reset",
                f"{reset.name}: applied first, as graphile-migrate does when it makes the database "
                "(reset); a database made otherwise needs what it creates made some other way",
                reset.stem,
                str(reset),
                None,
                "info",
            )
        )
    files += steps
    for current in (folder / "current.sql", folder / "current"):
        if current.exists():
            issues.append(
                MigrationIssue(
                    "not-read",
                    f"{current.name}: uncommitted work (graphile-migrate commit has not made it a "
                    "migration; migrate never applies it); not read",
                    current.stem,
                    str(current),
                    None,
                    "info",
                )
            )
    for gmrc in (folder.parent / ".gmrc", folder.parent / ".gmrc.js"):
        found = _GMRC_SEARCH_PATH.search(_head(gmrc)) if gmrc.is_file() else None
        if found:
            issues.append(
                MigrationIssue(
                    "search-path",
                    f"{gmrc.name} runs the migrations with search_path {found[1]}: unqualified "
                    f"names resolve through it only with --search-path {found[1].replace(' ', '')}",
                    None,
                    str(gmrc),
                    None,
                    "info",
                )
            )
    versions = {f: f.stem for f in files}
    return Layout("graphile-migrate", files, versions, issues)


_POP = re.compile(
    r"^(?P<version>\d+)_(?P<name>[^.]+)(?P<dialect>\.[a-z0-9]+)?(?P<auto>\.autocommit)?"
    r"\.(?P<dir>up|down)\.(?P<ext>sql|fizz)$"
)
# pop's CanonicalDialect: the names a file may use for each database pop supports
_POP_DIALECTS = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "pg": "postgres",
    "cockroach": "cockroach",
    "cockroachdb": "cockroach",
    "crdb": "cockroach",
    "mysql": "mysql",
    "sqlite3": "sqlite3",
    "sqlite": "sqlite3",
}


def _pop_dialect(match: re.Match[str]) -> str | None:
    """The database a pop file is for (``all`` for none), or None when it names no dialect pop
    knows (then the folder is not pop's)."""
    dialect = match["dialect"]
    if not dialect or dialect == ".autocommit":  # pop: ``x.autocommit.up.sql`` is for all
        return "all"
    return _POP_DIALECTS.get(dialect[1:])


def _pop(folder: Path, top: list[Path]) -> Layout | None:
    """pop (gobuffalo/pop, Ory's popx: Kratos, Hydra, Keto): one folder holds every database's
    migrations, ``<version>_<name>.<dialect>.up.sql`` beside the dialect-less
    ``<version>_<name>.up.sql``. On PostgreSQL pop applies, per version, the ``postgres`` file,
    else the dialect-less one; the other databases' files are never applied (read as a flat
    folder they were applied all at once, MySQL's failing to parse). Versions sort as strings,
    as pop sorts them. ``.fizz`` files are pop's own DSL: named, not read."""
    matches = [(p, m) for p in top if (m := _POP.match(p.name))]
    dialects = {_pop_dialect(m) for _, m in matches}
    if not dialects - {"all", None}:
        return None  # no dialect-specific file: golang-migrate's naming, read as such
    chosen: dict[str, tuple[Path, str]] = {}
    others: dict[str, int] = {}
    fizz: list[Path] = []
    for path, m in matches:
        dialect = _pop_dialect(m)
        if m["dir"] != "up" or dialect is None:
            continue
        if m["ext"] == "fizz":
            if dialect in ("all", "postgres"):
                fizz.append(path)
            continue
        if dialect not in ("all", "postgres"):
            others[dialect] = others.get(dialect, 0) + 1
            continue
        held = chosen.get(m["version"])
        if held is None or (held[1] == "all" and dialect == "postgres"):
            chosen[m["version"]] = (path, dialect)
    files = [chosen[v][0] for v in sorted(chosen)]
    issues = [
        MigrationIssue(
            "not-read",
            f"{p.name}: a fizz migration (pop's own language); not read",
            _POP.match(p.name)["version"],  # type: ignore[index]
            str(p),
            None,
            "warning",
        )
        for p in fizz
    ]
    if others:
        counts = ", ".join(f"{n} for {d}" for d, n in sorted(others.items()))
        issues.append(
            MigrationIssue(
                "other-dialect",
                f"{folder}: pop applies a <version>_<name>.<dialect>.up.sql only on that database; "
                f"not read here: {counts}",
                file=str(folder),
                severity="info",
            )
        )
    unmatched = [p.name for p in top if not _POP.match(p.name)]
    if unmatched:
        issues.append(
            MigrationIssue(
                "not-read",
                f"{folder}: not named as pop names a migration, so pop does not apply it; not read: "
                + ", ".join(unmatched),
                file=str(folder),
                severity="warning",
            )
        )
    versions = {chosen[v][0]: v for v in chosen}
    return Layout("pop", files, versions, issues)


def _sqlx(folder: Path, top: list[Path]) -> Layout:
    """sqlx (sources/runner_config): every ``<version>_<description>.sql`` but
    ``….down.sql``, in version order (``0003_x_down.sql`` is a migration there)."""
    files = sorted(
        (p for p in top if not p.name.lower().endswith(".down.sql")),
        key=lambda p: (int(p.name.split("_", 1)[0]), p.name),
    )
    versions = {f: f.name.split("_", 1)[0] for f in files}
    issues = []
    seen: dict[int, Path] = {}
    for file in files:
        number = int(versions[file])
        if number in seen:
            issues.append(
                MigrationIssue(
                    "duplicate-version",
                    f"version {number} is used by {seen[number].name} and {file.name}",
                    versions[file],
                    str(file),
                    None,
                    "error",
                )
            )
        seen[number] = file
    return Layout("sqlx", files, versions, issues)


def discover(path: Path) -> Layout:
    """The layout of a SQL source (a file or a folder), or an error when nothing in it can be read."""
    path = Path(path)
    if path.is_file():
        if (what := _NOT_SQL.get(path.suffix.lower())) is not None:
            raise MigrationSourceError(f"{path}: {what}")
        name = "rails structure.sql" if path.name == "structure.sql" else "single file"
        return Layout(name, [path], {path: path.stem}, [])
    if not path.is_dir():
        raise MigrationSourceError(f"{path}: no such file or directory")
    supabase = path / "supabase" / "migrations"
    if supabase.is_dir():
        inner = discover(supabase)
        inner.name = "supabase"
        return inner
    if found := (
        _sqitch(path) or _prisma(path) or _drizzle(path) or _diesel(path) or _graphile_migrate(path)
    ):
        if not found.files and not found.issues:
            raise MigrationSourceError(f"{path}: the {found.name} layout lists no migration")
        return found
    top = _sql_files(path)
    if [p.name for p in top] == ["structure.sql"]:
        return discover(top[0])  # Rails' db/ folder: the dump is the schema, db/migrate is Ruby
    if not top:
        for folder in ("db/migrations", "migrations", "db"):  # dbmate's and others' defaults
            if (path / folder).is_dir():
                return discover(path / folder)
    if not top:
        if looks_like_alembic(path):
            hint = " (it holds Alembic revisions: read it with --migrations)"
        elif _looks_like_rails(path):
            hint = f" ({_RAILS})"
        elif _looks_like_django(path):
            hint = (
                " (it holds Django migrations, which are Python: audit a database they migrated"
                " with --dsn, or give --sql the output of `manage.py sqlmigrate`)"
            )
        else:
            hint = ""
        raise MigrationSourceError(
            f"{path}: no migration this tool can read{hint}; looked for *.sql files, "
            "Prisma <timestamp>_<name>/migration.sql, diesel <version>_<name>/up.sql, "
            "sqitch.plan with deploy/, drizzle meta/_journal.json, supabase/migrations and "
            "structure.sql"
        )
    if (pop := _pop(path, top)) is not None:
        return pop
    if runner_config.sqlx_root(path, [p.name for p in top]) is not None and not any(
        map(_marked, top)  # another runner's markers win over the crate's sqlx (review18)
    ):
        return _sqlx(path, top)
    entries, issues = _order_flat(path, top)
    if not entries:
        raise MigrationSourceError(f"{path}: only down/undo migrations here, nothing to apply")
    conventions = {e.convention for e in entries}
    if path.name == "migrations" and path.parent.name == "supabase":
        name = "supabase"
    elif "up/down" in conventions:
        name = "golang-migrate"
    elif "postgrator" in conventions:
        name = "postgrator"
        issues += _postgrator_code_migrations(path)
    elif conventions & {"flyway", "flyway-repeatable"}:
        name = "flyway"
        issues += _flyway_code_migrations(path, entries)
    elif (marked := _marked_runner(entries)) == "goose":
        name = "goose"
        issues += _goose_code_migrations(path)
    elif marked == "sql-migrate":
        name = "sql-migrate"
        # sql-migrate orders equal numeric prefixes by file name (as the sort key does)
        issues = [i for i in issues if i.code != "duplicate-version"]
    elif marked == "dbmate":
        name = "dbmate"
    elif conventions == {"numbered"} and all(len(e.version) >= 12 for e in entries):
        name = "timestamped"
    elif conventions == {"numbered"}:
        name = "numbered"
    else:
        name = "plain SQL files"
    versions = {e.path: e.path.stem.split("__")[0] for e in entries}  # V1__x.sql -> V1
    return Layout(name, [e.path for e in entries], versions, issues)


def _postgrator_code_migrations(folder: Path) -> list[MigrationIssue]:
    """postgrator also runs ``<version>.do.<name>.js`` (its ``generateSql()`` gives the SQL):
    code this tool does not run, each named rather than skipped without a word."""
    return [
        MigrationIssue(
            "not-read",
            f"{path.name}: a postgrator JavaScript migration (it runs the SQL its code "
            "generates); not read",
            path.name.split(".", 1)[0],
            str(path),
            None,
            "warning",
        )
        for path in sorted(folder.iterdir())
        if path.is_file() and _POSTGRATOR_CODE.match(path.name)
    ]


def _marked_runner(entries: list[_Entry]) -> str | None:
    """The runner whose section markers a file of the folder holds: goose if any file has
    ``-- +goose Up``, else sql-migrate (``-- +migrate Up``), else dbmate (``-- migrate:up``);
    each file's head read once (a goose file ends the search)."""
    found: set[str] = set()
    for entry in entries:
        head = _head(entry.path)
        if _GOOSE_UP.search(head):
            return "goose"
        if _SQL_MIGRATE_UP.search(head):
            found.add("sql-migrate")
        elif _DBMATE_UP.search(head):
            found.add("dbmate")
    return next((r for r in ("sql-migrate", "dbmate") if r in found), None)


def _marked(path: Path) -> bool:
    """Whether the file's head holds goose's, sql-migrate's or dbmate's section markers."""
    head = _head(path)
    return any(p.search(head) for p in (_GOOSE_UP, _SQL_MIGRATE_UP, _DBMATE_UP))


def _goose_code_migrations(folder: Path) -> list[MigrationIssue]:
    """goose's Go migrations (``20240101120000_backfill.go``) run code this tool cannot read:
    each is named, never skipped silently."""
    return [
        MigrationIssue(
            "not-read",
            f"{file.name}: a Go migration (goose runs its code); not read",
            file.stem.split("_")[0],
            str(file),
            None,
            "warning",
        )
        for file in sorted(folder.glob("*.go"))
        if _NUMBERED.match(file.stem + ".sql") and not file.name.endswith("_test.go")
    ]


_FLYWAY_CODE = re.compile(
    r"^(?:V(?P<version>\d+(?:[._]\d+)*)|R)__(?P<name>\w+)\.(?:java|kt|scala|groovy|class)$"
)
_JAVA_MIGRATION = re.compile(r"\b(?:Base)?JavaMigration\b|\b(?:Spring)?JdbcMigration\b")
_GIVEN_VERSION = re.compile(r"MigrationVersion\.fromVersion\(\s*\"(\d+(?:[._]\d+)*)\"\s*\)")
_SOURCE_SET = re.compile(r"^(?P<root>.*/src/(?P<set>[^/]+))/resources(?:/|$)")


def _flyway_code_migrations(folder: Path, entries: list[_Entry]) -> list[MigrationIssue]:
    """Flyway's Java (Kotlin, Scala, compiled) migrations run code this tool cannot read: each
    is named, with where it runs among the SQL ones, never skipped silently. Flyway finds them
    on the classpath: beside the SQL files, or in the source set's code folders when the SQL
    folder is a Maven/Gradle ``src/<set>/resources/…`` one (Marquez keeps
    ``V56_1__FacetViews.java``, which creates three views, in ``src/main/java/…/migrations``)."""
    candidates = [p for p in folder.iterdir() if p.is_file() and _FLYWAY_CODE.match(p.name)]
    if m := _SOURCE_SET.match(folder.resolve().as_posix()):
        for language in ("java", "kotlin", "scala", "groovy"):
            code = Path(m["root"]) / language
            if code.is_dir():
                candidates += [
                    p
                    for p in code.rglob("*__*.*")
                    if _FLYWAY_CODE.match(p.name) and _JAVA_MIGRATION.search(_head(p))
                ]
    versioned = sorted((e for e in entries if e.convention == "flyway"), key=lambda e: e.key)
    issues = []
    for path in sorted(set(candidates), key=lambda p: (p.name, str(p))):
        m = _FLYWAY_CODE.match(path.name)
        assert m is not None
        version = m["version"]
        # a JavaMigration may give its version in code (Marquez: V57_1__… says "57.2")
        if given := _GIVEN_VERSION.search(_head(path) if path.suffix != ".class" else ""):
            version = given[1]
        where = ""
        if version is not None:
            key = _version_key(version)
            before = [e.path.name for e in versioned if e.key[1] < key]
            after = [e.path.name for e in versioned if e.key[1] > key]
            where = f"; Flyway runs it after {before[-1] if before else 'nothing'}" + (
                f" and before {after[0]}" if after else ""
            )
        issues.append(
            MigrationIssue(
                "not-read",
                f"{path.name}: a Flyway {path.suffix[1:]} migration (Flyway runs its code); "
                f"not read{where}",
                f"V{version.replace('_', '.')}" if version else path.stem,
                str(path),
                None,
                "warning",
            )
        )
    return issues


def _head(path: Path, size: int = 65536) -> str:
    try:
        with path.open("rb") as handle:
            return handle.read(size).decode("utf-8", errors="replace")
    except OSError:
        return ""


# dbmate's section markers, also when indented (files written inside heredocs or editors that indent)
_DBMATE_UP = re.compile(r"(?im)^[ \t]*--\s*migrate:up\b.*$")
_DBMATE_DOWN = re.compile(r"(?im)^[ \t]*--\s*migrate:down\b.*$")


# goose's annotations: ``-- +goose Up`` / ``-- +goose Down`` sections in one file, and
# ``StatementBegin`` / ``StatementEnd`` around a statement goose sends whole (its last
# statement needs no semicolon there)
_GOOSE_UP = re.compile(r"(?im)^[ \t]*--[ \t]*\+goose[ \t]+up\b.*$")
_GOOSE_DOWN = re.compile(r"(?im)^[ \t]*--[ \t]*\+goose[ \t]+down\b.*$")
_GOOSE_END = re.compile(r"(?im)^[ \t]*--[ \t]*\+goose[ \t]+statementend\b.*$")


def _goose_up(text: str, up: re.Match[str]) -> str:
    """A goose file's Up section, the Down section blanked (lines kept); each StatementEnd
    ends the statement it closes, as goose does."""
    down = _GOOSE_DOWN.search(text, up.end())
    end = down.start() if down else len(text)
    blank = lambda chunk: "\n" * chunk.count("\n")  # noqa: E731
    section = _GOOSE_END.sub(";", text[up.end() : end])
    return blank(text[: up.end()]) + section + blank(text[end:])


# sql-migrate's commands (rubenv/sql-migrate, and heroiclabs' fork nakama runs): a line that
# starts ``-- +migrate `` (exactly so: its parser tests that prefix), its first word the command
_SQL_MIGRATE = "-- +migrate "
_SQL_MIGRATE_UP = re.compile(r"(?m)^-- \+migrate [ \t]*Up(?:[ \t\r].*)?$")
# either direction: a file with a Down section only runs nothing (review16)
_SQL_MIGRATE_SECTION = re.compile(r"(?m)^-- \+migrate [ \t]*(?:Up|Down)(?:[ \t\r].*)?$")


def _sql_migrate_up(text: str) -> str:
    """A sql-migrate file's Up statements as sql-migrate sends them, every other line blanked
    (lines kept). Its parser reads line by line: ``Up`` / ``Down`` set the direction of the
    lines after them (those before the first are not run), a statement ends at a line whose
    last word before a ``--`` comment ends with ``;``, or at ``StatementEnd`` after
    ``StatementBegin``; a line starting ``-- `` is a comment it drops, also inside a
    statement, where a function's body then lacks it (that line is given back after the
    statement, so the next statements keep their line numbers)."""
    out: list[str] = []
    up: bool | None = None  # the direction: None before the first Up / Down
    whole = False  # between StatementBegin and StatementEnd: no ``;`` ends the statement
    inside = False  # a statement has begun
    dropped = 0  # its comment lines sql-migrate left out
    for raw in text.split("\n"):
        line = raw.removesuffix("\r")
        ended = False
        if line.startswith("-- ") and not line.startswith("-- +"):
            if up and inside:
                dropped += 1
                continue
            out.append("")
            continue
        if line.startswith(_SQL_MIGRATE):
            words = line[len(_SQL_MIGRATE) :].split()
            command = words[0] if words else ""
            if command in ("Up", "Down"):
                up, inside = command == "Up", False  # (sql-migrate keeps StatementBegin)
            elif command == "StatementBegin" and up is not None:
                whole = True
            elif command == "StatementEnd" and up is not None:
                ended, whole = whole, False
            out.append(";" if ended and up else "")
        elif not up or line.startswith("-- +"):
            out.append("")
        else:
            out.append(raw)
            inside = inside or bool(line.strip())
            ended = not whole and _ends_with_semicolon(line)
        if ended:
            out.extend([""] * dropped)
            inside, dropped = False, 0
    out.extend([""] * dropped)
    return "\n".join(out)


def _ends_with_semicolon(line: str) -> bool:
    """sql-migrate's test: the last word before one starting ``--`` ends with ``;``."""
    last = ""
    for word in line.split():
        if word.startswith("--"):
            break
        last = word
    return last.endswith(";")


def _up_section(text: str) -> str:
    """For dbmate, goose and sql-migrate files, the up section only, with everything else
    blanked (lines kept): applying the whole file would apply its down section too."""
    if text.isascii():
        # no marker can match without its words (for ASCII text, the IGNORECASE match
        # of an ASCII word is its lower case): three substring tests instead of scans
        # that try the patterns at every line of every file
        lowered = text.lower()
        if "+goose" not in lowered and "migrate:up" not in lowered and "+migrate" not in lowered:
            return text
    if (goose := _GOOSE_UP.search(text)) is not None:
        return _goose_up(text, goose)
    if _SQL_MIGRATE_SECTION.search(text) is not None:
        return _sql_migrate_up(text)
    up = _DBMATE_UP.search(text)
    if not up:
        return text
    down = _DBMATE_DOWN.search(text, up.end())
    end = down.start() if down else len(text)
    blank = lambda chunk: "\n" * chunk.count("\n")  # noqa: E731
    return blank(text[: up.end()]) + text[up.end() : end] + blank(text[end:])


def _display(path: Path, base: Path, parent: Path | None = None) -> str:
    """``path`` relative to ``base``'s folder (``parent``: that folder resolved, when known)."""
    try:
        return str(path.resolve().relative_to(parent or base.resolve().parent))
    except ValueError:
        return str(path)


def load_sql(
    path: Path, *, search_path: list[str] | None = None, reporter: Reporter = SILENT
) -> SchemaModel:
    """Interpret one SQL file or an ordered folder of them."""
    return read_sql(path, search_path=search_path, reporter=reporter)[0]


_CONTENT = re.compile(r"(?m)^[ \t]*(?!--)[^\s]")  # a line that is neither blank nor a -- comment


def prepared(raw: bytes) -> tuple[tuple, str | None]:
    """A file's header and the SQL text to apply: ``("binary",)`` or ``("utf8", byte)`` and
    None (not applied), or ``("sql", holds a statement, lines)`` and its up section (the
    same in this process and in ``parse_ahead``'s child)."""
    if b"\x00" in raw[:8192]:
        return ("binary",), None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ("utf8", exc.start), None
    up = _up_section(text)
    return ("sql", _CONTENT.search(up) is not None, text.count("\n") + 1), up


# the model only grows from file to file: no collection between files either (DdlInterpreter)
@collector_paused()
def read_sql(
    path: Path, *, search_path: list[str] | None = None, reporter: Reporter = SILENT
) -> tuple[SchemaModel, Layout]:
    """The model of one SQL file or an ordered folder of them, and the layout that was detected.

    A source with no SQL statement at all (an empty file, a folder of empty files) is an
    error: an empty schema read from it would be a confident, wrong answer.
    ``search_path`` is the one the migration runner starts with (Supabase's storage runs
    with ``storage, public``): unqualified names resolve through it, as on the server.
    """
    from schema_audit.sources import model_cache, runner_tables
    from schema_audit.sources.psqlinclude import has_include

    path = Path(path)
    if not path.exists():
        raise MigrationSourceError(f"{path}: no such file or directory")
    layout = discover(path)
    files = layout.files
    parent = path.resolve().parent  # once, not once a file
    displays = [_display(file, path, parent) for file in files]
    folder = path.is_dir()
    versions = [layout.versions.get(f, f.stem) if folder else f.stem for f in files]
    # the cache's keys hash every file's bytes: read up front only when there may be an entry
    raws: list[bytes] | None = None
    keys = None
    if model_cache.wanted(sum(f.stat().st_size for f in files)):
        raws = [file.read_bytes() for file in files]
    # a history including other files (psql's \i): their bytes are in no key, never cached
    if raws is not None and not any(map(has_include, raws)):
        head = repr((search_path, path.is_dir())).encode()
        keys = model_cache.chain_keys(
            head,
            [(d.encode(), v.encode(), r) for d, v, r in zip(displays, versions, raws, strict=True)],
        )
    found = model_cache.latest(keys) if keys else None
    if found is not None and found[0] == len(files):
        # read, only faster: whoever watches a history's progress sees it read whole
        progress = (
            reporter.progress(f"reading {path.name}", len(files), "files")
            if len(files) > 1
            else None
        )
        if progress:
            progress.update(0)
            progress.done()
        runner_tables.mark(found[1], layout, search_path[0] if search_path else "public")
        return found[1], layout
    model, session = _interpret(
        path,
        files,
        displays,
        versions,
        raws,
        search_path,
        reporter,
        layout,
        found,
        keys is not None,
    )
    if keys:
        model_cache.store(keys[-1], model, session)
    # after the cache: a cached prefix the history goes on from must not have it yet
    runner_tables.mark(model, layout, search_path[0] if search_path else "public")
    return model, layout


def _interpret(
    path: Path,
    files: list[Path],
    displays: list[str],
    versions: list[str],
    raws: list[bytes] | None,
    search_path: list[str] | None,
    reporter: Reporter,
    layout: Layout,
    prefix: tuple[int, SchemaModel, model_cache.Session | None] | None = None,
    keep: bool = False,
) -> tuple[SchemaModel, model_cache.Session | None]:
    """Apply every file of the history in order to an empty model, or the files after a
    cached ``prefix`` (its file count, model and reader session) to its model; with ``keep``,
    also the reader's session after the last file (for the cache)."""
    from schema_audit.sources import (
        history_stop,
        parse_ahead,  # (pglast) not needed for a cached read
        parse_early,
    )
    from schema_audit.sources.ddl import DdlInterpreter
    from schema_audit.sources.ddl.resume import capture, resume
    from schema_audit.sources.psqlinclude import Includes
    from schema_audit.sources.statements import split_statements

    start, contents = 0, 0
    interpreter = None
    if prefix is not None and prefix[2] is not None:
        try:
            interpreter = resume(prefix[1], prefix[2])
            start, contents = prefix[0], prefix[2].contents
        except Exception:  # a session that does not fit its model: read from the first file
            interpreter = None
    if interpreter is None:
        interpreter = DdlInterpreter(default_schema=search_path[0] if search_path else "public")
        if search_path:
            interpreter.search_path = list(search_path)
    # the schemas the runner's search_path names exist where it runs (creation_path)
    interpreter.runner_schemas = frozenset(search_path or ["public"])
    model = interpreter.model
    folder = path.is_dir()  # asked once, not once a file (a stat call each)
    parent = path.resolve().parent
    includes = interpreter.includes = Includes(
        path.resolve() if path.is_dir() else parent,
        lambda p: _display(p, path, parent),
        layout=layout.name,
    )
    progress = (
        reporter.progress(f"reading {path.name}", len(files), "files") if len(files) > 1 else None
    )

    def prepare(number: int) -> tuple[tuple, str | None]:
        return prepared(raws[number] if raws is not None else files[number].read_bytes())

    # the child started with the command line, when it parses these very files (the bytes
    # read here, where a cache key hashes them) from the first (parse_early)
    early = parse_early.take(path, files, raws)
    if early is not None and start:
        parse_early.end(*early)
        early = None
    ahead = None
    if early is not None:
        ahead = parse_ahead.Ahead(prepare, start, len(files), early)
    elif parse_ahead.wanted(
        sum(f.stat().st_size for f in files[start:])
        if raws is None
        else sum(map(len, raws[start:]))
    ):
        ahead = parse_ahead.Ahead(prepare, start, len(files))
    # a runner stops at the first file PostgreSQL refuses (sources/history_stop); psql -f
    # goes on
    stops = history_stop.stops(layout.name)
    stopped = history_stop.stop_at(model.unapplied, 0, layout.name) if stops and start else None
    stop_at, skipped, undone = history_stop.stop_at, 0, 0
    try:
        for number, (display, version) in enumerate(zip(displays, versions, strict=True)):
            if number < start:
                continue
            if progress:
                progress.update(number)
            if ahead is not None:
                header, statements = ahead.file(number)
            else:
                header, text = prepare(number)
                statements = split_statements(text, True) if text is not None else iter(())
            if header[0] in ("binary", "utf8"):
                reason = (
                    "binary file, not SQL"
                    if header[0] == "binary"
                    else f"not UTF-8 text (byte {header[1]}); not applied"
                )
                model.unapplied.append(
                    UnappliedStatement(sql="", reason=reason, file=display, kind="error")
                )
                contents += 1
                if stops and stopped is None:
                    # PostgreSQL refuses the bytes (invalid UTF-8, a NUL): the runner stops
                    stopped = display
                continue
            model.revisions.append(Revision(version, display, files[number].stem))
            if header[1]:
                contents += 1
            # one big file (a dump): progress by line, counted only when someone will see it
            lines = (
                reporter.progress(f"reading {display}", header[2], "lines")
                if not progress and reporter.enabled
                else None
            )
            includes.reading = [files[number]]
            if stopped is not None:  # the runner stopped at an earlier file: not run
                interpreter.not_run(statements, display, version if folder else None, stopped)
                skipped += 1
            else:
                seen = len(model.unapplied)
                interpreter.apply_statements(
                    statements,
                    file=display,
                    line=1,
                    revision=version if folder else None,
                    on_line=lines.update if lines else None,
                )
                if stops:
                    stopped = stop_at(model.unapplied, seen, layout.name)
                    why = history_stop.run_undone(layout.name, stopped or "")
                    if stopped is not None and why is not None:
                        # the runner undoes the earlier files of its run too: perhaps undone
                        for k in range(number):
                            _, earlier = prepare(k)
                            interpreter.not_run(
                                split_statements(earlier or "", True),
                                displays[k],
                                versions[k] if folder else None,
                                stopped,
                                why=why,
                            )
                        undone = number
            # each file runs in a session of its own (psql -f, Prisma, …), with the runner's search_path
            interpreter.end_session(list(search_path) if search_path else ["public"])
            if lines:
                lines.done()
    finally:
        if ahead is not None:
            ahead.close()
    if progress:
        progress.done()
    if skipped:
        history_stop.note(model, layout.name, stopped)
    if undone:
        model.blind_spots.append(history_stop.undone_note(layout.name, stopped or "", undone))
    if includes.followed_plain:
        model.blind_spots.append(includes.note())
    if not contents:
        raise MigrationSourceError(
            f"{path}: no SQL statement in {'this file' if path.is_file() else layout.describe()}"
        )
    return model, capture(interpreter, contents) if keep else None
