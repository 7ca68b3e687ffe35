"""Fleets: one spec, several real databases (one unreachable), in one run and merged from many."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from b03 import SPEC, upgrade_b03
from cli_runner import run_cli

ROOT = Path(__file__).resolve().parent.parent
DRIFTED = "tables.tenants.columns.name"


@pytest.fixture(scope="module")
def fleet(pg_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Three B0.3 databases; the third lost a column the spec requires."""
    names, dsns = [], []
    for index in range(3):
        name, dsn = pg_server.create_database(f"fleet{index}")
        upgrade_b03(dsn)
        names.append(name)
        dsns.append(dsn)
    with psycopg.connect(dsns[2], autocommit=True) as conn:
        conn.execute("ALTER TABLE tenants DROP COLUMN name")
    folder = tmp_path_factory.mktemp("fleet")
    (folder / "fleet.yaml").write_text(
        "targets:\n"
        f"  - name: eu\n    dsn: '{dsns[0]}'\n"
        "  - name: us\n    dsn_env: FLEET_US_DSN\n"
        f"  - name: apac\n    dsn: '{dsns[2]}'\n"
        "  - name: gone\n    dsn: 'postgresql://audit:topsecretpw@127.0.0.1:1/app'\n"
    )
    yield folder, dsns
    for name in names:
        pg_server.drop_database(name)


def test_a_fleet_run_reports_every_target_and_the_drift(fleet) -> None:  # type: ignore[no-untyped-def]
    folder, dsns = fleet
    out = folder / "fleet.json"
    proc = run_cli(
        "audit",
        "-s",
        str(SPEC),
        "--targets",
        str(folder / "fleet.yaml"),
        "--jobs",
        "3",
        "-f",
        "json",
        "-o",
        str(out),
        "--report",
        str(folder / "fleet.md"),
        "--html",
        str(folder / "fleet.html"),
        env={"FLEET_US_DSN": dsns[1]},
    )
    assert proc.returncode == 2, proc.stderr  # one target could not be audited
    document = json.loads(out.read_text())
    rows = {row["name"]: row for row in document["targets"]}
    assert [row["name"] for row in document["targets"]] == ["eu", "us", "apac", "gone"]
    assert rows["gone"]["verdict"] == "ERROR" and "cannot connect" in rows["gone"]["error"]
    assert {rows[n]["verdict"] for n in ("eu", "us", "apac")} == {"FAIL"}  # B0.3 has failures
    assert rows["eu"]["summary"] == rows["us"]["summary"]
    assert (rows["eu"]["drift"], rows["us"]["drift"]) == (0, 0)
    assert rows["apac"]["drift"] >= 1
    drift = {item["id"]: item for item in document["drift"]}
    assert drift[DRIFTED]["majority"] == "PASS"
    assert drift[DRIFTED]["statuses"] == {"eu": "PASS", "us": "PASS", "apac": "FAIL"}
    assert set(document["results"]) == {"eu", "us", "apac"}
    everything = (
        proc.stdout
        + proc.stderr
        + "".join((folder / n).read_text() for n in ("fleet.json", "fleet.md", "fleet.html"))
    )
    assert "topsecretpw" not in everything
    assert "apac | FAIL" in (folder / "fleet.md").read_text()
    assert "schema-audit: gone: cannot connect" in proc.stderr


def test_a_bad_fleet_file_is_one_line_per_problem_with_its_line(tmp_path: Path) -> None:
    fleet_file = tmp_path / "fleet.yaml"
    fleet_file.write_text(
        "targets:\n  - name: a\n  - name: b\n    dsn: x\n    dsn_env: Y\n    colour: red\n"
    )
    proc = run_cli("audit", "-s", str(SPEC), "--targets", str(fleet_file))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"schema-audit: {fleet_file}:2: targets[0] (a): give exactly one of dsn or dsn_env",
        f"schema-audit: {fleet_file}:6: targets[1]: unknown key 'colour' "
        "(expected: dsn, dsn_env, name, spec, vars)",
        f"schema-audit: {fleet_file}:3: targets[1] (b): give exactly one of dsn or dsn_env",
    ]


def test_merge_of_separate_runs_gives_the_same_summary(fleet) -> None:  # type: ignore[no-untyped-def]
    folder, dsns = fleet
    results = folder / "results"
    results.mkdir()
    for name, dsn in zip(("eu", "us", "apac"), dsns, strict=True):
        proc = run_cli(
            "audit",
            "-s",
            str(SPEC),
            "--dsn",
            dsn,
            "-f",
            "json",
            "-o",
            str(results / f"{name}.json"),
        )
        assert proc.returncode == 1, proc.stderr
    merged = folder / "merged.json"
    proc = run_cli(
        "merge",
        *sorted(str(p) for p in results.glob("*.json")),
        "-o",
        str(merged),
        "--report",
        str(folder / "merged.md"),
    )
    assert proc.returncode == 1, proc.stderr  # every result fails somewhere; none is missing
    document = json.loads(merged.read_text())
    assert [row["name"] for row in document["targets"]] == ["apac", "eu", "us"]
    drift = {item["id"]: item for item in document["drift"]}
    assert drift[DRIFTED]["statuses"] == {"apac": "FAIL", "eu": "PASS", "us": "PASS"}


def test_merge_refuses_a_file_that_is_not_an_audit_result(tmp_path: Path) -> None:
    bogus = tmp_path / "x.json"
    bogus.write_text('{"hello": 1}')
    proc = run_cli("merge", str(bogus))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"schema-audit: {bogus}: not an audit result (no findings/verdict/source keys)"
    )


def test_the_ci_recipes_use_only_options_the_tool_has() -> None:
    import re

    import yaml

    help_text = {c: run_cli(c, "-h").stdout for c in ("audit", "merge")}
    k8s = list(yaml.safe_load_all((ROOT / "docs/ci/kubernetes-fleet.yaml").read_text()))
    args = k8s[1]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
    lines = [" ".join(args)]
    workflow = (ROOT / "docs/ci/github-actions-fleet.yml").read_text()
    lines += [m.group(0) for m in re.finditer(r"schema-audit (audit|merge)[^\n|]*", workflow)]
    checked = 0
    for line in lines:
        command = "merge" if "merge" in line.split()[:2] else "audit"
        for flag in re.findall(r"(?<![\w-])(--[a-z][a-z-]+|-[a-z])\b", line):
            assert re.search(rf"(?<![\w-]){re.escape(flag)}\b", help_text[command]), (command, flag)
            checked += 1
    assert checked >= 10
