"""Resource limits (issue 8): a 200 MB SQL dump, a 10,000-revision Alembic history, a 50,000-requirement spec.

`make bench-limits` writes each input into a temp dir, runs the command that
reads it once in its own process, and prints wall time and peak RSS beside the
input's size, so "bounded memory, no quadratic blow-up" is a figure. The
sizes shrink with LIMITS_SCALE (0.1 = a tenth) for a quick look.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate  # noqa: E402
from run import measure  # noqa: E402

SCALE = float(os.environ.get("LIMITS_SCALE", "1"))
DUMP_MB = 200 * SCALE
REVISIONS = int(10_000 * SCALE)
REQUIREMENTS = int(50_000 * SCALE)

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


def write_dump(directory: Path, megabytes: float) -> tuple[Path, int]:
    """One SQL file of at least ``megabytes``: the generated schema repeated in fresh schemas."""
    base = "".join(sql for _, sql in generate(1000).files)
    path = directory / "dump.sql"
    copies = 0
    with path.open("w") as out:
        while out.tell() < megabytes * 1024 * 1024:
            out.write(f"CREATE SCHEMA s{copies};\nSET search_path = s{copies};\n")
            out.write(base)
            copies += 1
    return path, copies * 1000


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


def write_spec_and_history(directory: Path, requirements: int) -> tuple[Path, Path, int]:
    """The benchmark generator's spec and history, sized to about ``requirements`` requirements."""
    import yaml

    tables = max(1, requirements // 33)  # about 33 requirements per generated table
    generated = generate(tables)
    folder = directory / "history"
    folder.mkdir()
    for name, sql in generated.files:
        (folder / name).write_text(sql)
    spec = directory / "spec.yaml"
    spec.write_text(yaml.safe_dump(generated.spec, sort_keys=False, width=200))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from schema_audit.spec.load import load_spec

    return folder, spec, len(load_spec(spec).requirements)


def main() -> int:
    cli = [sys.executable, "-m", "schema_audit.cli"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="schema-audit-limits-") as tmp:
        root = Path(tmp)
        dump, tables = write_dump(root, DUMP_MB)
        size = dump.stat().st_size / 1024 / 1024
        tiny = root / "tiny.yaml"
        tiny.write_text("name: limits\ntables:\n  t00000: {}\nrules: {groups: []}\n")
        seconds, rss = measure([*cli, "audit", "-s", str(tiny), "--sql", str(dump), "-q"])
        rows.append((f"static audit of a {size:.0f} MB dump ({tables:,} tables)", seconds, rss))

        project = write_alembic(root, REVISIONS)
        seconds, rss = measure([*cli, "inspect", "--migrations", str(project), "-o", os.devnull])
        rows.append((f"static read of a {REVISIONS:,}-revision Alembic history", seconds, rss))

        folder, spec, count = write_spec_and_history(root, REQUIREMENTS)
        seconds, rss = measure([*cli, "validate-spec", str(spec)])
        rows.append((f"load and validate a {count:,}-requirement spec", seconds, rss))
        seconds, rss = measure([*cli, "audit", "-s", str(spec), "--sql", str(folder), "-q"])
        rows.append((f"static audit against the {count:,}-requirement spec", seconds, rss))
    print("| input | seconds | peak RSS MiB |")
    print("|---|---:|---:|")
    for label, seconds, rss in rows:
        print(f"| {label} | {seconds:.1f} | {rss:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
