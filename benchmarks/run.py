"""``make bench``: timings of schema-audit against pg_dump on generated schemas, with the targets beside them.

One throwaway cluster; for each size the generated history is applied, then
each command runs once in its own process (wall time and peak RSS measured by
a small wrapper process). Sizes default to 100, 1,000 and 5,000 tables
(``BENCH_SIZES=100,1000`` to shorten). Prints one Markdown table.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import write  # noqa: E402
from locks import ddl_failures  # noqa: E402

from schema_audit.sources import live  # noqa: E402
from schema_audit.sources.replay import Scratch, replay_sql  # noqa: E402
from schema_audit.sources.scratch_cluster import PgCluster, find_bindir  # noqa: E402

CLI = [sys.executable, "-m", "schema_audit.cli"]
WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "e = time.perf_counter() - t\n"
    "print(e, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)\n"
    "sys.stderr.write(p.stderr.decode()[-500:])\n"
)


def measure(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one run of argv in a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, *argv], capture_output=True, text=True, cwd=ROOT
    )
    seconds, rss_kb, code = proc.stdout.split()
    if int(code) not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)} exited {code}: {proc.stderr}")
    return float(seconds), int(rss_kb) / 1024


def row(
    rows: list[list[str]],
    what: str,
    seconds: float,
    rss: float | None,
    target: str,
    ok: bool | None,
) -> None:
    verdict = "" if ok is None else ("met" if ok else "NOT MET")
    rows.append([what, f"{seconds:.2f}", f"{rss:.0f}" if rss is not None else "", target, verdict])


def main() -> int:
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "100,1000,5000").split(",")]
    pg_dump = shutil.which("pg_dump") or str(find_bindir() / "pg_dump")
    rows: list[list[str]] = []
    per_table: dict[int, float] = {}
    trips: dict[int, int] = {}
    work = Path(tempfile.mkdtemp(prefix="schema-audit-bench-"))
    started = time.perf_counter()
    try:
        with PgCluster() as cluster:
            for n in sizes:
                folder, spec = write(n, work)
                dsn = cluster.create_database(f"bench_{n}")
                setup = time.perf_counter()
                scratch = Scratch(dsn, f"bench_{n}", cluster.dsn())
                replay_sql(folder, scratch)
                if scratch.failed:
                    raise RuntimeError(f"generated history failed: {scratch.failed}")
                print(
                    f"[{n} tables] history of {len(scratch.steps)} files applied in "
                    f"{time.perf_counter() - setup:.1f} s",
                    file=sys.stderr,
                )
                live.introspect(dsn)
                trips[n] = live.LAST_ROUND_TRIPS
                dump = work / f"dump_{n}.sql"
                t_dump, m_dump = measure([pg_dump, "--schema-only", "-d", dsn, "-f", str(dump)])
                t_inspect, m_inspect = measure(
                    [*CLI, "inspect", "--dsn", dsn, "-o", str(work / f"model_{n}.json")]
                )
                ratio = t_inspect / t_dump
                row(rows, f"{n} tables: pg_dump --schema-only", t_dump, m_dump, "baseline", None)
                row(
                    rows,
                    f"{n} tables: inspect --dsn (JSON model)",
                    t_inspect,
                    m_inspect,
                    f"≤ 0.5 × pg_dump (ratio {ratio:.2f})",
                    ratio <= 0.5 if n >= 5000 else None,
                )
                t_live, m_live = measure([*CLI, "audit", "-s", str(spec), "--dsn", dsn, "-q"])
                per_table[n] = t_live / n
                row(
                    rows,
                    f"{n} tables: live audit, every object required",
                    t_live,
                    m_live,
                    "< 10 s, < 1 GiB at 5,000",
                    (t_live < 10 and m_live < 1024) if n >= 5000 else None,
                )
                t_static, m_static = measure(
                    [*CLI, "audit", "-s", str(spec), "--sql", str(folder), "-q"]
                )
                row(
                    rows,
                    f"{n} tables: static audit of {len(scratch.steps)} SQL files",
                    t_static,
                    m_static,
                    "< 5 s for 1,000 files",
                    t_static < 5 if len(scratch.steps) >= 1000 else None,
                )
                t_dumpaudit, m_dumpaudit = measure(
                    [*CLI, "audit", "-s", str(spec), "--sql", str(dump), "-q"]
                )
                row(
                    rows,
                    f"{n} tables: static audit of the pg_dump file",
                    t_dumpaudit,
                    m_dumpaudit,
                    "",
                    None,
                )
                if n == max(sizes):
                    # t00000 is read by mv_t00000 (every 20th table has a matview)
                    reader = [*CLI, "inspect", "--dsn", dsn, "-o", str(work / "loop.json")]
                    failed, tried = ddl_failures(dsn, "t00000", reader)
                    dump_failed, dump_tried = ddl_failures(
                        dsn, "t00000", [pg_dump, "--schema-only", "-d", dsn, "-f", "/dev/null"]
                    )
                    rows.append(
                        [
                            f"{n} tables: migrations (lock_timeout 200ms) failed during inspect loop",
                            f"{failed}/{tried}",
                            "",
                            f"0 (pg_dump loop: {dump_failed}/{dump_tried})",
                            "met" if failed == 0 else "NOT MET",
                        ]
                    )
                cluster.drop_database(f"bench_{n}")
        spec_b03 = str(ROOT / "specs" / "backend_guide_b03.yaml")
        fixture = str(ROOT / "tests" / "fixtures" / "b03_alembic")
        t_b03, m_b03 = measure([*CLI, "audit", "-s", spec_b03, "-m", fixture, "-q"])
        row(rows, "B0.3 static audit (--migrations)", t_b03, m_b03, "< 1.5 s", t_b03 < 1.5)
        t_replay, m_replay = measure(
            [*CLI, "audit", "-s", spec_b03, "-m", fixture, "--replay", "-q"]
        )
        row(
            rows,
            "B0.3 cluster start + replay + every probe",
            t_replay,
            m_replay,
            "< 10 s",
            t_replay < 10,
        )
        helps = [measure([*CLI, "--help"]) for _ in range(5)]
        t_help = min(h[0] for h in helps)
        row(
            rows,
            "schema-audit --help (best of 5)",
            t_help,
            min(h[1] for h in helps),
            "< 0.3 s",
            t_help < 0.3,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| measurement | seconds | peak RSS MiB | target | |")
    print("|---|---:|---:|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    print(
        "Catalog round trips per live introspection: "
        + ", ".join(f"{n} tables: {t}" for n, t in trips.items())
        + (" (constant)" if len(set(trips.values())) == 1 else " (NOT constant)")
    )
    if len(per_table) >= 2:
        small, large = sorted(per_table)[-2], sorted(per_table)[-1]
        growth = per_table[large] / per_table[small]
        print(
            f"Live audit cost per table, {large} vs {small} tables: ×{growth:.2f} "
            f"({'linear or better' if growth <= 1.2 else 'SUPERLINEAR'})"
        )
    print(f"Benchmark wall time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
