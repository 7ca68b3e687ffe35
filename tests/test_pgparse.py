"""pgparse builds pglast's syntax tree from libpg_query's JSON: the same tree, to the last attribute.

The interpreter, the canonical forms and every verdict read these trees, so "the same"
is checked strictly: same classes, same values and value types, same locations (as
character indexes), same enum members, every attribute set. The corpus is every SQL file
of the test suite plus statements chosen for the places where the JSON form differs from
pglast's (omitted defaults, NULL list items, renamed attributes, embedded structs, UTF-8
offsets, empty strings).
"""

from __future__ import annotations

import gc
import json
from enum import Enum
from pathlib import Path

import msgspec
import pglast
import pglast.parser
import pytest
from pglast import ast
from pglast.stream import RawStream

from schema_audit import pgparse
from schema_audit.sources.statements import _statement_slices
from schema_audit.sqlnorm import _normalize

FIXTURES = Path(__file__).parent / "fixtures"

TRICKY = [
    "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
    "x numeric(10,2) DEFAULT 1.5 NOT NULL, CHECK (x > 0))",
    "SELECT DISTINCT a FROM t GROUP BY ()",  # a NULL list item: (None,)
    "SELECT 0, false, true, NULL, B'01', X'1F', 1.0, 'x', -1, 9999999999",
    "VALUES (1, 'a'), (2, 'b')",  # lists of lists
    "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID",  # AlterTableCmd.def_
    "ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0)",  # AlterDomainStmt.def_
    "CREATE DEFAULT CONVERSION c FOR 'LATIN1' TO 'UTF8' FROM f",  # CreateConversionStmt.def_
    "CREATE FOREIGN TABLE ft (c1 integer NOT NULL) SERVER s0",  # embedded CreateStmt
    "COMMENT ON COLUMN t.ü IS 'Grüße, ünïcödé'; CREATE INDEX ON t ((lower(name)))",
    'CREATE TABLE "Ω" ("é" text DEFAULT \'ß\' CHECK ("é" <> \'€\'))',  # UTF-8 offsets
    "CREATE POLICY p ON t USING (tenant_id = current_setting('app.tenant')::uuid)",
    "CREATE VIEW v AS SELECT a, sum(b) OVER (PARTITION BY c ORDER BY d) FROM t WHERE e IN (1, 2)",
    "CREATE FUNCTION f(a int, OUT b int) RETURNS SETOF record LANGUAGE sql "
    "BEGIN ATOMIC SELECT 1; SELECT 2; END",
    "GRANT SELECT, UPDATE (a) ON ALL TABLES IN SCHEMA s TO r WITH GRANT OPTION",
    "CREATE TRIGGER tr BEFORE UPDATE OF a ON t FOR EACH ROW WHEN (OLD.a IS DISTINCT FROM NEW.a) "
    "EXECUTE FUNCTION f()",
    "SELECT 1; SELECT 2;\n/* between */ SELECT 'three'",  # several statements, stmt_len
]


def _difference(fast: object, reference: object, path: str = "$") -> str | None:
    """Where two trees differ (None when identical), locations and value types included."""
    if type(fast) is not type(reference):
        return f"{path}: {type(fast).__name__} vs {type(reference).__name__}"
    if isinstance(reference, tuple):
        if len(fast) != len(reference):  # type: ignore[arg-type]
            return f"{path}: {len(fast)} items vs {len(reference)}"  # type: ignore[arg-type]
        for i, (a, b) in enumerate(zip(fast, reference, strict=True)):  # type: ignore[call-overload]
            if found := _difference(a, b, f"{path}[{i}]"):
                return found
        return None
    if isinstance(reference, ast.Node):
        for slot in type(reference).__slots__:
            if hasattr(fast, slot) != hasattr(reference, slot):
                return f"{path}.{slot}: set on one side only"
            if hasattr(reference, slot):
                found = _difference(getattr(fast, slot), getattr(reference, slot), f"{path}.{slot}")
                if found:
                    return found
        return None
    if isinstance(reference, Enum):
        return None if fast is reference else f"{path}: {fast!r} vs {reference!r}"
    return None if fast == reference else f"{path}: {fast!r} vs {reference!r}"


def _built(text: str) -> tuple[ast.RawStmt, ...]:
    """The builder's own tree, never pglast's fallback (which would make the comparison moot),
    from the JSON as msgspec decodes it (a long read) and as ``json.loads`` does: the same."""
    data = pglast.parser.parse_sql_json(text)
    built = pgparse._build(text, msgspec.json.decode(data))
    assert _difference(built, pgparse._build(text, json.loads(data))) is None
    return built


def _fixture_statements() -> list[tuple[str, str]]:
    out = []
    for path in sorted(FIXTURES.rglob("*.sql")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for start, end in _statement_slices(text):
            chunk = text[start:end]
            if chunk.strip(" \t\r\n;") and not pgparse._MAY_HOLD_EMPTY_STRING.search(chunk):
                out.append((f"{path.relative_to(FIXTURES)}:{start}", chunk))
    return out


# Each kind's builder is a loop over its rules first, generated code once the kind is met
# often: both must give pglast's tree. "interpreted" never generates, "generated" generates
# at once, "switching" generates after three nodes of a kind (mid-statement, mid-list).
TIERS = {"interpreted": 10**9, "generated": 0, "switching": 3}


@pytest.fixture(params=list(TIERS))
def tier(request, monkeypatch):
    """Fresh builders (none generated yet) at one of the tiers; the run's own restored after."""
    kept, generated = dict(pgparse._BUILDERS), dict(pgparse._GENERATED)
    pgparse._BUILDERS.clear()
    pgparse._BUILDERS.update({kind: kept[kind] for kind in ("List", "A_Const")})
    pgparse._GENERATED.clear()
    monkeypatch.setattr(pgparse, "_GENERATE_AFTER", TIERS[request.param])
    yield request.param
    for table, before in ((pgparse._BUILDERS, kept), (pgparse._GENERATED, generated)):
        table.clear()
        table.update(before)


def _generated(kind: str) -> bool:
    return pgparse._BUILDERS[kind].__code__.co_filename == f"<pgparse builder {kind}>"


@pytest.mark.parametrize("text", TRICKY)
def test_the_built_tree_is_pglasts_tree(text: str, tier: str) -> None:
    assert _difference(_built(text), pglast.parse_sql(text)) is None


def test_a_short_read_generates_no_builder_and_a_long_one_does(tier: str) -> None:
    """Generating a kind's code costs what the loop loses on a few hundred of its nodes: a
    read of a few statements (the measured start-up of a small Alembic history) generates
    none; a kind met often is generated, and the loop hands over to it."""
    text = "CREATE TABLE t (a int DEFAULT 1, b text NOT NULL, c numeric CHECK (c > 0))"
    assert _difference(_built(text), pglast.parse_sql(text)) is None  # built twice: 6 columns
    assert _generated("ColumnDef") == (tier != "interpreted")
    assert _generated("CreateStmt") == (tier == "generated")
    for _ in range(5):
        assert _difference(_built(text), pglast.parse_sql(text)) is None
    assert _generated("CreateStmt") == (tier != "interpreted")


def test_by_default_a_few_statements_generate_no_builder() -> None:
    assert pgparse._GENERATE_AFTER >= 32


def test_every_fixture_statement_builds_pglasts_tree(tier: str) -> None:
    statements = _fixture_statements()
    assert len(statements) > 300  # the corpus is really there
    differences = []
    for where, text in statements:
        try:
            reference = pglast.parse_sql(text)
        except pglast.parser.ParseError:
            continue
        if found := _difference(_built(text), reference):
            differences.append(f"{where}: {found}")
    assert differences == []


@pytest.mark.parametrize(
    "text",
    [
        "COMMENT ON TABLE t IS ''",  # the JSON omits the empty comment: pglast keeps ''
        "CREATE TABLESPACE ts LOCATION E''",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$$$",
    ],
)
def test_empty_strings_stay_empty_strings(text: str) -> None:
    assert _difference(pgparse.parse_sql(text), pglast.parse_sql(text)) is None


def test_the_builder_does_not_keep_an_empty_comment_itself() -> None:
    """Why the empty-string guard exists: without it the comment would read as absent."""
    assert _built("COMMENT ON TABLE t IS ''")[0].stmt.comment is None
    assert pgparse.parse_sql("COMMENT ON TABLE t IS ''")[0].stmt.comment == ""


def test_nesting_deeper_than_python_recursion_still_gives_pglasts_tree() -> None:
    text = "SELECT " + "(" * 3000 + "1" + ")" * 3000  # json.loads / the builder: RecursionError
    assert _difference(pgparse.parse_sql(text), pglast.parse_sql(text)) is None


def test_syntax_errors_are_pglasts() -> None:
    for text in ("CREATE TABLE (", "SELECT 1 +", "ALTER TABLE t ADD COLUMN x int int"):
        with pytest.raises(pglast.parser.ParseError) as fast:
            pgparse.parse_sql(text)
        with pytest.raises(pglast.parser.ParseError) as reference:
            pglast.parse_sql(text)
        assert fast.value.args == reference.value.args


def _printed(printer, node: ast.Node) -> str:
    try:
        return printer(node)
    except Exception as exc:  # a node kind pglast cannot print: both must fail alike
        return f"raised {type(exc).__name__}"


def _subnodes(node: object):
    if isinstance(node, tuple):
        for item in node:
            yield from _subnodes(item)
    elif isinstance(node, ast.Node):
        yield node
        for slot in node:
            yield from _subnodes(getattr(node, slot))


def test_deparse_prints_what_rawstream_prints() -> None:
    """Every statement of the fixtures, and every expression in them, printed both ways."""
    kinds = (ast.A_Expr, ast.FuncCall, ast.TypeCast, ast.BoolExpr, ast.SubLink, ast.CaseExpr)
    compared, differences = 0, []
    for where, text in _fixture_statements() + [("tricky", t) for t in TRICKY]:
        try:
            statements = pglast.parse_sql(text)
        except pglast.parser.ParseError:
            continue
        for raw in statements:
            for node in [raw.stmt, *(n for n in _subnodes(raw.stmt) if isinstance(n, kinds))]:
                compared += 1
                expected = _printed(lambda n: RawStream()(n), node)
                if _printed(pgparse.deparse, node) != expected:
                    differences.append(f"{where}: {expected}")
    assert compared > 300  # the corpus is really there
    assert differences == []


def test_deparse_of_a_shared_subtree_matches_rawstream() -> None:
    """sqlnorm rewrites BETWEEN into two comparisons sharing one operand node."""
    for text in ("x BETWEEN 1 AND 2", "lower(a) NOT BETWEEN 'a' AND 'b'", "(a, b) = (1, 2)"):
        source = f"SELECT {text}"
        node = pglast.parse_sql(source)[0].stmt.targetList[0].val
        assert pgparse.deparse(node) == RawStream()(node)
        shared = _normalize(pglast.parse_sql(source)[0].stmt.targetList[0].val)
        assert pgparse.deparse(shared) == RawStream()(shared)


def test_deparse_prints_each_distinct_tree_once() -> None:
    """The same default on many tables, at other offsets, is printed once; the text is the same."""
    pgparse._PRINTED.clear()
    texts = [
        "CREATE TABLE a (id uuid DEFAULT gen_random_uuid(), n int CHECK (n > 0))",
        "CREATE TABLE bb (x int, id uuid DEFAULT gen_random_uuid(), m int CHECK (m > 0))",
    ]
    defaults = []
    for text in texts:
        columns = pgparse.parse_sql(text)[0].stmt.tableElts
        default = next(c.constraints[0].raw_expr for c in columns if c.colname == "id")
        defaults.append(default)
        assert pgparse.deparse(default) == RawStream()(default)
    assert defaults[0].location != defaults[1].location
    assert len(pgparse._PRINTED) == 1  # the second was found by its shape
    checks = [pgparse.parse_sql(t)[0].stmt.tableElts[-1].constraints[0].raw_expr for t in texts]
    assert [pgparse.deparse(c) for c in checks] == ["n > 0", "m > 0"]  # names are not positions


@pytest.mark.parametrize(
    "texts",
    [
        # a string attribute called "location" is not a source position
        ("CREATE TABLESPACE ts LOCATION '/a'", "CREATE TABLESPACE ts LOCATION '/b'"),
        # same digits, other types: 1, 1.0, true, '1'
        ("SELECT 1", "SELECT 1.0", "SELECT true", "SELECT '1'"),
        ("SELECT a + b", "SELECT a - b", "SELECT (a + b)::int", "SELECT a + b::int"),
        ("SELECT x BETWEEN 1 AND 2", "SELECT x NOT BETWEEN 1 AND 2"),
        ("SELECT f(a, b)", "SELECT f(a), b", "SELECT f((a, b))"),
    ],
)
def test_deparse_keeps_trees_that_differ_apart(texts: tuple[str, ...]) -> None:
    pgparse._PRINTED.clear()
    for _ in range(2):  # the second round prints from the memo
        for text in texts:
            node = pgparse.parse_sql(text)[0].stmt
            assert pgparse.deparse(node) == RawStream()(node)


def test_deparse_from_the_memo_prints_what_rawstream_prints() -> None:
    """Every fixture expression printed after all the others: a wrong memo hit would show."""
    kinds = (ast.A_Expr, ast.FuncCall, ast.TypeCast, ast.BoolExpr, ast.SubLink, ast.CaseExpr)
    nodes = []
    for _, text in _fixture_statements():
        try:
            statements = pgparse.parse_sql(text)
        except pglast.parser.ParseError:
            continue
        for raw in statements:
            nodes += [raw.stmt, *(n for n in _subnodes(raw.stmt) if isinstance(n, kinds))]
    printed = [_printed(pgparse.deparse, n) for n in nodes]
    assert len(pgparse._PRINTED) < len(nodes)  # some were found again
    again = [_printed(pgparse.deparse, n) for n in reversed(nodes)]
    assert again[::-1] == printed == [_printed(lambda n: RawStream()(n), n) for n in nodes]


def test_an_attribute_the_builder_has_no_rule_for_goes_to_pglast() -> None:
    """A JSON key left over after every known attribute was read: this builder must not guess."""
    builder = pgparse._Builder(lambda offset: offset)
    assert builder.wrapped({"String": {"sval": "x"}}).sval == "x"
    with pytest.raises(pgparse._Unsupported):
        builder.wrapped({"String": {"sval": "x", "newer_attribute": 1}})
    with pytest.raises(pgparse._Unsupported):
        builder.wrapped({"ColumnRef": {"fields": [], "location": 0, "newer_attribute": True}})


def test_printing_leaves_no_reference_cycle() -> None:
    """Static reading pauses the cyclic collector: a printed tree must be freed by reference
    counting alone (the ancestors the printers read refer to the parent nodes)."""
    sources = ["SELECT x BETWEEN 1 AND 2", "SELECT lower(a) || 'b' FROM t WHERE c > 0"]
    expected = [RawStream()(pglast.parse_sql(source)[0].stmt) for source in sources]
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for source, text in zip(sources, expected, strict=True):
            pgparse._PRINTED.clear()
            node = pgparse.parse_sql(source)[0].stmt
            assert pgparse.deparse(node) == text
            shared = _normalize(pgparse.parse_sql(source)[0].stmt.targetList[0].val)
            pgparse.deparse(shared)  # a node under two parents
            del node, shared
        pgparse._PRINTED.clear()
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()


def test_a_long_read_decodes_with_msgspec_and_builds_the_same_trees(monkeypatch) -> None:
    """json.loads until a run has decoded enough JSON to pay for importing msgspec, then msgspec."""
    monkeypatch.setattr(pgparse, "_FAST_DECODER", [None, 0])
    monkeypatch.setattr(pgparse, "_FAST_AFTER_CHARS", 2000)
    texts = [text for text in TRICKY if not pgparse._MAY_HOLD_EMPTY_STRING.search(text)] * 3
    trees = [pgparse.parse_sql(text) for text in texts]
    assert pgparse._FAST_DECODER[0] is not None  # switched on the way
    for text, tree in zip(texts, trees, strict=True):
        assert _difference(tree, pglast.parse_sql(text)) is None


@pytest.mark.parametrize("encoded", [False, True], ids=["walked", "msgspec"])
def test_frozen_keys_are_equal_exactly_where_only_positions_differ(
    encoded: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The memo key of an expression's data (``frozen``): walked in a short read, msgspec's
    JSON with the positions taken out once msgspec decodes (the parsing child). Equal for
    the same expression written elsewhere or spaced otherwise; different for any other
    value, a string literal that spells a position key included."""
    import msgspec

    monkeypatch.setattr(pgparse, "_FAST_ENCODE", [msgspec.json.encode if encoded else None])

    def key(text: str) -> object:
        data = pgparse._decode(pgparse.parse_json(text))  # type: ignore[arg-type]
        return pgparse.frozen(data["stmts"][0]["stmt"]["SelectStmt"]["whereClause"])

    same = key("SELECT 1 WHERE a > 1 AND b = 'x'")
    assert key("SELECT 1   WHERE   a>1 AND  b='x'") == same
    assert isinstance(same, bytes) is encoded
    others = [
        "SELECT 1 WHERE a > 2 AND b = 'x'",
        "SELECT 1 WHERE a > 1 AND b = 'y'",
        "SELECT 1 WHERE a > 1 AND c = 'x'",
        "SELECT 1 WHERE a > 1 AND b = '\"location\":1'",
        "SELECT 1 WHERE a > 1 AND b = '\"location\":2'",
        "SELECT 1 WHERE a > 1 AND b = '\"location\":1,'",
    ]
    keys = [key(text) for text in others]
    assert same not in keys and len(set(keys)) == len(keys)


@pytest.mark.parametrize("odd", [{"A_Star": {}, "String": {"sval": "x"}}, "x", 1])
def test_a_list_item_the_builder_cannot_unwrap_gives_pglasts_tree(odd: object, monkeypatch) -> None:
    """A list item that is not one ``{"Kind": {...}}`` (two kinds, a bare value; ``{}`` is a
    NULL item): the whole statement is pglast's, never a half-built tree."""
    text = "CREATE TABLE t (a int NOT NULL, b text DEFAULT 'x')"
    decode = pgparse._decode

    def tampered(data: str) -> dict:
        out = decode(data)
        elements = out["stmts"][0]["stmt"]["CreateStmt"]["tableElts"]
        elements[1]["ColumnDef"]["constraints"].append(odd)  # constraints of b
        return out

    _assert_pglast_parses_it(text, tampered, monkeypatch)


def _assert_pglast_parses_it(text: str, tampered, monkeypatch) -> None:
    """With libpg_query's JSON ``tampered``, the statement goes to pglast's own parser once
    and the tree is pglast's."""
    monkeypatch.setattr(pgparse, "_decode", tampered)
    fallbacks = []
    real = pglast.parse_sql
    monkeypatch.setattr(pglast, "parse_sql", lambda sql: fallbacks.append(sql) or real(sql))
    tree = pgparse.parse_sql(text)
    assert fallbacks == [text]
    assert _difference(tree, real(text)) is None


@pytest.mark.parametrize("odd", [{"A_Star": {}, "String": {"sval": "x"}}, "x", 1, []])
def test_a_node_the_builder_cannot_unwrap_gives_pglasts_tree(odd: object, monkeypatch) -> None:
    """The same for a node attribute (the DEFAULT's expression)."""
    text = "CREATE TABLE t (a int NOT NULL, b text DEFAULT 'x')"
    decode = pgparse._decode

    def tampered(data: str) -> dict:
        out = decode(data)
        column = out["stmts"][0]["stmt"]["CreateStmt"]["tableElts"][1]["ColumnDef"]
        column["constraints"][0]["Constraint"]["raw_expr"] = odd
        return out

    _assert_pglast_parses_it(text, tampered, monkeypatch)


def _nodes(tree: object) -> list[object]:
    """Every node of a tree, each time it is met (a shared one as often as it is shared)."""
    found: list[object] = []
    stack = [tree]
    while stack:
        value = stack.pop()
        if isinstance(value, tuple):
            stack.extend(value)
        elif isinstance(value, ast.Node):
            found.append(value)
            stack.extend(getattr(value, name, None) for name in value.__slots__)
    return found


def test_copy_tree_is_deepcopy_of_every_fixture_statement() -> None:
    """The same classes, values, value types, locations and set attributes as the original
    (and as ``copy.deepcopy``), and not one node of the original in the copy."""
    import copy

    statements = _fixture_statements()
    assert len(statements) > 300
    differences = []
    for where, text in statements:
        try:
            tree = pglast.parse_sql(text)
        except pglast.parser.ParseError:
            continue
        copied = pgparse.copy_tree(tree)
        if found := _difference(copied, tree) or _difference(copied, copy.deepcopy(tree)):
            differences.append(f"{where}: {found}")
        originals = {id(node) for node in _nodes(tree)}
        if any(id(node) in originals for node in _nodes(copied)):
            differences.append(f"{where}: a node of the original in the copy")
    assert differences == []


def test_copy_tree_shares_what_the_original_shares() -> None:
    """sqlnorm's BETWEEN rewrite shares one operand between two comparisons: a copy does the
    same (deepcopy's memo), so a change made through one parent is seen through the other."""
    tree = _normalize(pglast.parse_sql("SELECT x BETWEEN 1 AND 2")[0].stmt.targetList[0].val)
    copied = pgparse.copy_tree(tree)
    left, right = copied.args
    assert left.lexpr is right.lexpr
    assert left.lexpr is not tree.args[0].lexpr
    assert _difference(copied, tree) is None
    unset = object.__new__(ast.ColumnRef)  # an attribute never set stays unset in the copy
    assert not hasattr(unset, "fields")
    assert not hasattr(pgparse.copy_tree(unset), "fields")
