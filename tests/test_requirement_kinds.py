"""One requirement kind, one module, one fixture (issue 12).

Every kind registered in ``schema_audit/kinds/`` has ``tests/kind_fixtures/<id>.yaml``:
SQL (read statically and applied to a real PostgreSQL), a spec, and the status each of
its requirements must get; both readings must give exactly those statuses, and the
fixture must show the kind both met and not met. The kinds page is generated from the
registry, and each kind's documented example is a spec that states that kind.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from schema_audit.api import audit_model
from schema_audit.audit.findings import STATUSES
from schema_audit.kinds import GROUP_ORDER, registry
from schema_audit.kinds._docs import render
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret
from schema_audit.spec.load import load_spec
from schema_audit.spec.schema import STRICT_KINDS

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "kind_fixtures"
KINDS = registry()


def _fixture(kind_id: str) -> dict[str, Any]:
    path = FIXTURES / f"{kind_id}.yaml"
    assert path.exists(), (
        f"requirement kind {kind_id} has no fixture: write {path.relative_to(ROOT)}"
    )
    fixture = yaml.safe_load(path.read_text())
    assert {"sql", "spec", "expect"} <= set(fixture), f"{path.name}: needs sql, spec and expect"
    return fixture


def _statuses(fixture: dict[str, Any], model: Any, source: str, tmp_path: Path) -> dict[str, str]:
    spec = tmp_path / f"{source}.yaml"
    spec.write_text(yaml.safe_dump({"name": "kind fixture", **fixture["spec"]}))
    result = audit_model(load_spec(spec), model, source, rules="none")
    return {f.id: f.status for f in result.findings}


@pytest.mark.parametrize("kind_id", list(KINDS))
def test_the_kind_judges_its_fixture_as_postgresql_would(
    kind_id: str, pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    fixture = _fixture(kind_id)
    expected = fixture["expect"]
    statuses = {expected[r] for r in expected if _kind_of(r, fixture) == kind_id}
    assert "PASS" in statuses or kind_id in (
        "probe",
        "strict_tables",
        "strict_views",
        "strict_sequences",
        "strict_functions",
        "strict_default_privileges",
        "strict_extensions",
        "strict_domains",
        "strict_rules",
        "strict_composite_types",
        "strict_range_types",
    ), f"{kind_id}: the fixture shows no requirement of the kind met"
    assert statuses - {"PASS"}, f"{kind_id}: the fixture shows no requirement of the kind unmet"
    roles = fixture.get("roles") or []
    static = interpret(";\n".join([*roles, fixture["sql"]]))
    # a kind read from a catalog only (domains) says so statically: its static_expect
    assert _statuses(fixture, static, "sql", tmp_path) == fixture.get("static_expect", expected)
    name, dsn = pg_server.create_database(f"kind_{kind_id}")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for statement in roles:
                role = statement.split()[2]
                if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                    conn.execute(statement)
            conn.execute(fixture["sql"])
        assert _statuses(fixture, live.introspect(dsn), "live", tmp_path) == expected
    finally:
        pg_server.drop_database(name)
        for statement in reversed(roles):
            pg_server.execute(f"DROP ROLE IF EXISTS {statement.split()[2]}")


def _kind_of(requirement_id: str, fixture: dict[str, Any]) -> str | None:
    """The kind of a fixture's requirement, as the loaded spec says."""
    cache = fixture.setdefault("_kinds", {})
    if not cache:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "spec.yaml"
            path.write_text(yaml.safe_dump({"name": "kind fixture", **fixture["spec"]}))
            cache.update({r.id: r.kind for r in load_spec(path).requirements})
    return cache.get(requirement_id)


def test_every_fixture_belongs_to_a_kind() -> None:
    assert sorted(p.stem for p in FIXTURES.glob("*.yaml")) == sorted(KINDS)


def test_every_kind_has_its_metadata_check_and_documentation() -> None:
    for k in KINDS.values():
        assert re.fullmatch(r"[a-z_]+", k.id), k.id
        assert k.name and k.title and k.hint and k.spec and k.doc and k.check, k.id
        assert k.group in GROUP_ORDER, k.id
        assert "```yaml" in k.doc, f"{k.id}: the docstring shows how a spec states it"
        # a kind that names no facet is never DEFERRED by a static reading: it must say so
        assert k.facets is not None, f"{k.id}: register facets= (what its finding reads)"
    # the exactly: words strict mode knows are exactly the kinds that name one
    assert sorted(k.strict for k in KINDS.values() if k.strict) == sorted(STRICT_KINDS)


@pytest.mark.parametrize("kind_id", list(KINDS))
def test_the_documented_example_is_a_spec_stating_the_kind(kind_id: str, tmp_path: Path) -> None:
    example = KINDS[kind_id].doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "spec.yaml"
    path.write_text("name: example\n" + example)
    kinds = {r.kind for r in load_spec(path).requirements}
    kinds |= {t.kind for s in load_spec(path).selectors for t in s.templates}
    assert kind_id in kinds, f"{kind_id}: its example states {sorted(kinds)}"


def test_the_requirement_kinds_page_is_generated_from_the_registry() -> None:
    assert (ROOT / "docs" / "requirement-kinds.md").read_text() == render(), (
        "docs/requirement-kinds.md is out of date: make docs"
    )


def test_statuses_in_fixtures_are_statuses() -> None:
    for path in FIXTURES.glob("*.yaml"):
        assert set(yaml.safe_load(path.read_text())["expect"].values()) <= set(STATUSES), path
