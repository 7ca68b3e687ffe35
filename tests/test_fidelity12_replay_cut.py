"""The replay's psql runner handles every meta-command the cut hands over as a statement.

`replay_psql.run_text` runs `\\i` / `\\ir` / `\\include` / `\\include_relative`, `\\gset` and
`\\gexec` handed over by the cut (`psqlmeta`), and stops before the statement after any other
(`unrun`). Its last branch, a stop for a handed-over command it did not know, was unreachable
(s13 review) and is gone: `\\gexec` is the last branch. This holds while the cut hands over
exactly the commands the runner knows, checked here on both lists and on a script.
"""

from __future__ import annotations

from schema_audit.sources import psqlmeta, replay_psql
from schema_audit.sources.statements import split_statements


def test_the_cut_hands_over_exactly_what_the_runner_runs() -> None:
    assert set(psqlmeta._REASON) == set(replay_psql._AS_STATEMENTS)
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
