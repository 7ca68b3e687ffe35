"""``init`` a team adopts: strict by default, the tenant pattern as a selector, expiring waivers."""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

import psycopg
import yaml
from cli_runner import run_cli

SCHEMA = """
CREATE TABLE organizations (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE invoices (id int PRIMARY KEY, organization_id int NOT NULL REFERENCES organizations(id),
                       data jsonb, title text);
CREATE INDEX invoices_org ON invoices (organization_id);
CREATE INDEX invoices_data ON invoices USING gin (data jsonb_path_ops);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON invoices USING (organization_id = current_setting('app.org')::int);
CREATE TABLE notes (id int PRIMARY KEY, organization_id int REFERENCES organizations(id));
CREATE INDEX notes_org ON notes (organization_id);
CREATE TABLE settings (key text PRIMARY KEY, value text);
"""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"SCHEMA_AUDIT_CACHE": "0"})


def _failing(spec: Path, dsn: str) -> dict[str, str]:
    import json

    proc = _cli("audit", "-s", str(spec), "--dsn", dsn, "-f", "json")
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    return {f["id"]: f["message"] for f in doc["findings"] if f["status"] == "FAIL"}


def test_init_then_a_new_tenant_table_column_and_index_all_fail(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("initstrict", SCHEMA)
    spec = tmp_path / "spec.yaml"
    proc = _cli("init", "--dsn", dsn, "-o", str(spec))
    assert proc.returncode == 0, proc.stderr
    text = spec.read_text()
    assert "# Tenancy: 2 of 4 tables carry organization_id; 1 has no RLS" in text
    doc = yaml.safe_load(text)
    assert doc["settings"]["tenant_column"] == "organization_id"
    assert doc["match"]["tenant_tables"]["select"] == {
        "has_column": "organization_id",
        "exclude": ["organizations"],
    }
    assert doc["strict"]["tables"] is True and "indexes" in doc["strict"]["exactly"]
    gin = next(i for i in doc["tables"]["invoices"]["indexes"] if i["name"] == "invoices_data")
    assert gin["columns"] == ["data jsonb_path_ops"] and gin["method"] == "gin"
    expiry = (datetime.date.today() + datetime.timedelta(days=90)).isoformat()
    waivers = {w["requirement"]: w for w in doc["waivers"]}
    assert waivers["match.tenant_tables.public.notes.rls"]["expires"] == expiry
    assert waivers["rules.SEC006.public.notes"]["owner"] == "TODO: owner"
    assert all(w.get("expires") == expiry for w in doc["waivers"])
    assert _failing(spec, dsn) == {}  # today's schema passes its own init spec

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE payments (id int PRIMARY KEY, organization_id int NOT NULL "
            "REFERENCES organizations(id))"
        )
        conn.execute("ALTER TABLE invoices ADD COLUMN paid_at timestamptz")
        conn.execute("CREATE INDEX invoices_title ON invoices (title)")
    failing = _failing(spec, dsn)
    assert "payments" in failing["strict.tables"]
    assert "payments has organization_id" in failing["rules.SEC006.public.payments"]
    assert "match.tenant_tables.public.payments.rls" in failing
    assert "paid_at" in failing["tables.invoices.exactly.columns"]
    assert "invoices_title" in failing["tables.invoices.exactly.indexes"]


def test_init_tables_glob_only_kinds_and_no_strict(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("initonly", SCHEMA)
    spec = tmp_path / "spec.yaml"
    proc = _cli(
        "init", "--dsn", dsn, "-o", str(spec), "--tables", "inv*", "--only", "columns,indexes"
    )
    assert proc.returncode == 0, proc.stderr
    doc = yaml.safe_load(spec.read_text())
    assert list(doc["tables"]) == ["invoices"]
    assert set(doc["tables"]["invoices"]) == {"columns", "indexes"}
    assert doc["strict"] == {"exactly": ["columns", "indexes"]}  # no table list: subset
    assert _failing(spec, dsn) == {}
    loose = tmp_path / "loose.yaml"
    assert _cli("init", "--dsn", dsn, "-o", str(loose), "--no-strict").returncode == 0
    assert "strict" not in yaml.safe_load(loose.read_text())
    bad = _cli("init", "--dsn", dsn, "-o", str(tmp_path / "x.yaml"), "--only", "colums")
    assert bad.returncode == 2 and "colums" in bad.stderr


# Rails structure.sql style (getlago/lago-api): pg_partman keeps a template copy of a partitioned
# tenant table in its own schema, so a table carrying the tenant column lives outside public.
PARTMAN_SCHEMA = """
CREATE SCHEMA partman;
CREATE TABLE public.organizations (id uuid NOT NULL, name character varying NOT NULL);
ALTER TABLE ONLY public.organizations ADD CONSTRAINT organizations_pkey PRIMARY KEY (id);
CREATE TABLE public.invoices (id uuid NOT NULL, organization_id uuid NOT NULL);
ALTER TABLE ONLY public.invoices ADD CONSTRAINT invoices_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.invoices
    ADD CONSTRAINT fk_rails_0b1e3a6a2a FOREIGN KEY (organization_id) REFERENCES public.organizations(id);
CREATE TABLE partman.template_public_enriched_events (
    id uuid NOT NULL,
    organization_id uuid NOT NULL,
    "timestamp" timestamp(6) without time zone NOT NULL
);
"""


def test_init_spec_selects_tenant_tables_outside_public(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """init waived RLS on partman's tenant table, but its selector only read public: stale waiver FAIL."""
    dsn = make_db("initpartman", PARTMAN_SCHEMA)
    spec = tmp_path / "spec.yaml"
    proc = _cli("init", "--dsn", dsn, "-o", str(spec))
    assert proc.returncode == 0, proc.stderr
    doc = yaml.safe_load(spec.read_text())
    assert doc["match"]["tenant_tables"]["select"]["schema"] == ["partman", "public"]
    waived = {w["requirement"] for w in doc["waivers"]}
    assert "match.tenant_tables.partman.template_public_enriched_events.rls" in waived
    assert _failing(spec, dsn) == {}  # the schema passes its own init spec

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE partman.template_public_fees (id uuid, organization_id uuid)")
    failing = _failing(spec, dsn)
    assert "match.tenant_tables.partman.template_public_fees.rls" in failing


INDEXED = """
CREATE TABLE events (id int PRIMARY KEY, account_id int NOT NULL, kind text, at timestamptz);
CREATE INDEX events_account ON events (account_id);
CREATE INDEX events_kind ON events (kind);
CREATE INDEX events_at ON events (at);
CREATE UNIQUE INDEX events_pair ON events (account_id, kind) NULLS NOT DISTINCT;
CREATE INDEX events_hash ON events USING hash (kind);
"""

# each change keeps the index's name and key columns: only its definition differs
INDEX_CHANGES = {
    "made partial": "DROP INDEX events_account; "
    "CREATE INDEX events_account ON events (account_id) WHERE account_id > 0",
    "made unique": "DROP INDEX events_kind; CREATE UNIQUE INDEX events_kind ON events (kind)",
    "given INCLUDE": "DROP INDEX events_at; CREATE INDEX events_at ON events (at) INCLUDE (kind)",
    "switched to hash": "DROP INDEX events_at; CREATE INDEX events_at ON events USING hash (at)",
    "NULLS DISTINCT again": "DROP INDEX events_pair; "
    "CREATE UNIQUE INDEX events_pair ON events (account_id, kind)",
}


def test_init_spec_holds_each_index_to_its_whole_definition(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """init's spec "requires exactly what the schema has today": an index whose name and keys
    stay but which becomes partial, unique, covering, hash or loses NULLS NOT DISTINCT was a
    PASS of `audit --dsn` (found on langfuse's and polar's migrated databases)."""
    dsn = make_db("initindex", INDEXED)
    spec = tmp_path / "spec.yaml"
    assert _cli("init", "--dsn", dsn, "-o", str(spec)).returncode == 0
    pair = next(
        i
        for i in yaml.safe_load(spec.read_text())["tables"]["events"]["indexes"]
        if i["name"] == "events_pair"
    )
    assert pair == {
        "name": "events_pair",
        "columns": ["account_id", "kind"],
        "unique": True,
        "nulls_not_distinct": True,
    }
    assert _failing(spec, dsn) == {}
    for change, sql in INDEX_CHANGES.items():
        changed = make_db("initindex", INDEXED + sql)
        failing = _failing(spec, changed)
        assert failing, f"{change}: audit --dsn passed"
        # and the static reading of the same history agrees with the catalog
        history = tmp_path / change.replace(" ", "_")
        history.mkdir()
        (history / "0001.sql").write_text(INDEXED + sql + ";\n")
        proc = _cli("audit", "-s", str(spec), "--sql", str(history), "-f", "json")
        assert proc.returncode == 1, f"{change}: static audit exit {proc.returncode}"


ENUMS = """
CREATE SCHEMA billing;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE billing."plan.tier" AS ENUM ('free', 'pro');
CREATE TABLE people (id int PRIMARY KEY, m mood, t billing."plan.tier");
"""


def test_init_spec_holds_enums_to_their_labels(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """init wrote no `enums:`, so a label added by ALTER TYPE … ADD VALUE passed the spec that
    "requires exactly what the schema has today" (found by mutating polar's database)."""
    dsn = make_db("initenum", ENUMS)
    spec = tmp_path / "spec.yaml"
    assert _cli("init", "--dsn", dsn, "-o", str(spec)).returncode == 0
    enums = yaml.safe_load(spec.read_text())["enums"]
    assert all(entry.pop("owner") for entry in enums.values())  # the role the test runs as
    assert enums == {
        "mood": {
            "values": ["sad", "ok", "happy"],
            "grants": {"public": ["USAGE"]},
            "comment": None,
        },
        "plan.tier": {
            "schema": "billing",
            "values": ["free", "pro"],
            "grants": {"public": ["USAGE"]},
            "comment": None,  # COMMENT ON TYPE: stated always
        },
    }
    assert _failing(spec, dsn) == {}
    for n, change in enumerate(
        (
            "ALTER TYPE mood ADD VALUE 'angry'",
            "ALTER TYPE billing.\"plan.tier\" ADD VALUE 'team' BEFORE 'pro'",
            "ALTER TYPE mood RENAME VALUE 'ok' TO 'fine'",
        )
    ):
        changed = make_db("initenum", ENUMS + change)
        assert _failing(spec, changed), f"{change}: audit --dsn passed"
        history = tmp_path / f"history_{n}"
        history.mkdir()
        (history / "0001.sql").write_text(ENUMS + change + ";\n")
        proc = _cli("audit", "-s", str(spec), "--sql", str(history), "-f", "json")
        assert proc.returncode == 1, f"{change}: static audit exit {proc.returncode}: {proc.stderr}"
