"""One answer to "may this role run the history?" (``model.may_run_history``).

A role the history creates cannot be the one running it: it did not exist when the
history began. The static reader asked only "not switched to by SET ROLE" when it read
ALTER DEFAULT PRIVILEGES FOR ROLE x, so the grants x's defaults give were kept "held if
x runs it", and the audit DEFERRED a table on a world that cannot be: run by
any role but x, x's defaults give nothing to the tables the runner creates (PostgreSQL
15, checked by applying the same SQL). Real PostgreSQL.
"""

from __future__ import annotations

import json

from cli_runner import run_cli

HISTORY = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mayrun_app') THEN CREATE ROLE mayrun_app; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mayrun_reader') THEN CREATE ROLE mayrun_reader; END IF;
END $$;
ALTER DEFAULT PRIVILEGES FOR ROLE mayrun_app IN SCHEMA public GRANT SELECT ON TABLES TO mayrun_reader;
CREATE TABLE ledger (id int PRIMARY KEY);
"""


def test_default_privileges_of_a_created_role_do_not_reach_the_runners_tables(
    make_db, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The table the runner creates has no grant to mayrun_reader (PostgreSQL's catalog);
    the static audit of the history against init --dsn's spec PASSes the table's
    privileges (it was DEFERRED: "PASS if mayrun_app runs it" could not happen)."""
    dsn = make_db("may_run_history", HISTORY)
    history = tmp_path / "history"
    history.mkdir()
    (history / "001_base.sql").write_text(HISTORY)
    spec = tmp_path / "live.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", spec).returncode == 0
    tables = spec.read_text().split("\ndefault_privileges:")[0]
    assert "ledger:" in tables and "mayrun_reader" not in tables  # the catalog: no grant
    proc = run_cli("audit", "-s", spec, "--sql", history, "-f", "json")
    found = json.loads(proc.stdout)["findings"]
    ledger = {f["id"]: f for f in found if f["id"].startswith("tables.ledger")}
    # the table's own finding: only its owner is DEFERRED (the runner owns it), nothing
    # depends on mayrun_app running the history
    assert "mayrun_app runs it" not in ledger["tables.ledger"]["message"], ledger
    assert "owner postgres cannot be decided" in ledger["tables.ledger"]["message"], ledger
    assert ledger["tables.ledger.exactly.privileges"]["status"] == "PASS", ledger
    assert not [f for f in found if "mayrun_app runs it" in f["message"]], found
