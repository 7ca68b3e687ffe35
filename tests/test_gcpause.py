"""The cyclic garbage collector is paused while a spec loads and while an audit judges it.

Both allocate hundreds of thousands of objects that stay alive until the work ends;
each collection their allocations trigger walked everything alive again (measured:
60% of a large spec's load, ~15% of an audit with init's 1,000-table spec). The pause
is counted, so nested or concurrent pauses (fleet audits in threads) resume the
collector only when the last one ends, and it resumes however the work ends.
"""

from __future__ import annotations

import gc
import threading
from pathlib import Path
from typing import Any

import pytest
from b03 import FIXTURE

import schema_audit
from schema_audit import api, audit_model, load_spec
from schema_audit.audit import engine
from schema_audit.gcpause import collector_paused
from schema_audit.model import SchemaModel
from schema_audit.spec import bootstrap


@pytest.fixture(autouse=True)
def _collector_running():  # type: ignore[no-untyped-def]
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_an_audit_judges_with_the_collector_paused_and_resumes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = tmp_path / "sql"
    history.mkdir()
    (history / "001_init.sql").write_text("CREATE TABLE t (a int PRIMARY KEY);\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: s\ntables:\n  t: {columns: {a: {type: integer}}}\n")
    seen: list[bool] = []
    evaluate = engine.evaluate

    def watching(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(engine, "evaluate", watching)
    model = schema_audit.inspect(sql=history)
    result = audit_model(load_spec(spec), model, "sql")
    assert seen == [False]
    assert gc.isenabled()
    assert result.finding("tables.t.columns.a").status == "PASS"


def test_an_audit_that_fails_still_resumes_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "evaluate", broken)
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: s\n")
    with pytest.raises(RuntimeError):
        audit_model(load_spec(spec), SchemaModel(), "sql")
    assert gc.isenabled()


def test_nested_and_concurrent_pauses_resume_only_when_the_last_ends() -> None:
    entered, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            entered.set()
            release.wait(10)

    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner end does not resume it
        thread = threading.Thread(target=other)
        thread.start()
        entered.wait(10)
    assert not gc.isenabled()  # the other thread's pause is still on
    release.set()
    thread.join(10)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
    gc.enable()


def test_init_spec_runs_with_the_collector_paused_and_restores_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """init builds its spec paused: with a 5,000-table model alive, collections walked it
    again and again (1.1 of init's 5 CPU s)."""
    source = api.read_source(migrations=FIXTURE)
    seen: list[bool] = []
    build = bootstrap.spec_from_model

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return build(*args, **kwargs)

    monkeypatch.setattr(bootstrap, "spec_from_model", spy)
    assert "tables:" in api.init_spec(source)
    assert seen == [False] and gc.isenabled()

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(bootstrap, "spec_from_model", broken)
    with pytest.raises(RuntimeError):
        api.init_spec(source)
    assert gc.isenabled()  # resumed however the build ended


def test_what_a_pause_made_is_not_walked_by_the_next_young_collection() -> None:
    """The objects made while paused are aged to the oldest generation when the collector
    resumes: the first allocation after it used to trigger a young collection walking all
    of them (0.06–0.07 CPU s after a 1,000-table static read)."""
    walked: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            walked.append(info["generation"])

    gc.callbacks.append(count)
    try:
        with collector_paused():
            kept = [[n] for n in range(50_000)]  # far past the youngest generation's threshold
        more = [[n] for n in range(100)]
    finally:
        gc.callbacks.remove(count)
    assert walked == [], walked
    assert gc.get_count()[0] < gc.get_threshold()[0]
    assert len(kept) + len(more) == 50_100


def _held_live_read(dsn: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    """A live read in a thread, held inside its paused build until ``release`` is set;
    ``seen`` gets whether the collector ran as the build began and as it ended."""
    from schema_audit.sources import live

    building, release = threading.Event(), threading.Event()
    seen: list[bool] = []
    build = live._build

    def held(*args):  # type: ignore[no-untyped-def]
        building.set()
        release.wait(30)
        seen.append(gc.isenabled())
        model = build(*args)
        seen.append(gc.isenabled())
        return model

    monkeypatch.setattr(live, "_build", held)
    models: list[SchemaModel] = []
    thread = threading.Thread(target=lambda: models.append(live.introspect(dsn, jobs=1)))
    thread.start()
    assert building.wait(30)
    return thread, release, seen, models


def test_a_live_read_ending_during_a_spec_load_leaves_the_collector_paused(
    make_db, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """``audit --dsn`` reads the catalog in a thread (cli/common.read_ahead) while the main
    thread loads the spec, both paused. The read's build kept a pause counter of its own:
    begun before the spec load and ended during it, it turned the collector on in the middle
    of the load (at 5,000 tables two full collections of spec and model, 1.2 CPU s)."""
    dsn = make_db("gc_live", "CREATE TABLE t (a int PRIMARY KEY);")
    thread, release, seen, models = _held_live_read(dsn, monkeypatch)
    with collector_paused():  # as load_spec does
        release.set()
        thread.join(60)
        assert seen == [False, False]
        assert not gc.isenabled()  # the read ended; the spec load goes on paused
    assert gc.isenabled()
    assert list(models[0].tables) == ["public.t"]


def test_a_spec_load_ending_during_a_live_build_leaves_the_collector_paused(
    make_db, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The other order (a small spec): the spec load's pause begins first, the read's build
    begins during it and outlasts it; the build must not go on with the collector running."""
    dsn = make_db("gc_live", "CREATE TABLE t (a int PRIMARY KEY);")
    with collector_paused():  # as load_spec does
        thread, release, seen, models = _held_live_read(dsn, monkeypatch)
    assert not gc.isenabled()  # the build is still under way
    release.set()
    thread.join(60)
    assert seen == [False, False]
    assert gc.isenabled()
    assert list(models[0].tables) == ["public.t"]
