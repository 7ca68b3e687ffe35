"""Building blocks of the spec's JSON Schema, shared by spec/schema.py and the kind modules.

Every requirement kind (``schema_audit/kinds/``) writes the schema fragment of its
own spec key with these helpers; ``spec/schema.py`` assembles the document.
"""

from __future__ import annotations

from typing import Any

from schema_audit.enums import ReferentialAction, Severity

SEVERITIES = [s.value for s in Severity]
COMMANDS = ["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"]
REF_ACTIONS = [a.value for a in ReferentialAction]
PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "ALL"]
EVENTS = ["INSERT", "UPDATE", "DELETE", "TRUNCATE"]
STRICT_KINDS = [
    "columns",
    "indexes",
    "policies",
    "triggers",
    "privileges",
    "checks",
    "foreign_keys",
    "unique",
]


def string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


#: A calendar day as YYYY-MM-DD, zero-padded: dates are compared as text (a waiver's
#: ``expires`` against the report date), which orders days correctly only in this form;
#: ``31/12/2025`` or ``2025-1-5`` would compare wrong and keep an expired waiver alive.
ISO_DAY = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def day(description: str) -> dict[str, Any]:
    return string(description, pattern=ISO_DAY)


def strings(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "description": description}


def obj(properties: dict[str, Any], description: str, required: list[str] | None = None) -> dict:
    out: dict[str, Any] = {
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        out["required"] = required
    return out


# Keys every requirement may carry: how bad a failure is and why it matters.
COMMON: dict[str, Any] = {
    "id": string(
        "Explicit requirement id (default: derived from its position, e.g. tables.t.indexes.name)."
    ),
    "severity": {
        "enum": SEVERITIES,
        "description": "How bad a failure is (inherited from the parent when absent).",
    },
    "category": string("Report category id (A, B, …) this requirement belongs to (inherited)."),
    "impact": string("Free text: what breaks when this fails, e.g. 'BLOCKING for B0.4 ingestion'."),
    "description": string("What the requirement is for, shown in the report."),
    "questions": strings(
        "Reviewer questions this requirement answers (also settable from questions:)."
    ),
    "source": string("Where the requirement comes from, e.g. 'Backend Guide § 3.1'."),
}


def req_schema(
    properties: dict[str, Any], description: str, required: list[str] | None = None
) -> dict:
    return obj({**COMMON, **properties}, description, required)
