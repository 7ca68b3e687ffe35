"""lint-migrations on histories in the style of real projects: right lines, right state, named objects."""

from __future__ import annotations

from pathlib import Path

from schema_audit.lint import lint

BATCH = '''"""Accounts: batch operations

Revision ID: b1
"""
import sqlalchemy as sa
from alembic import op

revision = "b1"
down_revision = None


def upgrade():
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("legacy", sa.Text()),
        sa.Column("nick", sa.Text()),
        sa.Column("name", sa.String(50)),
    )
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(100), nullable=True))
        # schema-audit: ignore drop-column legacy data moved to the archive
        batch_op.drop_column("legacy")
        batch_op.alter_column("name", type_=sa.String(20), existing_type=sa.String(50))
        batch_op.drop_column("nick")


def downgrade():
    pass
'''


def test_batch_operations_are_attributed_to_their_own_lines_and_ignores_apply(
    tmp_path: Path,
) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "b1_accounts.py").write_text(BATCH)
    result = lint(versions)
    assert [(v.rule, v.line) for v in result.violations] == [("SA008", 24), ("SA002", 25)]
    assert [(v.rule, v.line, v.suppressed) for v in result.allowed] == [
        ("SA002", 23, "legacy data moved to the archive")
    ]
    # the same lines when nothing is run at all
    read = lint(versions, execute=False)
    assert [(v.rule, v.line) for v in read.violations] == [("SA008", 24), ("SA002", 25)]


def test_each_statement_is_judged_against_the_state_right_before_it(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    (folder / "V1__init.sql").write_text("CREATE TABLE t (id int);\n")
    (folder / "V2__labels.sql").write_text(
        "CREATE TABLE labels (id int, label varchar(50));\n"
        "ALTER TABLE labels ALTER COLUMN label TYPE varchar(100);\n"  # widening: no rewrite
        "ALTER TABLE labels ALTER COLUMN label TYPE varchar(20);\n"  # narrowing
    )
    result = lint(folder)
    assert [(v.rule, v.line, v.message) for v in result.violations] == [
        (
            "SA008",
            3,
            "changes labels.label from character varying(100) to character varying(20) "
            "(narrows or rewrites the table)",
        )
    ]


def test_drop_if_exists_of_an_absent_object_is_not_destructive(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    (folder / "V1__init.sql").write_text(
        "CREATE TABLE t (id int, label text);\n"
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'begin return new; end';\n"
        "CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();\n"
        "CREATE INDEX ix_t_label ON t (label);\n"
    )
    (folder / "V2__idempotent.sql").write_text(
        "DROP INDEX IF EXISTS ix_t_id;\n"  # absent: the idiom before CREATE INDEX
        "CREATE INDEX ix_t_id ON t (id);\n"
        "DROP TRIGGER IF EXISTS t_audit ON t;\n"  # absent
        "DROP VIEW IF EXISTS v_gone;\n"  # absent
        "DROP FUNCTION IF EXISTS never_made(int);\n"  # absent
        "DROP INDEX IF EXISTS ix_t_label;\n"  # present: destructive
        "DROP TRIGGER IF EXISTS t_touch ON t;\n"  # present: destructive
        "DROP TABLE IF EXISTS gone, t;\n"  # t is present
    )
    result = lint(folder)
    assert [(v.rule, v.line, v.message) for v in result.violations] == [
        ("SA010", 6, "drops index ix_t_label"),
        ("SA005", 7, "drops trigger t_touch on t"),
        ("SA001", 8, "drops table t"),
    ]


def test_every_drop_names_its_object_functions_with_their_signature(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    (folder / "V1__init.sql").write_text(
        "CREATE FUNCTION api.f(a text[], b integer) RETURNS int LANGUAGE sql AS 'select 1';\n"
    )
    (folder / "V2__drop.sql").write_text(
        "DROP FUNCTION api.f(text[], integer);\nDROP FUNCTION IF EXISTS api.f;\n"
    )
    (folder / "V0__schema.sql").write_text("CREATE SCHEMA api;\n")
    result = lint(folder)
    assert [v.message for v in result.violations] == ["drops function api.f(text[], integer)"]
