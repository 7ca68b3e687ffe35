"""A history parsed ahead in a forked child (sources/parse_ahead.py): the model is the one an
in-process read makes, whatever the child does, and a child that stops costs only the time
to read the rest here, never a statement."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from schema_audit.model import SchemaModel
from schema_audit.sources import parse_ahead, sqlfile
from schema_audit.sources.alembic import MigrationSourceError
from schema_audit.sources.sqlfile import looks_like_alembic, read_sql

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _sql_histories() -> list[Path]:
    candidates = [
        *sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name not in ("layouts",)),
        *sorted((FIXTURES / "layouts").iterdir()),
        *sorted(FIXTURES.glob("*.sql")),
    ]
    return [p for p in candidates if not looks_like_alembic(p)]


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every history is parsed ahead (no size threshold); the children forked, by pid."""
    forked: list[int] = []
    real = parse_ahead.Ahead.__init__

    def counting(self: parse_ahead.Ahead, *args: object) -> None:
        real(self, *args)  # type: ignore[arg-type]
        forked.append(self._pid or 0)

    monkeypatch.setattr(parse_ahead, "MIN_BYTES", 0)
    monkeypatch.setattr(parse_ahead.Ahead, "__init__", counting)
    return forked


def _in_process(path: Path, monkeypatch: pytest.MonkeyPatch) -> SchemaModel:
    with monkeypatch.context() as m:
        m.setattr(parse_ahead, "wanted", lambda size: False)
        return read_sql(path)[0]


def _history(folder: Path) -> Path:
    """A history with every kind of statement the cut and the parser treat apart: a syntax
    error, a statement too long to read, empty string literals (pglast's parser), a
    ``BEGIN ATOMIC`` body (pieces joined), a binary file, a file that is not UTF-8, a
    non-ASCII one, a comment-only one, and enough CREATE TABLEs for several frames."""
    history = folder / "history"
    history.mkdir()
    tables = "\n".join(
        f"CREATE TABLE t{n} (id bigint PRIMARY KEY, name text DEFAULT '' NOT NULL,"
        f" amount numeric(10, 2) CHECK (amount > 0));\n"
        f"CREATE INDEX t{n}_name ON t{n} (lower(name));\n"
        f"GRANT SELECT ON t{n} TO PUBLIC;"
        for n in range(120)
    )
    # (numbered files, read as psql -f runs them: under Flyway the syntax error would roll
    # its file back and stop the history, sources/history_stop, and the rest go unread)
    (history / "001_tables.sql").write_text(tables)
    (history / "002_errors.sql").write_text(
        "CREATE TABLE broken (id int,;\n"
        "COMMENT ON TABLE t1 IS '';\n"
        "CREATE TABLE long_one (" + ", ".join(f"c{n} int" for n in range(300)) + ");\n"
        "CREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
        "ALTER TABLE t2 ADD COLUMN note text;\n"
    )
    (history / "003_binary.sql").write_bytes(b"\x00\x01\x02 not sql")
    (history / "004_latin1.sql").write_bytes("CREATE TABLE caf\xe9 (id int);".encode("latin-1"))
    (history / "005_comments.sql").write_text("-- nothing here\n/* nor here */\n")
    (history / "006_unicode.sql").write_text(
        "CREATE TABLE prix (montant numeric DEFAULT 0, libellé text DEFAULT 'été');\n"
        "COMMENT ON COLUMN prix.libellé IS 'où';\n"
    )
    # read whole in the child, refused by this process's model: the tree handler decides
    # (the errors last: after one, every statement goes to its tree handler)
    (history / "007_refused.sql").write_text(
        "CREATE TABLE IF NOT EXISTS t1 (id bigint);\n"
        "CREATE TABLE mixed (n int, m numeric, a bigint REFERENCES t1);\n"
        "CREATE INDEX mixed_part ON mixed (n) WHERE n > m;\n"
        "CREATE POLICY q ON mixed USING (n < m);\n"
        "ALTER TABLE mixed ADD COLUMN b int REFERENCES t1, ENABLE ROW LEVEL SECURITY;\n"
        "CREATE TABLE t1 (id bigint);\n"
        "CREATE POLICY p ON nowhere USING (true);\n"
        "ALTER TABLE nowhere ADD COLUMN c int;\n"
        "GRANT SELECT ON nowhere TO PUBLIC;\n"
    )
    return history


@pytest.mark.parametrize("history", _sql_histories(), ids=lambda p: p.name)
def test_a_history_parsed_ahead_is_the_in_process_model_on_every_fixture_history(
    history: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        alone = _in_process(history, monkeypatch)
    except MigrationSourceError:
        pytest.skip("not a readable SQL history")
    assert not children
    ahead = read_sql(history)[0]
    assert len(children) == 1  # parsed in a child
    assert repr(ahead) == repr(alone)  # every field, every type, every file:line


def test_every_kind_of_statement_crosses_the_pipe_unchanged(
    tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    history = _history(tmp_path)
    monkeypatch.setenv("SCHEMA_AUDIT_MAX_STATEMENT_CHARS", "2000")
    alone = _in_process(history, monkeypatch)
    reasons = " | ".join(u.reason for u in alone.unapplied)
    for expected in ("syntax error", "longer than the 2,000", "binary file", "not UTF-8"):
        assert expected in reasons  # the fixture holds what it says
    ahead = read_sql(history)[0]
    assert len(children) == 1
    assert repr(ahead) == repr(alone)


def test_a_child_that_stops_mid_file_costs_no_statement(
    tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child dies after some statements of a file (a frame sent, the next not): this
    process reads the rest of that file and of the history itself, the statements it
    already applied skipped, none twice."""
    history = _history(tmp_path)
    alone = _in_process(history, monkeypatch)
    real = parse_ahead.pieces

    def dying(text: str, parse: object, *rest: object) -> Iterator[tuple]:
        for number, piece in enumerate(real(text, parse, *rest)):  # type: ignore[arg-type]
            if number == parse_ahead.BATCH + 5:
                os._exit(3)  # in the child: mid-file, after its first frame
            yield piece

    monkeypatch.setattr(parse_ahead, "pieces", dying)
    ahead = read_sql(history)[0]
    assert len(children) == 1
    assert repr(ahead) == repr(alone)
    assert len(ahead.tables) == len(alone.tables) > 120


@pytest.mark.parametrize("stop_at", [0, 1, 3])
def test_a_child_that_stops_between_files_costs_no_file(
    tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch, stop_at: int
) -> None:
    history = _history(tmp_path)
    alone = _in_process(history, monkeypatch)
    parent = os.getpid()
    real = sqlfile.prepared
    seen = [0]

    def stopping(raw: bytes) -> tuple[tuple, str | None]:
        if os.getpid() != parent:
            if seen[0] == stop_at:
                os._exit(4)
            seen[0] += 1
        return real(raw)

    monkeypatch.setattr(sqlfile, "prepared", stopping)
    ahead = read_sql(history)[0]
    assert len(children) == 1
    assert repr(ahead) == repr(alone)


def test_a_garbled_frame_ends_the_pipeline_not_the_read(
    tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A frame this end does not expect (another file's, a wrong shape) is not applied:
    the rest is read here."""
    history = _history(tmp_path)
    alone = _in_process(history, monkeypatch)
    real = parse_ahead.marshal.dumps
    count = [0]

    def garbling(value: object) -> bytes:
        count[0] += 1
        if count[0] == 2:
            return real(("not", "a", "frame"))
        return real(value)

    monkeypatch.setattr(parse_ahead.marshal, "dumps", garbling)
    ahead = read_sql(history)[0]
    assert repr(ahead) == repr(alone)


def test_the_child_is_reaped_and_the_pipe_closed(
    tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    history = _history(tmp_path)
    before = set(os.listdir("/proc/self/fd")) if Path("/proc/self/fd").is_dir() else set()
    read_sql(history)
    (pid,) = children
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: not ours any more
    if before:
        assert set(os.listdir("/proc/self/fd")) <= before | {str(n) for n in range(3)}


def test_a_small_history_or_another_thread_reads_in_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    assert not parse_ahead.wanted(parse_ahead.MIN_BYTES - 1)
    assert parse_ahead.wanted(parse_ahead.MIN_BYTES)
    monkeypatch.setattr(parse_ahead.sys, "platform", "darwin")
    assert not parse_ahead.wanted(parse_ahead.MIN_BYTES)
    monkeypatch.undo()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not parse_ahead.wanted(parse_ahead.MIN_BYTES)  # a fork copies no other thread
    finally:
        stop.set()
        thread.join()


def test_inspect_of_a_long_history_is_the_same_bytes_with_and_without_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI path as shipped (the real threshold: a 250-table history is over 256 KiB) and
    the same read in one process write the same model JSON."""
    from synthetic import write
    from typer.testing import CliRunner

    from schema_audit.cli import app

    folder, _ = write(250, tmp_path)
    assert sum(f.stat().st_size for f in folder.iterdir()) >= parse_ahead.MIN_BYTES
    forked: list[int] = []
    real = parse_ahead.Ahead.__init__

    def counting(self: parse_ahead.Ahead, *args: object) -> None:
        real(self, *args)  # type: ignore[arg-type]
        forked.append(self._pid or 0)

    monkeypatch.setattr(parse_ahead.Ahead, "__init__", counting)
    runner = CliRunner()
    outputs = []
    for ahead in (True, False):
        with monkeypatch.context() as m:
            if not ahead:
                m.setattr(parse_ahead, "wanted", lambda size: False)
            out = tmp_path / f"model_{ahead}.json"
            result = runner.invoke(app, ["inspect", "--sql", str(folder), "-o", str(out)])
            assert result.exit_code == 0, result.output
            outputs.append(out.read_bytes())
    assert len(forked) == 1  # the first read went through the child, the second did not
    assert outputs[0] == outputs[1]
    assert b'"public.t00249"' in outputs[0]  # the last file's table


def _parent_decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts, in this process only, the statements whose JSON is decoded."""
    from schema_audit import pgparse

    parent, real, count = os.getpid(), pgparse._decode, [0]

    def counting(data: str) -> object:
        if os.getpid() == parent:
            count[0] += 1
        return real(data)

    monkeypatch.setattr(pgparse, "_decode", counting)
    return count


def test_the_child_reads_the_plain_statements_this_process_only_applies_them(
    tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statement-local half of the plain-data readers (type texts, printed defaults and
    expressions, keys, roles) runs in the child: this process decodes no JSON of the 360
    CREATE TABLE / CREATE INDEX / GRANT statements, only of the few others."""
    from schema_audit.pgparse import Pending
    from schema_audit.sources.ddl import interpreter

    history = _history(tmp_path)
    alone = _in_process(history, monkeypatch)
    decoded = _parent_decodes(monkeypatch)
    outcomes: list[bool] = []
    real = interpreter.apply_fast

    def counting(interp: object, parsed: object) -> bool:
        read_there = isinstance(parsed, Pending) and parsed.ahead is not None
        done = real(interp, parsed)  # type: ignore[arg-type]
        if read_there:
            outcomes.append(done)
        return done

    monkeypatch.setattr(interpreter, "apply_fast", counting)
    ahead = read_sql(history)[0]
    assert len(children) == 1
    assert repr(ahead) == repr(alone)
    assert decoded[0] < 20, decoded
    # V7's reads the model refuses (a table that exists, an integer meeting a numeric
    # column) went to the tree handler, decoded from the child's JSON
    assert outcomes.count(True) > 240 and outcomes.count(False) >= 4, outcomes.count(False)


def test_this_process_decodes_what_the_child_leaves_without_msgspec(
    tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child decodes the JSON of every statement with msgspec's decoder; this process
    decodes only what the child's reads leave (0.2 MB of the 1,000-table history's 10 MB),
    for which ``json.loads`` costs less than importing msgspec (≈ 8 ms of a static audit,
    which needs msgspec for nothing else): the decoder is not chosen here."""
    from schema_audit import pgparse

    history = _history(tmp_path)
    alone = _in_process(history, monkeypatch)
    monkeypatch.setattr(pgparse, "_FAST_DECODER", [None, 0])
    decoded = _parent_decodes(monkeypatch)
    ahead = read_sql(history)[0]
    assert len(children) == 1
    assert repr(ahead) == repr(alone)
    assert decoded[0] > 0  # the statements the child's reads leave were decoded here
    assert pgparse._FAST_DECODER[0] is None  # … by json.loads


def test_a_statement_the_child_cannot_read_is_read_here(
    tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader failing in the child (a bug, memory) costs the child nothing: it sends the
    statement unread and goes on, this process reads it with the same code, so the outcome
    is the one an in-process read gives (here: the index read), and no file is read here."""
    from schema_audit.sources.ddl import fast

    history = _history(tmp_path)
    alone = _in_process(history, monkeypatch)
    parent = os.getpid()
    read, prepare = fast._STEPS["IndexStmt"], sqlfile.prepared
    prepared_here = [0]

    def failing_in_the_child(body: dict, nodes: object) -> tuple:
        if os.getpid() != parent:
            raise MemoryError
        return read[0](body, nodes)  # type: ignore[arg-type]

    def counting(raw: bytes) -> tuple[tuple, str | None]:
        prepared_here[0] += os.getpid() == parent
        return prepare(raw)

    monkeypatch.setitem(fast._STEPS, "IndexStmt", (failing_in_the_child, read[1]))
    monkeypatch.setattr(sqlfile, "prepared", counting)
    ahead = read_sql(history)[0]
    assert len(children) == 1
    assert repr(ahead) == repr(alone)
    assert "t7_name" in ahead.tables["public.t7"].indexes
    assert prepared_here[0] == 0  # the child served every file


def test_the_child_reads_create_tables_constraints_this_process_builds_none(
    tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """CREATE TABLE's PRIMARY KEY, UNIQUE, FOREIGN KEY and CHECK are read in the child as
    plain data, a CHECK printed there for the table's column types: this process builds
    none of their nodes and prints no CHECK (the tree handlers' way: 1 table of 120)."""
    from schema_audit.sources.ddl import constraints, fast

    history = tmp_path / "history"
    history.mkdir()
    (history / "V1__tables.sql").write_text(
        "\n".join(
            f"CREATE TABLE t{n} (id bigint PRIMARY KEY, code text UNIQUE,"
            f" amount numeric(10, 2) CHECK (amount > 0), k int CHECK (k > 1.5),"
            f" up bigint REFERENCES t0 ON DELETE CASCADE, CHECK (k < amount));"
            for n in range(120)
        )
        + "\nCREATE DOMAIN posint AS int;\nCREATE TABLE d (p posint CHECK (p > 1.5));\n"
    )
    alone = _in_process(history, monkeypatch)
    parent, here = os.getpid(), {"nodes": 0, "checks": 0}
    node, promote = fast._Lazy.node, constraints.promote_integer_columns

    def building(self: fast._Lazy, value: object) -> object:
        here["nodes"] += os.getpid() == parent
        return node(self, value)

    def promoting(*args: object, **kwargs: object) -> object:
        here["checks"] += os.getpid() == parent
        return promote(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fast._Lazy, "node", building)
    monkeypatch.setattr(constraints, "promote_integer_columns", promoting)
    ahead = read_sql(history)[0]
    assert len(children) == 1
    assert repr(ahead) == repr(alone)
    # the table over a domain: its CHECK printed here, from its node (operand_bases)
    assert here == {"nodes": 1, "checks": 1}, here
    checks = ahead.tables["public.t7"].checks
    assert [c.expression for c in checks.values()] == [
        "amount > 0",
        "CAST(k AS numeric) > 1.5",
        "CAST(k AS numeric) < amount",
    ]


def test_a_statement_read_in_the_child_crosses_without_its_json() -> None:
    """A statement the child read crosses the pipe as its text and its read, without the
    JSON (9.8 MB of the 1,000-table history's 13 MB of frames, never decoded here); where
    this process's model refuses the read, the data and the tree are made from the text
    parsed again here: the very ones the JSON would have given."""
    from schema_audit.pgparse import Parsed, Pending, from_json, parse_json, parse_sql

    for text in (
        "CREATE TABLE t (id bigint PRIMARY KEY, amount numeric(10, 2) DEFAULT 0 CHECK (amount > 0))",
        "CREATE UNIQUE INDEX t_amount ON t (amount, id DESC)",
        "GRANT SELECT, INSERT ON t TO app",
    ):
        got, data, ahead = parse_ahead._parse(text, 0, 1 << 20, True)
        assert (got, data) == (text, None) and ahead is not None
        sent = from_json(text, parse_json(text))
        assert isinstance(sent, Parsed)
        expected = sent.data
        pending = Pending(got, data, ahead)
        assert pending.data == expected
        assert Pending(got, data, ahead).take() == (
            next(iter(expected["stmts"][0]["stmt"])),
            next(iter(expected["stmts"][0]["stmt"].values())),
        )
        assert repr(Pending(got, data, ahead).tree()) == repr(parse_sql(text))
        taken = Pending(got, data, ahead)
        assert taken.take() is not None
        assert taken.data is None  # consumed: a tree asked for now is parsed from the text
        assert repr(taken.tree()) == repr(parse_sql(text))


def test_a_file_holding_none_of_the_outside_words_comes_marked_and_reads_the_same(
    tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child asks once a file whether its text holds a word of a statement run outside
    a transaction block (``outside_words.none_in``): the statements of a file holding none
    come marked (``plain``) and Flyway's and PostgreSQL's checks skip them. A plain file,
    one whose CREATE INDEX CONCURRENTLY (any case) makes Flyway run it statement by
    statement, one with a VACUUM, one setting a psql variable (a backslash): the model is
    the in-process one, and only the plain file's statements came marked."""
    from schema_audit.sources.ddl import transactions

    history = tmp_path / "history"
    history.mkdir()
    (history / "V1__tables.sql").write_text(
        "\n".join(f"CREATE TABLE t{n} (id bigint PRIMARY KEY, v text);" for n in range(200))
    )
    (history / "V2__index.sql").write_text(
        "CREATE TABLE a (id int);\nCREATE INDEX Concurrently a_id ON a (id);\n"
    )
    (history / "V3__vacuum.sql").write_text("CREATE TABLE b (id int);\nVACUUM b;\n")
    (history / "V4__vars.sql").write_text("\\set name c\nCREATE TABLE :name (id int);\n")
    alone = _in_process(history, monkeypatch)
    marked: dict[str, bool] = {}
    real = transactions.outside_only

    def recording(stmt: transactions.Statement, partitioned: object = None) -> str | None:
        marked[stmt.sql] = stmt.plain
        return real(stmt, partitioned)  # type: ignore[arg-type]

    monkeypatch.setattr(transactions, "outside_only", recording)
    ahead = read_sql(history)[0]
    assert len(children) == 1
    assert repr(ahead) == repr(alone)
    assert {"public.a", "public.b", "public.c", "public.t199"} <= set(ahead.tables)
    plain = {sql.split()[2] for sql, is_plain in marked.items() if is_plain}
    assert plain == {f"t{n}" for n in range(200)}, plain
    assert not any(marked[s] for s in marked if not s.startswith("CREATE TABLE t"))
