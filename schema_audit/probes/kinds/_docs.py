"""Write ``docs/probes.md`` from the probe registry: ``python -m schema_audit.probes.kinds._docs``.

Each kind's section is its registration (what protection it verifies, severity, fix
hint) and its module docstring; ``tests/test_probe_fixtures.py`` fails when the
checked-in page differs.
"""

from __future__ import annotations

import sys

from schema_audit.probes.kinds import registry

INTRO = """# Probes

A probe checks what the schema *does*, not only what it declares: with `audit --replay`
the history is replayed into a scratch PostgreSQL the tool creates, and each probe acts
on it as the application would (a fresh role holding the application role's grants,
`settings.app_role`), in a transaction rolled back at the end, with a statement
timeout. It never runs on a `--dsn` database. Without `--replay` a declared probe is
DEFERRED. The statements a probe ran and what PostgreSQL answered are the finding's
evidence. A probe passes only on what PostgreSQL itself did: a rejection of the probe's
own making (a generated column, a constraint on its synthetic data) or an unexplained
one is no protection, and leaves the probe DEFERRED.

A spec declares a probe under `probes:` by its kind; the finding id is
`probes.<name>` and its severity the spec's. On a complete replay the automatic probes
also run: tenant isolation on every table with row-level security and a tenant column
the spec left unprobed (`probes.auto.tenant_isolation.<schema>.<table>`) and the
view-over-RLS probe on every view reading such a table (`probes.auto.view_rls.…`),
with the severity below.

This page is generated from the probe registry (`schema_audit/probes/kinds/`):
`make docs` rewrites it, and a test fails when it is out of date. Every kind is tested
on its own fixture (`tests/probe_fixtures/<kind>/`: a history, a spec, and the
findings it must produce), replayed into a real PostgreSQL.
"""


def render() -> str:
    kinds = registry().values()
    lines = [INTRO, "| kind | name | verifies | severity |", "|---|---|---|---|"]
    lines += [f"| [`{p.id}`](#{p.id}) | {p.name} | {p.protects} | {p.severity} |" for p in kinds]
    for p in kinds:
        how = "declared in a spec" if p.declared else "automatic only (a spec cannot declare it)"
        lines += [
            "",
            f"## {p.id}",
            "",
            f"Verifies that {p.protects}. Kind `{p.id}`, {how}, severity `{p.severity}`.",
            "",
            f"Fix: {p.hint}.",
            "",
            p.doc,
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
