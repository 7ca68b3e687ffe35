"""JSON encoded in C (msgspec) writes the same bytes as the ``json.dumps`` path it replaced (issue 19).

The reference is kept here on purpose: ``json.dumps(to_data(document), indent=…,
ensure_ascii=False, sort_keys=…)`` is what ``inspect`` and the JSON/SARIF/GitLab reports
wrote before, and consumers diff those files.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from b03 import FIXTURE, SPEC, upgrade_b03

from schema_audit import audit, inspect
from schema_audit.model import Provenance, SchemaModel, to_data
from schema_audit.render import json_report, jsonenc, sarif

ROOT = Path(__file__).resolve().parent.parent


def old_bytes(document: Any, indent: int | None, sort_keys: bool) -> str:
    """The encoding every JSON output used before issue 19 (not jsonenc.reference: independent)."""
    return json.dumps(to_data(document), indent=indent, ensure_ascii=False, sort_keys=sort_keys)


def assert_same_bytes(document: Any) -> None:
    # the C path must be the one taken, or the comparison proves nothing
    assert jsonenc._exact(document)
    for indent in (None, 2, 4):
        for sort_keys in (True, False):
            assert jsonenc.dumps(document, indent=indent, sort_keys=sort_keys) == old_bytes(
                document, indent, sort_keys
            ), (indent, sort_keys)


def test_b03_model_and_reports_are_byte_identical() -> None:
    model = inspect(migrations=FIXTURE)
    assert len(model.tables) >= 7
    assert_same_bytes({"source": {"kind": "alembic", "target": str(FIXTURE)}, "model": model})
    result = audit(SPEC, migrations=FIXTURE)
    report = json_report.to_document(result)
    assert jsonenc._exact(report)
    assert json_report.render(result) == json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    document = sarif.to_document(result, None)
    assert sarif.render(result) == json.dumps(document, indent=2, ensure_ascii=False) + "\n"


AWKWARD_SQL = """
CREATE SCHEMA "schéma ☃";
CREATE TABLE "schéma ☃"."tåble 😀" (
    "naïve\tcol" text DEFAULT E'line\\nbreak\\u0001\\u001f' NOT NULL,
    "quote""d\\back" bigint DEFAULT 9223372036854775807,
    "ctl" numeric DEFAULT 123456789012345678901234567890
);
COMMENT ON TABLE "schéma ☃"."tåble 😀" IS E'nul-free \\u0001 \\u007f \\u2028 \\u2029 "quoted" \\\\ /';
COMMENT ON COLUMN "schéma ☃"."tåble 😀"."ctl" IS 'ünïcödé ✓';
CREATE INDEX "ïndex\\u0002" ON "schéma ☃"."tåble 😀" ("naïve\tcol");
CREATE TABLE plain (id int PRIMARY KEY);
"""


def test_awkward_live_model_is_byte_identical(make_db: Callable[..., str]) -> None:
    dsn = make_db("awkward", AWKWARD_SQL)
    model = inspect(dsn=dsn)
    table = model.tables['"schéma ☃"."tåble 😀"']
    assert "\x01" in (table.comment or "") and "\u2028" in (table.comment or "")
    # what PostgreSQL cannot hold, the model can: very large ints, None, nested empties
    table.provenance.append(Provenance(file="ü.sql", line=2**70, revision=None))
    table.provenance.append(Provenance(line=-(2**64) - 1, sql="\x00\x1f\x7f\ud7ff\U0010ffff"))
    document = {
        "source": {"kind": "live", "target": "x", "layout": None},
        "model": model,
        "extra": [[], [[]], {}, [{}], {"": [None, [], {"k": []}]}],
        # sort_keys orders by code point: an astral key after U+FF01 (UTF-16 would not)
        "keys": {"\U0001f600": 1, "\uff01": 2, "é": 3, "Z": 4, "": 5, "\ud7ff": 6},
    }
    assert_same_bytes(document)
    assert_same_bytes(SchemaModel())


def test_inspect_cli_writes_the_old_bytes(make_db: Callable[..., str]) -> None:
    dsn = make_db("awkward", AWKWARD_SQL)
    upgrade_b03(dsn)
    for extra in ([], ["--indent", "2"]):
        out = subprocess.run(
            [sys.executable, "-m", "schema_audit.cli", "inspect", "--dsn", dsn, *extra],
            capture_output=True,
            cwd=ROOT,
            timeout=180,
            env={**__import__("os").environ, "SCHEMA_AUDIT_CACHE": "0"},
        )
        assert out.returncode == 0, out.stderr
        text = out.stdout.decode("utf-8")
        parsed = json.loads(text)
        assert '"schéma ☃"."tåble 😀"' in parsed["model"]["tables"]
        indent = 2 if extra else None
        assert text == json.dumps(parsed, indent=indent, ensure_ascii=False, sort_keys=True) + "\n"


@pytest.mark.parametrize(
    "value",
    [1e16, 1e-7, 1.5, -0.0, math.nan, math.inf, 2**70, "\x00é"],
    ids=repr,
)
def test_values_msgspec_writes_differently_go_through_json(value: Any) -> None:
    """msgspec writes 1e16 and NaN as ``1e16`` and ``null``; the old bytes are ``1e+16``, ``NaN``."""
    document = {"a": [value, {"b": value}], "z": None}
    for indent in (None, 2):
        assert jsonenc.dumps(document, indent=indent) == old_bytes(document, indent, False)
    assert jsonenc.dumps({"x": 1}, indent=0) == '{\n"x": 1\n}'


def test_a_float_in_a_model_annotation_is_not_trusted() -> None:
    """The model is trusted without a walk only because no annotation below it allows a float."""
    assert not jsonenc._may_hold_inexact(SchemaModel)

    from dataclasses import dataclass

    @dataclass
    class Measured:
        name: str
        ratio: float | None = None

    assert jsonenc._may_hold_inexact(Measured)
    assert jsonenc.dumps([Measured("a", 1e16)]) == '[{"name": "a", "ratio": 1e+16}]'


# -- written in pieces (issue 19: a 5,000-table report was held in about five copies) ----------


def big_document(n: int) -> dict[str, Any]:
    """More members than one batch at every level the layout splits, with awkward values."""
    return {
        "z_tables": {
            f"t{i:04d}\u2028é": {"cols": [{"n": i, "d": None, "e": []}] * (i % 3), "k": {}}
            for i in range(n)
        },
        "a_list": [[i, f"x\n{i}", {"b": [True], "a": 1e16 if i == 7 else i}] for i in range(n)],
        "empty": {"d": {}, "l": [], "t": ()},
        "scalar": "☃",
    }


def test_pieces_are_the_old_bytes_across_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    for batch in (jsonenc.BATCH, 1, 2, 7):
        monkeypatch.setattr(jsonenc, "BATCH", batch)
        for document in (big_document(600), big_document(3), SchemaModel()):
            for indent in (None, 1, 2, 4, 0):
                for sort_keys in (True, False):
                    pieces = list(jsonenc.chunks(document, indent=indent, sort_keys=sort_keys))
                    assert b"".join(pieces).decode() == old_bytes(document, indent, sort_keys), (
                        batch,
                        indent,
                        sort_keys,
                    )
    # and it is written in pieces, none of them near the whole
    monkeypatch.setattr(jsonenc, "BATCH", 256)
    pieces = list(jsonenc.chunks(big_document(3000), indent=2))
    assert max(map(len, pieces)) < sum(map(len, pieces)) / 5


def test_a_compact_container_three_levels_down_is_one_piece() -> None:
    """Compact output: a container at the last split level (a view, a revision, one table of
    a short model) is encoded as one piece, as a batch is, not a piece per field (a
    1,000-table static model: 3,341 msgspec calls, then 395; ≈ 6 ms of the JSON, written
    alone after the read); the same bytes, a Mapped array still converted as it is written."""
    from schema_audit.model import View

    views = {
        f"public.v{i}": View(name=f"v{i}", schema="public", definition="SELECT " + "1, " * i + "2")
        for i in range(40)
    }
    document = {"model": {"views": views, "floats": {"x": {"a": 1.5e16, "b": [math.inf]}}}}
    for indent in (None, 0, 2):
        for sort_keys in (True, False):
            pieces = list(jsonenc.chunks(document, indent=indent, sort_keys=sort_keys))
            assert b"".join(pieces).decode() == old_bytes(document, indent, sort_keys)
            # a Mapped array there: its plain list's bytes
            mapped = jsonenc.Mapped(list(range(5)), lambda n: {"n": n, "f": n / 3})
            plain = {"a": {"b": {"c": [{"n": n, "f": n / 3} for n in range(5)], "d": 1}}}
            pieces = list(jsonenc.chunks({"a": {"b": {"c": mapped, "d": 1}}}, indent=indent))
            assert b"".join(pieces).decode() == old_bytes(plain, indent, False)
    pieces = list(jsonenc.chunks(document, sort_keys=True))
    # {"model": {"views": {"public.v0": <one piece>, …: key and view, 40 of them
    assert len(pieces) < 3 * len(views) + 20, len(pieces)
    assert sum(b'"definition": "SELECT' in piece for piece in pieces) == len(views)


def test_large_members_are_encoded_in_pieces_of_about_a_mebibyte() -> None:
    # static tables are ~36 KB of JSON each: 256 of them were one ~9 MB piece, whose encoding,
    # layout and slice held ~40 MB of fresh pages (10,000 page faults of a 0.12 s JSON)
    members = {
        f"t{i:04d}": {"sql": f"CREATE TABLE t{i} (\n" + "x," * (10000 + 71 * (i % 50)), "n": i}
        for i in range(300)
    }
    document = {"model": {"tables": members, "z": [1]}}
    for indent in (None, 2):
        pieces = list(jsonenc.chunks(document, indent=indent, sort_keys=True))
        assert b"".join(pieces).decode() == old_bytes(document, indent, True), indent
        # about: sized by the bytes per member so far, members differ by a third here
        assert max(map(len, pieces)) <= 1.5 * jsonenc.PIECE_BYTES, indent
        assert len(pieces) > 300 * 20_000 // jsonenc.PIECE_BYTES


def test_pieces_sized_by_their_members_are_the_old_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    # members of very different sizes, pieces of a few hundred bytes: every length of piece
    monkeypatch.setattr(jsonenc, "PIECE_BYTES", 300)
    monkeypatch.setattr(jsonenc, "FIRST_PIECE", 3)
    document = {"l": [{"s": "é\n" * (i % 97), "i": i} for i in range(700)], "d": big_document(400)}
    for indent in (None, 0, 2):
        for sort_keys in (True, False):
            pieces = list(jsonenc.chunks(document, indent=indent, sort_keys=sort_keys))
            assert b"".join(pieces).decode() == old_bytes(document, indent, sort_keys)


def test_the_b03_model_in_small_batches_is_the_old_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    model = inspect(migrations=FIXTURE)
    document = {"source": {"kind": "alembic", "target": str(FIXTURE)}, "model": model}
    for batch in (1, 3):
        monkeypatch.setattr(jsonenc, "BATCH", batch)
        assert_same_bytes(document)
    result = audit(SPEC, migrations=FIXTURE)
    report = json_report.to_document(result)
    assert len(report) < 20 < len(report["findings"])
    old_report = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    for batch in (2, 20):  # the document itself in batches; only the findings in batches
        monkeypatch.setattr(jsonenc, "BATCH", batch)
        assert json_report.render(result) == old_report
        assert b"".join(json_report.chunks(result)).decode() == old_report
        document = sarif.to_document(result, None)
        assert sarif.render(result) == json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_few_but_large_members_are_encoded_on_two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long container of fewer than AHEAD_MIN_BATCHES batches (a static model's 1,000
    tables: 4 batches, 36 MB with their provenance) has its later half encoded by a child
    when its first piece says it makes AHEAD_MIN_BYTES or more; the same bytes either way."""
    from schema_audit import forkjob

    forked: list[bool] = []
    real = forkjob.start_pieces

    def counted(work: Any) -> Any:
        job = real(work)
        forked.append(job is not None)
        return job

    monkeypatch.setattr(forkjob, "start_pieces", counted)
    monkeypatch.setattr(jsonenc, "BATCH", 40)  # 100 members: 3 batches, fewer than 8
    members = {
        f"t{i:03d}": {"sql": "CREATE TABLE t (\n" + "x," * (500 + i), "n": i} for i in range(100)
    }
    document = {"model": {"tables": members, "z": [1]}}
    for limit, expected in ((1 << 30, []), (100_000, [True])):
        monkeypatch.setattr(jsonenc, "AHEAD_MIN_BYTES", limit)
        for indent in (None, 2):
            forked.clear()
            pieces = list(jsonenc.chunks(document, indent=indent, sort_keys=True, ahead=True))
            assert b"".join(pieces).decode() == old_bytes(document, indent, True), (limit, indent)
            if forkjob.cores() >= 2:
                assert forked == expected, (limit, indent)


def test_a_writer_that_stops_at_the_first_piece_leaves_no_child(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The child for few but large members is forked after the first piece is encoded: a
    writer that stops right after that piece (a closed pipe) still ends and reaps it."""
    import os

    from schema_audit import forkjob

    if forkjob.cores() < 2:
        pytest.skip("no child where one core is allowed")
    jobs: list[Any] = []
    real = forkjob.start_pieces

    def kept(work: Any) -> Any:
        job = real(work)
        jobs.append(job)
        return job

    monkeypatch.setattr(forkjob, "start_pieces", kept)
    monkeypatch.setattr(jsonenc, "BATCH", 40)
    monkeypatch.setattr(jsonenc, "AHEAD_MIN_BYTES", 100_000)
    members = {f"t{i:03d}": {"sql": "CREATE TABLE t (\n" + "x," * (500 + i)} for i in range(100)}
    pieces = jsonenc.chunks({"model": {"tables": members}}, sort_keys=True, ahead=True)
    while not jobs:
        next(pieces)
    pieces.close()
    (job,) = jobs
    with pytest.raises(ChildProcessError):
        os.waitpid(job.pid, os.WNOHANG)  # reaped: not ours any more


def test_inspect_decides_the_json_verdicts_before_its_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The per-class verdicts (msgspec exact or not: 28 classes' annotations evaluated,
    ≈ 0.013 CPU s) are made before the read, while a long read waits on its parsing child,
    not by the first piece of the JSON after it; the JSON is the same."""
    from typer.testing import CliRunner

    from schema_audit.cli import common
    from schema_audit.cli import inspect as inspect_cli
    from schema_audit.cli.commands import app

    decided: list[bool] = []
    real = common.read_source

    def reading(*args: Any, **kwargs: Any) -> Any:
        decided.append(SchemaModel in jsonenc._INEXACT)
        return real(*args, **kwargs)

    monkeypatch.setattr(jsonenc, "_INEXACT", {})
    monkeypatch.setattr(inspect_cli, "read_source", reading)
    out = tmp_path / "model.json"
    sql = ROOT / "tests" / "fixtures" / "rich_schema.sql"
    result = CliRunner().invoke(app, ["inspect", "--sql", str(sql), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert decided == [True]
    from schema_audit.render import inspect as render
    from schema_audit.sources.select import load_source

    assert out.read_bytes() == b"".join(render.json_chunks(load_source(sql=sql)))
