"""Real-world trial (fifteenth session, trial14): static reading == catalog on projects' own forms.

Fixtures are written here in each project's style; no project file is copied. Each test applies
its SQL to a real database and compares what the tool says of the static reading of the same SQL
with what the catalog says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli_runner import run_cli

# ghostfolio's form (Prisma): an enum column with a literal default, moved to TEXT, then the
# enum dropped with CASCADE. PostgreSQL keeps the default as a value of the enum coerced to
# text ('USD'::"Currency"), so the CASCADE drops the default with the type.
ENUM_TO_TEXT = {
    "20210604190809_initial_migration/migration.sql": """
        -- CreateEnum
        CREATE TYPE "Currency" AS ENUM ('CHF', 'EUR', 'USD');

        -- CreateTable
        CREATE TABLE "Account" (
            "id" TEXT NOT NULL,
            "currency" "Currency" NOT NULL DEFAULT E'USD',
            "fee" "Currency" DEFAULT 'EUR'::"Currency",

            CONSTRAINT "Account_pkey" PRIMARY KEY ("id")
        );
    """,
    "20210921151004_changed_currency_from_enum_to_string/migration.sql": """
        -- AlterTable
        ALTER TABLE "Account" ALTER COLUMN "currency" TYPE TEXT;

        -- AlterTable
        ALTER TABLE "Account" ALTER COLUMN "fee" TYPE TEXT;
    """,
}
DROP_ENUM = {
    "20210921151005_drop_currency_enum/migration.sql": """
        -- DropEnum
        DROP TYPE "Currency"{behaviour};
    """,
}


def _prisma_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "migration_lock.toml").write_text('provider = "postgresql"\n')
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True)
        (folder / name).write_text(text)
    return folder


def _differences(folder: Path, dsn: str) -> list[Any]:
    proc = run_cli("diff", folder, dsn, "-f", "json")
    differences: list[Any] = json.loads(proc.stdout)["differences"]
    return differences


def test_drop_type_cascade_takes_the_defaults_holding_its_values(
    make_db: Any, tmp_path: Path
) -> None:
    """The static reading kept `currency`'s default 'USD' (and `fee`'s 'EUR'::"Currency") after
    DROP TYPE "Currency" CASCADE, where PostgreSQL drops both defaults with the type: `diff`
    counted a difference, init --sql's spec FAILed the database and a spec saying "no
    default" FAILed the history (false FAILs; a spec requiring the default PASSed statically:
    a false PASS). Found on ghostfolio/ghostfolio's Prisma history."""
    files = {**ENUM_TO_TEXT}
    files.update({k: v.format(behaviour=" CASCADE") for k, v in DROP_ENUM.items()})
    folder = _prisma_folder(tmp_path, files)
    dsn = make_db("trial14_enum_default", "".join(files.values()))
    assert _differences(folder, dsn) == []

    spec = tmp_path / "static.yaml"
    assert run_cli("init", "--sql", folder, "-o", spec).returncode == 0
    audit = run_cli("audit", "-s", spec, "--dsn", dsn, "-f", "json")
    failing = [f["id"] for f in json.loads(audit.stdout)["findings"] if f["status"] == "FAIL"]
    assert failing == [], failing

    live_spec = tmp_path / "live.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", live_spec).returncode == 0
    audit = run_cli("audit", "-s", live_spec, "--sql", folder, "-f", "json")
    found = {f["id"]: f["status"] for f in json.loads(audit.stdout)["findings"]}
    assert found["tables.Account.exactly.columns"] == "PASS"
    assert [i for i, s in found.items() if s == "FAIL"] == []


def test_drop_type_is_refused_while_a_default_holds_its_value(make_db: Any, tmp_path: Path) -> None:
    """Without CASCADE PostgreSQL refuses the DROP TYPE ("default value for column currency
    of table "Account" depends on type "Currency""); the static reading dropped the enum, so
    the enum a database migrated up to the refusal holds was missing statically (false FAIL)."""
    files = {**ENUM_TO_TEXT}
    files.update({k: v.format(behaviour="") for k, v in DROP_ENUM.items()})
    folder = _prisma_folder(tmp_path, files)
    dsn = make_db("trial14_enum_refused", "".join(ENUM_TO_TEXT.values()))
    assert _differences(folder, dsn) == []
    inspect = run_cli("inspect", "--sql", folder)
    model = json.loads(inspect.stdout)["model"]
    assert 'public."Currency"' in model["enums"]
    assert any("depend on it" in u["reason"] for u in model["unapplied"]), model["unapplied"]
