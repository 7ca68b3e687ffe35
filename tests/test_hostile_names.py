"""Hostile identifiers: spaces, quotes, dots, unicode, reserved words, 63-byte truncation, two schemas."""

from __future__ import annotations

from schema_audit.api import audit_model
from schema_audit.modeldiff import diff_models
from schema_audit.render import html, markdown, terminal
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret
from schema_audit.spec.load import load_spec

LONG = "x" * 70  # PostgreSQL truncates identifiers to 63 bytes
SCRIPT = f"""
CREATE SCHEMA "Sales Data";
CREATE TABLE "order" ("select" int PRIMARY KEY, "Weird ""Quoted"" Col" text, "dot.ted" int, "naïve café" text);
CREATE TABLE "Sales Data"."order" (id int PRIMARY KEY, "user" text UNIQUE);
CREATE TABLE {LONG} ({LONG}_col int UNIQUE);
CREATE INDEX "idx | pipe" ON "order" ("naïve café") WHERE "dot.ted" > 0;
COMMENT ON TABLE "order" IS '<script>alert(1)</script> | `tick` \x1b[31mred\x1b[0m';
"""


def test_live_and_static_agree_on_hostile_names(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("hostile", SCRIPT)
    live_model = live.introspect(dsn)
    static = interpret(SCRIPT)
    assert [str(d) for d in diff_models(live_model, static)] == []
    assert set(live_model.tables) == {
        'public."order"',
        '"Sales Data"."order"',
        f"public.{'x' * 63}",
    }
    order = live_model.tables['public."order"']
    assert list(order.columns) == ["select", 'Weird "Quoted" Col', "dot.ted", "naïve café"]
    assert list(live_model.tables[f"public.{'x' * 63}"].uniques) == [
        ("x" * 29) + "_" + ("x" * 29) + "_key"
    ]


def test_reports_render_hostile_names_safely(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console

    dsn = make_db("hostile2", SCRIPT)
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        'name: hostile\ntables:\n  "order":\n    comment: expected comment\n    columns:\n'
        '      "naïve café": {type: text}\n      "missing | col": {}\n'
        '  "Sales Data.order":\n    columns:\n      user: {type: text, unique: true}\n'
    )
    result = audit_model(load_spec(spec), live.introspect(dsn), "live", rules="none")
    status = {f.id: f.status for f in result.findings}
    assert status["tables.order.columns.naïve café"] == "PASS"
    assert status["tables.Sales Data.order.columns.user"] == "PASS"
    assert status["tables.order"] == "FAIL"  # the comment differs
    page = html.render(result)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    md = markdown.render(result)
    assert "<script>" not in md and "\x1b" not in md
    for line in md.splitlines():
        if line.startswith("| ") and "missing" in line:
            assert len([c for c in __import__("re").split(r"(?<!\\)\|", line)]) == 6, line
    out = tmp_path / "terminal.txt"
    with out.open("w") as handle:
        terminal.render(result, Console(file=handle, width=200, force_terminal=True), verbose=True)
    text = out.read_text()
    assert (
        "\x1b[31mred" not in text
    )  # the database's escape sequence is neutralised, rich's own colours remain


def test_quote_ident_is_postgresqls_for_every_kind_of_name(make_db) -> None:  # type: ignore[no-untyped-def]
    """``model.quote_ident`` (qualified names, keys of every model map) quotes exactly where
    PostgreSQL's ``quote_ident()`` does: first character, later characters (a ``$`` too:
    ``a$b`` is quoted), keywords."""
    import psycopg

    from schema_audit.model import quote_ident

    names = [
        "a", "_", "_x1", "abc_1", "$a", "1a", "9", "", "A", "aB", "ab C", "a-b",
        "a.b", 'a"b', "café", "é", "a\nb", "a\n", "\na", "a ", " a", "select", "user", "json",
        "abort", "between", "left", "interval", "order", "t00999_c12_idx", "x" * 63, "z9_",
        "a$b", "a$", "s$1", "$",
    ]  # fmt: skip
    with psycopg.connect(make_db("quote")) as conn:
        server = [
            row[0]
            for row in conn.execute("SELECT quote_ident(n) FROM unnest(%s::text[]) n", [names])
        ]
    assert [quote_ident(name) for name in names] == server
