"""The event reader of plain specs (spec.plainload) against the composing path it stands in for.

Composing a spec builds its whole YAML node graph before converting it; for init's
5,000-table spec that graph was most of an audit's peak memory. A plain spec is read
straight from libyaml's events instead, and must give exactly what composing and
converting gives (data, key order, every key's position); anything it does not read
(anchors, tags, merge keys, ``${VAR}``, errors, limits) falls back to the composing
path, which words every problem.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from schema_audit.spec.load import SpecError, load_spec
from schema_audit.spec.plainload import load_plain
from schema_audit.spec.yamlpos import as_mark, compose, convert

ROOT = Path(__file__).resolve().parent.parent
# the fixtures' specs are plain; the B0.3 spec shares blocks through anchors (composed)
PLAIN_SPECS = sorted((ROOT / "tests" / "fixtures").glob("*_spec.yaml"))
B03 = ROOT / "specs" / "backend_guide_b03.yaml"

MIXED = """\
name: "mixed: quoted"
date: 2024-05-06
defaults: {schema: public, severity: high}
settings:
  tenant_column: tenant_id
  n: 12
  f: 1.5
  h: 0x1F
  flag: yes
  off: Off
  nothing: ~
  empty:
  when: 2024-05-06 07:08:09
tables:
  "Quoted.Name":
    columns:
      id: {type: bigint, nullable: false}
      note: |
        two
        lines
      'it''s': {type: text}
    indexes:
      - columns: [a, "b c", 3]
      - {columns: [x], where: "x > 0"}
    checks: []
  1: {}
  true: {}
  null: {}
  2.5: {}
list_of_lists: [[1, 2], [], {}, [a, [b, {c: d}]]]
"""


def _composed(text: str, file: str = "spec.yaml"):  # type: ignore[no-untyped-def]
    return convert(compose(text, file), file, {})


def _same(text: str) -> None:
    plain = load_plain(text, "spec.yaml", 10_000_000, 64)
    assert plain is not None, "expected a plain document"
    composed = _composed(text)
    assert plain.data == composed.data
    assert list(plain.data) == list(composed.data)  # key order too
    assert list(plain.marks) == list(composed.marks)
    assert {k: as_mark(v) for k, v in plain.marks.items()} == {
        k: as_mark(v) for k, v in composed.marks.items()
    }


@pytest.mark.parametrize("path", PLAIN_SPECS, ids=lambda p: p.name)
def test_every_plain_fixture_spec_reads_the_same_as_composed(path: Path) -> None:
    _same(path.read_text())


def test_a_spec_with_anchors_is_composed_and_loads_as_before() -> None:
    assert load_plain(B03.read_text(), str(B03), 10_000_000, 64) is None
    assert len(load_spec(B03).requirements) > 100


def test_scalars_keys_and_nesting_read_the_same_as_composed() -> None:
    _same(MIXED)


def _init_like(tables: int) -> str:
    """A spec shaped like init's: every table's columns, indexes and grants by name."""
    out = ["name: big", "defaults: {schema: public}", "tables:"]
    for t in range(tables):
        out += [f"  t{t:05d}:", "    primary_key: [id]", "    columns:"]
        out += [f"      c{c:02d}: {{type: bigint, nullable: false}}" for c in range(20)]
        out += ["    indexes:"]
        out += [
            f"      - {{name: t{t:05d}_i{i}, columns: [c{i:02d}, c{i + 1:02d}]}}" for i in range(4)
        ]
    return "\n".join(out) + "\n"


def test_a_large_init_like_spec_reads_the_same_as_composed() -> None:
    _same(_init_like(50))


@pytest.mark.parametrize(
    "text",
    [
        "name: a\nx: &a {b: 1}\ny: *a\n",  # anchors and aliases
        "name: a\nbase: &b {k: 1}\nx: {<<: *b, j: 2}\n",  # merge keys
        "name: a\nx: !!str 12\n",  # explicit tags
        "name: a\nx: !custom 12\n",
        "name: a\nx: !!set {a, b}\n",
        "name: ${NAME}\n",  # variables
        'name: "\\x24{NAME}"\n',  # a variable spelled with an escape
        "name: a\nvars: {X: 1}\n",
        "name: a\nextends: base.yaml\n",
        "name: a\nname: b\n",  # a duplicate key (worded by the composing path)
        "name: a\n2024-01-02: x\n",  # a date key (str() of a date there)
        "name: a\n? [x, y]\n: z\n",  # a complex key
        "name: a\nx: =\n",  # a value-tag scalar
        "- a\n- b\n",  # not a mapping
        "",  # no document
        "name: a\n---\nname: b\n",  # two documents
        "name: a\nx: [unclosed\n",  # a syntax error
    ],
)
def test_anything_but_a_plain_document_takes_the_composing_path(text: str) -> None:
    assert load_plain(text, "spec.yaml", 10_000_000, 64) is None


def test_limits_send_the_document_to_the_composing_path_which_words_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "name: deep\ndescription: " + "[" * 70 + "]" * 70 + "\n"
    assert load_plain(text, "spec.yaml", 10_000_000, 64) is None
    assert load_plain(text, "spec.yaml", 10_000_000, 80) is not None
    assert load_plain(_init_like(2), "spec.yaml", 100, 64) is None
    spec = tmp_path / "spec.yaml"
    spec.write_text(_init_like(2))
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")
    monkeypatch.setenv("SCHEMA_AUDIT_SPEC_MAX_NODES", "100")
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    assert "more than 100 YAML nodes" in str(caught.value)


def test_a_plain_spec_loads_without_its_node_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Peak memory of loading a 200-table init-like spec: the node graph (two marks and a
    node object per scalar) was about three times the data; read from events, the peak
    is the data, the positions and the requirements built from them."""
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")
    spec = tmp_path / "spec.yaml"
    spec.write_text(_init_like(200))
    load_spec(spec)  # imports and registries outside the measurement
    composed = _composed(spec.read_text())
    tracemalloc.start()
    try:
        located_peak = _peak(lambda: _composed(spec.read_text()))
        loaded_peak = _peak(lambda: load_spec(spec))
    finally:
        tracemalloc.stop()
    assert len(composed.marks) > 15_000
    assert loaded_peak < 0.7 * located_peak, (loaded_peak, located_peak)


def _peak(work) -> int:  # type: ignore[no-untyped-def]
    tracemalloc.reset_peak()
    start = tracemalloc.get_traced_memory()[0]
    work()
    return tracemalloc.get_traced_memory()[1] - start


# scalars starting with every character an implicit type may start with, and others
RESOLVED = [
    "", "~", "null", "Null", "NULL", "nil", "yes", "Yes", "no", "NO", "on", "Off", "y", "n",
    "true", "True", "false", "tru", "o", "one", "0", "12", "-3", "+4", "0x1F", "0o17",
    "1_000", "1:20", "1.5", "-.inf", ".NaN", ".5", ".", "2024-05-06", "2024-05-06 07:08:09",
    "1e3", "<<", "=", "!x", "&x", "*x", "text", "bigint", "ApiToken", "t00001", "_x",
    "é", "1 2", "- a", "timestamp with time zone",
]  # fmt: skip


@pytest.mark.parametrize("style", ["plain", "single", "double"])
def test_the_cheaper_tag_lookup_agrees_with_pyyaml_resolve(style: str) -> None:
    """Plain scalars that start no implicit type are strings without a regular expression
    (the rest resolved once per text): the tag must be PyYAML's own for every one."""
    import yaml

    from schema_audit.spec.plainload import _tag_of
    from schema_audit.spec.yamlpos import _LOADER

    quote = {"plain": "", "single": "'", "double": '"'}[style]
    values = [
        v for v in RESOLVED if quote or (v and v[0] not in "!&*")
    ]  # those plain would misread
    body = "".join(f"- {quote}{v}{quote}\n" for v in values)
    loader = _LOADER(body)
    tag_of = _tag_of(loader)
    seen = 0
    while loader.check_event():
        event = loader.get_event()
        if isinstance(event, yaml.ScalarEvent):
            seen += 1
            want = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            assert tag_of(event) == want, event.value
            assert tag_of(event) == want, event.value  # the remembered answer too
    loader.dispose()
    assert seen == len(values)
