"""Whether a migration runner applies a file in one transaction, so a replay can apply it so.

A replay sends each file's statements one at a time in autocommit mode, as ``psql -f`` does.
Several runners wrap each migration in a transaction instead, and a history written for
them may rely on it: ``LOCK TABLE`` is refused outside a transaction block (hatchet's goose
history stopped the replay there), and a failing statement undoes the whole file. Each
runner's own opt-out is honoured:

* goose: every file, unless it has a ``-- +goose NO TRANSACTION`` annotation;
* dbmate: every file, unless its up marker says ``-- migrate:up transaction:false``;
* sql-migrate: every file, unless an up marker says ``-- +migrate Up notransaction``;
* diesel: every ``up.sql``, unless ``metadata.toml`` beside it sets
  ``run_in_transaction = false``;
* Flyway: every migration, unless a script configuration file beside it
  (``V2__x.sql.conf``) sets ``executeInTransaction=false`` or one of its statements is one
  Flyway's PostgreSQL parser runs outside a transaction (``CREATE/DROP INDEX
  CONCURRENTLY``, ``VACUUM``, ``REINDEX SCHEMA/DATABASE/SYSTEM``, ``ALTER SYSTEM``,
  ``DISCARD ALL``, ``CREATE/DROP DATABASE/TABLESPACE/SUBSCRIPTION``, ``COPY … FROM
  STDIN``, and ``ALTER TYPE … ADD VALUE`` before PostgreSQL 12). Such a migration runs
  statement by statement (as with Flyway's ``mixed`` setting: without it Flyway refuses a
  migration mixing both kinds, so a database migrated by it had it set).
* graphile-migrate: every committed migration, unless its header says
  ``--! no-transaction``;
* pop (Ory's popx): every migration, unless its name says ``.autocommit``
  (``20241029_x.autocommit.up.sql``);
* sqlx: every migration, unless the file starts with ``-- no-transaction`` (sqlx-core's
  ``sql.starts_with("-- no-transaction")``: its very first bytes). Such a file is still sent
  as one multi-statement query, which PostgreSQL runs as one implicit transaction
  (DdlInterpreter._atomic).

* drizzle: every file, always (drizzle-orm's ``PgDialect.migrate`` runs every pending migration
  inside one ``session.transaction``, each ``--> statement-breakpoint`` part sent alone in it;
  the earlier files of the same run are undone with it, which is not followed here).

Other layouts (golang-migrate, Prisma, plain folders, supabase …) keep the ``psql -f`` way.
(supabase's CLI sends a file as one pipeline, one implicit transaction, and stops at the first
that fails; not followed: its histories refer to the platform's ``auth`` schema, which the
reading refuses, and every such file and all after it would be DEFERRED.)
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from schema_audit.sources.outside_words import FLYWAY_WORDS
from schema_audit.sources.sqlfile import _DBMATE_UP, _GOOSE_UP, _SQL_MIGRATE_UP

SQLX_NO_TRANSACTION = "-- no-transaction"
_GOOSE_NO_TRANSACTION = re.compile(r"(?im)^[ \t]*--[ \t]*\+goose[ \t]+no[ \t]+transaction\b")
_GRAPHILE_NO_TRANSACTION = re.compile(r"(?im)^--![ \t]*no-transaction\b")
_DBMATE_NO_TRANSACTION = re.compile(r"(?i)\btransaction[ \t]*:[ \t]*false\b")


# Flyway's PostgreSQLParser.detectCanExecuteInTransaction, on the statement's text with
# comments removed, whitespace collapsed and upper-cased as Flyway simplifies it
_FLYWAY_OUTSIDE = re.compile(
    r"^(?:(?:CREATE|DROP) (?:DATABASE|TABLESPACE|SUBSCRIPTION)\b|ALTER SYSTEM\b"
    r"|(?:CREATE|DROP)(?: UNIQUE)? INDEX CONCURRENTLY\b|REINDEX(?: VERBOSE)? "
    r"(?:SCHEMA|DATABASE|SYSTEM)\b|VACUUM\b|DISCARD ALL\b|COPY(?: .*)? FROM STDIN\b)"
)
_FLYWAY_ADD_VALUE = re.compile(r"^ALTER TYPE(?: .*)? ADD VALUE\b")
_FLYWAY_CONF_OFF = re.compile(r"(?im)^[ \t]*executeInTransaction[ \t]*=[ \t]*false[ \t]*$")
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def in_one_transaction(
    file: Path, text: str, layout: str | None, server_version: int = 150000
) -> bool:
    """True when the runner of ``layout`` applies ``file`` (whose text is ``text``) as one
    transaction on a server of ``server_version`` (``server_version_num``); see the
    module docstring."""
    if _GOOSE_UP.search(text):
        return _GOOSE_NO_TRANSACTION.search(text) is None
    if (up := _DBMATE_UP.search(text)) is not None:
        return _DBMATE_NO_TRANSACTION.search(up.group(0)) is None
    if ups := _SQL_MIGRATE_UP.findall(text):
        return not any("notransaction" in line.split()[3:] for line in ups)
    if layout == "diesel" and file.name == "up.sql":
        return _diesel_runs_in_transaction(file.parent / "metadata.toml")
    if layout == "flyway":
        return _flyway_runs_in_transaction(file, text, server_version)
    if layout == "sqlx":
        return not text.startswith(SQLX_NO_TRANSACTION)
    if layout == "pop":
        return ".autocommit." not in file.name
    if layout == "drizzle":
        return True
    if layout == "graphile-migrate" and file.parent.name == "committed":
        return _GRAPHILE_NO_TRANSACTION.search(text) is None
    return False


def _flyway_runs_in_transaction(file: Path, text: str, server_version: int) -> bool:
    """Flyway's choice for one migration (``executeInTransaction`` of its script
    configuration file, then what its statements need)."""
    from schema_audit.sources.statements import split_statements

    if flyway_conf_off(file):
        return False
    return not any(flyway_outside(stmt.sql, server_version) for stmt in split_statements(text))


def flyway_conf_off(file: Path) -> bool:
    """Whether the script configuration file beside ``file`` sets executeInTransaction=false."""
    conf = file.with_name(file.name + ".conf")
    try:
        return _FLYWAY_CONF_OFF.search(conf.read_text(encoding="utf-8")) is not None
    except (OSError, UnicodeDecodeError):
        return False


# the words every statement _FLYWAY_OUTSIDE / _FLYWAY_ADD_VALUE matches holds (a cheap test:
# substrings of the lower-cased text, much cheaper than a case-insensitive pattern)
_FLYWAY_WORDS = FLYWAY_WORDS


def flyway_outside(sql: str, server_version: int = 150000) -> bool:
    """Whether Flyway runs the statement ``sql`` outside a transaction (module docstring),
    which makes it run the whole migration statement by statement."""
    low = sql.lower()
    if not any(word in low for word in _FLYWAY_WORDS):
        return False
    simplified = " ".join(_COMMENT.sub(" ", sql).split()).upper()
    if _FLYWAY_OUTSIDE.match(simplified):
        return True
    return server_version < 120000 and _FLYWAY_ADD_VALUE.match(simplified) is not None


def _diesel_runs_in_transaction(metadata: Path) -> bool:
    """diesel's ``run_in_transaction`` (true unless metadata.toml says false; a file that
    does not parse is diesel's error, not ours: the default stands)."""
    try:
        settings = tomllib.loads(metadata.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
    return settings.get("run_in_transaction", True) is not False
