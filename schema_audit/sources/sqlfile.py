"""SQL sources: one file (a pg_dump --schema-only included) or a folder of SQL migrations.

Folders are ordered by the conventions people use, versions compared
numerically part by part (so V10 comes after V9):

* Flyway: ``V1__init.sql``, ``V1.1__x.sql``, ``V2_1__x.sql``; repeatable ``R__x.sql`` after them;
* golang-migrate / dbmate: ``0001_init.up.sql`` (``.down.sql`` is not applied
  but each ``.up.sql`` should have one);
* timestamped ``20240101120000_x.sql`` and numbered ``001_x.sql`` prefixes;
* dbmate's ``-- migrate:up`` / ``-- migrate:down`` sections in one file
  (only the up section is applied, line numbers kept);
* anything else alphabetically, with a note saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from schema_audit.model import Revision, SchemaModel, UnappliedStatement
from schema_audit.progress import enabled as progress_enabled
from schema_audit.progress import reporter
from schema_audit.sources.alembic import MigrationIssue, MigrationSourceError
from schema_audit.sources.ddl import DdlInterpreter

_FLYWAY = re.compile(r"^V(?P<version>\d+(?:[._]\d+)*)__(?P<name>.+)\.sql$", re.IGNORECASE)
_REPEATABLE = re.compile(r"^R__(?P<name>.+)\.sql$", re.IGNORECASE)
_UPDOWN = re.compile(r"^(?P<version>\d+)[_-](?P<name>.+)\.(?P<dir>up|down)\.sql$", re.IGNORECASE)
_NUMBERED = re.compile(r"^(?P<version>\d+)[_-]?(?P<name>.*)\.sql$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Entry:
    path: Path
    convention: str
    key: tuple
    version: str


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.split(r"[._]", version))


def order_sql_files(folder: Path) -> tuple[list[Path], list[MigrationIssue]]:
    """The files to apply, in order, and what was noticed about the folder."""
    issues: list[MigrationIssue] = []
    entries: list[_Entry] = []
    downs: set[str] = set()
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".sql"):
        name = path.name
        if m := _UPDOWN.match(name):
            if m["dir"].lower() == "down":
                downs.add(m["version"])
                continue
            entries.append(
                _Entry(path, "up/down", (0, _version_key(m["version"]), name), m["version"])
            )
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
    for entry in entries:
        if entry.convention == "up/down" and entry.version not in downs:
            issues.append(
                MigrationIssue(
                    "no-downgrade",
                    f"{entry.path.name} has no matching .down.sql",
                    entry.version,
                    str(entry.path),
                    None,
                    "warning",
                )
            )
    seen: dict[tuple, Path] = {}
    for entry in entries:
        if entry.convention != "unnumbered" and entry.key[:2] in seen:
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
    return [e.path for e in entries], issues


_DBMATE_UP = re.compile(r"(?im)^--\s*migrate:up\b.*$")
_DBMATE_DOWN = re.compile(r"(?im)^--\s*migrate:down\b.*$")


def _up_section(text: str) -> str:
    """For dbmate files, the up section only, with everything else blanked (lines kept)."""
    up = _DBMATE_UP.search(text)
    if not up:
        return text
    down = _DBMATE_DOWN.search(text, up.end())
    end = down.start() if down else len(text)
    blank = lambda chunk: "\n" * chunk.count("\n")  # noqa: E731
    return blank(text[: up.end()]) + text[up.end() : end] + blank(text[end:])


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve().parent))
    except ValueError:
        return str(path)


def load_sql(path: Path) -> SchemaModel:
    """Interpret one SQL file or an ordered folder of them."""
    path = Path(path)
    if not path.exists():
        raise MigrationSourceError(f"{path}: no such file or directory")
    files = order_sql_files(path)[0] if path.is_dir() else [path]
    interpreter = DdlInterpreter()
    model = interpreter.model
    progress = reporter(f"reading {path.name}", len(files), "files") if len(files) > 1 else None
    for number, file in enumerate(files):
        if progress:
            progress.update(number)
        display = _display(file, path)
        version = file.stem.split("__")[0] if path.is_dir() else file.stem
        raw = file.read_bytes()
        if b"\x00" in raw[:8192]:
            model.unapplied.append(
                UnappliedStatement(
                    sql="", reason="binary file, not SQL", file=display, kind="error"
                )
            )
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            model.unapplied.append(
                UnappliedStatement(
                    sql="",
                    reason=f"not UTF-8 text (byte {exc.start}); not applied",
                    file=display,
                    kind="error",
                )
            )
            continue
        model.revisions.append(Revision(version, display, file.stem))
        # one big file (a dump): progress by line, counted only when someone will see it
        lines = (
            reporter(f"reading {display}", text.count("\n") + 1, "lines")
            if not progress and progress_enabled()
            else None
        )
        interpreter.apply_sql(
            _up_section(text),
            file=display,
            line=1,
            revision=version if path.is_dir() else None,
            on_line=lines.update if lines else None,
        )
        if lines:
            lines.done()
    if progress:
        progress.done()
    return model
