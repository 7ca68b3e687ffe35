"""Write ``docs/requirement-kinds.md`` from the registry: ``python -m schema_audit.kinds._docs``.

Each kind's section is its registration (where a spec states it, group, default
severity, fix hint) and its module docstring; ``tests/test_requirement_kinds.py``
fails when the checked-in page differs.
"""

from __future__ import annotations

import sys

from schema_audit.kinds import Kind, registry

INTRO = """# Requirement kinds

What a spec can require, one kind per module of `schema_audit/kinds/`. Each requirement
of a spec is judged by its kind's check and gets one finding, whose `kind` is the kind's
id (the SARIF rule `schema-audit/<id>`). A requirement of a table or view that does not
exist is NOT_APPLICABLE (one FAIL for the table, not a cascade). The full syntax of every
key is in [spec-format.md](spec-format.md) and `schema-audit spec-schema` (JSON Schema).

Each kind is tested on its own fixture (`tests/kind_fixtures/<id>.yaml`: SQL read statically
and applied to PostgreSQL, a spec, and the status every requirement must get). This page is
generated from the registry: `make docs` rewrites it, and a test fails when it is out of date.
"""


def _anchor(k: Kind) -> str:
    return "#" + k.id.replace("_", "-")


def render() -> str:
    kinds = registry().values()
    lines = [INTRO, "| kind | what | group | stated as |", "|---|---|---|---|"]
    lines += [f"| [{k.id}]({_anchor(k)}) | {k.name} | {k.group} | `{k.spec}` |" for k in kinds]
    for k in kinds:
        order = " Judged after every other requirement." if k.last else ""
        strict = f" `exactly: [{k.strict}]` is strict about them." if k.strict else ""
        lines += [
            "",
            f"## {k.id}",
            "",
            f"{k.name}: `{k.spec}`. Group `{k.group}`, default severity `{k.severity}` "
            f"(the spec's `defaults.severity` or the parent's wins).{order}{strict}",
            "",
            f"Fix: {k.hint}.",
            "",
            k.doc,
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
