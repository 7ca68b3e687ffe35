"""init's spec writer (spec/yamlwrite.py) writes the bytes PyYAML wrote before it (issue 19).

The reference is kept here on purpose: ``yaml.safe_dump(data, sort_keys=False,
allow_unicode=True, width=…, default_flow_style=…)`` with each non-blank line indented is
what ``init`` wrote for every entry before, and teams diff and review that file. It is
copied here, not imported from yamlwrite.reference, so the comparison is independent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import write
from yaml.emitter import Emitter
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from schema_audit import api
from schema_audit.api import audit_model
from schema_audit.model import (
    CheckConstraint,
    Column,
    ForeignKey,
    Grant,
    Index,
    IndexKey,
    Policy,
    PrimaryKey,
    Table,
    Trigger,
    UniqueConstraint,
)
from schema_audit.sources.replay import Scratch, replay_sql
from schema_audit.sources.sqlfile import looks_like_alembic
from schema_audit.spec import bootstrap, entrywrite, yamlwrite
from schema_audit.spec.load import load_spec

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def old_dump(data: Any, *, width: int, flow_style: bool | None, indent: int = 0) -> str:
    """What bootstrap wrote before issue 19: PyYAML's text, non-blank lines indented."""
    text = yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=width, default_flow_style=flow_style
    )
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


def fast_or_none(data: Any, **options: Any) -> str | None:
    try:
        return yamlwrite.fast(data, **options)
    except yamlwrite.Unsupported:
        return None


def assert_same(data: Any, **options: Any) -> bool:
    """The writer's text is PyYAML's; True when the fast path wrote it."""
    expected = old_dump(data, **options)
    assert yamlwrite.dump(data, **options) == expected
    fast = fast_or_none(data, **options)
    assert fast is None or fast == expected
    return fast is not None


# -- the scalar analysis ------------------------------------------------------------

AWKWARD_CHARS = (
    "ab -:#,?[]{}&*!|>'\"%@`.~=<0123456789\n\t\r\x85\u2028\u2029\ufeff\x00\x01é😀\x7f\xa0"
)
awkward_text = st.text(alphabet=AWKWARD_CHARS, min_size=1, max_size=12) | st.text(min_size=1)


@settings(max_examples=2000, deadline=None)
@given(awkward_text)
def test_the_analysis_of_a_string_is_pyyamls(value: str) -> None:
    analysis = Emitter(None, allow_unicode=True).analyze_scalar(value)
    assert yamlwrite.analyze(value) == (
        analysis.allow_flow_plain,
        analysis.allow_block_plain,
        analysis.allow_single_quoted,
        analysis.multiline,
    )


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="yYnNtTfFoO-+0123456789.<=~!&*:eE_xabl ", max_size=10) | awkward_text)
def test_what_reads_back_as_a_string_is_pyyamls_resolver(value: str) -> None:
    assert yamlwrite.reads_as_str(value) == (
        Resolver().resolve(ScalarNode, value, (True, False)) == "tag:yaml.org,2002:str"
    )


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="Az09_(). '=<>+*/-", min_size=1, max_size=10))
def test_strings_the_quick_check_accepts_are_plain_in_pyyaml(value: str) -> None:
    if yamlwrite._SIMPLE(value):
        analysis = Emitter(None, allow_unicode=True).analyze_scalar(value)
        assert analysis.allow_flow_plain and analysis.allow_block_plain
        assert analysis.allow_single_quoted and not analysis.multiline


def test_a_flow_sequence_written_once_is_not_reused_for_an_equal_list_of_other_types() -> None:
    """flow_sequence keeps the text of each list it wrote: [1] and [True] (and [0], [False])
    compare equal as plain keys, and PyYAML writes them apart."""
    for items in ([True], [1], [False], [0], ["1"], [True, "a"], [1, "a"], [None], ["null"]):
        expected = yaml.safe_dump([items], default_flow_style=None).strip()[2:]
        assert yamlwrite.flow_sequence(items) == expected
        assert yamlwrite.flow_sequence(list(items)) == expected  # the cached text


# -- whole documents -------------------------------------------------------------------

AWKWARD = [
    "plain",
    "it's",
    'say "hi"',
    "a: b",
    "a:b",
    "key:",
    ":x",
    "# not a comment",
    "a #b",
    "a#b",
    " leading space",
    "trailing space ",
    "  ",
    "",
    "ünïcødé 😀",
    "\ufeffbom",
    "yes",
    "No",
    "null",
    "~",
    "on",
    "OFF",
    "true",
    "y",
    "0123",
    "12",
    "-7",
    "1e3",
    "1.5",
    "0x1F",
    "1_000",
    "12:30",
    ".inf",
    "2027-02-27",
    "<<",
    "=",
    "-",
    "- item",
    "? key",
    "---",
    "...",
    "[x]",
    "{y}",
    "a, b",
    "*star",
    "&anchor",
    "!tag",
    "%pct",
    "@at",
    "`tick",
    "|pipe",
    ">fold",
    "tab\there",
    "line one\nline two",
    "trailing break\n",
    "space \nbreak",
    "nel\x85x",
    "ls\u2028x",
    "ctl\x01x",
    "back\\slash",
    "(amount >= (0)::numeric)",
    "nextval('t_id_seq'::regclass)",
    "character varying(32)",
    "present at init: PERF001 foreign-key-without-index: t_parent_id_fkey (parent_id) has no "
    "covering index; t_ix1 does not serve lookups by parent_id (parent_id is not its leading "
    "column)",
    "a 'quoted' word near the fold " * 6,
    "x" * 130,
    "two  spaces  between  words  " * 8,
    "é" * 60 + " " + "ü" * 70 + " tail",
    "tab\t" * 40,
]


@pytest.mark.parametrize("value", AWKWARD, ids=repr)
def test_awkward_strings_as_keys_and_values(value: str) -> None:
    entry = {
        "columns": {value: {"type": value, "nullable": False, "default": value}},
        "checks": [{"name": value, "expression": value}],
        "unique": [{"name": "u", "columns": [value, "b"]}],
        "reason": value,
        "list": [value, value],
    }
    for width in (120, 100, 40):
        for flow_style in (None, False):
            for indent in (0, 2):
                options = {"width": width, "flow_style": flow_style, "indent": indent}
                assert_same({"t": entry}, **options)
                assert_same([entry], **options)
                assert_same({"reason": value}, **options)


def test_the_fast_path_writes_what_it_can() -> None:
    """Folded waiver reasons, quoted keywords and numbers, double quotes: no PyYAML."""
    supported = [v for v in AWKWARD if "\n" not in v and "\x85" not in v and "\u2028" not in v]
    taken = [
        v
        for v in supported
        if assert_same(
            [{"requirement": "r", "reason": v, "owner": "TODO: owner"}], width=100, flow_style=False
        )
    ]
    assert len(taken) >= len(supported) - 2  # a long double-quoted string may fold: PyYAML
    for value in ("line one\nline two", "nel\x85x"):  # single-quoted over lines: PyYAML writes it
        assert fast_or_none({"k": value}, width=120, flow_style=None) is None
    shared = ["a"]
    assert fast_or_none({"a": shared, "b": shared}, width=120, flow_style=None) is None
    assert "&id001" in yamlwrite.dump({"a": shared, "b": shared}, width=120, flow_style=None)


scalars = st.one_of(
    awkward_text,
    st.sampled_from(AWKWARD),
    st.text(alphabet="ab '", min_size=1, max_size=60),  # words to fold
    st.booleans(),
    st.integers(),
    st.none(),
)
keys = st.one_of(st.text(alphabet=AWKWARD_CHARS, max_size=8), st.sampled_from(AWKWARD))
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
).filter(lambda d: isinstance(d, (list, dict)))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    documents,
    st.sampled_from([20, 40, 100, 120]),
    st.sampled_from([None, False, True]),
    st.sampled_from([0, 2]),
)
def test_random_documents_are_written_as_pyyaml_writes_them(
    data: Any, width: int, flow_style: bool | None, indent: int
) -> None:
    assert_same(data, width=width, flow_style=flow_style, indent=indent)


# -- init's spec, whole ------------------------------------------------------------------


def _refuse(*args: Any, **kwargs: Any) -> str:
    raise yamlwrite.Unsupported("the test writes every entry through its dict")


def _both(source: api.LoadedSource, monkeypatch: pytest.MonkeyPatch, **options: Any) -> str:
    """init's text with the new writers, asserted equal to the text with PyYAML's (every
    entry built as a dict and dumped, as before issue 19)."""
    new = api.init_spec(source, **options)
    with monkeypatch.context() as patch:
        patch.setattr(bootstrap, "dump", old_dump)
        patch.setattr(entrywrite.TableWriter, "entry", _refuse)
        patch.setattr(entrywrite, "waiver", _refuse)
        old = api.init_spec(source, **options)
    assert new == old
    return new


def _histories() -> list[Path]:
    top = [p for p in sorted(FIXTURES.iterdir()) if p.is_dir() and p.name != "layouts"]
    return top + sorted((FIXTURES / "layouts").iterdir()) + [FIXTURES / "rich_schema.sql"]


@pytest.mark.parametrize("history", _histories(), ids=lambda p: p.name)
def test_init_writes_the_same_spec_on_every_fixture_history(
    history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if history.name == "alembic_broken":
        pytest.skip("init refuses it (test_init_every_fixture)")
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")
    kind = {"migrations": history} if looks_like_alembic(history) else {"sql": history}
    source = api.read_source(**kind)
    _both(source, monkeypatch)
    _both(source, monkeypatch, only=["columns", "indexes"], strict=False)
    _both(source, monkeypatch, tables=["*a*"], tenant_column="id")


AWKWARD_SQL = r"""
CREATE SCHEMA "we:ird #schema";
CREATE TABLE "yes" (
    "no" int PRIMARY KEY,
    "null" text,
    "on" boolean DEFAULT true,
    "0123" text DEFAULT '0123',
    " lead" text,
    "trail " text,
    "co:lon" text DEFAULT 'a: b',
    "hash #x" text DEFAULT '#x',
    "quote'd" text DEFAULT 'it''s',
    "dq""x" text,
    "ünï 😀" text DEFAULT 'é😀',
    "multi" text DEFAULT E'line1\nline2',
    "tab" text DEFAULT E'a\tb',
    "1e3" numeric,
    "~" int,
    "-" int,
    "? q" int,
    "[x]" int,
    "a, b" int,
    "*star" int,
    "<<" int,
    "tenant_id" uuid
);
ALTER TABLE "yes" ADD CONSTRAINT "long check: #1" CHECK (length("null") < 100 AND "null" <>
    'a long string constant so that this check expression is folded past one hundred and twenty columns'
    AND "no" > 0);
CREATE INDEX "ix: weird #1" ON "yes" ("null", "co:lon") WHERE "on" IS NOT NULL;
CREATE UNIQUE INDEX "yes_0123" ON "yes" ("0123") INCLUDE ("~");
CREATE TABLE "we:ird #schema"."Tåble" (
    id int PRIMARY KEY,
    "yes" int REFERENCES "yes"("no") ON DELETE CASCADE
);
ALTER TABLE "yes" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "pol #1: on" ON "yes" USING ("null" <> 'x: y' AND "null" <> 'a long enough literal to fold the policy line past the width of one hundred and twenty');
CREATE FUNCTION "trg: fn"() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER "trg: on" BEFORE INSERT ON "yes" FOR EACH ROW EXECUTE FUNCTION "trg: fn"();
CREATE VIEW "view: 1" AS SELECT "no", "null" AS "Null" FROM "yes";
CREATE FUNCTION "yes"() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'select 1';
"""


def test_init_writes_the_same_spec_on_awkward_and_synthetic_databases(
    pg_server, make_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    fallbacks: list[Any] = []
    reference = yamlwrite.reference

    def counted(data: Any, **options: Any) -> str:
        fallbacks.append(data)
        return reference(data, **options)

    monkeypatch.setattr(yamlwrite, "reference", counted)
    direct: list[str] = []  # table entries written straight from the model
    entry = entrywrite.TableWriter.entry

    def taken(self: entrywrite.TableWriter, key: str, *args: Any) -> str:
        text = entry(self, key, *args)
        direct.append(key)
        return text

    monkeypatch.setattr(entrywrite.TableWriter, "entry", taken)

    awkward = make_db("yamlw", AWKWARD_SQL)
    source = api.read_source(dsn=awkward)
    text = _both(source, monkeypatch)
    # "yes" has a multi-line default (PyYAML writes it), the other table is written directly
    assert direct == ["we:ird #schema.Tåble"]
    for quoted in ("'yes':", "'on':", "'0123':", "' lead':", "'? q':", "'<<':", "'trg: on'"):
        assert quoted in text
    assert "\n      1e3: {type: numeric" in text  # YAML 1.1: a float needs a dot
    assert "\n          line2''::text'}" in text  # a multi-line default: PyYAML wrote this entry
    spec = tmp_path / "awkward.yaml"
    spec.write_text(text)
    result = audit_model(load_spec(spec), source.model, "live", rules="all")
    assert [f.id for f in result.findings if f.status not in ("PASS", "WAIVED")] == []

    folder, _ = write(40, tmp_path)
    name, dsn = pg_server.create_database("yamlwsyn")
    try:
        replay_sql(folder, Scratch(dsn, name, pg_server.admin_dsn))
        source = api.read_source(dsn=dsn)
    finally:
        pg_server.drop_database(name)
    fallbacks.clear()
    direct.clear()
    text = _both(source, monkeypatch)
    assert len(direct) == len(source.model.tables)  # every entry straight from the model
    assert "waivers:" in text and "\n      covering index" in text  # folded reasons
    assert fallbacks == []  # the benchmark's schema never needs PyYAML's emitter


# -- entries straight from the model (spec/entrywrite.py) -------------------------------


def _odd_tables() -> list[Table]:
    """Shapes no fixture has: a dotted name, no columns, identity and generated columns, a
    1 for True, a repeated column name, a long CHECK, a disabled trigger, the owner's grants."""
    key = IndexKey
    long = "x" * 70
    return [
        Table(
            "s",
            "a.b",
            columns={
                "id": Column("id", "bigint", False, identity="always"),
                "g": Column("g", "integer", True, generated="(id * 2)"),
                "yes": Column("yes", "text", True, default="'no'::text"),
            },
            primary_key=PrimaryKey("pk", ["id"]),
            uniques={"u": UniqueConstraint("u: 1", ["yes", "g"])},
            checks={"c": CheckConstraint("c: 0", "(length(yes) < 70)")},
            foreign_keys={
                "f": ForeignKey("f", ["g"], "other", "Parent", ["id", "k"], on_delete="CASCADE")
            },
            indexes={
                "pk": Index("pk", [key("id")], unique=True, constraint="pk"),
                "i": Index(
                    "i",
                    [key("lower(yes)", is_column=False, descending=True, nulls_first=False)],
                    unique=True,
                    method="gin",
                    where=f"(g > 0) AND {long} IS NOT NULL AND {long} <> 'it''s'",
                    include=["id"],
                ),
                "MixedCase": Index("MixedCase", [key("yes", opclass="pg_catalog.text_ops")]),
            },
            rls_enabled=True,
            policies={
                "p": Policy("p", "SELECT", False, ["app", "public"], using="true"),
                "q": Policy("q: on", with_check="(g > 0)"),
            },
            triggers={"t": Trigger("t", "AFTER", ["INSERT"], enabled="DISABLED", function="f")},
            grants=[Grant("owner", "SELECT"), Grant("app", "UPDATE"), Grant("app", "INSERT")],
            owner="owner",
        ),
        Table("public", "empty"),
        Table("public", "one", columns={"a": Column("a", "integer", 1)}),  # type: ignore[arg-type]
        Table("public", "twice", columns={"a": Column("a", "int"), "b": Column("a", "text")}),
        Table("public", "wide", columns={"w": Column("w", "text", default=f"'{long * 2}'")}),
        Table("public", "off", columns={"a": Column("a", "text")}, rls_forced=True),
        Table("public", "check", checks={"c": CheckConstraint("c", f"(a < 1) -- {long}")}),
    ]


@pytest.mark.parametrize(
    "kinds",
    [
        bootstrap.TABLE_KINDS,
        ("columns", "indexes"),
        ("checks",),
        ("rls",),
        ("primary_key", "privileges"),
        ("triggers", "policies", "foreign_keys", "unique"),
    ],
    ids=",".join,
)
def test_a_table_entry_from_the_model_is_its_dict_dumped(kinds: tuple[str, ...]) -> None:
    writer = entrywrite.TableWriter(bootstrap._key, bootstrap._name)
    written = 0
    for table in _odd_tables():
        name = bootstrap._name(table.schema, table.name)
        expected = old_dump(
            {name: bootstrap._table(table, kinds)}, width=120, flow_style=None, indent=2
        ).rstrip("\n")
        assert bootstrap._table_entry(writer, name, table, kinds) == expected
        try:
            assert writer.entry(name, table, kinds) == expected
            written += 1
        except yamlwrite.Unsupported:
            pass
    if "columns" in kinds:  # refused: two columns of one name, a flow past the width
        assert written == 5


@pytest.mark.parametrize("value", AWKWARD, ids=repr)
def test_a_waiver_from_its_fields_is_its_dict_dumped(value: str) -> None:
    entry = {"requirement": value, "reason": f"present at init: {value}", "owner": value}
    expected = old_dump([entry], width=100, flow_style=False, indent=2).rstrip("\n")
    try:
        assert entrywrite.waiver(entry) == expected
    except yamlwrite.Unsupported:
        assert "\n" in value or "\x85" in value or "\u2028" in value or len(value) > 60
