"""A table's and a view's rules (a ``CREATE RULE … DO INSTEAD NOTHING`` added after ``init``
silenced its DELETEs and the audit said nothing) and domains are modelled now
(sources/live_types.py): read, not named as blind spots (rules on views were, until the tenth
session). A view's own rewrite rule is no such rule. Real PostgreSQL."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from schema_audit.cli import app
from schema_audit.sources.live import introspect

SQL = """
CREATE TABLE actor (id int PRIMARY KEY);
CREATE VIEW actors AS SELECT id FROM actor;
CREATE RULE actor_keep AS ON DELETE TO actor DO INSTEAD NOTHING;
CREATE RULE actors_insert AS ON INSERT TO actors DO INSTEAD INSERT INTO actor VALUES (NEW.id);
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
"""


def test_rules_and_domains_are_read(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("unmod", SQL)
    model = introspect(dsn, notice=lambda _: None)
    assert model.blind_spots == []
    assert model.views["public.actors"].rules == {
        "actors_insert": (
            "CREATE RULE actors_insert AS\n    ON INSERT TO public.actors DO INSTEAD  INSERT INTO "
            "public.actor (id)\n  VALUES (new.id);",
            "origin",
        )
    }
    assert model.tables["public.actor"].rules == {
        "actor_keep": (
            "CREATE RULE actor_keep AS\n    ON DELETE TO public.actor DO INSTEAD NOTHING;",
            "origin",
        )
    }
    domain = model.domains["public.positive"]
    assert (domain.type, domain.checks) == ("integer", {"positive_check": "CHECK ((VALUE > 0))"})


def test_audit_reports_them(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """strict.rules names the view's rule an entry does not state, as a table's."""
    dsn = make_db("unmoda", SQL)
    spec = tmp_path / "spec.yaml"
    spec.write_text("spec_version: 1\nname: t\nstrict: {rules: true}\ntables:\n  actor: {}\n")
    result = CliRunner().invoke(app, ["audit", "-s", str(spec), "--dsn", dsn, "-f", "json"])
    assert result.exit_code == 1, result.output
    (rules,) = [f for f in json.loads(result.output)["findings"] if f["id"] == "strict.rules"]
    assert "public.actors: rule actors_insert is not stated" in rules["message"]


def test_what_is_still_not_modelled_is_named(make_db) -> None:  # type: ignore[no-untyped-def]
    """A publication and an INSTEAD OF trigger on a view are not modelled: the read names
    each as a blind spot (the report says so) instead of passing over them in silence."""
    dsn = make_db(
        "unmodb",
        SQL
        + """
        CREATE FUNCTION actors_ins() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN INSERT INTO actor VALUES (NEW.id); RETURN NEW; END $$;
        CREATE VIEW actors2 AS SELECT id FROM actor;
        CREATE TRIGGER actors2_ins INSTEAD OF INSERT ON actors2
            FOR EACH ROW EXECUTE FUNCTION actors_ins();
        CREATE PUBLICATION unmod_pub FOR TABLE actor;
        """,
    )
    spots = introspect(dsn, notice=lambda _: None).blind_spots
    assert any(
        s.startswith("trigger actors2_ins on view public.actors2 is not modelled") for s in spots
    ), spots
    assert any("unmod_pub" in s for s in spots), spots
