"""Partition statements PostgreSQL refuses are refused statically too, with file:line; and a
partition bound computed by an expression DEFERs only the bound.

Before, the static reading accepted ATTACH PARTITION of a table with a column the parent
holds NOT NULL (its primary key's) nullable, missing, retyped or extra, ``ALTER TABLE ONLY p
ADD PRIMARY KEY`` / ``SET NOT NULL`` on a partitioned table whose partition's column is
nullable, ``ADD … USING INDEX`` on a partitioned table, and ``DROP NOT NULL`` of a primary
key's column or of a partition's column its parent holds NOT NULL: the model held a
partition, a key or a nullable column the database psql builds never has. Each script runs through ``psql -f`` (errors do not
stop it) on a real database: the static reading reports an error at each line psql did, with
psql's message, and its model is the catalog's. Both ways of reading a history are checked:
in this process and through the parsing child (``parse_ahead``, histories >= 256 KiB).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from history_paths import PATHS, psql_f, read_history, write_history
from typer.testing import CliRunner

from schema_audit.cli import app
from schema_audit.modeldiff import diff_models
from schema_audit.sources import live

REFUSED = """\
CREATE TABLE p (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE p_a PARTITION OF p FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
ALTER TABLE ONLY p ADD PRIMARY KEY (id, at);
ALTER TABLE ONLY p ALTER at SET NOT NULL;
CREATE TABLE r (id int, at date) PARTITION BY RANGE (at);
ALTER TABLE r ADD PRIMARY KEY (id, at);
CREATE TABLE r_b (id int, at date);
ALTER TABLE r ATTACH PARTITION r_b FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
CREATE TABLE r_c (at date NOT NULL);
ALTER TABLE r ATTACH PARTITION r_c FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');
CREATE TABLE r_d (id bigint NOT NULL, at date NOT NULL);
ALTER TABLE r ATTACH PARTITION r_d FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE r_e (id int NOT NULL, at date NOT NULL, extra int);
ALTER TABLE r ATTACH PARTITION r_e FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE k (id int, at date, CHECK (id > 0)) PARTITION BY RANGE (at);
CREATE TABLE k_a (id int, at date);
ALTER TABLE k ATTACH PARTITION k_a FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE s (id int, at date) PARTITION BY RANGE (at);
CREATE UNIQUE INDEX s_u ON ONLY s (id, at);
ALTER TABLE s ADD CONSTRAINT s_pk PRIMARY KEY USING INDEX s_u;
ALTER TABLE s ADD CONSTRAINT s_uk UNIQUE USING INDEX s_u;
CREATE TABLE q (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE q_a PARTITION OF q FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
ALTER TABLE ONLY q ADD PRIMARY KEY (id, at);
CREATE TABLE r_f (id int NOT NULL, at date NOT NULL);
ALTER TABLE r ATTACH PARTITION r_f FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE q_a ALTER id DROP NOT NULL;
ALTER TABLE ONLY q_a ALTER at DROP NOT NULL;
CREATE TABLE pk (id int PRIMARY KEY, v int NOT NULL);
ALTER TABLE pk ALTER id DROP NOT NULL;
ALTER TABLE pk ALTER v DROP NOT NULL;
"""


def _psql_errors(dsn: str, history: Path, name: str) -> dict[int, str]:
    """``psql -f`` (errors do not stop it, as psql's default): {line: message} of its errors."""
    stderr = psql_f(dsn, history, name, stop=False)
    return {
        int(m[1]): m[2]
        for m in re.finditer(rf"(?m)^psql:{re.escape(name)}:(\d+): ERROR:  (.*)$", stderr)
    }


@PATHS
def test_each_statement_postgresql_refuses_is_an_error_at_its_line(
    make_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:  # type: ignore[no-untyped-def]
    history = write_history(tmp_path, {"001_parts.sql": REFUSED})
    dsn = make_db("refusals")
    refused = _psql_errors(dsn, history, "001_parts.sql")
    assert sorted(refused) == [3, 4, 8, 10, 12, 14, 17, 20, 21, 27, 28, 30]  # psql's own lines
    model = read_history(history, monkeypatch, ahead)
    errors = {u.line: u.reason for u in model.unapplied if u.kind == "error"}
    assert sorted(errors) == sorted(refused), errors
    for line, message in refused.items():
        assert errors[line].startswith(message.split(":")[0]), (line, errors[line], message)
    assert [u for u in model.unapplied if u.kind != "error"] == []
    # what psql built (the refused statements changed nothing) is what the reading holds
    assert [str(d) for d in diff_models(live.introspect(dsn), model)] == []


BOUND = """\
CREATE TABLE ev (id int NOT NULL, at timestamptz NOT NULL, note text) PARTITION BY RANGE (at);
CREATE TABLE ev_now PARTITION OF ev FOR VALUES FROM (now()) TO ('infinity');
CREATE INDEX ev_note ON ev (note);
"""


def _statuses(*args: str) -> dict[str, str]:
    result = CliRunner().invoke(app, ["audit", "-f", "json", *args])
    assert result.exit_code == 0, result.output
    return {f["id"]: f["status"] for f in json.loads(result.stdout)["findings"]}


def test_a_bound_computed_by_an_expression_defers_only_the_bound(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The partition's `exactly.*` findings were all DEFERRED (false DEFERRED: only its bound
    is unknown statically): now they are what the database psql built says, PASS."""
    history = write_history(tmp_path, {"001_ev.sql": BOUND})
    spec = tmp_path / "spec.yaml"
    init = CliRunner().invoke(app, ["init", "--sql", str(history), "-o", str(spec)])
    assert init.exit_code == 0, init.output
    static = _statuses("-s", str(spec), "--sql", str(history))
    dsn = make_db("bound", BOUND)
    catalog = _statuses("-s", str(spec), "--dsn", dsn)
    exact = sorted(i for i in static if i.startswith("tables.ev_now.exactly."))
    assert len(exact) == 8
    assert {static[i] for i in exact} == {"PASS"} == {catalog[i] for i in exact}
    assert static["tables.ev_now"] == "DEFERRED"  # the bound: not known statically
    assert static["strict.tables"] == "DEFERRED"  # it states every table's bound
