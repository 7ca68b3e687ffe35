"""The lint rule registry: one module per ``SA…`` rule, each registered with :func:`lint_rule`.

A rule module holds one function decorated with ``@lint_rule(id=…, name=…, group=…,
severity=…, summary=…, hint=…)``. It is called with each parsed statement of an
upgrade path *before* that statement is applied, and yields a :class:`Flag` per
problem it sees; the :class:`LintContext` gives it the schema model of the history so
far and what the current migration did. Its module docstring is its documentation
(``docs/lint-rules.md`` is generated from the registry, and a test fails when the
checked-in page differs). ``lint/__init__.py`` runs the registered rules and turns
flags into violations (file, line, revision, ``--allow`` and inline ignores).
See docs/contributing.md for how to add one.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from pglast import ast
from pglast.enums import ObjectType

from schema_audit.model import SchemaModel, qualify
from schema_audit.registry import (
    check_unique,
    check_vocabulary,
    import_entries,
    in_group_order,
    module_doc,
)

# destructive: always on; online: locks and rewrites, with --online only
GROUP_ORDER = ("destructive", "online")
# a statement-level flag reported after those of the statement's subcommands (SA108)
LAST = sys.maxsize


class Flag(NamedTuple):
    """One problem a rule sees in a statement; ``at`` orders the flags of one statement
    (the ALTER TABLE subcommand it is about), so a statement's findings read in its order."""

    message: str
    at: int = 0


@dataclass(slots=True)
class LintContext:
    """What a rule may know: the model before the statement, and the history's facts."""

    model: SchemaModel
    assume_populated: bool = False
    populated: set[str] = field(default_factory=set)  # tables data was written to so far
    created_here: set[str] = field(default_factory=set)  # created by the current migration
    backfilled: set[tuple[str, str]] = field(default_factory=set)  # (table, column) UPDATEd here
    # per migration, for SA108: a lock_timeout was set; SA108 was already said once
    lock_timeout: bool = False
    lock_reported: bool = False

    def new_migration(self) -> None:
        self.created_here.clear()
        self.backfilled.clear()
        self.lock_timeout = False
        self.lock_reported = False

    @staticmethod
    def key(rv: ast.RangeVar) -> str:
        return qualify(rv.schemaname or "public", rv.relname)

    def has_rows(self, key: str) -> bool:
        """The table may hold rows: not created in this migration, and written to (or assumed)."""
        return key not in self.created_here and (self.assume_populated or key in self.populated)

    def existing(self, rv: ast.RangeVar | None) -> str | None:
        """The key of a table that existed before this migration (others hold no rows and
        no one waits on them), else None."""
        if rv is None:
            return None
        key = self.key(rv)
        return key if key in self.model.tables and key not in self.created_here else None

    def exists(self, kind: ObjectType, obj: object) -> bool | None:
        """Whether the object a DROP names exists in the model here (None: cannot tell)."""
        model = self.model
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


Check = Callable[[ast.Node, LintContext], Iterator[Flag]]


@dataclass(frozen=True, slots=True)
class LintRule:
    """A lint rule's identity and texts (the listing, the JSON output's description, the hint)."""

    id: str
    name: str
    group: str  # destructive | online
    severity: str
    summary: str  # one line: what it means (the JSON output's "description")
    hint: str  # how to make the change safely
    doc: str = ""  # the module docstring
    check: Check | None = None


_REGISTRY: dict[str, LintRule] = {}


def lint_rule(
    *,
    id: str,  # noqa: A002 - the rule's id is what everyone calls it
    name: str,
    group: str,
    severity: str,
    summary: str,
    hint: str,
) -> Callable[[Check], Check]:
    """Register the decorated check as lint rule ``id``; the module's docstring is its doc."""
    check_vocabulary("lint rule", id, severity, group, GROUP_ORDER)

    def register(check: Check) -> Check:
        check_unique(_REGISTRY, id, check, "lint rule")
        doc = module_doc(check)
        _REGISTRY[id] = LintRule(id, name, group, severity, summary, hint, doc, check)
        return check

    return register


def _load() -> None:
    import_entries(__path__, __name__)


def registry() -> dict[str, LintRule]:
    """Every lint rule, in group order then by id."""
    _load()  # every entry, even when one module was imported alone before
    return in_group_order(_REGISTRY, GROUP_ORDER, lambda r: r.group, lambda id_: int(id_[2:]))
