"""``audit --dsn`` imports what judging would import late while it waits for its live read
(issue 19): ``ReadAhead.result``'s ``meanwhile`` runs in the caller's thread only when the
read is still under way, and ``audit.prefetch.for_spec`` asks for pglast for a spec whose
selectors state spellings, and for nothing with init's."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from schema_audit.sources.live_ahead import ReadAhead


def test_meanwhile_runs_while_the_read_is_under_way_and_before_its_result() -> None:
    """The read waits for an event only ``meanwhile`` sets: the result comes back only
    because ``meanwhile`` ran in the caller's thread while the read was still waiting."""
    go = threading.Event()
    ran_in: list[str] = []

    def read(notice: Callable[[str], None]) -> str:
        notice("read: waiting")
        assert go.wait(60)
        return "model"

    def meanwhile() -> None:
        ran_in.append(threading.current_thread().name)
        go.set()

    ahead = ReadAhead(read)
    told: list[str] = []
    assert ahead.result(told.append, meanwhile) == "model"
    assert ran_in == [threading.current_thread().name]
    assert told == ["read: waiting"]


def test_meanwhile_does_not_run_when_the_read_is_over() -> None:
    ahead = ReadAhead(lambda notice: "model")
    ahead._thread.join()
    ran: list[bool] = []
    assert ahead.result(lambda line: None, lambda: ran.append(True)) == "model"
    assert ran == []


def test_a_selector_spec_stating_spellings_prefetches_the_parser_inits_does_not(
    tmp_path: Path,
) -> None:
    """A selector template with a type (compared through the parser unless spelled as the
    catalog spells it) asks for pglast while the read runs; a spec of table entries, as init
    writes, asks for nothing (its live audit keeps not importing pglast)."""
    selectors = tmp_path / "selectors.yaml"
    selectors.write_text(
        "name: s\nmatch:\n  all:\n    select: {tables: ['t*']}\n"
        "    require:\n      columns:\n        id: {type: int8}\n"
    )
    plain = tmp_path / "plain.yaml"
    plain.write_text("name: p\ntables:\n  t:\n    columns:\n      id: {type: bigint}\n")
    code = (
        "import sys\n"
        "from schema_audit.api import load_spec\n"
        "from schema_audit.audit.prefetch import for_spec\n"
        f"assert for_spec(load_spec({str(plain)!r})) is None\n"
        f"prefetch = for_spec(load_spec({str(selectors)!r}))\n"
        "assert 'pglast' not in sys.modules\n"
        "before = set(sys.modules)\n"
        "prefetch()\n"
        "new = set(sys.modules) - before\n"
        "assert 'schema_audit.pgparse' in new and 'pglast' in new, sorted(new)\n"
        "assert not [m for m in new if m.startswith(('schema_audit.sources', 'psycopg'))]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
