"""``make demo``: the main job on the bundled example, end to end.

1. audit the B0.3 Alembic history statically (no database), and
2. migrate a throwaway PostgreSQL with the same history and audit it live,

printing the terminal summary of both and writing JSON (and, with
``--write-reports``, the checked-in reports) under ``out/`` or ``reports/``.
Findings are expected: the demo shows them and exits 0 unless the audit
itself could not run.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "backend_guide_b03.yaml"
FIXTURE = ROOT / "tests" / "fixtures" / "b03_alembic"


def upgrade_alembic(project: Path, dsn: str) -> None:
    """Run ``alembic upgrade head`` for ``project`` against ``dsn`` (psycopg 3 driver)."""
    from alembic import command
    from alembic.config import Config

    from schema_audit.sources.dburl import sqlalchemy_url

    url = sqlalchemy_url(dsn)
    config = Config(str(project / "alembic.ini"))
    config.set_main_option("script_location", str(project))
    config.set_main_option("sqlalchemy.url", url)
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        command.upgrade(config, "head")
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--write-reports", action="store_true", help="write reports/ instead of out/"
    )
    args = parser.parse_args(argv)

    from schema_audit.audit import engine
    from schema_audit.render import json_report, terminal
    from schema_audit.sources.pgserver import PgCluster
    from schema_audit.sources.select import load_source
    from schema_audit.spec.load import load_spec

    console = Console()
    out_dir = ROOT / ("reports" if args.write_reports else "out")
    out_dir.mkdir(exist_ok=True)
    spec = load_spec(SPEC.relative_to(ROOT) if Path.cwd() == ROOT else SPEC)

    console.rule("[bold]1. Static audit of the Alembic history (no database)")
    static = load_source(migrations=FIXTURE.relative_to(ROOT) if Path.cwd() == ROOT else FIXTURE)
    static_result = engine.run(
        spec, static.model, static.kind, static.target, extra_findings=static.findings
    )
    terminal.render(static_result, console)
    (out_dir / "b03_static.json").write_text(json_report.render(static_result))

    console.rule("[bold]2. Live audit: the same history migrated into a throwaway PostgreSQL")
    with PgCluster() as cluster:
        dsn = cluster.create_database("b03_demo")
        upgrade_alembic(FIXTURE, dsn)
        live = load_source(dsn=dsn)
        live_result = engine.run(
            spec, live.model, live.kind, "throwaway PostgreSQL (alembic upgrade head)"
        )
        terminal.render(live_result, console)
        (out_dir / "b03_live.json").write_text(json_report.render(live_result))
    console.print(f"JSON written to {out_dir.relative_to(ROOT)}/b03_static.json and b03_live.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
