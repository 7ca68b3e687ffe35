"""``make bench`` / ``make bench-quick``: schema-audit beside its reference, measured in the same run.

Every row of issue 19's table and targets is measured against the program it is
compared with (``pg_dump --schema-only``, ``psql -f`` into an empty database,
``python -c pass``), run in the same rounds: each round runs the reference and
then each schema-audit command once, each in a fresh process, so load that
comes and goes on a shared machine hits both sides alike. The figures are
medians over the rounds; peak RSS is the largest ``ru_maxrss`` of the
schema-audit process over the rounds (``os.wait4`` gives each child's own).
Every schema-audit run is cold: ``SCHEMA_AUDIT_CACHE=0``, except the rows
that say "warm" (the content cache filled beforehand, untimed).

    python benchmarks/run.py                 # 1,000 and 5,000 tables, 3 rounds
    python benchmarks/run.py --quick         # the 1,000-table rows, 1 round (≤ 60 s idle)
    python benchmarks/run.py --json out.json # also the figures as JSON (benchmarks/README.md)

The output is a Markdown table in a fixed row order, a machine line before it
(cores, load average at start and end, ``python -c pass``) so that figures are
read in context, and the "constant round trips" and "linear in tables" lines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent / "tests")
)  # the schema generator is the tests' (tests/synthetic.py)
sys.path.insert(0, str(Path(__file__).resolve().parent))

from locks import ddl_failures  # noqa: E402
from measure import CLI, ROOT, Outcome, checked  # noqa: E402
from reference import Turns, Watch  # noqa: E402
from selector_spec import write_selector_spec  # noqa: E402
from synthetic import write  # noqa: E402

from schema_audit.sources import live  # noqa: E402
from schema_audit.sources.scratch_cluster import PgCluster, find_bindir  # noqa: E402

B03_SPEC = ROOT / "specs" / "backend_guide_b03.yaml"
B03_FIXTURE = ROOT / "tests" / "fixtures" / "b03_alembic"
STATIC_SIZE = 1000  # the "1,000-table history, 200 files" (else the smallest size)
MEMORY_SIZE = 5000  # the peak-memory targets
# the cold static rows and their psql -f take at least this many rounds, even at --rounds 1:
# one sample of either side is one draw of a machine's noise (README: "Eighteenth session:
# static read, cold")
STATIC_MIN_ROUNDS = 3
TOOL_ENV = {"SCHEMA_AUDIT_CACHE": "0", "SCHEMA_AUDIT_PROGRESS": "0", "NO_COLOR": "1"}


# -- measuring -----------------------------------------------------------------------


@dataclass
class Command:
    """A command measured once per round; ``prepare`` runs untimed before each run."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ok: tuple[int, ...] = (0,)
    prepare: Callable[[], None] | None = None
    samples: list[Outcome] = field(default_factory=list)
    finish: Callable[[], None] | None = None  # untimed, after each run

    def run(self) -> None:
        if self.prepare:
            self.prepare()
        self.samples.append(checked(self.argv, self.env, self.ok))
        if self.finish:
            self.finish()

    @property
    def seconds(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def rss(self) -> float:
        return max(s.rss_mib for s in self.samples)


@dataclass
class Reference(Command):
    """``psql -f`` of the history into a fresh database, watched while it runs (benchmarks/reference.py)."""

    postmaster: int = 0
    dbname: str = ""
    turns: list[Turns | None] = field(default_factory=list)

    def run(self) -> None:
        if self.prepare:
            self.prepare()
        with Watch(self.postmaster, self.dbname) as watch:
            self.samples.append(checked(self.argv, self.env, self.ok))
        self.turns.append(watch.turns())
        if self.finish:
            self.finish()

    @property
    def on_cpu(self) -> float | None:
        """Median of the samples' time on a CPU (backend + psql): the wall without the waits
        for a CPU, which a loaded machine adds to each of the ~9,600 turns."""
        known = [t.backend_cpu + t.psql_cpu for t in self.turns if t]
        return statistics.median(known) if known else None

    def describe(self) -> list[str]:
        """One line a sample: its wall time and where it went."""
        return [
            f"{sample.seconds:.2f} s" + (f" ({turns.describe()})" if turns else "")
            for sample, turns in zip(self.samples, self.turns, strict=True)
        ]


def rounds(commands: list[Command], repeat: int) -> None:
    """Each round runs every command once, in order (reference first), ``repeat`` rounds."""
    for _ in range(repeat):
        for command in commands:
            command.run()


def tool(*args: str, ok: tuple[int, ...] = (0,)) -> Command:
    """A cold schema-audit run (no content cache)."""
    return Command([*CLI, *args], env=dict(TOOL_ENV), ok=ok)


# -- rows ----------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table: schema-audit's figure, its reference's, the target and its verdict."""

    work: str
    seconds: float | None
    cpu_seconds: float | None = None  # user + system of the schema-audit process
    reference: str = ""
    reference_seconds: float | None = None
    rss_mib: float | None = None
    target: str = ""
    met: bool | None = None
    value: str | None = None  # a figure that is not seconds (memory rows, the lock experiment)

    @property
    def ratio(self) -> float | None:
        if self.seconds is None or not self.reference_seconds:
            return None
        return self.seconds / self.reference_seconds


class Rows(list[Row]):
    """The table as it is built; each row also goes to stderr when measured, so an
    interrupted run (a full one takes most of an hour on a loaded machine) keeps its figures.
    ``details`` holds the lines printed under the table (the ``psql -f`` samples)."""

    details: list[str]

    def append(self, row: Row) -> None:
        super().append(row)
        log(render([row])[-1])


def ratio_row(
    work: str, subject: Command, reference: Command, name: str, limit: float | None
) -> Row:
    """A row with a ratio to the reference; ``limit`` is the target ratio (None: no target)."""
    row = Row(work, subject.seconds, subject.cpu, name, reference.seconds, subject.rss)
    if limit is not None:
        row.target = f"≤ {limit:g}×"
        row.met = (row.ratio or 0) <= limit
    return row


def memory_row(work: str, command: Command, limit_mib: int) -> Row:
    return Row(
        work,
        None,
        rss_mib=command.rss,
        value=f"{command.rss:.0f} MiB",
        target=f"≤ {limit_mib} MiB",
        met=command.rss <= limit_mib,
    )


def fmt_seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def render(rows: list[Row]) -> list[str]:
    """The Markdown table, one line per row, in the order the rows were measured."""
    lines = [
        "| work | schema-audit s | CPU s | reference | reference s | ratio | peak RSS MiB "
        "| target | met |",
        "|---|---:|---:|---|---:|---:|---:|---|:-:|",
    ]
    for r in rows:
        figure = r.value if r.value is not None else fmt_seconds(r.seconds)
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}×"
        rss = "" if r.rss_mib is None else f"{r.rss_mib:.0f}"
        met = "" if r.met is None else ("✓" if r.met else "✗")
        cpu = fmt_seconds(r.cpu_seconds)
        cells = [r.work, figure, cpu, r.reference, fmt_seconds(r.reference_seconds), ratio, rss]
        lines.append("| " + " | ".join([*cells, r.target, met]) + " |")
    return lines


# -- the machine ---------------------------------------------------------------------


def machine(pass_ms: float) -> dict[str, object]:
    """What the figures depend on, printed before them."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    banner = subprocess.run(
        [str(find_bindir() / "postgres"), "--version"], capture_output=True, text=True
    ).stdout
    found = re.search(r"\(PostgreSQL\) (\S+)", banner)
    version = found.group(1) if found else banner.strip()
    return {
        "cores": os.cpu_count(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "postgresql": version,
        "python_c_pass_ms": round(pass_ms, 1),
        "commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def machine_line(info: dict[str, object]) -> str:
    start = " ".join(f"{x:.2f}" for x in info["load_average_start"])  # type: ignore[attr-defined]
    end = " ".join(f"{x:.2f}" for x in info.get("load_average_end", []))  # type: ignore[attr-defined]
    return (
        f"Machine: {info['cores']} cores, load average {start} at start, {end} at end; "
        f"Python {info['python']}, PostgreSQL {info['postgresql']}; "
        f"python -c pass {info['python_c_pass_ms']} ms; commit {info['commit']}, {info['date']}; "
        f"median of {info['rounds']} round(s)"
    )


# -- the benchmark -------------------------------------------------------------------


def history_files(folder: Path) -> list[Path]:
    """The generated history in version order (V2 before V10), as a migration runner applies it."""
    return sorted(folder.glob("V*.sql"), key=lambda p: int(p.name[1:].split("__")[0]))


def psql_apply(psql: str, dsn: str, files: list[Path]) -> list[str]:
    """``psql -f`` every file of the history into one database, stopping at the first error."""
    argv = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn]
    for path in files:
        argv += ["-f", str(path)]
    return argv


def bench_size(
    n: int,
    cluster: PgCluster,
    work: Path,
    repeat: int,
    rows: Rows,
    trips: dict[int, int],
    per_table: dict[int, float],
    locks: bool,
    static_size: int,
) -> None:
    bindir = find_bindir()
    pg_dump = shutil.which("pg_dump") or str(bindir / "pg_dump")
    psql = shutil.which("psql") or str(bindir / "psql")
    folder, _ = write(n, work)
    files = history_files(folder)
    label = f"{n:,} tables"

    dsn = cluster.create_database(f"bench_{n}")
    # the setup; the static rows' reference is sampled apart, each round alike (reference.py)
    setup = Command(psql_apply(psql, dsn, files))
    setup.finish = lambda: _vacuum_catalogs(cluster, f"bench_{n}")
    setup.run()
    log(f"[{label}] history of {len(files)} files applied in {setup.samples[0].seconds:.1f} s")
    live.introspect(dsn)
    trips[n] = live.LAST_ROUND_TRIPS

    init_spec = work / f"init_{n}.yaml"
    selector_spec = write_selector_spec(work / f"selectors_{n}.yaml")
    dump = Command([pg_dump, "--schema-only", "-d", dsn, "-f", str(work / f"dump_{n}.sql")])
    inspect = tool("inspect", "--dsn", dsn, "-o", str(work / f"model_{n}.json"))
    # each round's init writes the spec the audits after it read
    init = tool("init", "--dsn", dsn, "-o", str(init_spec), "--force")
    audit_init = tool("audit", "-s", str(init_spec), "--dsn", dsn, "-q", ok=(0, 1))
    audit_sel = tool("audit", "-s", str(selector_spec), "--dsn", dsn, "-q", ok=(0, 1))
    log(f"[{label}] {repeat} round(s): pg_dump, inspect, init, audit ×2")
    rounds([dump, inspect, init, audit_init, audit_sel], repeat)
    per_table[n] = audit_init.seconds / n

    ref = "pg_dump --schema-only"
    rows.append(
        ratio_row(f"{label}: inspect --dsn", inspect, dump, ref, 0.5 if n >= 5000 else None)
    )
    rows.append(ratio_row(f"{label}: init --dsn", init, dump, ref, 1.0))
    rows.append(ratio_row(f"{label}: audit --dsn, init's spec", audit_init, dump, ref, 1.5))
    rows.append(ratio_row(f"{label}: audit --dsn, selector spec", audit_sel, dump, ref, 1.0))

    if n == static_size:
        model = work / f"static_{n}.json"
        s_inspect = tool("inspect", "--sql", str(folder), "-o", str(model))
        s_audit = tool("audit", "-s", str(init_spec), "--sql", str(folder), "-q", ok=(0, 1))
        # warm: the model cache (sources/model_cache.py) holds this history's model
        cache = str(work / f"cache_{n}")
        warm_env = {**TOOL_ENV, "SCHEMA_AUDIT_CACHE": "1", "SCHEMA_AUDIT_CACHE_DIR": cache}
        w_inspect = Command(s_inspect.argv, env=warm_env)
        w_audit = Command(s_audit.argv, env=warm_env, ok=s_audit.ok)
        for warm in (w_inspect, w_audit):
            checked(warm.argv, warm.env, warm.ok)  # fills the cache
        log(
            f"[{label}] {repeat} round(s): psql -f, static inspect, static audit, cold and warm"
            f" (cold: {max(repeat, STATIC_MIN_ROUNDS)})"
        )
        static = [s_inspect, s_audit, w_inspect, w_audit]
        for command in static:
            command.prepare = lambda: _settle(cluster)
        postmaster = int((cluster.root / "data" / "postmaster.pid").read_text().split()[0])  # type: ignore[operator]
        apply = Reference([], postmaster=postmaster, dbname="psql_ref")
        apply.prepare = lambda: _point_at_fresh(apply, cluster, psql, files)
        apply.finish = lambda: _vacuum_catalogs(cluster, "psql_ref")
        rounds([apply, *static], repeat)
        rounds([apply, s_inspect, s_audit], STATIC_MIN_ROUNDS - repeat)
        cluster.drop_database("psql_ref")
        rows.details += [f"psql -f sample: {line}" for line in apply.describe()]
        for name, command in (("inspect --sql", s_inspect), ("audit --sql", s_audit)):
            taken = ", ".join(f"{sample.seconds:.2f}" for sample in command.samples)
            rows.details.append(f"static {name}, cold, samples (s, in order): {taken}")
        history = f"{label} history, {len(files)} files"
        ref = "psql -f into an empty database"
        rows.append(ratio_row(f"{history}: inspect --sql, cold", s_inspect, apply, ref, 0.1))
        rows.append(
            ratio_row(f"{history}: audit --sql, init's spec, cold", s_audit, apply, ref, 0.2)
        )
        # the same two rows against the reference's time on a CPU: a loaded machine inflates
        # psql -f's wall many times more than the tool's (README: "Sixteenth session: static")
        on_cpu = "psql -f, its time on a CPU (waits for one left out)"
        for name, subject, limit in (("inspect", s_inspect, 0.1), ("audit", s_audit, 0.2)):
            row = ratio_row(
                f"{history}: {name} --sql, cold, to psql -f on a CPU", subject, apply, on_cpu, limit
            )
            row.reference_seconds = apply.on_cpu
            row.met = None if row.ratio is None else row.ratio <= limit
            rows.append(row)
        rows.append(ratio_row(f"{history}: inspect --sql, warm cache", w_inspect, apply, ref, 0.1))
        rows.append(
            ratio_row(f"{history}: audit --sql, init's spec, warm cache", w_audit, apply, ref, 0.2)
        )

    if n == MEMORY_SIZE:
        rows.append(memory_row(f"{label}: peak memory, inspect --dsn", inspect, 300))
        rows.append(memory_row(f"{label}: peak memory, audit --dsn (init's spec)", audit_init, 600))

    if locks:
        # t00000 is read by mv_t00000 (every 20th table has a materialized view)
        log(f"[{label}] lock experiment: 2 × 20 s")
        reader = [*CLI, "inspect", "--dsn", dsn, "-o", str(work / "loop.json")]
        failed, tried = ddl_failures(dsn, "t00000", reader)
        dump_failed, dump_tried = ddl_failures(
            dsn, "t00000", [pg_dump, "--schema-only", "-d", dsn, "-f", os.devnull]
        )
        rows.append(
            Row(
                f"{label}: migrations (lock_timeout 200ms) failing while inspect runs in a loop",
                None,
                reference=f"pg_dump loop: {dump_failed}/{dump_tried}",
                value=f"{failed}/{tried}",
                target="0 failures",
                met=failed == 0,
            )
        )
    cluster.drop_database(f"bench_{n}")


def _point_at_fresh(command: Command, cluster: PgCluster, psql: str, files: list[Path]) -> None:
    """``psql -f`` needs an empty database each round: recreate it, then settle (untimed)."""
    cluster.drop_database("psql_ref")
    command.argv = psql_apply(psql, cluster.create_database("psql_ref"), files)
    _settle(cluster)


def _vacuum_catalogs(cluster: PgCluster, dbname: str) -> None:
    """After an apply (untimed): the catalogs' vacuum and analyze that autovacuum would
    otherwise run later, on its own schedule, inside whichever timed command it meets.

    Applying the 1,000-table history leaves pg_attribute, pg_class, pg_depend, … with
    enough changes that autovacuum vacuums and analyzes them ≈ 0.3–0.4 CPU s (1–1.5 s
    elapsed with its cost delay) some seconds later: in the static rows that was the
    sample right after the reference (benchmarks/README.md, "Eighteenth session: static
    read, cold"), work the reference caused and never paid. Done here, autovacuum finds
    nothing left; the apply itself still meets autovacuum as any apply would.
    """
    import psycopg
    from psycopg import sql

    with psycopg.connect(cluster.dsn(dbname), autocommit=True) as conn:
        names = conn.execute(
            "SELECT relname FROM pg_class"
            " WHERE relnamespace = 'pg_catalog'::regnamespace AND relkind = 'r' ORDER BY 1"
        ).fetchall()
        tables = sql.SQL(", ").join(sql.Identifier("pg_catalog", name) for (name,) in names)
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(tables))


def _settle(cluster: PgCluster) -> None:
    """Before each timed static command: the server's dirty buffers and the page cache
    written out, so no earlier step's writes land inside the timed run (either side)."""
    cluster.execute("CHECKPOINT")
    os.sync()


def bench_startup(repeat: int, rows: list[Row], python_pass: Command) -> None:
    """``--version`` and the B0.3 static audit, each against ``python -c pass``."""
    version = tool("--version")
    b03_cold = tool("audit", "-s", str(B03_SPEC), "-m", str(B03_FIXTURE), "-q", ok=(0, 1))
    with tempfile.TemporaryDirectory(prefix="schema-audit-bench-cache-") as cache:
        b03_warm = tool("audit", "-s", str(B03_SPEC), "-m", str(B03_FIXTURE), "-q", ok=(0, 1))
        b03_warm.env = {**TOOL_ENV, "SCHEMA_AUDIT_CACHE": "1", "SCHEMA_AUDIT_CACHE_DIR": cache}
        checked(b03_warm.argv, b03_warm.env, b03_warm.ok)  # fills the cache
        log(f"[startup] python -c pass and --version ×5, B0.3 cold and warm ×{repeat}")
        rounds([python_pass, version], 5)
        rounds([python_pass, b03_cold, b03_warm], repeat)
    ref = "python -c pass"
    limit = 2 * python_pass.seconds + 0.05
    row = ratio_row("schema-audit --version", version, python_pass, ref, None)
    row.target, row.met = f"≤ 2× + 50 ms (≤ {limit:.3f} s)", version.seconds <= limit
    rows.append(row)
    row = ratio_row("B0.3 static audit (--migrations), cold", b03_cold, python_pass, ref, None)
    condition = "" if python_pass.seconds <= 0.020 else " (set where python -c pass ≤ 20 ms)"
    row.target, row.met = "≤ 0.5 s" + condition, b03_cold.seconds <= 0.5
    rows.append(row)
    rows.append(ratio_row("B0.3 static audit, warm cache", b03_warm, python_pass, ref, None))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the 1,000-table rows, one round")
    parser.add_argument("--rounds", type=int, help="rounds per row (default: 3, --quick: 1)")
    parser.add_argument("--sizes", help="comma-separated table counts (default 1000,5000)")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    repeat = args.rounds or (1 if args.quick else 3)
    default = "1000" if args.quick else "1000,5000"
    sizes = [int(s) for s in (args.sizes or os.environ.get("BENCH_SIZES") or default).split(",")]

    started = time.perf_counter()
    # as pip does on install: with PYTHONDONTWRITEBYTECODE set (as on the project's machine)
    # an editable install would otherwise compile every module from source on each run
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "schema_audit")], check=True
    )
    python_pass = Command([sys.executable, "-c", "pass"])
    for _ in range(5):
        python_pass.run()
    info = machine(python_pass.seconds * 1000)
    info["rounds"] = repeat
    python_pass.samples.clear()
    rows = Rows()
    rows.details = []
    trips: dict[int, int] = {}
    per_table: dict[int, float] = {}
    work = Path(tempfile.mkdtemp(prefix="schema-audit-bench-"))
    try:
        with PgCluster() as cluster:
            # round trips must not grow with the schema: a small size costs seconds
            small = cluster.create_database("bench_trips")
            folder, _ = write(100, work)
            checked(
                psql_apply(
                    shutil.which("psql") or str(find_bindir() / "psql"),
                    small,
                    history_files(folder),
                )
            )
            live.introspect(small)
            trips[100] = live.LAST_ROUND_TRIPS
            cluster.drop_database("bench_trips")
            for n in sizes:
                locks = not args.quick and n == max(sizes)
                static = STATIC_SIZE if STATIC_SIZE in sizes else min(sizes)
                bench_size(n, cluster, work, repeat, rows, trips, per_table, locks, static)
        bench_startup(repeat, rows, python_pass)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    info["load_average_end"] = [round(x, 2) for x in os.getloadavg()]

    constant = len(set(trips.values())) == 1
    lines = [machine_line(info), "", *render(rows), "", *rows.details]
    lines.append(
        "Catalog round trips per live introspection: "
        + ", ".join(f"{n:,} tables: {t}" for n, t in sorted(trips.items()))
        + (" (constant) ✓" if constant else " (NOT constant) ✗")
    )
    growth = None
    if len(per_table) >= 2:
        small_n, large_n = sorted(per_table)[-2], sorted(per_table)[-1]
        growth = per_table[large_n] / per_table[small_n]
        lines.append(
            f"audit --dsn (init's spec) cost per table, {large_n:,} vs {small_n:,} tables: "
            f"×{growth:.2f} ({'linear or better ✓' if growth <= 1.2 else 'SUPERLINEAR ✗'})"
        )
    lines.append(f"Benchmark wall time: {time.perf_counter() - started:.0f} s")
    print("\n".join(lines))
    if args.json:
        document = {
            "machine": info,
            "rows": [{**asdict(r), "ratio": r.ratio} for r in rows],
            "details": rows.details,
            "round_trips": {str(n): t for n, t in sorted(trips.items())},
            "round_trips_constant": constant,
            "per_table_growth": growth,
        }
        args.json.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
