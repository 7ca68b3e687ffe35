"""What the tenth session's real-world trial found (histories applied to PostgreSQL, read
statically, compared both ways), each reproduced in a small history of that project's style.
"""

from __future__ import annotations

from pathlib import Path

from schema_audit.api import audit_model
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret
from schema_audit.spec.bootstrap import spec_from_model
from schema_audit.spec.load import load_spec

# what a Supabase project's database has before its migrations run (the platform's auth schema)
SUPABASE_PLATFORM = """
CREATE SCHEMA auth;
CREATE TABLE auth.users (id uuid PRIMARY KEY, email text);
"""

# hpi-studyu/studyu's style: the history never creates auth.users, but hangs a trigger on it
STUDY_HISTORY = """
CREATE TABLE public.study (id uuid PRIMARY KEY, title text, updated_at timestamptz);
CREATE TABLE public."user" (id uuid PRIMARY KEY, email text);
CREATE FUNCTION public.update_updated_at_column() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;
CREATE FUNCTION public.allow_updating_only_study() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'only the study may change'; END $$;
CREATE TRIGGER handle_updated_at BEFORE UPDATE ON public.study
    FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();
CREATE TRIGGER study_guard BEFORE UPDATE ON public.study
    FOR EACH ROW EXECUTE FUNCTION public.allow_updating_only_study();
CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    AS $$ BEGIN INSERT INTO public."user" (id, email) VALUES (NEW.id, NEW.email); RETURN NEW; END $$;
CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users
    FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
"""


def _statuses(make_db, tmp_path: Path, history: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The static audit of ``history`` with the spec ``init --dsn --schema public`` writes
    for the database the history ran on (with the platform's auth schema)."""
    dsn = make_db("trial8", SUPABASE_PLATFORM + STUDY_HISTORY)
    spec = tmp_path / "spec.yaml"
    model = live.introspect(dsn, schemas=["public"])
    spec.write_text(spec_from_model(model, name="study", source="live"))
    result = audit_model(load_spec(spec), interpret(history), "sql", rules="none")
    # (a history names no owner: those are DEFERRED by design, whatever it holds)
    return {f.id: f.status for f in result.findings if "its owner" not in f.message}


def test_a_trigger_on_supabase_auth_users_defers_only_auth_users(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`CREATE TRIGGER on_auth_user_created … ON auth.users` (every Supabase project that
    copies new users into its own table) cannot be applied statically: the history never
    creates auth.users. What it may change is auth.users, yet every trigger finding of the
    history's own tables (they read "any function") and every strict set of public (tables,
    views, functions, domains, composite types, rules, sequences) was DEFERRED by it. Now a
    trigger's finding reads its function only when `raises` is stated (and then that
    function), and a strict set only reads the schemas it covers."""
    statuses = _statuses(make_db, tmp_path, STUDY_HISTORY)
    deferred = sorted(k for k, v in statuses.items() if v == "DEFERRED")
    assert deferred == [
        "strict.default_privileges",
        "strict.extensions",
    ]
    for key in ("tables.study.triggers.handle_updated_at", "tables.study.triggers.study_guard"):
        assert statuses[key] == "PASS"
    for key in ("strict.tables", "strict.views", "strict.functions", "strict.domains"):
        assert statuses[key] == "PASS"


def test_a_relation_moved_into_a_covered_schema_still_defers_its_strict_set(
    make_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The other side: an unapplied `ALTER TABLE auth.users SET SCHEMA public` may add a
    table to public, so strict.tables stays DEFERRED (the statement's effects name where the
    relation goes, not only where it was)."""
    statuses = _statuses(
        make_db, tmp_path, STUDY_HISTORY + "ALTER TABLE auth.users SET SCHEMA public;"
    )
    assert statuses["strict.tables"] == "DEFERRED"
