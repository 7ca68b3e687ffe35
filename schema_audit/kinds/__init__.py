"""The requirement-kind registry: one module per kind of requirement a spec can state.

A kind module (``table``, ``column``, ``foreign_key``, ``rls``, ``privilege``, …)
holds everything about its kind: the check that judges one requirement against
the model, the JSON-Schema fragment of the spec key that states it, the action a
recommendation proposes when it fails, and its metadata, registered with
``@requirement_kind(id=…, name=…, title=…, group=…, severity=…, hint=…)`` on the
check. The module docstring is its documentation: ``docs/requirement-kinds.md`` is
generated from the registry (``make docs``; a test fails when the checked-in page
differs), SARIF lists each kind with its name and help text, the report digest
groups and advises by it. Adding a kind touches one module (plus its fixture and
the spec key that states it). See docs/contributing.md.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from schema_audit.enums import Severity
from schema_audit.registry import check_unique, check_vocabulary, import_entries, in_group_order

if TYPE_CHECKING:
    from schema_audit.audit.context import AuditContext
    from schema_audit.audit.deferral import Facet
    from schema_audit.audit.findings import Finding
    from schema_audit.model import SchemaModel
    from schema_audit.spec.model import Requirement

Check = Callable[["Requirement", "AuditContext"], "Finding"]
# (failing finding, its requirement when the spec has it, the model) -> the action to take
Recommend = Callable[["Finding", "Requirement | None", "SchemaModel"], str]
# (a spec list item, its position) -> the id part of an unnamed requirement
Label = Callable[[Mapping[str, Any], int], str]
# requirement -> the facets of the model its finding reads (audit/deferral.py)
Facets = Callable[["Requirement"], "list[Facet]"]
# (requirement, context) -> roles whose running a history read statically may change its
# verdict, each with why (audit/engine.py judges it in each role's world too)
Runners = Callable[["Requirement", "AuditContext"], "dict[str, str]"]


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of requirement, as registered by its module."""

    id: str  # what findings, ids and SARIF rules call it: ``foreign_key``
    name: str  # one requirement of it, for people: "Foreign key"
    title: str  # a group of its findings in the report digest: "Foreign keys"
    group: str  # see GROUP_ORDER
    severity: str  # a requirement's severity when neither it, its parent nor defaults.severity say
    hint: str  # how to fix a failing one, in general
    spec: str  # where a spec states it: ``tables.<table>.foreign_keys[]``
    doc: str = ""  # the module docstring
    check: Check | None = None
    schema: Mapping[str, Any] | None = None  # JSON Schema of one requirement of the kind
    recommend: Recommend | None = None
    label: Label | None = None  # id part of an unnamed list item (default: kind_<position>)
    strict: str | None = None  # the ``exactly:`` word for the objects it requires (``columns``)
    last: bool = False  # judged after every other requirement (it reads their findings)
    # what its finding reads from the model: a static reading DEFERs the finding when an
    # unapplied statement may change one of these (audit/deferral.py)
    facets: Facets | None = None
    # every facet it reads names its own table (``qualify(req.schema, req.table)``) or no
    # target (``*``): a runner's bookkeeping table then reaches only the requirements of
    # that very table (audit/deferral.Deferrals; tests/test_deferral_reach.py holds each
    # kind that says so to it)
    facets_on_table: bool = False
    runners: Runners | None = None


GROUP_ORDER = (
    "tables",
    "constraints",
    "indexes",
    "security",
    "objects",
    "privacy",
    "strict",
    "probes",
)
_REGISTRY: dict[str, Kind] = {}


def requirement_kind(
    *,
    id: str,  # noqa: A002 - the kind's id is what everyone calls it
    name: str,
    title: str,
    group: str,
    hint: str,
    spec: str,
    severity: str = Severity.HIGH.value,
    schema: Mapping[str, Any] | None = None,
    recommend: Recommend | None = None,
    label: Label | None = None,
    strict: str | None = None,
    last: bool = False,
    facets: Facets | None = None,
    facets_on_table: bool = False,
    runners: Runners | None = None,
) -> Callable[[Check], Check]:
    """Register the decorated check as requirement kind ``id``; the calling module's
    docstring is its documentation (a module may register a check another one defines)."""
    check_vocabulary("requirement kind", id, severity, group, GROUP_ORDER)
    doc = (sys._getframe(1).f_globals.get("__doc__") or "").strip()

    def register(check: Check) -> Check:
        check_unique(_REGISTRY, id, check, "requirement kind")
        _REGISTRY[id] = Kind(
            id=id,
            name=name,
            title=title,
            group=group,
            severity=severity,
            hint=hint,
            spec=spec,
            doc=doc,
            check=check,
            schema=schema,
            recommend=recommend,
            label=label,
            strict=strict,
            last=last,
            facets=facets,
            facets_on_table=facets_on_table,
            runners=runners,
        )
        return check

    return register


def _load() -> None:
    import_entries(__path__, __name__)


def registry() -> dict[str, Kind]:
    """Every requirement kind, in group order, then in the order a spec states them."""
    _load()  # every entry, even when one module was imported alone before
    if len(_SORTED) != len(_REGISTRY):  # sorted once (the audit asks per requirement)
        _SORTED.clear()
        _SORTED.update(
            in_group_order(
                _REGISTRY,
                GROUP_ORDER,
                lambda k: k.group,
                lambda id_: (_ORDER.get(id_, len(_ORDER)), id_),
            )
        )
    return _SORTED


def kind(kind_id: str) -> Kind | None:
    """The registered kind ``kind_id`` (None for findings of no requirement: rules, history)."""
    return registry().get(kind_id)


_SORTED: dict[str, Kind] = {}


# The order kinds appear in within a group (the order a table entry lists them).
_ORDER = {
    k: i
    for i, k in enumerate(
        (
            "table",
            "column",
            "absent_table",
            "primary_key",
            "unique",
            "check",
            "foreign_key",
            "index",
            "rls",
            "policy",
            "trigger",
            "privilege",
            "view",
            "materialized_view",
            "function",
            "enum",
            "forbidden_column",
            "strict",
            "strict_tables",
            "probe",
        )
    )
}
