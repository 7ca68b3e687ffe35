"""`lint-migrations --online`: lock and rewrite rules, judged with the table's state in the history."""

from __future__ import annotations

from pathlib import Path

from schema_audit.lint import lint

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "lint_online"


def test_each_online_rule_fires_on_its_unsafe_form_only() -> None:
    result = lint(FIXTURE, online=True)
    found = [(v.file.split("/")[-1], v.line, v.rule) for v in result.violations]
    assert found == [
        ("V2__unsafe.sql", 1, "SA101"),
        ("V2__unsafe.sql", 1, "SA108"),
        ("V2__unsafe.sql", 2, "SA102"),
        ("V2__unsafe.sql", 3, "SA103"),
        ("V2__unsafe.sql", 4, "SA104"),
        ("V2__unsafe.sql", 5, "SA105"),
        ("V2__unsafe.sql", 6, "SA106"),
        ("V2__unsafe.sql", 7, "SA107"),
        ("V2__unsafe.sql", 8, "SA107"),
    ]  # V3 (the safe forms) and V4 (a table created in the same migration) raise nothing
    assert [(v.rule, v.line, v.suppressed) for v in result.allowed] == [
        ("SA101", 3, "orders is small, built off-hours")
    ]


def test_online_rules_are_opt_in() -> None:
    assert lint(FIXTURE).violations == []


def test_a_table_created_earlier_in_the_same_migration_never_triggers_lock_rules(
    tmp_path: Path,
) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a1_invoices.py").write_text(
        '"""invoices"""\n'
        "import sqlalchemy as sa\n"
        "from alembic import op\n"
        "\n"
        'revision = "a1"\n'
        "down_revision = None\n"
        "\n"
        "\n"
        "def upgrade():\n"
        '    op.create_table("invoices", sa.Column("id", sa.BigInteger()), '
        'sa.Column("code", sa.Text()))\n'
        '    op.create_index("ix_invoices_code", "invoices", ["code"])\n'
        '    op.alter_column("invoices", "code", nullable=False)\n'
        '    op.create_unique_constraint("uq_invoices_code", "invoices", ["code"])\n'
        "\n"
        "\n"
        "def downgrade():\n"
        '    op.drop_table("invoices")\n'
    )
    (versions / "a2_index.py").write_text(
        '"""index on an existing table"""\n'
        "from alembic import op\n"
        "\n"
        'revision = "a2"\n'
        'down_revision = "a1"\n'
        "\n"
        "\n"
        "def upgrade():\n"
        '    op.create_index("ix_invoices_id", "invoices", ["id"])\n'
        "\n"
        "\n"
        "def downgrade():\n"
        '    op.drop_index("ix_invoices_id")\n'
    )
    result = lint(versions, online=True)
    assert [(v.revision, v.rule) for v in result.violations] == [("a2", "SA101"), ("a2", "SA108")]
