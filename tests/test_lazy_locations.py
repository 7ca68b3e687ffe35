"""A requirement's ``file:line:column`` is worded when something reads it (issue 19).

init's 5,000-table spec has 220,000 requirements; wording each place as it was loaded, and
copying it onto each finding, cost 0.15-0.25 CPU s, and ``-q`` reads none of them. The line
reader keeps a packed position; ``Requirement.location`` and ``Finding.spec_location`` word it
when read. Every report must read the same text as when the place was worded at once: the
event reader keeps PyYAML's marks, so the spec it builds has each place worded at load, and
is the reference here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schema_audit import api
from schema_audit.audit import engine
from schema_audit.enums import Status
from schema_audit.render import digest, github, gitlab, html, json_report, junit, markdown, sarif
from schema_audit.spec import model as spec_model
from schema_audit.spec.blockread import read_block
from schema_audit.spec.load import _build, validate
from schema_audit.spec.model import Spec
from schema_audit.spec.plainload import load_plain

SCHEMA = """
DO $$ BEGIN CREATE ROLE place_reader; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE TABLE account (id bigint PRIMARY KEY, code text NOT NULL UNIQUE, note text);
CREATE TABLE entry (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    amount numeric(10,2) CHECK (amount >= 0),
    memo text DEFAULT 'x'
);
CREATE INDEX entry_account ON entry (account_id) WHERE memo IS NOT NULL;
GRANT SELECT ON account, entry TO place_reader;
"""
# after init: a FAIL (column gone), an unexpected index (strict), a changed type (PARTIAL/FAIL)
CHANGES = """
ALTER TABLE account DROP COLUMN note;
CREATE INDEX entry_memo ON entry (memo);
ALTER TABLE entry ALTER COLUMN memo TYPE varchar(40);
"""
REPORTS = {
    "json": json_report.render,
    "markdown": lambda r: markdown.render(r, date="2026-11-29"),
    "html": lambda r: html.render(r, date="2026-11-29"),
    "junit": junit.render,
    "sarif": sarif.render,
    "github": github.render,
    "gitlab": gitlab.render,
}


def _spec(text: str, path: Path, reader: Any) -> Spec:
    located = reader(text, str(path), 10_000_000, 64)
    assert located is not None
    validate(located)
    return _build(located, str(path), "sha")


@pytest.fixture(scope="module")
def audited(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import psycopg

    _, dsn = pg_server.create_database("places")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
    path = tmp_path_factory.mktemp("places") / "init.yaml"
    text = api.init_spec(api.read_source(dsn=dsn))
    path.write_text(text)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(CHANGES)
    return {"dsn": dsn, "path": path, "text": text, "model": api.read_source(dsn=dsn).model}


def test_a_packed_place_is_worded_as_the_event_reader_words_it(audited: dict[str, Any]) -> None:
    packed = _spec(audited["text"], audited["path"], read_block)
    worded = _spec(audited["text"], audited["path"], load_plain)
    assert all(type(r.at) is int for r in packed.requirements)  # the line reader's, kept packed
    assert all(type(r.at) is str for r in worded.requirements)
    assert len(packed.requirements) > 30
    assert [(r.id, r.location) for r in packed.requirements] == [
        (r.id, r.location) for r in worded.requirements
    ]
    first = packed.requirements[0]
    assert (
        first.location == f"{audited['path']}:{(first.at >> 32) + 1}:{(first.at & 0xFFFFFFFF) + 1}"
    )  # type: ignore[operator]


def test_every_report_reads_the_place_it_would_have_read_worded_at_once(
    audited: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    worded_at: list[Any] = []
    real = spec_model.place_text

    def counted(at: Any, file: str) -> str:
        worded_at.append(at)
        return real(at, file)

    monkeypatch.setattr(spec_model, "place_text", counted)
    packed = _spec(audited["text"], audited["path"], read_block)
    assert worded_at == []  # loading words no place
    model, dsn = audited["model"], audited["dsn"]
    engine.evaluate(packed, model, "live")
    assert worded_at == []  # nor does judging
    lazy = api.audit_model(packed, model, "live", dsn, as_of="2026-11-29")
    digest.verdict_line(lazy, digest.build(lazy))
    lazy.exit_code()
    # nor -q and the exit code; a waiver remakes the finding it waives from its fields
    assert len(worded_at) <= sum(f.status == Status.WAIVED for f in lazy.findings)

    worded = _spec(audited["text"], audited["path"], load_plain)
    eager = api.audit_model(worded, model, "live", dsn, as_of="2026-11-29")
    statuses = {f.status for f in eager.findings}
    assert {Status.PASS, Status.FAIL} <= statuses, statuses
    assert sum(f.spec_location is not None for f in eager.findings) > 30
    for name, render in REPORTS.items():
        assert render(lazy) == render(eager), name
    assert [f.to_json() for f in lazy.findings] == [f.to_json() for f in eager.findings]
    assert lazy.findings == eager.findings
    assert worded_at  # the reports read them


def test_a_finding_reads_its_own_requirements_place(audited: dict[str, Any]) -> None:
    """Each finding's spec_location is its requirement's (no sharing of one place)."""
    packed = _spec(audited["text"], audited["path"], read_block)
    judged = engine.evaluate(packed, audited["model"], "live")
    by_id = {r.id: r.location for r in packed.requirements}
    assert len(set(by_id.values())) > 15
    assert [f.spec_location for f in judged] == [by_id[f.id] for f in judged]
