"""Real-world trial (sixteenth session, trial15): static reading == catalog on projects' own forms.

Fixtures are written here in each project's style; no project file is copied. Each test applies
its SQL to a real database and compares what the tool says of the static reading of the same SQL
with what the catalog says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli_runner import run_cli


def _diesel_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    """``files`` (version_name -> up.sql) as a diesel migrations folder."""
    folder = tmp_path / "migrations"
    for name, text in files.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "up.sql").write_text(text)
        (folder / name / "down.sql").write_text("-- This file should undo anything in `up.sql`\n")
    return folder


def _both_ways(make_db: Any, tmp_path: Path, label: str, folder: Path, sql: str) -> list[str]:
    """`diff` of the folder and the database it builds, then init's spec of each side audited
    against the other: every finding that is not PASS (the ids), none expected."""
    dsn = make_db(label, sql)
    diff = json.loads(run_cli("diff", folder, dsn, "-f", "json").stdout)
    not_pass = [d["message"] if "message" in d else str(d) for d in diff["differences"]]
    not_pass += [str(u) for u in diff["undecided"]]
    static_spec, live_spec = tmp_path / "static.yaml", tmp_path / "live.yaml"
    assert run_cli("init", "--sql", folder, "-o", static_spec).returncode == 0
    assert run_cli("init", "--dsn", dsn, "-o", live_spec).returncode == 0
    for audit in (
        run_cli("audit", "-s", static_spec, "--dsn", dsn, "-f", "json"),
        run_cli("audit", "-s", live_spec, "--sql", folder, "-f", "json"),
    ):
        for finding in json.loads(audit.stdout)["findings"]:
            if finding["status"] in ("FAIL", "DEFERRED") and "owner" not in finding["message"]:
                not_pass.append(f"{finding['status']} {finding['id']}: {finding['message']}")
    return not_pass


# crates.io's form (diesel): `last_retry TIMESTAMP NOT NULL DEFAULT '1970-01-01'`, years later
# `alter table background_jobs alter last_retry type timestamptz`. PostgreSQL read the literal
# as a timestamp when the table was made and keeps that value ('1970-01-01 00:00:00'::timestamp
# without time zone), coerced to the new type.
RETYPED_TIME_DEFAULTS = {
    "2018-05-03-150523_create_jobs": """
        CREATE TABLE background_jobs (
          id BIGSERIAL PRIMARY KEY,
          job_type TEXT NOT NULL,
          retries INTEGER NOT NULL DEFAULT 0,
          last_retry TIMESTAMP NOT NULL DEFAULT '1970-01-01',
          not_before DATE NOT NULL DEFAULT '2018-05-03',
          created_at TIMESTAMPTZ NOT NULL DEFAULT '2018-05-03 00:00:00+00'
        );
    """,
    "2025-02-17-133723_timezones": """
        alter table background_jobs alter last_retry type timestamptz;
        alter table background_jobs alter not_before type timestamptz;
        alter table background_jobs alter created_at type timestamp;
    """,
}


def test_a_retyped_column_keeps_its_literal_default_of_the_old_type(
    make_db: Any, tmp_path: Path
) -> None:
    """The static reading kept the bare literal and read it as a value of the NEW type:
    '2018-05-03 00:00:00+00' read as a timestamp lost its offset (`diff` counted a difference,
    init --dsn's spec FAILed the history, a spec of the timestamp value PASSed it: false
    FAIL, false PASS), and '1970-01-01' / '2018-05-03' read as timestamptz depended on the
    TimeZone (DEFERRED, undecided in `diff`) where PostgreSQL had stored a timestamp and a
    date, no setting involved. Found on rust-lang/crates.io's diesel history."""
    folder = _diesel_folder(tmp_path, RETYPED_TIME_DEFAULTS)
    sql = "".join(RETYPED_TIME_DEFAULTS.values())
    assert _both_ways(make_db, tmp_path, "trial15_retyped_default", folder, sql) == []
