"""audit.deferral.Deferrals: the unapplied statements digested once an audit, the same verdicts.

Every static read of a runner's layout holds that runner's bookkeeping-table statement, so a
static audit asks each requirement whether an unapplied statement may change what it reads
(44,647 times with init's 1,000-table spec). ``Deferrals`` answers as ``open_statements``
over the kinds' facets did, requirement by requirement: checked here on a flyway
history that has the runner's table, an undecided DO block and a statement with no open
effect left, against the catalog the same SQL makes in PostgreSQL.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import psycopg

from schema_audit import api
from schema_audit.audit import engine
from schema_audit.audit.deferral import (
    Deferrals,
    Facet,
    defer,
    matches,
    open_statements,
)
from schema_audit.audit.findings import Finding
from schema_audit.kinds import kind
from schema_audit.model import Effect, SchemaModel, UnappliedStatement
from schema_audit.spec.model import Requirement

RUNNER = "CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version text);\n"
HISTORY = {
    "V1__tables.sql": """
        CREATE TABLE parent (id int PRIMARY KEY, n int);
        CREATE TABLE other (id int PRIMARY KEY, label text NOT NULL);
        CREATE INDEX other_label ON other (label);
    """,
    "V2__undecided.sql": """
        DO $$ BEGIN
          IF current_setting('app.flag') = 'on' THEN
            ALTER TABLE parent ADD COLUMN z int;
          END IF;
        END $$;
    """,
}


def _former_open(model: SchemaModel, facets: list[Facet]) -> list[UnappliedStatement]:
    """``open_statements`` as it was before the digest, written out."""
    if not facets:
        return []
    found = []
    for stmt in model.unapplied:
        if stmt.kind == "data":
            effects = []
        elif stmt.effects:
            effects = stmt.effects
        elif stmt.settled:
            effects = []
        else:
            effects = [Effect("*", t) for t in stmt.may_affect] or (
                [Effect("*", "*")] if stmt.kind == "dynamic" else []
            )
        reach = (
            facets if stmt.kind != "runner" else [f for f in facets if f.target in stmt.may_affect]
        )
        if any(matches(e, f) for e in effects for f in reach):
            found.append(stmt)
    return found


def _former_facets(req: Requirement) -> list[Facet]:
    """What the finding of ``req`` reads, as ``requirement_facets`` said before ``Deferrals``."""
    registered = kind(req.kind)
    if registered is None or registered.facets is None:
        return []
    return registered.facets(req)


def _reference(finding: Finding, req: Requirement, model: SchemaModel) -> Finding:
    """``defer_requirement`` as it was before ``Deferrals``: the definition compared with."""
    facets = _former_facets(req)
    statements = _former_open(model, facets)
    assert statements == open_statements(model, facets), req.id
    if not statements:
        return finding
    target = next((f.target for f in facets if f.target != "*"), "the schema")
    kinds = sorted({f.kind.replace("exists", "existence").replace("_", " ") for f in facets})
    return defer(finding, statements, f"{' / '.join(kinds)} of {target}")


def _judged(spec: Any, model: SchemaModel) -> list[tuple[Finding, Requirement]]:
    """Each requirement's finding before any deferral (the model without its unapplied)."""
    bare = dataclasses.replace(model, unapplied=[])
    found = engine.evaluate(spec, bare, "sql")
    by_id = {req.id: req for req in spec.requirements}
    return [(f, by_id[f.id]) for f in found if f.id in by_id]


def test_deferrals_answer_as_open_statements_did(make_db: Any, tmp_path: Path) -> None:
    folder = tmp_path / "db" / "migration"
    folder.mkdir(parents=True)
    for name, text in HISTORY.items():
        (folder / name).write_text(text)
    dsn = make_db("deferral_digest")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET app.flag = 'on'")
        conn.execute(RUNNER + "".join(HISTORY.values()))
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(api.init_spec(api.read_source(dsn=dsn)))
    spec = api.load_spec(spec_path)
    model = api.read_source(sql=folder).model
    kinds = {stmt.kind for stmt in model.unapplied}
    assert "runner" in kinds and len(kinds) > 1, kinds  # the runner's table and the DO block
    # a statement whose effects were all settled again: digested away, never cited
    settled = dataclasses.replace(
        model.unapplied[-1], sql="-- settled marker", effects=[], settled=["x"], kind="unsupported"
    )
    model.unapplied.append(settled)

    deferrals = Deferrals(model)
    pairs = _judged(spec, model)
    assert len(pairs) > 20
    deferred: set[str] = set()
    for finding, req in pairs:
        got = deferrals.requirement(finding, req)
        assert got == _reference(finding, req, model), req.id
        if got.status == "DEFERRED":
            deferred.add(got.id)
            assert "settled marker" not in str(got.evidence), req.id
    # what the runner's table and the DO block reach; other's own columns and index not
    assert "tables.flyway_schema_history" in deferred, sorted(deferred)
    assert any(i.startswith("tables.parent") for i in deferred), sorted(deferred)
    assert not any(i.startswith("tables.other.") for i in deferred), sorted(deferred)

    # the audit itself (AuditContext.deferral): the same findings as the reference gives
    result = api.audit_model(spec, model, "sql", str(folder))
    reference = {f.id: _reference(f, req, model).status for f, req in pairs if f.id in deferred}
    statuses = {f.id: f.status for f in result.findings}
    assert {i: statuses[i] for i in reference} == reference
