"""``match:`` selectors: five English requirements in a few lines, for any number of tables.

"Every table with organization_id has RLS enabled and forced, this exact policy, the
column NOT NULL, an FK to organizations ON DELETE CASCADE, and an index leading with
it" is written once; on a generated 1,000-table schema it yields exactly the findings
of the same requirements written out table by table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_audit.api import audit
from schema_audit.spec.load import SpecError, load_spec

TABLES = 1000

SELECTOR_SPEC = """\
name: tenants by pattern
match:
  tenant_tables:
    select: {has_column: organization_id, exclude: [organizations]}
    require:
      rls: {enabled: true, forced: true}
      policies:
        - name: tenant_isolation
          using: organization_id = cur()
          with_check: organization_id = cur()
      columns:
        organization_id: {nullable: false, references: organizations(id), on_delete: CASCADE}
      indexes:
        - leading: [organization_id]
"""


def _schema(n: int) -> str:
    """Tables t0000…: most carry organization_id, each breaking a different requirement."""
    out = [
        "CREATE FUNCTION cur() RETURNS int LANGUAGE sql STABLE AS $$ SELECT 1 $$;",
        "CREATE TABLE organizations (id int PRIMARY KEY, organization_id int);",
    ]
    for i in range(n):
        t = f"t{i:04d}"
        if i % 9 == 0:
            out.append(f"CREATE TABLE {t} (id int PRIMARY KEY, note text);")
            continue
        null = "" if i % 11 == 0 else " NOT NULL"
        action = "SET NULL" if i % 13 == 0 else "CASCADE"
        out.append(
            f"CREATE TABLE {t} (id int PRIMARY KEY, organization_id int{null} "
            f"REFERENCES organizations(id) ON DELETE {action});"
        )
        keys = ["organization_id, id", "organization_id", "id, organization_id"][i % 3]
        out.append(f"CREATE INDEX ON {t} ({keys});")
        if i % 5:
            out.append(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;")
        if i % 7:
            out.append(f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY;")
        using = "cur() = organization_id" if i % 2 else "organization_id = (SELECT cur())"
        if i % 17:
            out.append(f"CREATE POLICY tenant_isolation ON {t} USING ({using});")
    return "\n".join(out) + "\n"


def _per_table_spec(n: int) -> str:
    """The same requirements written out for each tenant table (what teams had to write)."""
    lines = ["name: tenants one by one", "tables:"]
    for i in range(n):
        if i % 9 == 0:
            continue
        lines += [
            f"  t{i:04d}:",
            "    rls: {enabled: true, forced: true}",
            "    policies:",
            "      - name: tenant_isolation",
            "        using: organization_id = cur()",
            "        with_check: organization_id = cur()",
            "    columns:",
            "      organization_id: {nullable: false, references: organizations(id), on_delete: CASCADE}",
            "    indexes:",
            "      - leading: [organization_id]",
        ]
    return "\n".join(lines) + "\n"


def _by_object(result, prefix: str) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """finding id without its prefix -> (status, message)."""
    return {
        f.id[len(prefix) :]: (f.status, f.message)
        for f in result.findings
        if f.id.startswith(prefix)
    }


def test_five_requirements_in_few_lines_equal_the_per_table_form_on_1000_tables(
    tmp_path: Path,
) -> None:
    assert len(SELECTOR_SPEC.splitlines()) <= 25
    sql = tmp_path / "schema.sql"
    sql.write_text(_schema(TABLES))
    (tmp_path / "selector.yaml").write_text(SELECTOR_SPEC)
    (tmp_path / "tables.yaml").write_text(_per_table_spec(TABLES))
    by_selector = audit(load_spec(tmp_path / "selector.yaml"), sql=sql, rules="none")
    by_table = audit(load_spec(tmp_path / "tables.yaml"), sql=sql, rules="none")
    derived = _by_object(by_selector, "match.tenant_tables.public.")
    written = _by_object(by_table, "tables.")
    tenant_tables = sum(1 for i in range(TABLES) if i % 9)
    assert len(written) == tenant_tables * 6  # table, column, FK, index, RLS, policy
    assert derived == written
    fails = {k for k, (status, _) in derived.items() if status == "FAIL"}
    assert "t0005.rls" in fails and "t0001.rls" not in fails  # RLS off on every 5th
    assert "t0002.indexes.leading_organization_id" in fails  # (id, organization_id)
    assert "t0001.indexes.leading_organization_id" not in fails  # (organization_id)
    assert "t0011.columns.organization_id" in fails  # nullable
    assert "t0013.foreign_keys.organization_id" in fails  # SET NULL
    picked = by_selector.finding("match.tenant_tables")
    assert picked is not None and picked.status == "PASS"
    assert f"picks {tenant_tables} tables" in picked.message


SMALL = """\
CREATE TABLE organizations (id int PRIMARY KEY);
CREATE TABLE invoices (id int PRIMARY KEY, organization_id uuid, deleted_at timestamptz);
CREATE TABLE notes (id int PRIMARY KEY, organization_id int NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE TABLE audit_log (id int PRIMARY KEY, organization_id int);
CREATE TABLE billing_plans (id int PRIMARY KEY);
CREATE TABLE events (id int, organization_id int) PARTITION BY RANGE (id);
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM (0) TO (100);
"""


@pytest.mark.parametrize(
    "select, expected",
    [
        ({"has_column": "organization_id"}, ["audit_log", "events", "invoices", "notes"]),
        ({"has_column": {"name": "organization_id", "type": "uuid"}}, ["invoices"]),
        ({"lacks_column": "organization_id"}, ["billing_plans", "organizations"]),
        (
            {"has_column": "organization_id", "exclude": ["audit_*"]},
            ["events", "invoices", "notes"],
        ),
        ({"tables": "*s", "regex": "^[a-m]"}, ["billing_plans", "events", "invoices"]),
        ({"rls": True}, ["notes"]),
        ({"partitioned": True}, ["events"]),
        ({"partitioned": True, "partitions": True, "tables": "events*"}, ["events"]),
        ({"partitions": True, "tables": "events*"}, ["events", "events_2026"]),
        ({"schema": "other"}, []),
    ],
)
def test_selector_conditions(tmp_path: Path, select: dict, expected: list[str]) -> None:
    import yaml

    sql = tmp_path / "s.sql"
    sql.write_text(SMALL)
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        yaml.safe_dump({"name": "s", "match": {"pick": {"select": select, "require": {}}}})
    )
    result = audit(load_spec(spec), sql=sql, rules="none")
    tables = sorted(
        f.id.split(".")[3] for f in result.findings if f.id.count(".") == 3 and f.kind == "table"
    )
    assert tables == expected
    selector = result.finding("match.pick")
    assert selector is not None
    assert selector.status == ("PASS" if expected else "FAIL"), selector.message


PRECEDENCE_SPEC = """\
name: precedence
match:
  tenant_tables:
    select: {has_column: organization_id}
    require:
      columns:
        organization_id: {nullable: false}
      rls: {enabled: true}
  typo:
    select: {has_column: organisation_id}
    require: {rls: {enabled: true}}
tables:
  audit_log:
    columns:
      organization_id: {nullable: true}   # explicit entry replaces the selector's NOT NULL
questions:
  - id: Q1
    requirements: [match.tenant_tables.*.rls]
"""


def test_explicit_entries_override_selectors_and_an_empty_selector_fails(tmp_path: Path) -> None:
    sql = tmp_path / "s.sql"
    sql.write_text(SMALL)
    spec = tmp_path / "spec.yaml"
    spec.write_text(PRECEDENCE_SPEC)
    result = audit(load_spec(spec), sql=sql, rules="none")
    ids = {f.id: f.status for f in result.findings}
    assert "match.tenant_tables.public.audit_log.columns.organization_id" not in ids
    assert ids["tables.audit_log.columns.organization_id"] == "PASS"
    assert ids["match.tenant_tables.public.invoices.columns.organization_id"] == "FAIL"
    assert ids["match.tenant_tables.public.notes.columns.organization_id"] == "PASS"
    assert ids["match.tenant_tables.public.audit_log.rls"] == "FAIL"  # not overridden
    assert ids["match.typo"] == "FAIL"
    question = next(q for q in result.questions if q.id == "Q1")
    assert sorted(question.findings) == [
        f"match.tenant_tables.public.{t}.rls" for t in ("audit_log", "events", "invoices", "notes")
    ]
    assert question.status == "FAIL"


def test_a_selector_with_an_unknown_key_is_a_spec_error(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: s\nmatch:\n  x:\n    select: {has_colum: a}\n    require: {}\n")
    with pytest.raises(SpecError) as err:
        load_spec(spec)
    assert "has_colum" in str(err.value) and "spec.yaml:4" in str(err.value)


def test_a_selectors_globs_are_compiled_once_and_pick_as_fnmatch_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each selector is asked about every table of the schema: its globs are compiled once
    (fnmatch's own translation) instead of one ``fnmatchcase`` call per glob and table, and
    pick exactly the tables ``fnmatchcase`` picks (names and ``schema.name``, ``*``, ``?``,
    ``[…]``, several globs, a plain name compared as text, ``exclude``)."""
    import fnmatch
    import itertools

    from schema_audit.model import SchemaModel, Table
    from schema_audit.spec import selectors
    from schema_audit.spec.model import Selector

    model = SchemaModel()
    for schema, name in itertools.product(
        ("public", "app", "a.b"), ("t1", "t12", "ta", "T1", "t[1]", "x.t1", "orders", "a*")
    ):
        table = Table(schema, name)
        model.tables[table.qualified_name] = table
    globs = ["t?", "t*", "*1", "t[0-9]", "t[!0-9]", "app.t?", "*.t1", "t[1]", "a*", "orders", "T1"]
    selects = [{"tables": g} for g in globs] + [{"exclude": g} for g in globs]
    selects += [{"tables": ["t?", "orders"]}, {"tables": ["ta", "app.*"], "exclude": ["*1"]}]
    selects += [{"schema": s, "tables": "t*"} for s in ("app", "a*", "a.b", "[ap]*")]

    def plain(select: dict, table: Table) -> bool:  # the rule, as fnmatch states it
        def named(globs: list) -> bool:
            return any(
                fnmatch.fnmatchcase(table.name, g)
                or fnmatch.fnmatchcase(f"{table.schema}.{table.name}", g)
                for g in globs
            )

        schemas = selectors._as_list(select.get("schema")) or ["public"]
        return (
            any(fnmatch.fnmatchcase(table.schema, s) for s in schemas)
            and ("tables" not in select or named(selectors._as_list(select["tables"])))
            and not ("exclude" in select and named(selectors._as_list(select["exclude"])))
        )

    expected = [
        [t.qualified_name for _, t in sorted(model.tables.items()) if plain(select, t)]
        for select in selects
    ]
    calls: list[str] = []
    real = fnmatch.fnmatchcase
    monkeypatch.setattr(fnmatch, "fnmatchcase", lambda *a: calls.append(a[1]) or real(*a))
    got = [
        [
            t.qualified_name
            for t in selectors.selected(Selector("s", select, [], "", "high"), model, "public")
        ]
        for select in selects
    ]
    assert got == expected
    assert any(expected) and not all(expected)
    assert calls == []  # compiled once per selector, not asked per table
