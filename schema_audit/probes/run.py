"""Run the probes a spec declares: each ``probes:`` entry by its kind, from the registry.

Every probe kind is a module of ``probes/kinds/`` (what it does and what it proves is
its docstring, and ``docs/probes.md``). Each runs on a scratch database the tool
created (never a ``--dsn`` target), in its own transaction that is rolled back at the
end, with a statement timeout; a probe that crashes is reported DEFERRED with its
error, and never stops the others.
"""

from __future__ import annotations

from schema_audit.audit.findings import Finding, finding_for
from schema_audit.enums import Status
from schema_audit.probes.common import ProbeContext
from schema_audit.probes.kinds import registry

__all__ = ["ProbeContext", "run_probes"]


def run_probes(ctx: ProbeContext) -> dict[str, Finding]:
    """Every probe the spec declares; one failing probe never stops the others."""
    kinds = registry()
    out: dict[str, Finding] = {}
    for req in ctx.spec.requirements:
        if req.kind != "probe":
            continue
        try:
            check = kinds[req.props["kind"]].check
            assert check is not None
            out[req.id] = check(ctx, req)
        except Exception as exc:  # a probe bug must not sink the audit; it is reported instead
            out[req.id] = finding_for(
                req,
                Status.DEFERRED,
                f"{req.props['kind']} probe could not run: {type(exc).__name__}: {exc}",
            )
    return out
