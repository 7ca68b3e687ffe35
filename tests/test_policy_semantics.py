"""Policies judged as PostgreSQL applies them: equivalent predicates, WITH CHECK defaulting
to USING, and the effective isolation of a table — live, statically and on replay.

Every equivalence the checker accepts is first shown to be one on a real server: the
same rows visible and the same rows refused, with the policy written either way.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from schema_audit.api import AuditResult, audit
from schema_audit.audit import policysem
from schema_audit.sources import live
from schema_audit.spec.load import load_spec

SETUP = """
DO $$ BEGIN CREATE ROLE {role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE FUNCTION cur() RETURNS int LANGUAGE sql STABLE AS $$ SELECT current_setting('app.org')::int $$;
CREATE FUNCTION vol() RETURNS int LANGUAGE sql VOLATILE AS $$ SELECT current_setting('app.org')::int $$;
"""


def _behaviour(dsn: str, role: str, predicate: str, command: str = "ALL") -> tuple:
    """Rows ``role`` sees with org 1 set, and which of an org-1 and an org-2 INSERT pass."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS probe")
        conn.execute("CREATE TABLE probe (id int, org_id int)")
        conn.execute("INSERT INTO probe VALUES (1, 1), (2, 2), (3, 3)")
        conn.execute(f"GRANT ALL ON probe TO {role}")
        conn.execute("ALTER TABLE probe ENABLE ROW LEVEL SECURITY")
        conn.execute(f"CREATE POLICY p ON probe FOR {command} TO {role} USING ({predicate})")
        conn.execute("SET app.org = '1'")
        conn.execute(f"SET ROLE {role}")
        seen = sorted(r[0] for r in conn.execute("SELECT id FROM probe"))
        accepted = []
        for org in (1, 2):
            try:
                with conn.transaction():
                    conn.execute("INSERT INTO probe VALUES (9, %s)", (org,))
                    accepted.append(org)
            except psycopg.errors.InsufficientPrivilege:
                pass
        conn.execute("RESET ROLE")
        stored = conn.execute(
            "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polname = 'p'"
        ).fetchone()[0]
    return seen, accepted, stored


@pytest.mark.parametrize(
    "written, equivalent",
    [
        ("cur() = org_id", "org_id = cur()"),
        ("(SELECT cur()) = org_id", "org_id = cur()"),
        (
            "org_id = (SELECT current_setting('app.org')::int)",
            "current_setting('app.org')::int = org_id",
        ),
        ("((org_id = (cur())))", "org_id = cur()"),
    ],
)
def test_equivalent_predicates_behave_the_same_on_postgres_and_compare_equal(
    make_db, written: str, equivalent: str
) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("peq", SETUP.format(role="app_peq"))
    seen_a, accepted_a, stored_a = _behaviour(dsn, "app_peq", written)
    seen_b, accepted_b, stored_b = _behaviour(dsn, "app_peq", equivalent)
    assert (seen_a, accepted_a) == (seen_b, accepted_b) == ([1], [1])
    model = live.introspect(dsn)
    assert policysem.equal(stored_a, stored_b, model)
    assert policysem.equal(written, stored_b, model)


def test_volatile_subquery_and_other_columns_are_not_equivalent(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("pne", SETUP.format(role="app_pne"))
    model = live.introspect(dsn)
    # (SELECT vol()) runs once per statement, vol() once per row: PostgreSQL keeps them apart
    assert not policysem.equal("(SELECT vol()) = org_id", "org_id = vol()", model)
    assert not policysem.equal("org_id = cur()", "id = cur()", model)
    assert not policysem.equal("org_id = cur()", "org_id >= cur()", model)
    # unknown function: volatility unknown, so no unwrapping
    assert not policysem.equal("(SELECT mystery()) = org_id", "org_id = mystery()", None)


def test_for_all_using_only_refuses_foreign_rows_so_it_satisfies_with_check(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("pwc", SETUP.format(role="app_pwc"))
    _, accepted, _ = _behaviour(dsn, "app_pwc", "org_id = cur()", "ALL")
    assert accepted == [1]  # PostgreSQL applies USING to the new row
    _, accepted_select, _ = _behaviour(dsn, "app_pwc", "org_id = cur()", "SELECT")
    assert accepted_select == []  # a SELECT policy never admits an INSERT


def test_a_policy_without_the_clause_contributes_nothing(make_db) -> None:  # type: ignore[no-untyped-def]
    """What :func:`policysem.effective` assumes: an INSERT policy without WITH CHECK admits nothing."""
    dsn = make_db("pnc", SETUP.format(role="app_pnc"))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int, org_id int)")
        conn.execute("GRANT ALL ON t TO app_pnc")
        conn.execute("ALTER TABLE t ENABLE ROW LEVEL SECURITY")
        conn.execute("CREATE POLICY ins ON t FOR INSERT TO app_pnc")
        conn.execute("SET ROLE app_pnc")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO t VALUES (1, 1)")
    table = live.introspect(dsn).tables["public.t"]
    assert policysem.effective(table, "INSERT", "with_check", None).render() == "false"


SCHEMA = """
CREATE FUNCTION cur() RETURNS int LANGUAGE sql STABLE AS $$ SELECT current_setting('app.org')::int $$;
CREATE TABLE orgs (id int PRIMARY KEY);
CREATE TABLE invoices (id int PRIMARY KEY, org_id int NOT NULL REFERENCES orgs(id));
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON invoices FOR ALL USING ((SELECT cur()) = org_id);
CREATE TABLE notes (id int PRIMARY KEY, org_id int NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON notes FOR ALL USING (org_id = cur());
CREATE POLICY anyone_reads ON notes FOR SELECT USING (true);
CREATE TABLE docs (id int PRIMARY KEY, org_id int NOT NULL);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON docs FOR ALL USING (org_id = cur());
CREATE POLICY open ON docs FOR SELECT USING (true);
CREATE POLICY fence ON docs AS RESTRICTIVE FOR ALL USING (cur() = org_id);
"""

SPEC = """
name: policies
tables:
  invoices:
    rls: {enabled: true, isolation: "org_id = cur()"}
    policies:
      - name: tenant
        command: ALL
        using: "cur() = org_id"
        with_check: "org_id = (SELECT cur())"
  notes:
    rls: {enabled: true, isolation: "org_id = cur()"}
    policies:
      - {name: tenant, using: "org_id = cur()", with_check: "org_id = cur()"}
  docs:
    rls: {isolation: "org_id = cur()"}
"""

EXPECTED = {
    "tables.invoices.rls": "PASS",
    "tables.invoices.policies.tenant": "PASS",
    "tables.notes.rls": "FAIL",
    "tables.notes.policies.tenant": "PASS",
    "tables.docs.rls": "PASS",  # the restrictive fence holds every command to the predicate
}


def _statuses(result: AuditResult) -> dict[str, str]:
    return {f.id: f.status for f in result.findings if f.id in EXPECTED}


def _check_messages(result: AuditResult) -> None:
    notes = result.finding("tables.notes.rls")
    assert notes is not None and "anyone_reads" in notes.message, notes.message
    assert "tenant" not in notes.message.split("admit")[0].split("policy")[-1]
    assert [d.property for d in notes.diffs] == ["isolation[SELECT USING]"]


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path


def test_policy_equivalences_and_isolation_live(make_db, spec_file: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("pol", SCHEMA)
    result = audit(load_spec(spec_file), dsn=dsn, rules="none")
    assert _statuses(result) == EXPECTED
    _check_messages(result)


def test_policy_equivalences_and_isolation_static(tmp_path: Path, spec_file: Path) -> None:
    sql = tmp_path / "schema.sql"
    sql.write_text(SCHEMA)
    result = audit(load_spec(spec_file), sql=sql, rules="none")
    assert _statuses(result) == EXPECTED
    _check_messages(result)


def test_policy_equivalences_and_isolation_on_replay(
    pg_server, tmp_path: Path, spec_file: Path
) -> None:  # type: ignore[no-untyped-def]
    sql = tmp_path / "schema.sql"
    sql.write_text(SCHEMA)
    result = audit(
        load_spec(spec_file), sql=sql, replay=True, scratch_dsn=pg_server.admin_dsn, rules="none"
    )
    assert _statuses(result) == EXPECTED
    _check_messages(result)


def test_the_extra_permissive_policy_really_voids_isolation(make_db) -> None:  # type: ignore[no-untyped-def]
    """The FAIL above is PostgreSQL's verdict: with anyone_reads, org 1 sees org 2's notes."""
    role = "DO $$ BEGIN CREATE ROLE app_void; EXCEPTION WHEN duplicate_object THEN NULL; END $$;"
    dsn = make_db("pvoid", role + SCHEMA)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO notes VALUES (1, 1), (2, 2)")
        conn.execute("INSERT INTO docs VALUES (1, 1), (2, 2)")
        conn.execute("GRANT SELECT ON notes, docs TO app_void")
        conn.execute("SET app.org = '1'")
        conn.execute("SET ROLE app_void")
        assert sorted(r[0] for r in conn.execute("SELECT org_id FROM notes")) == [1, 2]
        assert sorted(r[0] for r in conn.execute("SELECT org_id FROM docs")) == [1]
