"""Whether a migration runner applies a file in one transaction, so a replay can apply it so.

A replay sends each file's statements one at a time in autocommit mode, as ``psql -f`` does.
Several runners wrap each migration in a transaction instead, and a history written for
them may rely on it: ``LOCK TABLE`` is refused outside a transaction block (hatchet's goose
history stopped the replay there), and a failing statement undoes the whole file. Each
runner's own opt-out is honoured:

* goose: every file, unless it has a ``-- +goose NO TRANSACTION`` annotation;
* dbmate: every file, unless its up marker says ``-- migrate:up transaction:false``;
* diesel: every ``up.sql``, unless ``metadata.toml`` beside it sets
  ``run_in_transaction = false``.

Other layouts (golang-migrate, Flyway, Prisma, plain folders …) keep the ``psql -f`` way.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from schema_audit.sources.sqlfile import _DBMATE_UP, _GOOSE_UP

_GOOSE_NO_TRANSACTION = re.compile(r"(?im)^[ \t]*--[ \t]*\+goose[ \t]+no[ \t]+transaction\b")
_DBMATE_NO_TRANSACTION = re.compile(r"(?i)\btransaction[ \t]*:[ \t]*false\b")


def in_one_transaction(file: Path, text: str, layout: str | None) -> bool:
    """True when the runner of ``layout`` applies ``file`` (whose text is ``text``) as one
    transaction; see the module docstring."""
    if _GOOSE_UP.search(text):
        return _GOOSE_NO_TRANSACTION.search(text) is None
    if (up := _DBMATE_UP.search(text)) is not None:
        return _DBMATE_NO_TRANSACTION.search(up.group(0)) is None
    if layout == "diesel" and file.name == "up.sql":
        return _diesel_runs_in_transaction(file.parent / "metadata.toml")
    return False


def _diesel_runs_in_transaction(metadata: Path) -> bool:
    """diesel's ``run_in_transaction`` (true unless metadata.toml says false; a file that
    does not parse is diesel's error, not ours: the default stands)."""
    try:
        settings = tomllib.loads(metadata.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
    return settings.get("run_in_transaction", True) is not False
