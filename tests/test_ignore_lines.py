"""Inline ignore comments over a history of several files: only files that may hold one are kept.

``sources.ignores.source_lines`` leaves out a file without ``schema-audit:`` in its text (no
ignore comment can stand there), so a rule finding on its statements is not searched line
by line; a file with a comment keeps it, whatever other file comes before or after.
"""

from __future__ import annotations

import json
from pathlib import Path

from cli_runner import run_cli

from schema_audit.sources.ignores import source_lines

FILES = {
    "V1__users.sql": (
        "CREATE TABLE users (id int PRIMARY KEY, email text);\n"
        "CREATE TABLE parent (id int PRIMARY KEY);\n"
    ),
    "V2__commented.sql": (
        "-- schema-audit: ignore PRIV001 a contact address the support desk needs\n"
        "CREATE TABLE contacts (id int PRIMARY KEY, email text);\n"
    ),
    "V3__orders.sql": (
        "CREATE TABLE orders (id int PRIMARY KEY, parent_id int REFERENCES parent (id),\n"
        "    phone text);\n"
    ),
}


def test_only_files_with_a_comment_are_searched_and_comments_still_apply(tmp_path: Path) -> None:
    folder = tmp_path / "db" / "migration"
    folder.mkdir(parents=True)
    for name, text in FILES.items():
        (folder / name).write_text(text)
    kept = source_lines(folder)
    assert [Path(name).name for name in kept] == ["V2__commented.sql"]
    assert kept[next(iter(kept))][0].startswith("-- schema-audit: ignore PRIV001")

    spec = tmp_path / "spec.yaml"
    spec.write_text("name: t\n")
    out = run_cli("audit", "-s", spec, "--sql", folder, "-f", "json", "--rules", "all")
    assert out.returncode in (0, 1), out.stderr
    rules = {f["id"]: f for f in json.loads(out.stdout)["findings"] if f["kind"] == "rule"}
    contact = rules["rules.PRIV001.public.contacts.email"]
    assert contact["status"] == "WAIVED", contact
    assert "the support desk needs" in contact["message"]
    # the files without a comment: their findings stand
    assert rules["rules.PRIV001.public.users.email"]["status"] == "FAIL"
    assert rules["rules.PRIV001.public.orders.phone"]["status"] == "FAIL"
    assert rules["rules.PERF001.public.orders.orders_parent_id_fkey"]["status"] == "FAIL"
