"""Write ``docs/lint-rules.md`` from the lint rule registry:
``python -m schema_audit.lint.rules._docs``.

Each rule's section is its registration (group, severity, summary, fix hint) and its
module docstring; ``tests/test_lint_rule_fixtures.py`` fails when the checked-in page
differs.
"""

from __future__ import annotations

import sys

from schema_audit.lint.rules import LintRule, registry

INTRO = """# Lint rules

`schema-audit lint-migrations PATH` reads the upgrade path of an Alembic project, a
folder of SQL migrations or one SQL file, statement by statement, with the schema the
history has built so far as context, and reports these rules. The `destructive` group
is always on; the `online` group (locks and rewrites on tables that already exist) is
on with `--online` (see [lint-online.md](lint-online.md) for how it compares with
squawk). Any violation left makes the exit code 1; the severity says how much a
violation matters when you triage them and is not a threshold.

This page is generated from the lint rule registry (`schema_audit/lint/rules/`):
`make docs` rewrites it, and a test fails when it is out of date. Every rule is tested
on its own fixture (`tests/lint_fixtures/<ID>/`, a small migration history with the
violations it must produce, applied to a real PostgreSQL to prove it is valid SQL).

Accepting one:

- `--allow SA009` or `--allow set-not-null` (repeatable, or comma-separated) accepts
  every violation of the rule.
- Inline, on a line of the statement or in the comment lines right above it:
  `-- schema-audit: ignore SA009 reason` in SQL, `# schema-audit: ignore set-not-null
  reason` in an Alembic file (rule id or name). The violation is listed as ignored with
  its reason.
"""


def _anchor(r: LintRule) -> str:
    return f"#{r.id.lower()}-{r.name}"


def render() -> str:
    rules = registry().values()
    lines = [INTRO, "| id | name | group | severity |", "|---|---|---|---|"]
    lines += [f"| [{r.id}]({_anchor(r)}) | {r.name} | {r.group} | {r.severity} |" for r in rules]
    for r in rules:
        lines += [
            "",
            f"## {r.id} {r.name}",
            "",
            f"Group `{r.group}`, severity `{r.severity}`. {r.summary[0].upper()}{r.summary[1:]}.",
            "",
            f"Fix: {r.hint}.",
            "",
            r.doc,
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
