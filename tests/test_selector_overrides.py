"""Which stamped selector requirements a table's own entry overrides: ``expand`` filters the
explicit requirements before making their identities (issue 19), and must drop exactly the
stamps the plain rule drops — a stamp goes when some explicit requirement has its identity
(schema, table, kind, and the id's part after its parent's: the column name, the index or
policy name or shape; nothing when an ``id:`` of its own does not extend its parent's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_audit.api import inspect
from schema_audit.model import Table
from schema_audit.spec.load import load_spec
from schema_audit.spec.model import Requirement
from schema_audit.spec.selectors import expand

SQL = """\
CREATE SCHEMA billing;
CREATE TABLE orgs (id int PRIMARY KEY, org_id int);
CREATE TABLE invoices (id int PRIMARY KEY, org_id int, total numeric);
CREATE INDEX invoices_org ON invoices (org_id);
CREATE TABLE notes (id int PRIMARY KEY, org_id int NOT NULL);
CREATE TABLE audit_log (id int PRIMARY KEY, org_id int);
CREATE TABLE billing.plans (id int PRIMARY KEY, org_id int);
CREATE TABLE plain (id int PRIMARY KEY);
"""

SPEC = """\
name: overrides
match:
  tenant:
    select: {has_column: org_id, schema: ["public", "bill*"]}
    require:
      rls: {enabled: true}
      columns:
        org_id: {nullable: false}
        id: {type: integer}
      indexes:
        - leading: [org_id]
        - {name: by_org, columns: [org_id]}
      policies:
        - {name: tenant_only, using: org_id = 1}
  own_ids:
    select: {tables: ["invoices", "notes"]}
    require:
      columns:
        total: {nullable: true, id: custom.total}
      rls: {enabled: true, id: custom.rls}
  nothing_explicit:
    select: {tables: [plain]}
    require:
      columns:
        id: {type: integer}
tables:
  invoices:
    rls: {enabled: true}
    columns:
      org_id: {nullable: true}
      total: {type: numeric, id: mine.total}
    indexes:
      - leading: [org_id]
  notes:
    columns:
      id: {type: integer, id: notes.own.id}
    policies:
      - {name: tenant_only, using: org_id = 2}
  audit_log:
    indexes:
      - {name: by_org, columns: [org_id]}
  billing.plans:
    columns:
      org_id: {nullable: true}
    rls: {enabled: false, id: plans.own.rls}
"""


def _identity(req: Requirement) -> tuple[str, str, str, str] | None:
    if not req.table:
        return None
    suffix = req.id[len(req.parent) :] if req.parent and req.id.startswith(req.parent) else ""
    return req.schema, req.table, req.kind, suffix


def test_the_stamps_a_table_entry_overrides_are_those_the_plain_rule_drops(tmp_path: Path) -> None:
    sql = tmp_path / "schema.sql"
    sql.write_text(SQL)
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(SPEC)
    spec = load_spec(spec_file)
    model = inspect(sql=sql)

    requirements, picked = expand(spec, model)

    explicit = {_identity(r) for r in spec.requirements if r.table}
    stamped_all = requirements[len(spec.requirements) :]
    assert requirements[: len(spec.requirements)] == spec.requirements
    kept = [r.id for r in stamped_all]
    # every stamp, made again the plain way, in the same order, minus the overridden ones
    every = []
    for selector in spec.selectors:
        for table in picked[selector.name]:
            for template in selector.templates:
                stamp = template.id.replace("\x00schema", table.schema)
                stamp = stamp.replace("\x00table", table.name)
                parent = template.parent
                if parent is not None:
                    parent = parent.replace("\x00schema", table.schema)
                    parent = parent.replace("\x00table", table.name)
                every.append((stamp, _identity(_as_stamped(template, stamp, parent, table))))
    assert kept == [stamp for stamp, identity in every if identity not in explicit]
    # the cases the filter has to get right, named
    assert "match.tenant.public.invoices.columns.org_id" not in kept  # same column
    assert "match.tenant.public.invoices.rls" not in kept  # same kind, no name
    assert "match.tenant.public.invoices.indexes.leading_org_id" not in kept  # same shape
    assert "match.tenant.public.audit_log.indexes.by_org" not in kept  # same index name
    assert "match.tenant.public.notes.policies.tenant_only" not in kept  # same policy name
    assert "match.tenant.billing.plans.columns.org_id" not in kept  # schema-qualified entry
    assert "match.tenant.billing.plans.rls" in kept  # the entry's own id: no suffix
    assert "match.tenant.public.notes.columns.id" in kept  # ditto (notes.own.id)
    # ids of their own have no suffix: one goes where the table has a column with an id of
    # its own (mine.total, notes.own.id), the other stays (the tables' RLS ids extend theirs)
    assert "custom.total" not in kept
    assert kept.count("custom.rls") == 2
    assert "match.tenant.billing.plans" not in kept  # the table itself (no suffix either)
    assert "match.nothing_explicit.public.plain.columns.id" in kept
    assert len(kept) < len(every)


def _as_stamped(template: Requirement, rid: str, parent: str | None, table: Table) -> Requirement:
    return Requirement(
        rid, template.kind, table.schema, table.name, template.name, template.severity,
        template.category, template.props, template.at, parent=parent,
    )  # fmt: skip


def test_overrides_worked_out_in_the_reads_wait_drop_the_same_stamps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``selectors.prepare`` (run while ``audit --dsn`` waits for the read) works out the
    explicit side of the overrides before the model exists; the expansion that takes it
    keeps exactly the stamps the plain one keeps and makes no explicit identity after the
    read, only the stamps'. A prepared side of another spec, or of a spec grown since, is
    not taken (a stamp kept that the grown spec overrides would be judged twice)."""
    from schema_audit.cli.audit import _meanwhile
    from schema_audit.spec import selectors

    sql = tmp_path / "schema.sql"
    sql.write_text(SQL)
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(SPEC)
    model = inspect(sql=sql)
    plain_spec = load_spec(spec_file)
    plain_reqs, picked = expand(plain_spec, model)
    plain = [r.id for r in plain_reqs]
    stamps = sum(len(picked[s.name]) * len(s.templates) for s in plain_spec.selectors)

    spec = load_spec(spec_file)
    step = _meanwhile(spec, False)  # what the CLI runs while the live read is under way
    assert step is not None
    step()
    assert selectors._PREPARED and selectors._PREPARED[0].explicit is spec.requirements
    made: list[str] = []
    identity = selectors._identity
    monkeypatch.setattr(selectors, "_identity", lambda r: made.append(r.id) or identity(r))
    assert [r.id for r in expand(spec, model)[0]] == plain
    assert len(made) == stamps  # the stamps' identities only: the explicit side was ready
    assert not selectors._PREPARED  # taken: used once at most
    monkeypatch.setattr(selectors, "_identity", identity)

    selectors.prepare(load_spec(spec_file))  # another spec's: not taken
    assert [r.id for r in expand(spec, model)[0]] == plain
    assert not selectors._PREPARED

    selectors.prepare(spec)
    kept_stamp = next(r for r in plain_reqs[len(spec.requirements) :] if r.kind == "rls")
    spec.requirements.append(kept_stamp)  # grown since: it overrides that stamp now
    grown = [r.id for r in expand(spec, model)[0]]
    assert not selectors._PREPARED
    assert grown.count(kept_stamp.id) == 1  # the explicit one only, its stamp dropped
