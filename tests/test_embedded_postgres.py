"""The `embedded` extra: PostgreSQL 16 server binaries from the pgserver wheel.

Two jobs: `--replay` works on a machine without a PostgreSQL installation (tested by
hiding the system binaries from the lookup), and the catalog queries that differ on
16 run against a real 16 server, not only against the local 15.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from b03 import SPEC

from schema_audit.audit import privileges
from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret
from schema_audit.sources.scratch_cluster import PgCluster, embedded_bindir, find_bindir

ROOT = Path(__file__).resolve().parent.parent
B03 = ROOT / "tests" / "fixtures" / "b03_alembic"


@pytest.fixture(scope="module")
def embedded() -> Path:
    bindir = embedded_bindir()
    if bindir is None:
        pytest.fail(
            "the embedded PostgreSQL is part of the dev extras: pip install -e '.[dev]' "
            "(or pip install 'schema-audit[embedded]')",
            pytrace=False,
        )
    return bindir


@pytest.fixture(scope="module")
def pg16(embedded: Path) -> Iterator[PgCluster]:
    with PgCluster(bindir=embedded) as cluster:
        yield cluster


def test_system_binaries_win_and_embedded_ones_are_the_fallback(
    monkeypatch: pytest.MonkeyPatch, embedded: Path
) -> None:
    from schema_audit.sources import scratch_cluster

    monkeypatch.delenv("SCHEMA_AUDIT_PG_BINDIR", raising=False)
    assert find_bindir() != embedded  # this machine has PostgreSQL installed
    monkeypatch.setattr(scratch_cluster, "_system_bindirs", lambda: iter(()))
    assert find_bindir() == embedded
    monkeypatch.setattr(scratch_cluster, "embedded_bindir", lambda: None)
    with pytest.raises(scratch_cluster.PgServerError, match="apt-get install postgresql"):
        find_bindir()


HIDE_SYSTEM_POSTGRES = (
    "import sys, schema_audit.sources.scratch_cluster as p; p._system_bindirs = lambda: iter(()); "
    "sys.argv[0] = 'schema-audit'; from schema_audit.cli import main; main()"
)


def test_replay_runs_on_the_embedded_server_when_the_system_has_none(tmp_path: Path) -> None:
    out = tmp_path / "replay.json"
    env = {k: v for k, v in os.environ.items() if k != "SCHEMA_AUDIT_PG_BINDIR"}
    env["PATH"] = "/usr/bin:/bin"  # no initdb, no pg_config
    assert subprocess.run(["which", "initdb"], env=env, capture_output=True).returncode != 0
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            HIDE_SYSTEM_POSTGRES,
            "audit",
            "-s",
            str(SPEC),
            "-m",
            str(B03),
            "--replay",
            "-f",
            "json",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stderr  # B0.3 has failing requirements
    result = json.loads(out.read_text())
    assert "on PostgreSQL 16.2, embedded" in result["source"]["target"]
    statuses = {f["id"]: f["status"] for f in result["findings"]}
    assert statuses["tables.tenants.columns.api_key_hash"] == "FAIL"
    # a behavioural probe ran on the embedded server, not deferred for want of one
    probes = [f for f in result["findings"] if f["kind"] == "probe"]
    assert probes and all(f["status"] != "DEFERRED" for f in probes)


MEMBERSHIP_16 = """
CREATE ROLE m16_writers; CREATE ROLE m16_noinherit; CREATE ROLE m16_noset;
CREATE TABLE m16 (id int PRIMARY KEY);
GRANT UPDATE ON m16 TO m16_writers;
GRANT m16_writers TO m16_noinherit WITH INHERIT FALSE;
GRANT m16_writers TO m16_noset WITH INHERIT FALSE, SET FALSE;
CREATE UNIQUE INDEX m16_nnd ON m16 (id) NULLS NOT DISTINCT;
CREATE VIEW m16_invoker WITH (security_invoker = true) AS SELECT id FROM m16;
"""


def test_postgresql_16_membership_options_read_live_equal_the_static_model(
    pg16: PgCluster,
) -> None:
    pg16.create_database("m16")
    dsn = pg16.dsn("m16")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(MEMBERSHIP_16)
    model = live.introspect(dsn)
    assert model.server_version and model.server_version.startswith("16")
    table = model.tables["public.m16"]
    assert (
        privileges.table_access(model, table, "m16_noinherit")["UPDATE"].describe("m16_noinherit")
        == "via m16_writers after SET ROLE"
    )
    assert privileges.table_access(model, table, "m16_noset") == {}
    assert table.indexes["m16_nnd"].nulls_not_distinct is True
    static = interpret(MEMBERSHIP_16)
    assert [str(d) for d in diff_models(model, static)] == []
