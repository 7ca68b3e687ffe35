"""The probe registry: one module per probe kind, each registered with :func:`probe`.

A probe module holds one function decorated with ``@probe(id=…, name=…, protects=…,
severity=…, hint=…)`` that exercises one protection on the replayed scratch database
and returns the requirement's finding: PASS only when PostgreSQL itself refused (or
did) what the protection says, with the statements run as evidence. Its module
docstring is its documentation (``docs/probes.md`` is generated from the registry,
and a test fails when the checked-in page differs). ``id`` is the ``kind:`` a spec
names; ``declared=False`` marks a kind only the automatic probes run.
``probes/run.py`` runs the probes a spec declares, ``probes/auto.py`` the automatic
ones. See docs/contributing.md for how to add one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schema_audit.registry import check_unique, check_vocabulary, import_entries, module_doc

if TYPE_CHECKING:
    from schema_audit.audit.findings import Finding
    from schema_audit.probes.common import ProbeContext
    from schema_audit.spec.model import Requirement

Run = Callable[["ProbeContext", "Requirement"], "Finding"]


@dataclass(frozen=True, slots=True)
class ProbeKind:
    """A probe kind's identity and texts (the listing, its findings' hint and severity)."""

    id: str  # the spec's `kind:`
    name: str
    protects: str  # the protection it verifies, one line
    severity: str  # what an automatic probe of this kind carries; a declared one, the spec's
    hint: str  # how to fix what it finds
    doc: str = ""  # the module docstring
    check: Run | None = None
    declared: bool = True  # a spec may declare it (False: run by the automatic probes only)


_REGISTRY: dict[str, ProbeKind] = {}


def probe(
    *,
    id: str,  # noqa: A002 - the kind's id is what a spec calls it
    name: str,
    protects: str,
    severity: str,
    hint: str,
    declared: bool = True,
) -> Callable[[Run], Run]:
    """Register the decorated function as probe kind ``id``; the module's docstring is its doc."""
    check_vocabulary("probe kind", id, severity)

    def register(run: Run) -> Run:
        check_unique(_REGISTRY, id, run, "probe kind")
        _REGISTRY[id] = ProbeKind(
            id, name, protects, severity, hint, module_doc(run), run, declared
        )
        return run

    return register


def _load() -> None:
    import_entries(__path__, __name__)


def registry() -> dict[str, ProbeKind]:
    """Every probe kind: those a spec declares first, then the automatic-only ones, by id."""
    _load()  # every entry, even when one module was imported alone before
    return dict(sorted(_REGISTRY.items(), key=lambda item: (not item[1].declared, item[0])))
