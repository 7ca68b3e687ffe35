"""psql ``\\if`` blocks whose conditions the script itself decides are followed.

``\\set with_audit true`` then ``\\if :with_audit … \\else … \\endif``: psql runs one branch.
The static reading applied every branch and named each ``\\if``, so what followed the first
one was DEFERRED, and tables of branches psql skips were in the model (s14's note: ``\\if``
conditions on the script's own variables). A condition that is a boolean constant or a
variable the script set before it (outside skipped branches) is now decided as psql decides
it (nested blocks, ``\\elif``, ``\\else``); one on a variable the script does not set (the
runner's ``psql -v``) stays named and DEFERRED. Static == live (psql -f), both reading paths.
Real PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from history_paths import PATHS, psql_f, read_history, write_history

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live

SCRIPT = """\\set with_audit true
\\set flavour no
CREATE TABLE base (id int);
\\if :with_audit
CREATE TABLE audit_log (id int);
  \\if :flavour
CREATE TABLE flavoured (id int);
  \\elif true
CREATE TABLE plain (id int);
  \\else
CREATE TABLE never_else (id int);
  \\endif
\\else
CREATE TABLE never_outer (id int);
\\endif
\\if off
\\set late yes
\\endif
\\if :runner_flag
CREATE TABLE by_runner (id int);
\\endif
CREATE TABLE after_all (id int);
"""


@PATHS
def test_if_blocks_the_script_decides_are_followed(
    make_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:  # type: ignore[no-untyped-def]
    history = write_history(tmp_path, {"001_init.sql": SCRIPT})
    dsn = make_db("fid14_if")
    psql_f(dsn, history, "001_init.sql", stop=False)  # :runner_flag unset: psql skips its block
    catalog = live.introspect(dsn)
    assert sorted(catalog.tables) == [
        "public.after_all",
        "public.audit_log",
        "public.base",
        "public.plain",
    ]
    static = read_history(history, monkeypatch, ahead)
    reasons = [(u.line, u.reason.split(":")[0]) for u in static.unapplied if u.kind != "data"]
    assert reasons == [
        (
            19,
            "psql meta-command \\if runs the statements of its block or skips them by its condition",
        )
    ]
    # only the block on the runner's variable is left to psql: by_runner in doubt (DEFERRED)
    assert sorted(static.tables) == [
        "public.after_all",
        "public.audit_log",
        "public.base",
        "public.by_runner",
        "public.plain",
    ]
    differences = [str(d) for d in diff_models(catalog, static)]
    assert differences == ["table public.by_runner: exists: (absent) vs present"], differences
