"""``make bench-fleet``: 50 databases of the B0.3 schema audited with ``--jobs 8``, against one.

Target (issue 20): the fleet's wall time is at most 3× a single audit's, measured in the
same run on the same throwaway cluster. ``FLEET_SIZE`` and ``FLEET_JOBS`` change the shape.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from measure import CLI, measure  # noqa: E402

from schema_audit.demo import upgrade_alembic  # noqa: E402
from schema_audit.sources.scratch_cluster import PgCluster  # noqa: E402

SPEC = str(ROOT / "specs" / "backend_guide_b03.yaml")
FIXTURE = ROOT / "tests" / "fixtures" / "b03_alembic"


def main() -> int:
    size = int(os.environ.get("FLEET_SIZE", "50"))
    jobs = int(os.environ.get("FLEET_JOBS", "8"))
    with PgCluster() as cluster, tempfile.TemporaryDirectory() as tmp:
        template = cluster.create_database("fleet_template")
        upgrade_alembic(FIXTURE, template)
        targets = []
        for index in range(size):
            name = f"fleet_{index:03d}"
            cluster.execute(f'CREATE DATABASE "{name}" TEMPLATE fleet_template')
            targets.append(f"  - name: db{index:03d}\n    dsn: '{cluster.dsn(name)}'\n")
        fleet_file = Path(tmp) / "fleet.yaml"
        fleet_file.write_text("targets:\n" + "".join(targets))
        single, single_rss = measure(
            [*CLI, "audit", "-s", SPEC, "--dsn", cluster.dsn("fleet_000"), "-q"]
        )
        many, many_rss = measure(
            [*CLI, "audit", "-s", SPEC, "--targets", str(fleet_file), "--jobs", str(jobs), "-q"]
        )
    ratio = many / single
    verdict = "met" if ratio <= 3 else "NOT MET"
    print("| measurement | seconds | RSS MiB | target | |")
    print("|---|---:|---:|---|---|")
    print(f"| one B0.3 database: audit --dsn | {single:.2f} | {single_rss:.0f} | baseline | |")
    print(
        f"| {size} B0.3 databases: audit --targets --jobs {jobs} | {many:.2f} | {many_rss:.0f} "
        f"| ≤ 3× one (ratio {ratio:.2f}) | {verdict} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
