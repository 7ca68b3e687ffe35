"""One probe kind, one fixture: each registered probe judges its fixture as written (issue 12).

``tests/probe_fixtures/<kind>/`` holds a history (``sql/``, a folder of SQL migrations,
or ``alembic/``, an Alembic project; or ``# history: ../<other>/alembic`` to share
another fixture's) and ``spec.yaml`` declaring the probes, with
``# expect: <finding id> <STATUS> <text in the message>`` lines. The history is
replayed into a real PostgreSQL and the probes run as ``audit --replay`` runs them;
each expected finding must have that status and say that text. A fixture shows the
probe telling a protection that holds from one that does not, where one can be built.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schema_audit.api import audit
from schema_audit.probes.kinds import registry
from schema_audit.probes.kinds._docs import render
from schema_audit.spec.load import load_spec
from schema_audit.spec.schema import SPEC_SCHEMA

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "probe_fixtures"
KINDS = registry()
EXPECT = re.compile(r"^# expect: (\S+) (PASS|FAIL|DEFERRED) (.+)$", re.M)
HISTORY = re.compile(r"^# history: (\S+)$", re.M)  # another fixture's history, shared


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_probe_judges_its_fixture(kind: str, pg_server) -> None:  # type: ignore[no-untyped-def]
    folder = FIXTURES / kind
    assert (folder / "spec.yaml").exists(), f"probe kind {kind} has no fixture: write {folder}"
    expected = EXPECT.findall((folder / "spec.yaml").read_text())
    spec = load_spec(folder / "spec.yaml")
    declared = {r.id: r.props["kind"] for r in spec.requirements if r.kind == "probe"}
    exercised = {declared.get(i) or i.split(".")[2] for i, _, _ in expected}
    assert kind in exercised, f"{folder.name}/spec.yaml expects no finding of a {kind} probe"
    shared = HISTORY.search((folder / "spec.yaml").read_text())
    history = (folder / shared.group(1)).resolve() if shared else folder / "alembic"
    if not history.exists():
        history = folder / "sql"
    kind_of = "migrations" if (history / "alembic.ini").exists() else "sql"
    source = {kind_of: history}
    result = audit(spec, scratch_dsn=pg_server.admin_dsn, replay=True, **source)  # type: ignore[arg-type]
    for finding_id, status, text in expected:
        finding = result.finding(finding_id)
        assert finding is not None, finding_id
        assert (finding.status, text in finding.message) == (status, True), finding.message
    probes = {f.id for f in result.findings if f.id.startswith("probes.")}
    assert probes == {i for i, _, _ in expected}, "every probe finding is expected"


def test_every_probe_fixture_belongs_to_a_kind() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(KINDS)


def test_every_probe_kind_has_its_metadata_and_documentation() -> None:
    for p in KINDS.values():
        assert re.fullmatch(r"[a-z_]+", p.id), p.id
        assert p.name and p.protects and p.hint and p.doc and p.check, p.id
        assert ("Spec:" in p.doc) == p.declared, f"{p.id}: a declared kind shows its spec entry"


def _at(*path: str) -> dict:
    """Walk the spec schema, following local ``$ref``s (kind fragments may live in ``$defs``)."""
    node: dict = SPEC_SCHEMA
    for key in (*path, None):
        while "$ref" in node:
            target: dict = SPEC_SCHEMA
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        if key is not None:
            node = node[key]
    return node


def test_a_spec_declares_exactly_the_declared_kinds() -> None:
    kinds = _at("properties", "probes", "additionalProperties", "properties", "kind")["enum"]
    assert sorted(kinds) == sorted(p.id for p in KINDS.values() if p.declared)


def test_the_probes_page_is_generated_from_the_registry() -> None:
    assert (ROOT / "docs" / "probes.md").read_text() == render(), (
        "docs/probes.md is out of date: make docs"
    )
