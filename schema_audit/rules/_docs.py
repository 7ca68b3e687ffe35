"""Write ``docs/rules.md`` from the rule registry: ``python -m schema_audit.rules._docs``.

Each rule's section is its registration (group, severity, fix hint) and its module
docstring; ``tests/test_rule_fixtures.py`` fails when the checked-in page differs.
"""

from __future__ import annotations

import sys

from schema_audit.rules import Rule, registry

INTRO = """# Rules

Every `schema-audit audit` runs these checks beside the spec (on by default, live, static
and replay alike). Each finding's id is `rules.<RULE>.<object>` (stable, for baselines and
waivers). Every rule is tested to fire on its own fixture (`tests/rule_fixtures/<ID>.sql`, with the
findings it must produce) and on nothing in a clean schema, from a live database and from
SQL alike. This page is generated from the rule registry (`schema_audit/rules/`):
`make docs` rewrites it, and a test fails when it is out of date.

Choosing and accepting:

`--rules security,perf` runs only those groups; `--rules all` every group; `--rules none`
turns the pack off. Without `--rules`, the spec decides:

```yaml
name: rule pack settings
rules:
  groups: [security, perf]          # [] turns the pack off; default: every group
  pii_words: [national_id, iban_hash]   # PRIV001: added to the built-in dictionary
  pii_allowed: ["users.email", "billing_*.*"]   # table.column globs where personal data belongs
settings:
  app_role: app_user   # SEC003 stays quiet for tables the application does not own
```

- A waiver accepts one finding with a reason, an owner and an expiry, like any spec finding:
  `waivers: [{requirement: rules.PERF001.public.events.events_tenant_id_fkey, reason: …}]`.
- Inline, in the migration that created the object: `-- schema-audit: ignore PRIV001 reason`
  in SQL, `# schema-audit: ignore PRIV001 reason` in an Alembic file, on a line of the
  statement or in the comment lines right above it (rule id or name; comma-separated for
  several). The finding becomes WAIVED with the file, line and reason in every output.
  Inline comments are read when the audit reads migrations (`--migrations`, `--sql`,
  with or without `--replay`);
  a live database has no files, so use waivers there.
- `schema-audit init` writes a waiver per rule finding present at adoption, with the
  message as its reason, so the first run is green and every accepted deviation is named.
"""


def _anchor(r: Rule) -> str:
    return f"#{r.id.lower()}-{r.name}"


def render() -> str:
    rules = registry().values()
    lines = [INTRO, "| id | name | group | severity |", "|---|---|---|---|"]
    lines += [f"| [{r.id}]({_anchor(r)}) | {r.name} | {r.group} | {r.severity} |" for r in rules]
    for r in rules:
        since = f" Judged on PostgreSQL {r.since} and later." if r.since else ""
        lines += [
            "",
            f"## {r.id} {r.name}",
            "",
            f"Group `{r.group}`, severity `{r.severity}`.{since}",
            "",
            f"Fix: {r.hint}.",
            "",
            r.doc,
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
