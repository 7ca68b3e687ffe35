"""The SQL sources' model cache (sources/model_cache.py): a warm read gives the very model a
cold read gives, every input and the code are in its key, and a damaged entry can only
cost a cold read, never give another model."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from schema_audit import cache
from schema_audit.cli import app
from schema_audit.model import SchemaModel, Table
from schema_audit.sources import model_cache, sqlfile
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


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE_DIR", str(folder))
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "1")
    return folder


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The histories interpreted while the cache was on (not answered from an entry)."""
    seen: list[Path] = []
    real = sqlfile._interpret

    def counting(path: Path, *args: object) -> object:
        if cache.enabled():
            seen.append(path)
        return real(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlfile, "_interpret", counting)
    return seen


def _cold(path: Path, monkeypatch: pytest.MonkeyPatch, **kwargs: object) -> SchemaModel:
    with monkeypatch.context() as m:
        m.setenv("SCHEMA_AUDIT_CACHE", "0")
        return read_sql(path, **kwargs)[0]  # type: ignore[arg-type]


def _sharing(model: SchemaModel) -> list[int]:
    """Which provenance objects the model shares: each one's first position in the walk."""
    first: dict[int, int] = {}
    return [
        first.setdefault(id(p), len(first))
        for obj in model_cache._carriers(model)
        for p in obj.provenance  # type: ignore[attr-defined]
    ]


def _entries(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / model_cache.KIND).glob("*.json"))


@pytest.mark.parametrize("history", _sql_histories(), ids=lambda p: p.name)
def test_a_warm_read_is_the_cold_model_on_every_fixture_history(
    history: Path, cache_dir: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        cold = _cold(history, monkeypatch)
    except MigrationSourceError:
        pytest.skip("not a readable SQL history")
    first = read_sql(history)[0]
    warm = read_sql(history)[0]
    assert reads == [history]  # the second read came from the entry
    assert len(_entries(cache_dir)) == 1
    # repr: every field, every type (a tuple read back as a list would differ)
    assert repr(warm) == repr(cold) == repr(first)
    # the same provenance objects shared by the same objects (one per statement)
    assert _sharing(warm) == _sharing(cold)


def test_every_model_class_with_provenance_is_walked(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A class the walk misses would be written whole (never wrong, but not shared): a history
    with one of each, read warm, has each one's provenance shared as read cold."""
    from dataclasses import fields, is_dataclass

    from schema_audit import model as m

    carriers = {
        cls
        for cls in vars(m).values()
        if isinstance(cls, type)
        and is_dataclass(cls)
        and any(f.name == "provenance" for f in fields(cls))
        and cls not in (m.DomainType, m.CompositeType, m.RangeType)  # read from a catalog only
    }
    history = tmp_path / "all.sql"
    history.write_text(
        "CREATE EXTENSION pgcrypto;\n"
        "CREATE TYPE mood AS ENUM ('ok');\n"
        "CREATE SEQUENCE s;\n"
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;\n"
        "CREATE TABLE p (id int PRIMARY KEY);\n"
        "CREATE TABLE t (id int PRIMARY KEY, u text UNIQUE, c int CHECK (c > 0),"
        " p int REFERENCES p);\n"
        "CREATE INDEX t_c ON t (c);\n"
        "ALTER TABLE t ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY pol ON t USING (c > 1);\n"
        "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();\n"
        "CREATE VIEW v AS SELECT id FROM t;\n"
        "CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;\n"
        "CREATE INDEX mv_id ON mv (id);\n"
    )
    read_sql(history)
    warm = read_sql(history)[0]
    walked = {type(obj) for obj in model_cache._carriers(warm) if obj.provenance}  # type: ignore[attr-defined]
    assert carriers == walked
    assert _sharing(warm) == _sharing(_cold(history, monkeypatch))


def _history(tmp_path: Path) -> Path:
    folder = tmp_path / "sql"
    folder.mkdir()
    (folder / "V1__a.sql").write_text(
        "CREATE TABLE a (id int PRIMARY KEY, b text NOT NULL, c int CHECK (c > 0));\n"
    )
    (folder / "V2__b.sql").write_text("CREATE INDEX a_b ON a (b);\n")
    return folder


def test_each_input_is_in_the_key(
    tmp_path: Path, cache_dir: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _history(tmp_path)
    read_sql(folder)
    assert read_sql(folder)[0].tables["public.a"].columns["b"].type == "text"
    assert len(reads) == 1
    # a file's content
    (folder / "V1__a.sql").write_text(
        "CREATE TABLE a (id int PRIMARY KEY, b varchar(5) NOT NULL, c int CHECK (c > 0));\n"
    )
    assert read_sql(folder)[0].tables["public.a"].columns["b"].type == "character varying(5)"
    assert len(reads) == 2
    # a file's name (its version and the file every provenance names)
    (folder / "V2__b.sql").rename(folder / "V3__b.sql")
    index = read_sql(folder)[0].tables["public.a"].indexes["a_b"]
    assert (index.provenance[0].file, index.provenance[0].revision) == ("sql/V3__b.sql", "V3")
    assert len(reads) == 3
    # the search_path the runner starts with
    searched = read_sql(folder, search_path=["app", "public"])[0]
    assert "app.a" in searched.tables
    assert len(reads) == 4
    # a setting of the reader (a statement over the limit is not read)
    monkeypatch.setenv("SCHEMA_AUDIT_MAX_STATEMENT_CHARS", "20")
    limited = read_sql(folder)[0]
    assert "public.a" not in limited.tables
    assert len(reads) == 5
    monkeypatch.delenv("SCHEMA_AUDIT_MAX_STATEMENT_CHARS")
    assert "public.a" in read_sql(folder)[0].tables
    assert len(reads) == 5  # the same inputs again: the entry
    assert repr(read_sql(folder)[0]) == repr(_cold(folder, monkeypatch))


def test_the_code_is_in_the_key(
    tmp_path: Path, cache_dir: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _history(tmp_path)
    code = tmp_path / "code.py"
    code.write_text("RULE = 1\n")
    files = [*model_cache._code_files(), code]
    monkeypatch.setattr(model_cache, "_code_files", lambda: files)
    read_sql(folder)
    read_sql(folder)
    assert len(reads) == 1
    code.write_text("RULE = 2\n")  # the interpreter changed: its old models are not read
    read_sql(folder)
    assert len(reads) == 2
    assert len(_entries(cache_dir)) == 2


def test_the_fingerprint_holds_the_reader_modules() -> None:
    package = Path(model_cache.__file__).resolve().parents[1]
    held = {p.relative_to(package).as_posix() for p in model_cache._code_files()}
    assert {
        "model.py",
        "pgparse.py",
        "sqlnorm.py",
        "sources/sqlfile.py",
        "sources/statements.py",
        "sources/ddl/interpreter.py",
        "sources/ddl/fast.py",
    } <= held


def _rewrite(entry: Path, payload: bytes, *, checksum: bool) -> None:
    digest = hashlib.sha256(payload).hexdigest().encode() if checksum else b"0" * 64
    entry.write_bytes(b"SAMODEL " + digest + b"\n" + payload)


@pytest.mark.parametrize(
    "damage",
    [
        "flipped-type",  # valid JSON, another model: the checksum refuses it
        "truncated",
        "empty",
        "placeholder-out-of-range",  # checksum recomputed: the placeholder check refuses it
        "placeholder-not-a-placeholder",
        "wrong-types",
        "carrier-count",
    ],
)
def test_a_damaged_entry_never_gives_another_model(
    damage: str,
    tmp_path: Path,
    cache_dir: Path,
    reads: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = _history(tmp_path)
    cold = _cold(folder, monkeypatch)
    read_sql(folder)
    [entry] = _entries(cache_dir)
    raw = entry.read_bytes()
    head, _, payload = raw.partition(b"\n")
    if damage == "flipped-type":
        assert payload.count(b'"type":"text"') == 1
        entry.write_bytes(head + b"\n" + payload.replace(b'"type":"text"', b'"type":"uuid"'))
    elif damage == "truncated":
        entry.write_bytes(raw[: len(raw) // 2])
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "placeholder-out-of-range":
        assert b'"line":0,' in payload
        _rewrite(entry, payload.replace(b'"line":0,', b'"line":99,'), checksum=True)
    elif damage == "placeholder-not-a-placeholder":
        _rewrite(
            entry,
            payload.replace(b'"action":"\\u0000cached"', b'"action":"created"'),
            checksum=True,
        )
    elif damage == "wrong-types":
        _rewrite(entry, payload.replace(b'"nullable":false', b'"nullable":"no"'), checksum=True)
    else:
        assert b'"carriers":' in payload
        _rewrite(entry, payload.replace(b'"carriers":', b'"carriers":1'), checksum=True)
    assert entry.read_bytes() != raw
    again = read_sql(folder)[0]
    assert repr(again) == repr(cold)
    assert len(reads) == 2  # read from the SQL again
    assert entry.read_bytes() == raw  # and the entry written anew
    assert repr(read_sql(folder)[0]) == repr(cold)
    assert len(reads) == 2


def test_no_entry_when_the_cache_is_off(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _history(tmp_path)
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")
    read_sql(folder)
    assert not cache_dir.exists()
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "1")
    read_sql(folder)
    assert len(_entries(cache_dir)) == 1


def test_a_failed_encode_leaves_the_model_whole(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Placeholders are swapped in while encoding: they are put back however encoding ends."""
    folder = _history(tmp_path)
    cold = _cold(folder, monkeypatch)
    model = _cold(folder, monkeypatch)
    model.tables["public.a"].comment = "\ud800"  # a lone surrogate: msgspec refuses to encode it
    model_cache.store("k" * 64, model)
    assert not _entries(cache_dir)
    model.tables["public.a"].comment = None
    assert repr(model) == repr(cold)


def test_only_the_most_recently_used_entries_are_kept(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = SchemaModel(tables={"public.t": Table("public", "t")})
    for number in range(model_cache.KEEP + 2):
        model_cache.store(f"{number:064x}", model)
        entry = cache_dir / model_cache.KIND / f"{number:064x}.json"
        os.utime(entry, ns=(number * 10**9, number * 10**9))
    assert model_cache.load(f"{0:064x}") is None  # evicted
    assert model_cache.load(f"{2:064x}") is not None
    assert len(_entries(cache_dir)) == model_cache.KEEP


def test_inspect_output_is_the_same_cold_and_warm(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = FIXTURES / "sql_supabase_style"
    runner = CliRunner()
    outputs: list[bytes] = []
    for setting in ("0", "1", "1"):
        monkeypatch.setenv("SCHEMA_AUDIT_CACHE", setting)
        out = tmp_path / f"model{len(outputs)}.json"
        result = runner.invoke(app, ["inspect", "--sql", str(history), "-o", str(out)])
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert len(_entries(cache_dir)) == 1
    assert outputs[0] == outputs[1] == outputs[2]


# -- going on from a cached prefix (a history that grew, or whose last files changed) ---------


def _prefix_entry(history: Path, count: int, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Read only the first ``count`` files of ``history`` (its layout cut short), which leaves
    the entry of that prefix; False when that prefix alone is no history (no SQL)."""
    layout = sqlfile.discover(history)
    cut = sqlfile.Layout(layout.name, layout.files[:count], layout.versions, layout.issues)
    with monkeypatch.context() as m:
        m.setattr(sqlfile, "discover", lambda path: cut)
        try:
            read_sql(history)
        except MigrationSourceError:
            return False
    return True


def _splits(count: int) -> list[int]:
    if count <= 9:
        return list(range(1, count))
    return sorted({max(1, round(count * n / 8)) for n in range(1, 8)})


@pytest.mark.parametrize(
    "history",
    [h for h in _sql_histories() if h.is_dir() and len(sqlfile.discover(h).files) > 1],
    ids=lambda p: p.name,
)
def test_a_read_on_from_a_cached_prefix_is_the_cold_model(
    history: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        cold = _cold(history, monkeypatch)
    except MigrationSourceError:
        pytest.skip("not a readable SQL history")
    files = len(sqlfile.discover(history).files)
    resumed_from: list[int] = []
    real = sqlfile._interpret

    def spying(*args: object) -> object:
        prefix = args[8]
        resumed_from.append(prefix[0] if prefix is not None else 0)  # type: ignore[index]
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlfile, "_interpret", spying)
    tried = 0
    for count in _splits(files):
        shutil.rmtree(cache_dir, ignore_errors=True)
        if not _prefix_entry(history, count, monkeypatch):
            continue
        resumed_from.clear()
        resumed = read_sql(history)[0]
        assert resumed_from == [count], count  # went on after the prefix's files
        assert repr(resumed) == repr(cold), count
        assert _sharing(resumed) == _sharing(cold), count
        assert repr(read_sql(history)[0]) == repr(cold)  # and the whole history's entry
        assert resumed_from == [count]
        tried += 1
    assert tried


def test_the_session_knows_every_attribute_of_the_interpreter() -> None:
    from schema_audit.sources.ddl import DdlInterpreter
    from schema_audit.sources.ddl.resume import STATE

    lazy = {name for name, how in STATE.items() if "made on the first" in how}
    assert set(vars(DdlInterpreter())) == set(STATE) - lazy


def test_a_prefix_goes_on_with_the_readers_state(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the next file sees besides the model: collations, revoked defaults, sequences'
    names, foreign-key referrers, and the ledger of open statements (search_path and role
    are the runner's again: each file is a session of its own)."""
    folder = tmp_path / "sql"
    folder.mkdir()
    # (psql -f's numbered files: a refusal in V2__b.sql would abort the file under Flyway,
    # which runs it in one transaction, and the refusals below are this test's state)
    (folder / "001_a.sql").write_text(
        "CREATE ROLE admin;\n"
        "CREATE ROLE reader;\n"
        "CREATE SCHEMA app;\n"
        "SET search_path TO app, public;\n"
        "CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);\n"
        "ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\n"
        "ALTER DEFAULT PRIVILEGES FOR ROLE admin GRANT EXECUTE ON FUNCTIONS TO reader;\n"
        "SET ROLE admin;\n"
        "CREATE TABLE ev (id int, k text) PARTITION BY LIST (k);\n"
        "CREATE TABLE ev_a PARTITION OF ev FOR VALUES IN ('a');\n"
        "CREATE INDEX ev_id ON ev (id);\n"
        "CREATE SEQUENCE u_pkey;\n"
        "CREATE TABLE p (id int PRIMARY KEY);\n"
        "CREATE TABLE c (id int PRIMARY KEY, p int REFERENCES p);\n"
        "CREATE INDEX c_p ON c (p);\n"
        "DO $$ BEGIN IF random() > 0.5 THEN ALTER TABLE c ADD COLUMN y int; END IF; END $$;\n"
        "CREATE VIEW v AS SELECT * FROM ext_rows();\n"  # a function from outside the history
        "CREATE TABLE par (a int);\n"
        "CREATE TABLE kid (b int) INHERITS (par);\n"
        "CREATE RULE r AS ON INSERT TO par DO INSTEAD NOTHING;\n"
        "CREATE VIEW sv AS SELECT * FROM par;\n"
    )
    (folder / "002_b.sql").write_text(  # a session of its own: search_path and role restored
        "CREATE FUNCTION public.g() RETURNS int LANGUAGE sql AS 'select 2';\n"
        "SET search_path TO app, public;\n"
        "SET ROLE admin;\n"
        "CREATE TABLE t (n text COLLATE ci);\n"
        "CREATE TABLE u (id int PRIMARY KEY);\n"
        "RESET ROLE;\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1';\n"
        "ALTER TABLE p RENAME TO q;\n"
        "ALTER INDEX c_p RENAME TO c_q;\n"
        "ALTER TABLE c ADD COLUMN y int;\n"
        "CREATE VIEW w AS SELECT * FROM v;\n"
        "ALTER TABLE par ADD COLUMN z int;\n"
        "CREATE RULE r AS ON INSERT TO par DO INSTEAD NOTHING;\n"
        "ALTER TABLE par DROP COLUMN a;\n"
        "DROP INDEX ev_a_id_idx;\n"
    )
    cold = _cold(folder, monkeypatch)
    assert _prefix_entry(folder, 1, monkeypatch)
    resumed = read_sql(folder)[0]
    assert repr(resumed) == repr(cold)
    # what each piece of state decided (so the comparison above compares something)
    assert cold.tables["app.t"].columns["n"].collation == "app.ci"  # search_path, collations
    assert list(cold.tables["app.u"].indexes) == ["u_pkey1"]  # the sequence's name is taken
    assert list(cold.tables["app.c"].indexes) == ["c_pkey", "c_q"]  # index homes
    assert "app.q" in cold.tables  # referrers followed the rename
    # the default revoked before; admin's entry is not the runner's (the history SET ROLEs
    # to admin: DdlInterpreter._may_run)
    assert cold.functions["app.f()"].grants == cold.functions["public.g()"].grants == []
    assert any("because index ev_id requires it" in u.reason for u in cold.unapplied)
    assert [u.sql for u in cold.unapplied if u.kind == "unsupported"][-1].startswith(
        "CREATE VIEW w"  # v's columns unknown, so w's are too
    )
    assert any("settled again" in s for u in cold.unapplied for s in u.settled)
    assert list(cold.tables["app.kid"].columns) == ["a", "b", "z"]  # INHERITS links
    assert any("already exists" in u.reason for u in cold.unapplied)  # the rule r
    assert "a" in cold.tables["app.par"].columns  # sv's * covered it: the DROP is refused


def test_a_session_that_does_not_fit_its_model_is_a_read_from_the_first_file(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "sql"
    folder.mkdir()
    (folder / "V1__a.sql").write_text("CREATE TABLE p (id int PRIMARY KEY);\n")
    (folder / "V2__b.sql").write_text("CREATE TABLE c (p int REFERENCES p);\n")
    (folder / "V3__c.sql").write_text("ALTER TABLE p RENAME TO q;\n")
    cold = _cold(folder, monkeypatch)
    assert _prefix_entry(folder, 2, monkeypatch)
    [entry] = _entries(cache_dir)
    model, session = model_cache.load(entry.stem)  # type: ignore[misc]
    assert session is not None and session.referrers
    session.referrers.append((("public", "p"), ["public.gone"]))  # a table the model lacks
    model_cache.store(entry.stem, model, session)  # a valid checksum: only resume can tell
    assert repr(read_sql(folder)[0]) == repr(cold)
