"""The audit rule registry: one module per rule, each registered with :func:`rule`.

A rule module holds one function decorated with ``@rule(id=…, name=…, group=…,
severity=…, hint=…)`` that yields a :class:`Hit` per object it flags; its module
docstring is its documentation (``docs/rules.md`` is generated from the registry,
and a test fails when the checked-in page differs). ``audit/rules.py`` runs the
registered rules and turns hits into findings (ids, evidence, inline ignores).
See docs/contributing.md for how to add one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from schema_audit.registry import (
    check_unique,
    check_vocabulary,
    import_entries,
    in_group_order,
    module_doc,
)

if TYPE_CHECKING:
    from schema_audit.model import SchemaModel


@dataclass(frozen=True, slots=True)
class Hit:
    """One object a rule flags: ``obj`` names it in the finding id (``rules.<ID>.<obj>``)."""

    obj: str
    table: str | None
    message: str
    ddl: str | None = None
    provenance: list[Any] = field(default_factory=list)  # where the object was made (ignores)
    # the relation (or routine) and column the evidence is about: a static reading's
    # unapplied statements that may change them make the finding DEFERRED
    target: str | None = None
    column: str | None = None


Check = Callable[["SchemaModel", Any], Iterator[Hit]]  # (model, RuleOptions) -> hits


@dataclass(frozen=True, slots=True)
class Rule:
    """A built-in rule's identity, texts and check function."""

    id: str
    name: str
    group: str  # security | perf | schema | privacy
    severity: str
    hint: str
    doc: str = ""  # the module docstring
    check: Check | None = None
    since: int | None = (
        None  # PostgreSQL major version the rule's feature needs (15: judged on 15+)
    )


@dataclass(slots=True)
class RuleOptions:
    """What the rules need to know beyond the model: the spec's facts and the migration files."""

    tenant_column: str | None = None
    app_role: str | None = None
    pii_words: tuple[str, ...] = ()
    pii_allowed: tuple[str, ...] = ()  # table.column globs
    evidence_source: str = "catalog"  # catalog (live/replay) or migration
    # displayed migration file name -> its lines, for inline `schema-audit: ignore RULE reason`
    source_lines: dict[str, tuple[str, ...]] | None = None
    # a static source's model: rule FAILs its unapplied statements may change are DEFERRED
    static_model: SchemaModel | None = None


GROUP_ORDER = ("security", "perf", "schema", "privacy")
_REGISTRY: dict[str, Rule] = {}


def rule(
    *,
    id: str,  # noqa: A002 - the rule's id is what everyone calls it
    name: str,
    group: str,
    severity: str,
    hint: str,
    since: int | None = None,
) -> Callable[[Check], Check]:
    """Register the decorated check as rule ``id``; the module's docstring is its doc."""
    check_vocabulary("rule", id, severity, group, GROUP_ORDER)

    def register(check: Check) -> Check:
        check_unique(_REGISTRY, id, check, "rule")
        doc = module_doc(check)
        _REGISTRY[id] = Rule(id, name, group, severity, hint, doc, check, since)
        return check

    return register


def _load() -> None:
    import_entries(__path__, __name__)


def registry() -> dict[str, Rule]:
    """Every rule, in group order then by id."""
    _load()  # every entry, even when one module was imported alone before
    return in_group_order(_REGISTRY, GROUP_ORDER, lambda r: r.group, _id_key)


def _id_key(rule_id: str) -> tuple[str, int]:
    prefix = rule_id.rstrip("0123456789")
    return prefix, int(rule_id[len(prefix) :] or 0)
