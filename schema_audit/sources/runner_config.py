"""What a project's own configuration says of its migration runner: whether a folder is sqlx's,
and the name its runner gives its bookkeeping table.

sqlx and golang-migrate name files alike (``<version>_<name>.up.sql`` / ``.down.sql``) but
run different files. sqlx (``sqlx-core/src/migrate/source.rs``) applies every
``<i64>_<description>.sql`` except ``….down.sql``, so ``0003_x_down.sql`` is a migration,
and it runs each file in a transaction unless the text starts with ``-- no-transaction``
(sent as one query: not followed here, as golang-migrate's one-query files are not);
golang-migrate reads only ``<version>_<title>.<up|down>.<ext>`` and ignores the rest. A
folder is read as sqlx's only where the project says so: a ``Cargo.toml`` of the folder's
crate (the folder's parent, or up to two levels above, for ``sqlx::migrate!("db/migrations")``)
that depends on sqlx, or a ``sqlx.toml`` there, and every SQL file in it named as sqlx names
a migration.

A runner's table under another name than its default (sources/runner_tables) is read where
the project states it, each runner's own spelling only, never guessed from a table's name:

* sqlx: ``sqlx.toml``, ``[migrate] table-name``;
* sql-migrate: ``dbconfig.yml``'s ``table:``, or Go code beside the folder calling
  ``SetTable("…")`` (nakama's ``migrate.SetTable(migrationTable)`` with
  ``migrationTable = "migration_info"``);
* golang-migrate: a DSN's ``x-migrations-table=…`` or ``MigrationsTable`` given a string in Go
  code beside the folder (openmeter's ``MigrationsTable = "schema_om"``);
* goose: ``SetTableName("…")`` in Go code beside the folder;
* dbmate: ``DBMATE_MIGRATIONS_TABLE=…`` in its ``.env``;
* Flyway: ``flyway.table=…`` in ``flyway.conf`` (or ``conf/flyway.conf``).

Two different names stated for one runner are not chosen between: the default stands.
"""

from __future__ import annotations

import re
from pathlib import Path

_SQLX_FILE = re.compile(r"^\d+_.*\.sql$")
_CARGO_SQLX = re.compile(r"(?m)^\s*(?:sqlx\s*=|\[(?:[\w-]*\.)?dependencies\.sqlx\])")
_MAX_BYTES = 256 * 1024  # a configuration or Go file larger than this is not read

# (file name pattern, text pattern whose group 1 is the name), by runner
_STATED: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    "sql-migrate": [
        ("dbconfig.yml", re.compile(r"(?m)^[ \t]+table:[ \t]*[\"']?([\w.]+)[\"']?[ \t]*$")),
        ("*.go", re.compile(r"\bSetTable\(\s*(?:\"([\w.]+)\"|(\w+))\s*\)")),
    ],
    "golang-migrate": [
        ("*", re.compile(r"\bx-migrations-table=([\w.]+)")),
        ("*.go", re.compile(r"\bMigrationsTable\s*(?::|=|:=)\s*(?:\"([\w.]+)\"|(\w+))")),
    ],
    "goose": [("*.go", re.compile(r"\bSetTableName\(\s*(?:\"([\w.]+)\"|(\w+))\s*\)"))],
    "dbmate": [(".env", re.compile(r"(?m)^DBMATE_MIGRATIONS_TABLE=[\"']?([\w.]+)"))],
    "flyway": [("flyway.conf", re.compile(r"(?m)^flyway\.table[ \t]*=[ \t]*([\w.]+)"))],
    # new Postgrator({ …, schemaTable: 'schemaversion' }) in the script that runs it
    "postgrator": [
        (glob, re.compile(r"\bschemaTable\s*:\s*[\"'`]([\w.]+)[\"'`]"))
        for glob in ("*.ts", "*.js", "*.mjs", "*.cjs")
    ],
}
_GO_CONSTANT = r'\b{}\s*(?:=|:=)\s*"([\w.]+)"'


def sqlx_root(folder: Path, names: list[str]) -> Path | None:
    """The root of the sqlx crate whose migrations ``folder`` holds (module docstring), or
    None: also when one of its SQL files (``names``) is not named as sqlx names one."""
    if not names or not all(_SQLX_FILE.match(name) for name in names):
        return None
    for root in [folder.parent, *list(folder.parents)[1:3]]:
        if (root / "sqlx.toml").is_file():
            return root
        cargo = root / "Cargo.toml"
        if cargo.is_file() and _CARGO_SQLX.search(_read(cargo)):
            return root
    return None


def sqlx_table(root: Path) -> tuple[str, str] | None:
    """``[migrate] table-name`` of ``root/sqlx.toml`` and where it is said, or None."""
    import tomllib  # (here: ``sqlx_root``, which every folder's discovery asks, needs none)

    conf = root / "sqlx.toml"
    try:
        name = tomllib.loads(_read(conf)).get("migrate", {}).get("table-name")
    except tomllib.TOMLDecodeError:
        return None
    return (str(name), conf.name) if isinstance(name, str) and name else None


def stated_table(folder: Path, runner: str) -> tuple[str, str] | None:
    """The name the project gives ``runner``'s table and the file that says it, from the
    files of ``folder``, its parent and the parent's parent (module docstring)."""
    found: dict[str, str] = {}
    folder = folder.resolve()  # a relative `migrations` has `.` for parent and grandparent
    for directory in (folder, folder.parent, folder.parent.parent):
        for pattern, text in _STATED.get(runner, ()):
            for file in sorted(directory.glob(pattern)) if directory.is_dir() else ():
                if not file.is_file() or file.stat().st_size > _MAX_BYTES:
                    continue
                if pattern == "*" and file.suffix not in ("", ".env", ".yml", ".yaml", ".go"):
                    continue
                content = _read(file)
                for match in text.finditer(content):
                    name = match.group(1) or _constant(content, match.group(match.lastindex or 1))
                    if name:
                        found.setdefault(name, f"{file.parent.name}/{file.name}")
    return next(iter(found.items())) if len(found) == 1 else None


def _constant(content: str, identifier: str | None) -> str | None:
    """The string a Go constant or variable ``identifier`` is given in ``content``, if one."""
    if not identifier:
        return None
    values = set(re.findall(_GO_CONSTANT.format(re.escape(identifier)), content))
    return values.pop() if len(values) == 1 else None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
