"""The benchmark schema's requirements written with selectors (``match:``), as a team would.

``init`` writes one entry per table (every column, index, policy, grant by name):
about 33 requirements a table. Most of what a team means is the same for every
table and is said once with a selector: every table has the key, the tenant column,
the audit timestamp, the amount with its CHECK and the unique code, grants
SELECT to the read-only role and nothing that writes; even-numbered tables isolate
tenants with forced RLS and the policy; every fifth has the guard trigger. What
differs table by table in the generated schema (10–27 random columns, random
indexes, the parent of each foreign key) has no pattern to say it with, so this
spec requires less than init's: the benchmark prints both beside pg_dump, and
benchmarks/README.md gives their requirement counts.
"""

from __future__ import annotations

from pathlib import Path

from synthetic import POLICY

SPEC = f"""\
spec_version: 1
name: Benchmark schema, by selectors
settings: {{tenant_column: tenant_id}}
defaults: {{schema: public, severity: high}}
match:
  every_table:
    select: {{tables: ["t?????"]}}
    require:
      primary_key: [id]
      columns:
        id: {{type: bigint, nullable: false}}
        tenant_id: {{type: uuid, nullable: false}}
        created_at: {{type: timestamptz, nullable: false, default: now()}}
        amount: {{type: "numeric(12,2)", nullable: false, default: "0"}}
        code: {{type: varchar(32), unique: true}}
      checks:
        - expression: amount >= 0
      privileges:
        - {{roles: [bench_ro], grant: [SELECT], deny: [INSERT, UPDATE, DELETE]}}
  child_tables:
    select: {{tables: ["t?????"], has_column: parent_id}}
    require:
      columns:
        parent_id: {{type: bigint}}
  tenant_isolated:
    select: {{tables: ["t????[02468]"]}}
    require:
      rls: {{enabled: true, forced: true}}
      policies:
        - {{name: tenant_isolation, using: "{POLICY}", with_check: "{POLICY}"}}
  guarded:
    select: {{tables: ["t????[05]"]}}
    require:
      triggers:
        - {{timing: BEFORE, events: [UPDATE, DELETE], level: ROW, raises: true}}
"""


def write_selector_spec(path: Path) -> Path:
    """Write the spec (the same for every size: selectors do not grow with the schema)."""
    path.write_text(SPEC, encoding="utf-8")
    return path
