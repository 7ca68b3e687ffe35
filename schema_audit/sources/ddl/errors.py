"""ApplyError: a statement PostgreSQL would refuse at this point of the history."""

from __future__ import annotations


def _condition_of(message: str) -> str:
    """The condition PostgreSQL raises for a message of this interpreter (first word, verb)."""
    words = message.split()
    subject = words[0] if words else ""
    if subject in ("referenced", "the"):
        subject = words[1] if len(words) > 1 else subject
    if "already exists" in message:
        return {
            "table": "duplicate_table",
            "relation": "duplicate_table",
            "view": "duplicate_table",
            "index": "duplicate_table",
            "sequence": "duplicate_table",
            "column": "duplicate_column",
            "function": "duplicate_function",
            "schema": "duplicate_schema",
        }.get(subject, "duplicate_object")
    if "does not exist" in message:
        return {
            "table": "undefined_table",
            "relation": "undefined_table",
            "view": "undefined_table",
            "sequence": "undefined_table",
            "column": "undefined_column",
            "function": "undefined_function",
            "schema": "invalid_schema_name",
        }.get(subject, "undefined_object")
    if "primary key to reference" in message:
        return "invalid_foreign_key"
    return "object_not_in_prerequisite_state"


class ApplyError(Exception):
    """A statement PostgreSQL would refuse here (a missing or duplicate object).

    At the top level it becomes unapplied evidence; inside a DO block it is the error an
    exception handler may catch, so it carries PostgreSQL's condition name.
    """

    def __init__(interp, message: str, condition: str | None = None) -> None:
        super().__init__(message)
        interp.condition = condition or _condition_of(message)
