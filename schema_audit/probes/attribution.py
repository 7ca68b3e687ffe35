"""Which layer refused a probe's write: read from the SQLSTATE and where PostgreSQL says the error arose.

A probe that counts any error as "the protection worked" gives false PASSes:
writing a ``GENERATED ALWAYS AS IDENTITY`` column raises 428C9 whatever the
triggers do. So every rejection is attributed: 42501 is the privilege layer,
or row-level security when the message says so; an error raised inside a
function that is an *enabled* trigger of the table is that trigger, named
(P0001 or any SQLSTATE the trigger chose); 428C9 (generated/identity) and
23xxx (a constraint on the probe's own data) are of the probe's own making and
protect nothing; anything else is unexplained and protects nothing either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg

from schema_audit.model import Table

_FUNCTION = re.compile(r'function ((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)\(')
FIRING = ("ORIGIN", "ALWAYS")  # REPLICA triggers fire only under session_replication_role = replica


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why PostgreSQL refused a probe's write, and whether that is the protection the probe
    verifies."""

    layer: str  # privilege | row-level security | trigger | generated column | constraint | unexplained
    protects: bool  # False: the probe's own making, or not known to be a protection
    detail: str  # one line, SQLSTATE included

    def describe(self) -> str:
        verdict = "" if self.protects else " — not a protection"
        return f"rejected by the {self.layer} layer{verdict} ({self.detail})"


def _bare(name: str) -> str:
    return name.rpartition(".")[2].strip('"')


def firing_triggers(table: Table, verb: str) -> list[str]:
    """Names of the table's triggers that fire on ``verb`` in a normal session (not disabled)."""
    return sorted(
        t.name for t in table.triggers.values() if verb in t.events and t.enabled in FIRING
    )


def attribute(exc: psycopg.Error, table: Table, verb: str) -> Rejection:
    state = exc.sqlstate or "?"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    detail = f"{state} {text}"
    context = getattr(exc.diag, "context", None) or ""
    functions = {_bare(m) for m in _FUNCTION.findall(context)}
    if functions:
        named = sorted(
            t.name
            for t in table.triggers.values()
            if _bare(t.function) in functions and verb in t.events and t.enabled in FIRING
        )
        if named:
            return Rejection("trigger", True, f"trigger {', '.join(named)}: {detail}")
        if state == "P0001" or "trigger" in context:
            return Rejection("trigger", True, f"function {', '.join(sorted(functions))}: {detail}")
    if state == "42501":
        if "row-level security" in text:
            return Rejection("row-level security", True, detail)
        return Rejection("privilege", True, detail)
    if state == "428C9":
        return Rejection("generated column", False, detail)
    if state.startswith("23"):
        return Rejection("constraint", False, detail)
    if state == "P0001":
        return Rejection("trigger", True, detail)
    return Rejection("unexplained", False, detail)
