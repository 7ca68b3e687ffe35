"""Audit many databases at once: bounded concurrency, a deadline per target, no shared fate.

Each target is audited exactly like ``schema-audit audit --dsn`` (one read-only snapshot,
statement and lock timeouts) and turned into the same JSON document, so a fleet run and
``merge`` of separate runs summarise identical inputs. A target that cannot be reached, whose
spec is bad or that overruns its deadline becomes an error row; the others go on.

Threads, not processes: a catalog read mostly waits on the server, and the spec of a target
is loaded once per (spec, variables) pair and shared. Each audit runs in a daemon thread so
a target stuck past its deadline (a hung network, say) can be abandoned without holding the
whole run hostage or the interpreter at exit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from schema_audit.errors import SchemaAuditError
from schema_audit.fleet.targets import FleetTarget
from schema_audit.redact import scrub


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    """One target's result: its audit document, or why there is none."""

    name: str
    target: str  # the DSN, password redacted
    document: dict[str, Any] | None
    error: str | None
    seconds: float


def run_fleet(
    targets: Sequence[FleetTarget],
    *,
    jobs: int = 4,
    timeout_s: float = 300.0,
    fail_on: str = "low",
    rules: str | None = None,
    schemas: Sequence[str] | None = None,
    as_of: str | None = None,
    on_done: Callable[[TargetOutcome], None] | None = None,
) -> list[TargetOutcome]:
    """Audit every target; outcomes come back in the order of ``targets``."""
    from schema_audit import api

    specs: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}
    spec_lock = threading.Lock()

    def spec_for(target: FleetTarget) -> Any:
        key = (str(target.spec), tuple(sorted(target.variables.items())))
        with spec_lock:
            if key not in specs:
                specs[key] = api.load_spec(target.spec, target.variables)
            return specs[key]

    statement_ms = int(min(30.0, timeout_s) * 1000)

    def audit_one(target: FleetTarget) -> dict[str, Any]:
        from schema_audit.render.json_report import to_document

        result = api.audit(
            spec_for(target),
            dsn=target.dsn,
            rules=rules,
            fail_on=fail_on,
            as_of=as_of,
            schemas=schemas,
            statement_timeout_ms=statement_ms,
            jobs=1,  # --jobs counts connections: here, databases at once, one connection each
        )
        return to_document(result)

    def with_deadline(target: FleetTarget) -> TargetOutcome:
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["document"] = audit_one(target)
            except SchemaAuditError as exc:
                box["error"] = "; ".join(exc.problems) or str(exc)
            except Exception as exc:  # one target's surprise is not the fleet's
                box["error"] = f"internal error: {type(exc).__name__}: {exc}"

        started = time.monotonic()
        worker = threading.Thread(target=work, name=f"audit {target.name}", daemon=True)
        worker.start()
        worker.join(timeout_s)
        seconds = time.monotonic() - started
        if worker.is_alive():
            box = {"error": f"no answer within {timeout_s:g} s (per-target timeout)"}
        error = box.get("error")
        outcome = TargetOutcome(
            target.name,
            scrub(target.dsn),
            box.get("document"),
            scrub(error) if error else None,
            seconds,
        )
        if on_done:
            on_done(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="fleet") as pool:
        return list(pool.map(with_deadline, targets))
