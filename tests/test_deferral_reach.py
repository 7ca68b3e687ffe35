"""audit.deferral.Deferrals: with only a runner's table open, the facets of requirements it cannot reach are not worked out.

A flyway (golang-migrate, diesel …) history's static read holds the runner's bookkeeping
table as an unapplied statement (``sources/runner_tables``): an open effect of any kind on
that one table. A facet reaches it only when the facet names that table, so a requirement
of a kind whose facets name only its own table or none (``Kind.facets_on_table``) is reached
only when it is a requirement of that table; ``Deferrals`` then skips the facets of every
other table's requirements. A shortcut that skipped a reachable requirement would leave a
finding PASS (or FAIL) that the runner's table may change: a false verdict. Checked here:

* every kind that says so builds no facet naming another target, whatever its requirement
  holds (the kinds' own facets, over generated requirements and every fixture spec's);
* against the definition (every facet of every requirement worked out, ``open_statements``
  as it was before the digest): a runner-only history, where the runner's own table's
  requirements are DEFERRED and so is a function of the same name (a kind whose facets
  name other targets is always asked); and the same history with an unapplied statement
  on a table, a function, a schema or a role besides the runner's table, where no
  requirement is skipped (each reaches the table's requirements). The database each spec
  is written from is made by the same SQL in PostgreSQL (``init --dsn``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema_audit import api
from schema_audit.audit import engine
from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Deferrals, Facet, defer, matches
from schema_audit.audit.findings import Finding
from schema_audit.kinds import registry
from schema_audit.model import Effect, SchemaModel, UnappliedStatement, qualify
from schema_audit.spec.model import Requirement

ROOT = Path(__file__).resolve().parent.parent
RUNNER = "CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version text);\n"
TABLES = """
    CREATE SCHEMA app;
    CREATE TABLE parent (id int PRIMARY KEY, n int);
    CREATE TABLE other (id int PRIMARY KEY, label text NOT NULL UNIQUE);
    CREATE TABLE app.child (id int PRIMARY KEY, parent_id int REFERENCES parent);
    CREATE INDEX other_label ON other (label);
    CREATE VIEW other_labels AS SELECT label FROM other;
    CREATE FUNCTION flyway_schema_history() RETURNS int LANGUAGE sql AS 'SELECT 1';
    CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
"""


def _undecided(statement: str) -> str:
    """``statement`` in a DO block the static reader cannot decide (a setting it cannot know)."""
    return (
        "DO $$ BEGIN IF current_setting('app.flag', true) = 'on' THEN "
        f"{statement}; END IF; END $$;\n"
    )


# an unapplied statement besides the runner's table: on a table, a function, a schema, a role,
# and dynamic SQL that may name any of them
BESIDES = {
    "runner only": "",
    "a table": _undecided("ALTER TABLE parent ADD COLUMN z int"),
    "a function": _undecided("ALTER FUNCTION touch() OWNER TO CURRENT_USER"),
    "a schema": _undecided("ALTER SCHEMA app RENAME TO app2"),
    "a role": _undecided("ALTER ROLE CURRENT_USER SET work_mem = '8MB'"),
    "dynamic SQL": _undecided(
        "EXECUTE 'GRANT SELECT ON ' || current_setting('app.t') || ' TO public'"
    ),
}


def _former_open(model: SchemaModel, facets: list[Facet]) -> list[UnappliedStatement]:
    """``open_statements`` as it was before the digest, written out: every statement's
    effects against every facet (a runner's table: the facets naming it)."""
    if not facets:
        return []
    found = []
    for stmt in model.unapplied:
        if stmt.kind == "data" or (not stmt.effects and stmt.settled):
            continue
        effects = (
            stmt.effects
            or [Effect("*", t) for t in stmt.may_affect]
            or ([Effect("*", "*")] if stmt.kind == "dynamic" else [])
        )
        reach = (
            facets if stmt.kind != "runner" else [f for f in facets if f.target in stmt.may_affect]
        )
        if any(matches(e, f) for e in effects for f in reach):
            found.append(stmt)
    return found


def _reference(finding: Finding, req: Requirement, model: SchemaModel) -> Finding:
    """The finding as the definition makes it: every facet of ``req`` worked out."""
    registered = registry().get(req.kind)
    facets = registered.facets(req) if registered is not None and registered.facets else []
    statements = _former_open(model, facets)
    if not statements:
        return finding
    target = next((f.target for f in facets if f.target != "*"), "the schema")
    kinds = sorted({f.kind.replace("exists", "existence").replace("_", " ") for f in facets})
    return defer(finding, statements, f"{' / '.join(kinds)} of {target}")


def _read(make_db: Any, tmp_path: Path, besides: str) -> tuple[Any, SchemaModel]:
    """init's spec of the database the history makes (with the runner's table, as flyway
    leaves it) and the static model of that flyway history."""
    folder = tmp_path / "db" / "migration"
    folder.mkdir(parents=True)
    (folder / "V1__tables.sql").write_text(TABLES)
    (folder / "V2__more.sql").write_text(besides + "CREATE INDEX parent_n ON parent (n);\n")
    dsn = make_db("deferral_reach")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(RUNNER + TABLES + besides + "CREATE INDEX parent_n ON parent (n);")
    # without the owners init writes (a history does not say who runs it: DEFERRED anyway),
    # so the runner's table is what turns a verdict to DEFERRED
    text = api.init_spec(api.read_source(dsn=dsn))
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(
        "\n".join(s for s in text.split("\n") if not s.strip().startswith("owner:"))
    )
    return api.load_spec(spec_path), api.read_source(sql=folder).model


@pytest.mark.parametrize("besides", list(BESIDES))
def test_deferrals_skip_only_what_no_open_statement_reaches(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, besides: str
) -> None:
    spec, model = _read(make_db, tmp_path, BESIDES[besides])
    kinds = [stmt.kind for stmt in model.unapplied]
    assert "runner" in kinds and (len(kinds) == 1) == (besides == "runner only"), kinds

    # each requirement's finding before any deferral (the model without its unapplied)
    bare = dataclasses.replace(model, unapplied=[])
    by_id = {req.id: req for req in spec.requirements}
    pairs = [(f, by_id[f.id]) for f in engine.evaluate(spec, bare, "sql")]
    assert len(pairs) == len(by_id) > 40
    deferrals = Deferrals(model)
    deferred = set()  # the findings a statement DEFERRED (some are DEFERRED already)
    for finding, req in pairs:
        got = deferrals.requirement(finding, req)
        assert got == _reference(finding, req, model), req.id
        if got is not finding:
            deferred.add(got.id)
    # the audit itself: each finding as the definition makes it (deferred in the engine's
    # order: a requirement under a DEFERRED table is DEFERRED with it)
    found = api.audit_model(spec, model, "sql", "history").findings
    monkeypatch.setattr(AuditContext, "deferrals", lambda ctx: _Definition(ctx.model))
    assert found == api.audit_model(spec, model, "sql", "history").findings
    status = {f.id: f.status for f in found}
    # the runner's table: every requirement of it; a function of its name too
    runner = {req.id for req in spec.requirements if req.table == "flyway_schema_history"}
    assert len(runner) >= 3 and {status[i] for i in runner} == {"DEFERRED"}, runner
    assert deferred >= {"tables.flyway_schema_history", "functions.flyway_schema_history"}
    assert status["functions.flyway_schema_history"] == "DEFERRED"
    if besides == "runner only":
        assert deferred <= runner | {"functions.flyway_schema_history"}, sorted(deferred)
    else:  # each statement besides it reaches the table's requirements (parent's)
        assert any(i.startswith("tables.parent") for i in deferred), sorted(deferred)


class _Definition:
    """``Deferrals`` as the definition: every requirement's facets worked out."""

    def __init__(self, model: SchemaModel) -> None:
        self.model = model

    def requirement(self, finding: Finding, req: Requirement) -> Finding:
        return _reference(finding, req, self.model)


# the props a facet reads (column: unique / primary_key; strict_tables: schemas; trigger:
# raises / function …), with values naming other objects, the runner's table among them
_NAMES = st.sampled_from(
    ["flyway_schema_history", "public.flyway_schema_history", "app.t", '"Odd.Name"', "*", ""]
)
_PROPS = st.fixed_dictionaries(
    {},
    optional={
        "unique": st.booleans(),
        "primary_key": st.booleans(),
        "raises": st.booleans(),
        "function": _NAMES,
        "schemas": st.lists(_NAMES, max_size=3),
        "references": _NAMES,
        "columns": st.lists(_NAMES, max_size=3),
        "grants": st.dictionaries(_NAMES, st.lists(st.sampled_from(["SELECT", "ALL"])), max_size=2),
        "owner": _NAMES,
        "aliases": st.lists(_NAMES, max_size=2),
    },
)
_ON_TABLE = sorted(k.id for k in registry().values() if k.facets_on_table)


def _says_so(req: Requirement) -> None:
    """Every facet of ``req`` (a kind saying ``facets_on_table``) names its table or nothing."""
    facets = registry()[req.kind].facets
    assert facets is not None, req.kind
    own = qualify(req.schema, req.table) if req.table else "*"
    targets = {f.target for f in facets(req)}
    assert targets <= {own, "*"}, (req.kind, req.table, req.props, targets)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(_ON_TABLE),
    schema=st.sampled_from(["public", "app", "Odd"]),
    table=st.sampled_from([None, "", "t", "flyway_schema_history", "Mixed Case"]),
    name=st.one_of(st.none(), _NAMES),
    props=_PROPS,
)
def test_kinds_that_say_their_facets_are_on_their_table_name_no_other(
    kind: str, schema: str, table: str | None, name: str | None, props: dict[str, Any]
) -> None:
    _says_so(Requirement("x", kind, schema, table, name, "high", None, props, "spec.yaml:1:1"))


def test_every_fixture_specs_requirement_of_such_a_kind_names_no_other() -> None:
    specs = [
        *sorted((ROOT / "specs").glob("*.yaml")),
        *sorted((ROOT / "tests" / "fixtures").rglob("*spec*.yaml")),
    ]
    seen: set[str] = set()
    for path in specs:
        try:
            spec = api.load_spec(path)
        except Exception:  # noqa: BLE001 - a fixture meant to be refused, or one needing --var
            continue
        for req in spec.requirements:
            if req.kind in _ON_TABLE:
                _says_so(req)
                seen.add(req.kind)
    assert {"table", "column", "index", "policy", "privilege"} <= seen, sorted(seen)


def test_the_kinds_whose_facets_name_other_targets_do_not_say_so() -> None:
    """A trigger (its function), a function, a sequence or a schema's ACL names objects that
    are no table of its own: they are always asked (the runner's table may share a name)."""
    for kind_id in ("trigger", "function", "sequence", "schema", "enum", "domain"):
        assert not registry()[kind_id].facets_on_table, kind_id
    trigger = Requirement(
        "t", "trigger", "public", "parent", "guard", "high", None,
        {"raises": True, "function": "public.flyway_schema_history"}, "spec.yaml:1:1",
    )  # fmt: skip
    facets = registry()["trigger"].facets
    assert facets is not None
    assert "public.flyway_schema_history" in {f.target for f in facets(trigger)}
