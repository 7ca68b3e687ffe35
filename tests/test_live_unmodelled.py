"""Rules on views are not modelled: the live reader names each one the database has. A view's
own rewrite rule is no such rule. A table's rules (a ``CREATE RULE … DO INSTEAD NOTHING``
added after ``init`` silenced its DELETEs and the audit said nothing) and domains are
modelled now (sources/live_types.py): read, not named as blind spots. Real PostgreSQL."""

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


def test_rules_are_named_not_silent_and_domains_read(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("unmod", SQL)
    model = introspect(dsn, notice=lambda _: None)
    assert [s.split(" is not modelled")[0] for s in model.blind_spots] == [
        "rule actors_insert on public.actors",
    ]
    assert model.tables["public.actor"].rules == {
        "actor_keep": (
            "CREATE RULE actor_keep AS\n    ON DELETE TO public.actor DO INSTEAD NOTHING;",
            "origin",
        )
    }
    domain = model.domains["public.positive"]
    assert (domain.type, domain.checks) == ("integer", {"positive_check": "CHECK ((VALUE > 0))"})


def test_audit_reports_them(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("unmoda", SQL)
    spec = tmp_path / "spec.yaml"
    spec.write_text("spec_version: 1\nname: t\ntables:\n  actor: {}\n")
    result = CliRunner().invoke(app, ["audit", "-s", str(spec), "--dsn", dsn, "-f", "json"])
    assert result.exit_code == 0, result.output
    spots = json.loads(result.output)["blind_spots"]
    assert any(s.startswith("rule actors_insert on public.actors") for s in spots)
