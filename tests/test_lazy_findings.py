"""A PASS's message, evidence and DDL are worked out when a report reads them (issue 19).

`audit -q` and the exit code read none of the three, and a 5,000-table spec from `init`
has hundreds of thousands of PASSes: judging printed a column line, a CREATE INDEX or a
CREATE TABLE for each. What a report shows must not change: the same finding, field for
field, whether the text was made at once or later.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from schema_audit import api, model_ddl
from schema_audit.audit import engine, findings
from schema_audit.audit.findings import Evidence, Finding, finding_for, lazy_finding
from schema_audit.enums import Status
from schema_audit.render import digest
from schema_audit.spec.load import load_spec

SCHEMA = """
CREATE ROLE lazy_reader;
CREATE TABLE parent (id bigint PRIMARY KEY, code text NOT NULL UNIQUE);
CREATE TABLE child (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id bigint NOT NULL REFERENCES parent(id) ON DELETE CASCADE,
    note text DEFAULT 'x' COLLATE "C",
    amount numeric(10,2) CHECK (amount >= 0)
);
CREATE INDEX child_parent ON child (parent_id) INCLUDE (amount) WHERE note IS NOT NULL;
GRANT SELECT ON parent, child TO lazy_reader;
"""

# where judging printed DDL for each PASS
PRINTERS = ("column_line", "create_table", "create_index", "fk_clause")


def _req() -> Any:
    return SimpleNamespace(
        id="tables.t.columns.c",
        kind="column",
        table="t",
        name="c",
        severity="high",
        questions=["Q1"],
        category="integrity",
        impact=None,
        at="spec.yaml:3",
    )


def _text(n: int) -> tuple[str, list[Evidence], str]:
    return f"column t.c is c integer ({n})", [Evidence("catalog", sql=f"c integer {n}")], "c int"


def test_a_lazy_finding_is_the_finding_it_stands_for() -> None:
    eager = finding_for(_req(), Status.PASS, *_text(1)[:1], evidence=_text(1)[1], ddl="c int")
    made = [lazy_finding(_req(), Status.PASS, _text, 1) for _ in range(5)]
    assert made[0] == eager and hash(made[1]) == hash(eager)
    assert repr(made[2]) == repr(eager)
    assert made[3].to_json() == eager.to_json()
    assert copy.copy(made[4]) == eager
    # a later stage's new finding carries the text over
    waived = lazy_finding(_req(), Status.PASS, _text, 1).with_evidence([], status="WAIVED")
    assert waived.message == eager.message and waived.evidence == eager.evidence
    changed = dataclasses.replace(lazy_finding(_req(), Status.PASS, _text, 2), status="FAIL")
    assert (changed.message, changed.ddl) == ("column t.c is c integer (2)", "c int")
    assert type(changed) is Finding
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = lazy_finding(_req(), Status.PASS, _text, 1).nope  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        lazy_finding(_req(), Status.PASS, _text, 1).message = "x"  # type: ignore[misc]


def test_the_text_is_made_once_when_first_read() -> None:
    calls: list[int] = []

    def fill(n: int) -> tuple[str, list[Evidence], str]:
        calls.append(n)
        return _text(n)

    finding = lazy_finding(_req(), Status.PASS, fill, 7)
    assert finding.status == Status.PASS and finding.name == "c" and calls == []
    assert finding.ddl == "c int" and finding.message.endswith("(7)") and finding.evidence
    assert calls == [7]


def _counting(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    counts: Counter[str] = Counter()
    for name in PRINTERS:
        real = getattr(model_ddl, name)

        def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            counts[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(model_ddl, name, counted)
    return counts


def test_judging_a_passing_schema_prints_no_ddl_and_reports_read_the_same_text(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn = make_db("lazy", SCHEMA)
    spec_path = tmp_path / "init.yaml"
    source = api.read_source(dsn=dsn)
    spec_path.write_text(api.init_spec(source))
    spec = load_spec(spec_path)
    model = source.model

    counts = _counting(monkeypatch)
    judged = engine.evaluate(spec, model, "live")
    assert {f.kind for f in judged} >= {"table", "column", "index", "foreign_key", "privilege"}
    assert all(f.status == Status.PASS for f in judged), [f.message for f in judged]
    assert sum(counts.values()) == 0, counts  # nothing printed for a PASS while judging

    # the -q line and the exit code read none of it either
    result = api.audit_model(spec, model, "live", dsn)
    digest.verdict_line(result, digest.build(result))
    assert result.exit_code() == 0
    assert sum(counts.values()) == 0, counts

    # every report reads the same text as when it was made at once
    monkeypatch.setattr(findings, "_LAZY_WORKS", False)
    eager = engine.evaluate(spec, model, "live")
    assert sum(counts.values()) > 0
    assert [f.to_json() for f in judged] == [f.to_json() for f in eager]
    assert judged == eager


def test_only_the_fields_made_late_are_read_through_python() -> None:
    """Finding has no ``__getattr__``: with one, every attribute of every finding took the
    generic lookup (67 against 22 ns a read, a dozen reads per finding in an audit, issue
    19). The four fields a finding may get late are descriptors over their slots that make
    them when first read; the others are the slots' own descriptors."""
    assert "__getattr__" not in vars(Finding)
    late = {"message", "evidence", "ddl", "spec_location"}
    for f in dataclasses.fields(Finding):
        kind = type(vars(Finding)[f.name]).__name__
        assert (kind != "member_descriptor") == (f.name in late), f.name
    req = SimpleNamespace(
        id="tables.t.columns.c", kind="column", table="t", name="c", severity="high",
        questions=[], category=None, impact=None, at=(4 << 32) | 6, file="spec.yaml:",
        location="spec.yaml:5:7",
    )  # fmt: skip
    made = lazy_finding(req, Status.PASS, lambda: ("made late", [Evidence("catalog")], "DDL"))
    assert made.spec_location == "spec.yaml:5:7" and made.message == "made late"
    assert made.evidence == (Evidence("catalog"),) and made.ddl == "DDL"
    assert made == Finding(
        "tables.t.columns.c", "column", "t", "c", Status.PASS, "high", "made late",
        evidence=[Evidence("catalog")], spec_location="spec.yaml:5:7", ddl="DDL",
    )  # fmt: skip
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        made.nope  # noqa: B018
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.message = "changed"  # type: ignore[misc]


def test_a_finding_crosses_a_pickle_by_its_fields_and_comes_back_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``audit -q``'s judging child hands its kept findings back pickled (``audit/split``):
    each finding, its evidence, diffs and candidates are pickled by their fields and rebuilt
    by the findings module's constructors, not through ``dataclasses``' __getstate__ and
    __setstate__ (a ``fields()`` walk per object at both ends); what comes back is the same
    frozen finding, field for field (a lazy one with its text made), its status the same
    enum member."""
    import pickle

    def refused(*_: Any) -> Any:
        raise AssertionError("pickled through dataclasses' state")

    for cls in (Finding, Evidence, findings.Diff, findings.Candidate):
        monkeypatch.setattr(cls, "__getstate__", refused)
        monkeypatch.setattr(cls, "__setstate__", refused)
    full = Finding(
        "t.columns.c", "column", "t", "c", Status.FAIL, "high", "m",
        [findings.Diff("type", ["a", 1], {"k": None})], [findings.Candidate("index", "i", "w")],
        [Evidence("spec", "spec.yaml", 3, None, None, "n")], ["q1"], "cat", "imp", "spec.yaml:3:5",
        "CREATE …",
    )  # fmt: skip
    lazy = lazy_finding(_req(), Status.PASS, _text, 1)
    for finding in (full, lazy):
        back = pickle.loads(pickle.dumps(finding, protocol=pickle.HIGHEST_PROTOCOL))
        assert type(back) is Finding and back == finding
        assert dataclasses.astuple(back) == dataclasses.astuple(finding)
        assert back.status is finding.status and back._fill is None and back._place is None
        with pytest.raises(dataclasses.FrozenInstanceError):
            back.message = "x"  # type: ignore[misc]
