"""Synthetic schemas at any size: N generated tables with a migration history and a spec, and a long Alembic history.

Shared by tests (``test_init``, ``test_resource_limits``) and by ``benchmarks/``
(which imports it from here: tests must stand on their own, so the generator
lives with them and the benchmarks depend on the tests' support code, never
the other way round).

``generate`` is seeded, so the same N gives the same bytes. Each table has 10–30
columns of mixed types, a primary key, a foreign key to an earlier table with a
mixed ON DELETE rule, a UNIQUE and a CHECK, 3–6 indexes (partial and INCLUDE
among them); every other table has RLS with a tenant policy, every fifth a
trigger, every tenth a view and every twentieth a materialized view with an
index; two roles get grants. The history has one file per five tables (5,000
tables: a 1,000-file history), and every third file also ALTERs a table of an
earlier file (a later column, a rename).

``write_alembic`` writes a linear Alembic history of any length (every tenth
revision creates a table, the others add a column to it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import yaml

TYPES = [
    "integer",
    "bigint",
    "text",
    "varchar(64)",
    "numeric(12,2)",
    "boolean",
    "timestamptz",
    "jsonb",
    "uuid",
    "date",
]
ACTIONS = ["CASCADE", "SET NULL", "RESTRICT", "NO ACTION"]
POLICY = "tenant_id = current_setting('app.current_tenant_id')::uuid"


@dataclass
class Generated:
    files: list[tuple[str, str]] = field(default_factory=list)  # (file name, SQL)
    spec: dict = field(default_factory=dict)


def _table(i: int, rng: random.Random, spec_tables: dict) -> tuple[str, list[str]]:
    name = f"t{i:05d}"
    ncols = rng.randint(10, 30)
    columns = [
        "id bigint PRIMARY KEY",
        "tenant_id uuid NOT NULL",
        "created_at timestamptz NOT NULL DEFAULT now()",
    ]
    spec_cols: dict = {
        "id": {"type": "bigint", "nullable": False},
        "tenant_id": {"type": "uuid", "nullable": False},
        "created_at": {"type": "timestamptz", "nullable": False, "default": "now()"},
    }
    for c in range(3, ncols):
        t = rng.choice(TYPES)
        not_null = rng.random() < 0.3
        columns.append(f"c{c:02d} {t}{' NOT NULL' if not_null else ''}")
        spec_cols[f"c{c:02d}"] = {"type": t, "nullable": not not_null}
    columns.append("amount numeric(12,2) NOT NULL DEFAULT 0 CHECK (amount >= 0)")
    columns.append("code varchar(32) UNIQUE")
    spec_cols["amount"] = {"type": "numeric(12,2)", "nullable": False, "default": "0"}
    spec_cols["code"] = {"type": "varchar(32)", "unique": True}
    spec = {
        "columns": spec_cols,
        "primary_key": ["id"],
        "checks": [{"expression": "amount >= 0"}],
        "indexes": [],
    }
    after: list[str] = []
    if i > 0:
        parent = rng.randrange(0, i)
        action = rng.choice(ACTIONS)
        columns.append(f"parent_id bigint REFERENCES t{parent:05d}(id) ON DELETE {action}")
        spec_cols["parent_id"] = {"type": "bigint"}
        spec["foreign_keys"] = [
            {"columns": ["parent_id"], "references": f"t{parent:05d}(id)", "on_delete": action}
        ]
    body = ",\n    ".join(columns)
    statements = [f"CREATE TABLE {name} (\n    {body}\n)"]
    plain = [c for c in spec_cols if c not in ("id", "code")]
    for k in range(rng.randint(3, 6)):
        index = f"{name}_ix{k}"
        cols = rng.sample(plain, 2)
        kind = k % 4
        if kind == 0:
            sql, req = f"CREATE INDEX {index} ON {name} ({cols[0]})", {"columns": [cols[0]]}
        elif kind == 1:
            sql = f"CREATE INDEX {index} ON {name} (tenant_id, {cols[0]} DESC)"
            req = {"columns": ["tenant_id", f"{cols[0]} DESC"]}
        elif kind == 2:
            sql = f"CREATE INDEX {index} ON {name} ({cols[0]}) WHERE {cols[1]} IS NOT NULL"
            req = {"columns": [cols[0]], "where": f"{cols[1]} IS NOT NULL"}
        else:
            sql = f"CREATE INDEX {index} ON {name} (tenant_id) INCLUDE ({cols[0]})"
            req = {"columns": ["tenant_id"], "include": [cols[0]]}
        statements.append(sql)
        spec["indexes"].append({"name": index, **req})
    if i % 2 == 0:
        statements += [
            f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY",
            f"CREATE POLICY tenant_isolation ON {name} USING ({POLICY}) WITH CHECK ({POLICY})",
        ]
        spec["rls"] = {"enabled": True, "forced": True}
        spec["policies"] = [{"name": "tenant_isolation", "using": POLICY, "with_check": POLICY}]
    if i % 5 == 0:
        statements.append(
            f"CREATE TRIGGER {name}_guard BEFORE UPDATE OR DELETE ON {name} FOR EACH ROW "
            "EXECUTE FUNCTION bench_guard()"
        )
        spec["triggers"] = [
            {
                "name": f"{name}_guard",
                "timing": "BEFORE",
                "events": ["UPDATE", "DELETE"],
                "level": "ROW",
                "raises": True,
            }
        ]
    statements.append(f"GRANT SELECT ON {name} TO bench_ro")
    statements.append(f"GRANT SELECT, INSERT, UPDATE ON {name} TO bench_rw")
    spec["privileges"] = [
        {"roles": ["bench_ro"], "grant": ["SELECT"], "deny": ["UPDATE", "DELETE"]}
    ]
    if i % 10 == 0:
        after.append(f"CREATE VIEW v_{name} AS SELECT id, tenant_id, amount FROM {name}")
    if i % 20 == 0:
        after.append(
            f"CREATE MATERIALIZED VIEW mv_{name} AS SELECT tenant_id, sum(amount) AS total FROM {name} GROUP BY tenant_id"
        )
        after.append(f"CREATE UNIQUE INDEX mv_{name}_tenant ON mv_{name} (tenant_id)")
    spec_tables[name] = spec
    return name, statements + after


def generate(n_tables: int, seed: int = 20261124, tables_per_file: int = 5) -> Generated:
    rng = random.Random(seed)
    out = Generated()
    tables: dict = {}
    header = [
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_ro') THEN CREATE ROLE bench_ro; "
        "END IF; IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_rw') THEN CREATE ROLE bench_rw; END IF; END $$",
        "CREATE FUNCTION bench_guard() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION 'immutable'; END $f$",
    ]
    files: list[list[str]] = [header]
    views: dict = {}
    materialized: dict = {}
    for i in range(n_tables):
        if i % tables_per_file == 0 and i:
            files.append([])
        name, statements = _table(i, rng, tables)
        files[-1].extend(statements)
        if i % 10 == 0:
            views[f"v_{name}"] = {"depends_on": [name]}
        if i % 20 == 0:
            materialized[f"mv_{name}"] = {
                "depends_on": [name],
                "indexes": [
                    {"name": f"mv_{name}_tenant", "columns": ["tenant_id"], "unique": True}
                ],
            }
        if len(files) % 3 == 0 and i % tables_per_file == tables_per_file - 1 and i >= 20:
            earlier = f"t{i - 15:05d}"
            files[-1].append(f"ALTER TABLE {earlier} ADD COLUMN later_note text")
            files[-1].append(f"ALTER TABLE {earlier} RENAME COLUMN later_note TO note")
            tables[earlier]["columns"]["note"] = {"type": "text"}
    out.files = [
        (f"V{n + 1}__bench_{n + 1:04d}.sql", ";\n\n".join(stmts) + ";\n")
        for n, stmts in enumerate(files)
    ]
    out.spec = {
        "spec_version": 1,
        "name": f"Benchmark schema ({n_tables} tables)",
        "date": "2026-11-24",
        "settings": {"tenant_column": "tenant_id"},
        "tables": tables,
        "views": views,
        "materialized_views": materialized,
        "forbidden_columns": {"pii": {"pattern": "(^|_)(email|phone|ssn)($|_)"}},
    }
    return out


def write(n_tables: int, directory: Path) -> tuple[Path, Path]:
    """Write the migration folder and the spec; return (folder, spec path)."""
    generated = generate(n_tables)
    folder = directory / f"migrations_{n_tables}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in generated.files:
        (folder / name).write_text(sql)
    spec = directory / f"spec_{n_tables}.yaml"
    spec.write_text(yaml.safe_dump(generated.spec, sort_keys=False, width=200))
    return folder, spec


REVISION = '''"""step {n}

Revision ID: r{n:05d}
Revises: {down}
"""

from alembic import op
import sqlalchemy as sa

revision = "r{n:05d}"
down_revision = {down_ref}
branch_labels = None
depends_on = None


def upgrade() -> None:
{body}


def downgrade() -> None:
{undo}
'''


def write_alembic(directory: Path, revisions: int) -> Path:
    """A linear history: every tenth revision creates a table, the others add a column to it."""
    project = directory / "alembic_project"
    versions = project / "versions"
    versions.mkdir(parents=True)
    (project / "env.py").write_text("# rendered offline by schema-audit\n")
    for n in range(revisions):
        table = f"t{n // 10:05d}"
        if n % 10 == 0:
            body = (
                f'    op.create_table("{table}", sa.Column("id", sa.BigInteger, primary_key=True),\n'
                f'                    sa.Column("tenant_id", sa.Uuid, nullable=False))'
            )
            undo = f'    op.drop_table("{table}")'
        else:
            body = f'    op.add_column("{table}", sa.Column("c{n % 10}", sa.Text))'
            undo = f'    op.drop_column("{table}", "c{n % 10}")'
        down = f"r{n - 1:05d}" if n else "None"
        (versions / f"r{n:05d}_step.py").write_text(
            REVISION.format(
                n=n,
                down=down,
                down_ref=f'"{down}"' if n else "None",
                body=body,
                undo=undo,
            )
        )
    return project
