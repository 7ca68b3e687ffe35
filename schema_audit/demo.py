"""``make demo`` / ``make report``: the main job on the bundled example, end to end.

1. audit the B0.3 Alembic history statically (no database), and
2. migrate a throwaway PostgreSQL with the same history and audit it live,

printing the terminal summary of both. ``make demo`` writes the reports under
``out/``; ``make report`` (``--write-reports``) regenerates the checked-in
``reports/b03_forensic_report.{md,html,json}`` from the static audit only,
deterministically (paths relative to the repository, date from the spec).
Findings are expected: the demo exits 0 unless the audit itself could not run.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "backend_guide_b03.yaml"
FIXTURE = ROOT / "tests" / "fixtures" / "b03_alembic"
FIXTURE_PATH = Path("tests/fixtures/b03_alembic")  # relative: reports show repository paths
REPORT_STEM = "b03_forensic_report"


def upgrade_alembic(project: Path, dsn: str) -> None:
    """Run ``alembic upgrade head`` for ``project`` against ``dsn`` through its own env.py."""
    from alembic import command
    from alembic.config import Config

    from schema_audit.sources.dburl import sqlalchemy_url

    url = sqlalchemy_url(dsn)
    config = Config(str(project / "alembic.ini"))
    config.set_main_option("script_location", str(project))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        command.upgrade(config, "head")
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


def static_audit():
    """The static audit of the bundled example, paths relative to the repository (deterministic)."""
    from schema_audit import api

    previous = Path.cwd()
    os.chdir(ROOT)
    try:
        return api.audit(Path("specs/backend_guide_b03.yaml"), migrations=FIXTURE_PATH)
    finally:
        os.chdir(previous)


def report_texts(result) -> dict[str, str]:
    """The checked-in report files and what they must contain."""
    from schema_audit.render import html, json_report, markdown

    return {
        f"{REPORT_STEM}.md": markdown.render(result),
        f"{REPORT_STEM}.html": html.render(result),
        f"{REPORT_STEM}.json": json_report.render(result),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write-reports", action="store_true", help="regenerate reports/ and stop")
    args = parser.parse_args(argv)

    from rich.console import Console

    from schema_audit import api
    from schema_audit.render import json_report, terminal
    from schema_audit.sources.scratch_cluster import PgCluster

    console = Console()
    out_dir = ROOT / ("reports" if args.write_reports else "out")
    out_dir.mkdir(exist_ok=True)

    console.rule("[bold]1. Static audit of the Alembic history (no database)")
    static_result = static_audit()
    terminal.render(static_result, console)
    for name, text in report_texts(static_result).items():
        (out_dir / name).write_text(text, encoding="utf-8")
    console.print(f"reports written to {out_dir.relative_to(ROOT)}/{REPORT_STEM}.{{md,html,json}}")
    if args.write_reports:
        return 0

    console.rule("[bold]2. Live audit: the same history migrated into a throwaway PostgreSQL")
    with PgCluster() as cluster:
        dsn = cluster.create_database("b03_demo")
        upgrade_alembic(FIXTURE, dsn)
        live_result = api.audit(SPEC, dsn=dsn)
        terminal.render(live_result, console)
        (out_dir / "b03_live.json").write_text(json_report.render(live_result), encoding="utf-8")
    console.print("live audit JSON written to out/b03_live.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
