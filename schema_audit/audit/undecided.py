"""The differences between two models that a static reading cannot decide: ``diff``'s DEFERRED.

``audit`` makes a finding DEFERRED when the static reading cannot tell what PostgreSQL
has: a date/time literal whose stored value depends on the session that ran it
(``sqltime``), or a property a statement the static reader could not apply may have
changed (:mod:`schema_audit.audit.deferral`). ``diff`` listing such a property as drift
would be a false FAIL, and dropping it would hide what it could not compare; so it is
*undecided*, with the reason, and is not drift.
"""

from __future__ import annotations

from schema_audit.audit.deferral import Facet, open_statements
from schema_audit.model import SchemaModel
from schema_audit.modeldiff import Difference, ModelComparison, Undecided, diff_models


def compare_models(left: SchemaModel, right: SchemaModel) -> ModelComparison:
    """:func:`diff_models`, with the differences a static reading cannot decide kept apart.

    ``audit`` makes such a finding DEFERRED; a diff that listed it as drift would be a
    false FAIL, and one that dropped it would hide what it could not compare. So each is
    ``undecided``, with the reason: a date/time literal the session decided, or statements
    of either side the static reader could not apply that may have changed the property.
    """
    differences: list[Difference] = []
    undecided: list[Undecided] = []
    for difference in diff_models(left, right):
        reason = _undecided_reason(difference, left, right)
        if reason is None:
            differences.append(difference)
        else:
            undecided.append(Undecided(difference, reason))
    return ModelComparison(differences, undecided)


def _undecided_reason(difference: Difference, left: SchemaModel, right: SchemaModel) -> str | None:
    """Why a static reading cannot decide ``difference``; None when it can."""
    reasons = [difference.unsure] if difference.unsure else []
    if difference.session is not None:
        reasons.append(
            f"the {difference.session} side's date/time literal has no UTC offset (or is "
            "'now'/'today', a day/month order, a named zone), so PostgreSQL stores the value "
            "it has in the TimeZone/DateStyle of the session that ran it, which no file records"
        )
    facets = [Facet(*read) for read in difference.reads]
    for side, model in (("left", left), ("right", right)):
        statements = open_statements(model, facets)
        if statements:
            cited = "; ".join(
                f"{stmt.file or 'SQL'}"
                + (f":{stmt.line}" if stmt.line else "")
                + f" ({stmt.reason})"
                for stmt in statements[:3]
            )
            more = f" and {len(statements) - 3} more" if len(statements) > 3 else ""
            reasons.append(
                f"{len(statements)} statement(s) of the {side} side not applied statically may "
                f"change it: {cited}{more}"
            )
    if not reasons:
        return None
    return "; ".join(reasons) + " (compare a database the history ran on instead)"
