"""``CREATE INDEX … ON ONLY`` and ``ALTER INDEX … ATTACH PARTITION`` as the catalog keeps them.

An index made ON ONLY a partitioned table with partitions is INVALID until each of those
partitions has an index attached to it (a partition made later gets an attached clone);
the static reading had it valid, so an index requirement PASSed statically what the live
audit FAILs ("it is INVALID"): a false PASS. And an equal index a later CREATE INDEX on the
parent met on a partition was taken as held by the ON ONLY index though nothing was
attached to it there: one clone too many. Each script runs on a real database; the static
model (in this process and through the parsing child) is the catalog's, validity included.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from history_paths import PATHS, read_history, write_history
from typer.testing import CliRunner

from schema_audit.cli import app
from schema_audit.model import SchemaModel
from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.sqlfile import read_sql

SCRIPT = """\
CREATE TABLE e (k int, at date) PARTITION BY RANGE (at);
CREATE INDEX e_k ON ONLY e (k);
CREATE TABLE f (k int, at date) PARTITION BY RANGE (at);
CREATE TABLE f_a PARTITION OF f FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE INDEX f_k ON ONLY f (k);
CREATE TABLE f_b PARTITION OF f FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
CREATE TABLE g (k int, at date) PARTITION BY RANGE (at);
CREATE TABLE g_a PARTITION OF g FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE INDEX g_k ON ONLY g (k);
CREATE INDEX ga_k ON g_a (k);
ALTER INDEX g_k ATTACH PARTITION ga_k;
CREATE TABLE p (id int, k int, at date) PARTITION BY RANGE (at);
CREATE TABLE p_a PARTITION OF p FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE p_b PARTITION OF p FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
CREATE INDEX p_k ON ONLY p (k);
CREATE INDEX pa_k ON p_a (k);
ALTER INDEX p_k ATTACH PARTITION pa_k;
CREATE INDEX p_k2 ON p (k);
CREATE INDEX pb_k ON p_b (k);
CREATE INDEX p_k3 ON p (k);
"""


def _validity(model: SchemaModel) -> dict[str, bool]:
    return {
        f"{key}.{name}": index.valid
        for key, table in model.tables.items()
        for name, index in table.indexes.items()
    }


@PATHS
def test_on_only_indexes_and_their_attachments_are_the_catalogs(
    make_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:  # type: ignore[no-untyped-def]
    history = write_history(tmp_path, {"001_parts.sql": SCRIPT})
    dsn = make_db("attach", SCRIPT)
    catalog, model = live.introspect(dsn), read_history(history, monkeypatch, ahead)
    assert model.unapplied == []
    assert [str(d) for d in diff_models(catalog, model)] == []  # p_b has no third index
    assert _validity(model) == _validity(catalog)
    assert [k for k, valid in _validity(model).items() if not valid] == [
        "public.f.f_k",
        "public.p.p_k",
    ]


def test_an_invalid_on_only_index_fails_statically_as_it_does_live(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    history = write_history(tmp_path, {"001_parts.sql": SCRIPT})
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "spec_version: 1\nname: attach\ntables:\n"
        "  f:\n    indexes:\n    - name: f_k\n      columns: [k]\n"
        "  g:\n    indexes:\n    - name: g_k\n      columns: [k]\n"
    )
    dsn = make_db("attach", SCRIPT)
    statuses = []
    for source in (["--dsn", dsn], ["--sql", str(history)]):
        result = CliRunner().invoke(app, ["audit", "-s", str(spec), "-f", "json", *source])
        assert result.exit_code == 1, result.output
        statuses.append(
            {
                f["id"]: f["status"]
                for f in json.loads(result.stdout)["findings"]
                if ".indexes." in f["id"]
            }
        )
    assert statuses[0] == statuses[1]
    assert statuses[1]["tables.f.indexes.f_k"] == "FAIL"
    assert statuses[1]["tables.g.indexes.g_k"] == "PASS"


def test_a_history_read_on_from_its_cached_prefix_keeps_the_waiting_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model cache resumes a grown history from its cached prefix: a prefix ending with an
    INVALID ON ONLY index is not kept (what it waits for is not in the cached session), so
    the ATTACH in the new file makes it valid as a whole read does."""
    first, rest = SCRIPT.split("CREATE INDEX ga_k ON g_a (k);\n")
    history = write_history(tmp_path, {"001_parts.sql": first})
    assert _validity(read_sql(history)[0])["public.g.g_k"] is False  # cached, if it may be
    (history / "002_attach.sql").write_text("CREATE INDEX ga_k ON g_a (k);\n" + rest)
    resumed = _validity(read_sql(history)[0])
    assert resumed == _validity(read_history(history, monkeypatch, False))
    assert resumed["public.g.g_k"] is True
