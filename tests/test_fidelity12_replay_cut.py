"""The replay's psql runner handles every meta-command the cut hands over as a statement.

`replay_psql.run_text` runs `\\i` / `\\ir` / `\\include` / `\\include_relative`, `\\gset` and
`\\gexec` handed over by the cut (`psqlmeta`), and stops before the statement after any other
(`unrun`). The cut also hands over `\\if` / `\\elif`, so the static reading can name them
(trial13, PostgREST's fixtures); the runner stops at them. When the s13 review's unreachable
stop was removed, `\\gexec` was the last branch, and with `\\if` handed over it ran the query
before an `\\if` as `\\gexec` (the two changes combined, caught by this file's first test):
checked here on the lists, on a script and on a replay.
"""

from __future__ import annotations

from pathlib import Path

from schema_audit.sources import psqlmeta, replay_psql
from schema_audit.sources.statements import split_statements


def test_the_cut_hands_over_exactly_what_the_runner_runs() -> None:
    assert set(replay_psql._AS_STATEMENTS) <= set(psqlmeta._REASON)
    assert set(psqlmeta._REASON) - set(replay_psql._AS_STATEMENTS) == {"if", "elif"}
    script = (
        "".join(
            f"SELECT 1 \\{name} x\n" if name.startswith("g") else f"\\{name} other.sql\n"
            for name in sorted(replay_psql._AS_STATEMENTS)
        )
        + "\\connect other\n\\echo hi\nSELECT 2;\n"
    )
    handed = {
        s.sql.strip()[1:].split(None, 1)[0] for s in split_statements(script, True) if s.psql_meta
    }
    assert handed == set(replay_psql._AS_STATEMENTS)


def test_an_if_stops_the_replay_and_runs_nothing_before_it_as_gexec(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """psql evaluates `\\if` (the replay does not): the replay stops at its line. It must not
    run the query before it as `\\gexec` would (here: a division by zero)."""
    from test_replay_psql import _stopped

    files = {
        "001_init.sql": "CREATE TABLE items (id int PRIMARY KEY);\n",
        # (a condition the script does not decide: `\\if true` is now followed as psql follows
        # it, fidelity14, and never reaches the runner)
        "002_more.sql": "SELECT 'SELECT 1/0';\n\\if :ready\nCREATE TABLE later (id int);\n\\endif\n",
    }
    stop = _stopped(tmp_path, pg_server, files)
    assert stop.message.startswith(
        "replay stopped at history/002_more.sql:2: psql meta-command \\if is not run by the replay"
    ), stop.message
