"""Resource limits (issue 8): a 200 MB SQL dump, a 10,000-revision Alembic history, a 50,000-requirement spec;
and hostile SQL (issue 21): a 100 MB statement, a 50 MB line, NUL bytes, 100,000 nested
parentheses, a 50,000-term expression, a 10,000-branch CASE.

`make bench-limits` writes each input into a temp dir, runs the command that
reads it once in its own process, and prints wall time and peak RSS beside the
input's size, so "bounded memory, no quadratic blow-up" is a figure. The
sizes shrink with LIMITS_SCALE (0.1 = a tenth) for a quick look; LIMITS_ONLY=hostile
runs only the hostile-SQL cases.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # tests/synthetic.py
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import CLI, measure, run  # noqa: E402
from synthetic import generate, write_alembic  # noqa: E402

SCALE = float(os.environ.get("LIMITS_SCALE", "1"))
DUMP_MB = 200 * SCALE
REVISIONS = int(10_000 * SCALE)
REQUIREMENTS = int(50_000 * SCALE)


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
    from schema_audit.spec.load import load_spec

    return folder, spec, len(load_spec(spec).requirements)


def write_hostile(directory: Path, scale: float) -> list[tuple[str, Path]]:
    """SQL written to hurt a reader: each must end in a result or a clear error, never a crash."""
    cases = []
    mb = 1024 * 1024

    def write(name: str, label: str, parts: list[str]) -> None:
        path = directory / name
        with path.open("w") as out:
            for part in parts:
                out.write(part)
        cases.append((label, path))

    rows = max(1, int(100 * mb * scale) // 8)
    write(
        "statement.sql",
        f"one {rows * 8 / mb:.0f} MB statement (INSERT … VALUES)",
        ["CREATE TABLE t (id int);\nINSERT INTO t VALUES\n"]
        + ["(1234),\n" for _ in range(rows - 1)]
        + ["(1);\nCREATE TABLE after_it (id int);\n"],
    )
    comment = int(50 * mb * scale)
    write(
        "line.sql",
        f"a {comment / mb:.0f} MB line without a newline",
        ["CREATE TABLE t (id int); /* ", "x" * comment, " */ CREATE TABLE after_it (id int);"],
    )
    nul = directory / "nul.sql"
    nul.write_bytes(b"\0" * int(10 * mb * scale))
    cases.append((f"a file of {int(10 * mb * scale) / mb:.0f} MB of NUL bytes", nul))
    depth = 100_000
    write(
        "parens.sql",
        f"{depth:,} nested parentheses",
        ["CREATE TABLE t (id int);\nCREATE VIEW v AS SELECT ", "(" * depth, "1", ")" * depth]
        + [" AS x;\nCREATE TABLE after_it (id int);\n"],
    )
    terms = 50_000
    write(
        "chain.sql",
        f"a {terms:,}-term expression (1 + 1 + …)",
        ["CREATE TABLE t (id int DEFAULT ", " + ".join(["1"] * terms), ");\n"]
        + ["CREATE TABLE after_it (id int);\n"],
    )
    branches = 10_000
    write(
        "case.sql",
        f"a {branches:,}-branch CASE in a view",
        ["CREATE TABLE t (id int);\nCREATE VIEW v AS SELECT CASE "]
        + [f"WHEN id = {i} THEN {i} " for i in range(branches)]
        + ["END AS c FROM t;\nCREATE TABLE after_it (id int);\n"],
    )
    return cases


def outcome(argv: list[str]) -> tuple[float, float, int, str]:
    """(seconds, peak RSS MiB, exit code, last line on stderr) of one run in a fresh process."""
    result = run(argv)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return result.seconds, result.rss_mib, result.code, lines[-1] if lines else ""


def hostile_rows(cli: list[str], root: Path) -> list[tuple[str, float, float, int, str]]:
    spec = root / "hostile.yaml"
    spec.write_text("name: hostile\ntables:\n  after_it: {}\nrules: {groups: []}\n")
    rows = []
    for label, path in write_hostile(root, SCALE):
        seconds, rss, code, line = outcome([*cli, "audit", "-s", str(spec), "--sql", str(path)])
        rows.append((label, seconds, rss, code, line.replace(str(root) + "/", "")))
    return rows


def main() -> int:
    cli = CLI
    rows = []
    if os.environ.get("LIMITS_ONLY") == "hostile":
        with tempfile.TemporaryDirectory(prefix="schema-audit-hostile-") as tmp:
            print_hostile(hostile_rows(cli, Path(tmp)))
        return 0
    with tempfile.TemporaryDirectory(prefix="schema-audit-limits-") as tmp:
        root = Path(tmp)
        hostile = hostile_rows(cli, root)
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
    print()
    print_hostile(hostile)
    return 0


def print_hostile(rows: list[tuple[str, float, float, int, str]]) -> None:
    print("| hostile SQL (audit --sql) | seconds | peak RSS MiB | exit | last line on stderr |")
    print("|---|---:|---:|---:|---|")
    for label, seconds, rss, code, line in rows:
        print(f"| {label} | {seconds:.1f} | {rss:.0f} | {code} | {line[:140]} |")


if __name__ == "__main__":
    sys.exit(main())
