"""The tool's closed vocabularies, each defined once.

They are ``StrEnum``s: a member equals its text (``Status.FAIL == "FAIL"``), is
written to JSON as that text, and sorts and ranks the same everywhere.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """What the audit says about one finding (and what a roll-up adds up to)."""

    PASS = "PASS"
    FAIL = "FAIL"
    PARTIAL = "PARTIAL"
    DEFERRED = "DEFERRED"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    WAIVED = "WAIVED"

    @property
    def rank(self) -> int:
        """Worst first when findings are sorted for people: FAIL 0 … PASS 5."""
        return _STATUS_RANK[self]


# The members by themselves, for code that names one per requirement judged: on Python 3.11
# ``Status.PASS`` is a Python-level call (EnumType has a ``__getattr__``, so every attribute
# read on an enum class goes through ``type.__getattribute__`` as a method: ~0.25 µs a read
# against ~0.03 for a module's name), and every PASS finding names PASS (issue 19).
PASS = Status.PASS

_STATUS_RANK = {
    Status.FAIL: 0,
    Status.DEFERRED: 1,
    Status.PARTIAL: 2,
    Status.WAIVED: 3,
    Status.NOT_APPLICABLE: 4,
    Status.PASS: 5,
}


class Severity(StrEnum):
    """How much a failing finding matters; ``--fail-on`` is a threshold on this scale."""

    BLOCKING = "blocking"
    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """blocking 5 … info 1: higher is worse."""
        return _SEVERITY_RANK[self]

    def at_or_above(self, threshold: str) -> bool:
        return _SEVERITY_RANK[self] >= _SEVERITY_RANK[Severity(threshold)]


# blocking 5 … info 1, looked up (each FAIL of an audit is ranked against --fail-on)
_SEVERITY_RANK = {s: len(Severity) - i for i, s in enumerate(Severity)}


class ReferentialAction(StrEnum):
    """A foreign key's ON DELETE / ON UPDATE action, as PostgreSQL prints it."""

    NO_ACTION = "NO ACTION"
    RESTRICT = "RESTRICT"
    CASCADE = "CASCADE"
    SET_NULL = "SET NULL"
    SET_DEFAULT = "SET DEFAULT"

    @classmethod
    def from_code(cls, code: str | None) -> ReferentialAction:
        """From the one-letter code of ``pg_constraint.confdeltype`` (and pglast's
        ``fk_del_action``, which uses the same letters); none means NO ACTION."""
        return _BY_CODE[code or "a"]


_BY_CODE = {
    "a": ReferentialAction.NO_ACTION,
    "r": ReferentialAction.RESTRICT,
    "c": ReferentialAction.CASCADE,
    "n": ReferentialAction.SET_NULL,
    "d": ReferentialAction.SET_DEFAULT,
}
