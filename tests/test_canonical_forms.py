"""One canonical form: a history read statically, the catalog it builds and its pg_dump agree.

Each corpus under ``tests/fixtures/corpora`` is written by us in the style a real
project's tool produces (Prisma, Rails structure.sql, …). For each one, the
history is applied to a real PostgreSQL; the static model must equal the model
read from that database, so must a ``pg_dump --schema-only`` of it, and a spec
written by ``init`` from any of them must give no FAIL on any other.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from cli_runner import run_cli

from schema_audit.api import audit_model
from schema_audit.audit.indexes import shape_diffs
from schema_audit.kinds._acl import UNKNOWN_OWNER
from schema_audit.kinds.column import _types_equal
from schema_audit.kinds.composite_type import UNKNOWN_COMPOSITES
from schema_audit.kinds.strict_extensions import UNKNOWN_VERSION
from schema_audit.kinds.strict_rules import UNKNOWN_RULES
from schema_audit.model import Index, IndexKey, SchemaModel
from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import DdlInterpreter
from schema_audit.sources.scratch_cluster import find_bindir
from schema_audit.sources.sqlfile import load_sql, order_sql_files
from schema_audit.spec.bootstrap import spec_from_model
from schema_audit.spec.load import load_spec

CORPORA = Path(__file__).resolve().parent / "fixtures" / "corpora"


def _prisma_files() -> list[Path]:
    return sorted((CORPORA / "prisma" / "migrations").glob("*/migration.sql"))


def _static(files: list[Path]) -> SchemaModel:
    interpreter = DdlInterpreter()
    for file in files:
        interpreter.apply_sql(file.read_text(), file=file.name)
    return interpreter.model


def _corpus(pg_server, tmp_path: Path, name: str, files: list[Path]) -> None:  # type: ignore[no-untyped-def]
    static = _static(files)
    live_model, dump = _live_and_dump(pg_server, tmp_path, name, files)
    _assert_one_form(static, live_model, dump, tmp_path)


def _live_and_dump(pg_server, tmp_path: Path, prefix: str, files: list[Path]):  # type: ignore[no-untyped-def]
    name, dsn = pg_server.create_database(prefix)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for file in files:
                conn.execute(file.read_text())
        live_model = live.introspect(dsn)
        pg_dump = shutil.which("pg_dump") or str(find_bindir() / "pg_dump")
        dump = tmp_path / f"{prefix}.sql"
        subprocess.run([pg_dump, "--schema-only", "-d", dsn, "-f", str(dump)], check=True)
    finally:
        pg_server.drop_database(name)
    return live_model, load_sql(dump)


def _differences(a: SchemaModel, b: SchemaModel) -> list[str]:
    return [str(d) for d in diff_models(a, b)]


def _failing(spec_text: str, model: SchemaModel, kind: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "spec.yaml"
    path.write_text(spec_text)
    result = audit_model(load_spec(path), model, kind, rules="none")
    return [
        f"{f.id}: {f.message}"
        for f in result.findings
        if f.status not in ("PASS", "WAIVED")
        # the live spec names owners; a history without OWNER TO does not: DEFERRED, by design
        and not (f.status == "DEFERRED" and UNKNOWN_OWNER in f.message and kind == "sql")
        # so do the extensions' versions (CREATE EXTENSION installs the server's default)
        and not (f.status == "DEFERRED" and UNKNOWN_VERSION in f.message and kind == "sql")
        and not (f.status == "DEFERRED" and UNKNOWN_RULES in f.message and kind == "sql")
        and not (f.status == "DEFERRED" and UNKNOWN_COMPOSITES in f.message and kind == "sql")
    ]


def _assert_one_form(static: SchemaModel, live_model: SchemaModel, dump: SchemaModel, tmp_path):  # type: ignore[no-untyped-def]
    assert _differences(live_model, static) == []
    assert _differences(live_model, dump) == []
    assert [
        u.sql
        for u in static.statements_unapplied() + dump.statements_unapplied()
        if u.kind != "data"
    ] == []
    for origin, kind in ((static, "sql"), (live_model, "live"), (dump, "sql")):
        text = spec_from_model(origin, name="corpus", source=kind)
        for target, target_kind in ((static, "sql"), (live_model, "live"), (dump, "sql")):
            assert _failing(text, target, target_kind, tmp_path) == [], (kind, target_kind)


def test_prisma_history_reads_statically_exactly_as_the_catalog(pg_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = _prisma_files()
    static = _static(files)
    live_model, dump = _live_and_dump(pg_server, tmp_path, "prisma", files)
    token = static.tables['public."ApiToken"']
    assert token.columns["algorithm"].type == '"ApiTokenAlgorithm"'  # as format_type prints it
    assert live_model.tables['public."ApiToken"'].columns["algorithm"].type == '"ApiTokenAlgorithm"'
    _assert_one_form(static, live_model, dump, tmp_path)


def test_init_writes_prisma_names_that_read_back_and_ddl_quotes_them(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    static = _static(_prisma_files())
    text = spec_from_model(static, name="prisma", source="sql")
    assert "columns: ['\"userId\"']" in text
    result = audit_model(load_spec(_write(tmp_path, text)), static, "sql", rules="none")
    index = next(f for f in result.findings if f.id.endswith("indexes.ApiToken_userId_idx"))
    assert index.status == "PASS"
    assert 'ON "ApiToken" ("userId")' in (index.ddl or "")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "init.yaml"
    path.write_text(text)
    return path


def _index(*names: str) -> Index:
    return Index("ix", [IndexKey(n) for n in names])


@pytest.mark.parametrize(
    ("spec_columns", "stored", "table_columns", "matches"),
    [
        (["userId"], ["userId"], {"userId"}, True),  # the stored name, as init writes it
        (['"userId"'], ["userId"], {"userId"}, True),  # SQL spelling, quoted
        (["UserName"], ["username"], {"username"}, True),  # SQL spelling, folded: unambiguous
        (['"UserName"'], ["username"], {"username"}, False),  # quoted: exactly that name
        (["UserName"], ["username"], {"username", "UserName"}, False),  # the exact one exists
        (["userid"], ["userId"], {"userId"}, False),  # never case-insensitive the other way
    ],
)
def test_index_key_names_follow_the_one_identifier_rule(
    spec_columns: list[str], stored: list[str], table_columns: set[str], matches: bool
) -> None:
    diffs = shape_diffs({"columns": spec_columns}, _index(*stored), None, table_columns)
    assert (diffs == []) is matches


def test_a_spec_may_write_a_mixed_case_type_unquoted_when_unambiguous() -> None:
    model = SchemaModel()
    assert _types_equal("ApiTokenAlgorithm", '"ApiTokenAlgorithm"', model)
    assert _types_equal('"ApiTokenAlgorithm"', '"ApiTokenAlgorithm"', model)
    assert _types_equal("ApiTokenAlgorithm[]", '"ApiTokenAlgorithm"[]', model)
    assert not _types_equal('"ApiTokenAlgorithm"', "apitokenalgorithm", model)
    assert _types_equal("Mood", "mood", model)  # PostgreSQL's folding, nothing named "Mood"
    from schema_audit.model import EnumType

    model.enums['public."Mood"'] = EnumType("public", "Mood", ["a"])
    assert not _types_equal("Mood", "mood", model)  # "Mood" exists: the spec means it


def test_rails_structure_sql_reads_as_the_database_it_builds(pg_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """bigserial keys (nextval('public.…'::regclass)), public.gin_trgm_ops, COLLATE "C" keys,
    long idx_on_ names and a materialized view whose CTE is named like a table."""
    structure = CORPORA / "rails" / "db" / "structure.sql"
    static = load_sql(structure)
    live_model, dump = _live_and_dump(pg_server, tmp_path, "rails", [structure])
    customers = live_model.tables["public.customers"]
    assert customers.columns["id"].default == "nextval('public.customers_id_seq'::regclass)"
    assert customers.indexes["index_customers_on_email_trgm"].keys[0].opclass == "gin_trgm_ops"
    assert customers.indexes["index_customers_on_legal_name_c"].keys[0].collation == "C"
    view = static.views["public.billable_metrics_grouped_by_filters"]
    assert sorted(view.depends_on) == sorted(
        live_model.views["public.billable_metrics_grouped_by_filters"].depends_on
    )
    _assert_one_form(static, live_model, dump, tmp_path)


@pytest.mark.parametrize("corpus", ["flyway", "golang_migrate", "django"])
def test_migration_folder_reads_as_the_database_it_builds(
    pg_server, tmp_path: Path, corpus: str
) -> None:  # type: ignore[no-untyped-def]
    """Flyway (untyped defaults, LIKE/ILIKE/BETWEEN/IN checks, generated tsvector and cast columns,
    RLS policies with a subquery, a STRICT PARALLEL SAFE function), golang-migrate (extensions,
    IF NOT EXISTS, a dropped serial table, PRIMARY KEY UNIQUE, a view on pg_class) and Django
    sqlmigrate (identity keys, varchar_pattern_ops, deferred FKs) read as the catalog does."""
    folder = CORPORA / corpus
    files = order_sql_files(folder)[0]
    static = load_sql(folder)
    live_model, dump = _live_and_dump(pg_server, tmp_path, corpus, files)
    _assert_one_form(static, live_model, dump, tmp_path)


def test_diff_names_each_sql_property_and_sees_functions_sequences_extensions(make_db) -> None:  # type: ignore[no-untyped-def]
    import json
    import os

    common = "CREATE TABLE t (email text, n int DEFAULT 0);"
    left = make_db(
        "diffa",
        common
        + "CREATE INDEX t_email ON t (email text_pattern_ops);"
        + "CREATE EXTENSION pgcrypto; CREATE SEQUENCE invoice_no;"
        + "CREATE FUNCTION can_read() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;",
    )
    right = make_db(
        "diffb",
        common
        + "CREATE INDEX t_email ON t (email);"
        + "CREATE FUNCTION can_read() RETURNS boolean LANGUAGE sql STRICT AS $$ SELECT false $$;",
    )
    env = {**os.environ, "SCHEMA_AUDIT_CACHE": "0"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli("diff", left, right, *args, base_env=env, timeout=120)

    text = cli()
    assert text.returncode == 1, text.stderr
    lines = text.stdout.splitlines()
    assert "index public.t_email: operator class of email: text_pattern_ops vs (none)" in lines
    assert "function public.can_read(): volatility: STABLE vs VOLATILE" in lines
    assert "function public.can_read(): strictness: CALLED ON NULL INPUT vs STRICT" in lines
    assert "function public.can_read(): body: SELECT true vs SELECT false" in lines
    assert "sequence public.invoice_no: exists: present vs (absent)" in lines
    assert "extension pgcrypto: exists: present vs (absent)" in lines
    document = json.loads(cli("--format", "json").stdout)
    assert {
        "object": "function public.can_read()",
        "property": "body",
        "left": "SELECT true",
        "right": "SELECT false",
    } in document["differences"]
    assert {
        "object": "extension pgcrypto",
        "property": "exists",
        "left": "present",
        "right": None,
    } in document["differences"]


EQUIVALENCE_SPEC = """
name: equivalences written the way a person writes them
tables:
  account:
    columns:
      id: {type: bigint, default: "nextval('account_id_seq')"}
      is_active: {type: boolean, default: "'1'"}
      is_staff: {type: bool, default: "'f'"}
      login_count: {type: int4, default: "'0'"}
      balance_cents: {default: "-1"}
      grace: {type: interval, default: "'0'"}
      session_ttl: {default: "interval '24 hours'"}
      nickname: {type: varchar(80), default: "NULL"}
    checks:
      - {name: account_email_shape, expression: "email LIKE '%@%'"}
      - {name: account_handle_shape, expression: "handle NOT ILIKE 'admin%'"}
      - {name: account_rating_range, expression: "rating BETWEEN 0 AND 5"}
      - {name: account_kind_known, expression: "kind IN ('person', 'team', 'bot')"}
    indexes:
      - {name: account_handle_pattern, columns: [handle]}
      - {name: account_kind_text, columns: [kind]}
  document:
    columns:
      is_public: {generated: "CAST(state = 'current' AS bool)"}
      labels: {default: "'{state, current}'"}
      search: {generated: "to_tsvector('english', coalesce(title, '') || ' ' || coalesce(body, ''))"}
    policies:
      - name: document_fresh
        using: "state <> 'archived' OR EXISTS (SELECT 1 FROM account WHERE id = account_id AND is_staff)"
"""


def test_person_spellings_pass_statically_and_live_alike(pg_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """LIKE vs ~~, generated casts, '1'/'f'/'0'/NULL defaults, intervals, opclasses: the same
    verdict from the migrations as from the database they built, and PASS on both."""
    folder = CORPORA / "flyway"
    static = load_sql(folder)
    live_model, _ = _live_and_dump(pg_server, tmp_path, "equiv", order_sql_files(folder)[0])
    path = tmp_path / "equiv.yaml"
    path.write_text(EQUIVALENCE_SPEC)
    verdicts = {}
    for kind, model in (("sql", static), ("live", live_model)):
        result = audit_model(load_spec(path), model, kind, rules="none")
        verdicts[kind] = {f.id: (f.status, f.message) for f in result.findings}
    assert {k: v[0] for k, v in verdicts["sql"].items()} == {
        k: v[0] for k, v in verdicts["live"].items()
    }
    failing = [f"{k}: {m}" for k, (s, m) in verdicts["live"].items() if s != "PASS"]
    assert failing == []


def test_init_index_keys_read_back_for_names_that_need_quotes(tmp_path: Path) -> None:
    from schema_audit.sources.ddl import interpret

    model = interpret(
        'CREATE TABLE "Odd" ("a b" int, "Mixed" int, "x""y" int, "select" int);'
        'CREATE INDEX odd_ix ON "Odd" ("a b", "Mixed" DESC, "x""y", "select") INCLUDE ("a b");'
    )
    text = spec_from_model(model, name="odd", source="sql")
    assert 'columns: [\'"a b"\', \'"Mixed" DESC\', \'"x""y"\', \'"select"\']' in text
    assert _failing(text, model, "sql", tmp_path) == []


@pytest.mark.parametrize("history", ["drizzle_history", "supabase_history"])
def test_drizzle_and_supabase_histories_read_as_the_database_they_build(
    pg_server, tmp_path: Path, history: str
) -> None:  # type: ignore[no-untyped-def]
    """The DO-block corpora of issue 13 (drizzle-kit's DO-wrapped enums and foreign keys with
    statement breakpoints; Supabase's idempotent roles and IF NOT EXISTS policies): the
    static model, the catalog and the catalog's own pg_dump are one form, and a spec `init`
    writes from any of them passes on the other two."""
    folder = Path(__file__).resolve().parent / "fixtures" / history
    files = order_sql_files(folder)[0]
    static = load_sql(folder)
    live_model, dump = _live_and_dump(pg_server, tmp_path, history.split("_")[0], files)
    _assert_one_form(static, live_model, dump, tmp_path)
