"""The line reader of block specs (spec.blockread) against the event reader it stands in for.

Reading init's 5,000-table spec from libyaml's events cost about 4 CPU s; the line
reader reads the block YAML init writes (and people write) with string methods. It
must give exactly what ``plainload.load_plain`` gives — the same values, types, key
order and every key's and item's position — or ``None``, after which the previous
readers take the whole file and word every error. Compared here on every YAML file of
the repository, on the specs ``init`` writes, on generated documents and on generated
damage to them; and the errors a spec can hold still read as before.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import generate
from typer.testing import CliRunner

from schema_audit.cli import app
from schema_audit.spec import yamlwrite
from schema_audit.spec.blockread import read_block
from schema_audit.spec.load import SpecError, _build, load_spec, validate
from schema_audit.spec.model import Spec
from schema_audit.spec.plainload import load_plain
from schema_audit.spec.yamlpos import as_mark

ROOT = Path(__file__).resolve().parent.parent
YAML_FILES = sorted(
    p
    for pattern in ("*.yaml", "*.yml")
    for p in ROOT.rglob(pattern)
    if not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
)
LIMIT_NODES, LIMIT_DEPTH = 10_000_000, 64


def _typed(value: Any) -> Any:
    """The value with every scalar's type beside it (``1 == True`` and ``1 == 1.0`` in Python)."""
    if isinstance(value, dict):
        return ("map", [(k, _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [_typed(v) for v in value])
    return (type(value).__name__, value)


def _agrees(text: str) -> bool:
    """Whether the line reader gives what the event reader gives (True when it read the
    text, False when it left it to the event reader); fails on any difference."""
    block = read_block(text, "spec.yaml", LIMIT_NODES, LIMIT_DEPTH)
    events = load_plain(text, "spec.yaml", LIMIT_NODES, LIMIT_DEPTH)
    if block is None:
        return False
    assert events is not None, "read a document the event reader does not take"
    assert _typed(block.data) == _typed(events.data)
    every = block.all_marks()  # stored, and derived inside flow collections
    assert list(every) == list(events.marks)
    for path, raw in events.marks.items():
        assert as_mark(every[path]) == as_mark(raw), path
        assert as_mark(block.position(path)) == as_mark(raw), path
    for path in events.marks:  # the wording the builder and the validator print
        assert block.where(path) == events.where(path)
        for more in ("x", 0, 7):  # no such key or item: the nearest ancestor's position
            assert block.where((*path, more)) == events.where((*path, more))
    return True


def _as_built(spec: Spec) -> dict[str, Any]:
    """The spec as data, each requirement's and waiver's place as its ``location`` text (what findings and
    reports print): the line reader keeps a packed position where the event reader may keep
    the text, and either is the same place."""
    data = dataclasses.asdict(spec)
    reqs = [*spec.requirements, *(t for s in spec.selectors for t in s.templates)]
    rows = [*data["requirements"], *(t for s in data["selectors"] for t in s["templates"])]
    places = [*reqs, *spec.waivers]
    for item, row in zip(places, [*rows, *data["waivers"]], strict=True):
        row["location"] = item.location
        del row["at"], row["file"]
    return data


def _builds_the_same(text: str) -> bool:
    """Whether the spec built from the line reader's document is the one built from the
    event reader's (every requirement, selector template, waiver, question and gate, each
    location among them), or both refuse it in the same words; False when the text is no
    valid spec. The builder takes most positions from the line reader's per-collection
    lists (``Located.entries``) and the event reader's from its dictionary of paths."""
    block = read_block(text, "spec.yaml", LIMIT_NODES, LIMIT_DEPTH)
    events = load_plain(text, "spec.yaml", LIMIT_NODES, LIMIT_DEPTH)
    assert block is not None and events is not None
    try:
        validate(events)
    except SpecError:
        return False
    validate(block)
    built: list[Any] = []
    for located in (block, events):
        try:
            built.append(_as_built(_build(located, "spec.yaml", "sha")))
        except SpecError as exc:
            built.append(str(exc))
    assert built[0] == built[1]
    return True


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_of_the_repository_reads_the_same(path: Path) -> None:
    if _agrees(path.read_text()):
        _builds_the_same(path.read_text())


def test_the_repository_specs_in_block_style_are_read_by_lines() -> None:
    read = [p.name for p in YAML_FILES if _agrees(p.read_text())]
    assert {"auto_isolation_spec.yaml", "ledger_spec.yaml", "hostile_spec.yaml"} <= set(read)
    assert len(read) >= 20


INIT_LIKE = """\
# yaml-language-server: $schema=https://schema-audit.dev/spec.schema.json
spec_version: 1
name: Schema of postgresql://postgres@127.0.0.1:5432/app
defaults:
  schema: public
  severity: high

strict:
  tables: true
  schemas: [public]
  exactly: [columns, indexes]
settings: {tenant_column: tenant_id}
tables:
  # public.t00000: 3 columns, read from the live catalog
  t00000:
    columns:
      id: {type: bigint, nullable: false}
      amount: {type: 'numeric(12,2)', nullable: false, default: '0'}
      code: {type: character varying(32), nullable: true}   # a trailing comment
      'yes': {type: text, nullable: true}
      "quoted \\u00e9\\x41": {type: text}
      "on": {type: "it's", default: "a \\"b\\" \\\\ c"}
      1: {type: int, nullable: ~}
      2.5: {type: x}
      null: {}
      off: []
      tab: {type: 'a '' b', nullable: Yes}
    primary_key: [id]
    checks:
    - {name: t00000_amount_check, expression: '(amount >= (0)::numeric)'}
    indexes:
    - name: t00000_ix0
      columns: [created_at, 'c05 DESC', "x"]
      where: (c03 IS NOT NULL)
    -   name: spaced
        columns: []
    - name: nested
      include: {a: [1, {b: c}], d: {}}
    policies:
    - name: tenant_isolation
      using: (tenant_id = (current_setting('app.current_tenant_id'::text))::uuid)
      roles:
        - public
        - 0x1F
        - -3
        - 1_000
        - .inf
        - 2024-05-06
        - 2024-05-06 07:08:09
        - 0777
        - 1:20
        - a#b
waivers:
  - requirement: rules.PERF001.public.t00001.t00001_parent_id_fkey
    reason: 'present at init: PERF001 foreign-key-without-index: t00001_parent_id_fkey (parent_id) has no
      covering index; it''s folded'
    owner: a plain scalar
      folded over
      three lines
    expires: '2027-02-27'
  - requirement: x
    reason:
    owner:
empty:
"""


def test_init_like_block_yaml_reads_the_same() -> None:
    assert _agrees(INIT_LIKE)


AWKWARD = """\
name: awkward
defaults: {schema: app, severity: moderate}
strict:
  tables: true
  exactly: [columns, indexes]
match:
  tenant_tables:
    select: {has_column: tenant_id}
    severity: blocking
    require:
      rls: {enabled: true, forced: true}
      columns:
        tenant_id: {nullable: false}
      indexes:
      - columns: [tenant_id]
      exactly: [policies]
tables:
  plain:
    columns:
      id: {type: bigint}
      parent_id: {type: bigint, references: plain(id), on_delete: CASCADE}
      other_id:
        type: bigint
        references: other(id)
        severity: low
      noted: {type: text, id: custom.noted, description: why, impact: what}
    primary_key: id
    exactly: [checks]
    allow: [legacy]
    unique:
    - columns: [a, b]
    - {name: u_named, columns: [c]}
    checks: [{expression: (a > 0)}, {name: c2, expression: (b > 0)}]
    indexes:
    - columns: [a]
    -   name: ix_b
        columns: [b]
    policies:
    - {name: p, command: SELECT}
    triggers: []
    privileges:
    - {roles: [r], grant: [SELECT]}
  flowed: {columns: {a: {type: int}, b: {}}, primary_key: required, rls: {enabled: true}}
  other.qualified:
    columns:
      x:
  empty:
  app.with_schema: {schema: app, columns: {y: {type: int}}}
views:
  v: {indexes: [{columns: [a]}]}
  v2:
    indexes:
    - name: v2_ix
      columns: [b]
materialized_views:
  mv: {}
functions: {f(a integer): {}}
enums:
  mood: {values: [sad, happy]}
sequences: {s: {}}
schemas: {app: {}}
absent_tables: [gone, other.gone]
waivers:
- {requirement: tables.plain, reason: known}
questions:
- id: q1
  requirements: [tables.plain.columns.*, 'custom.noted']
exit_gates:
- {criterion: all, requirements: [tables.plain]}
"""


def test_awkward_specs_build_the_same_from_both_readers() -> None:
    """Flow-style tables, selectors, per-table and global exactly, unnamed items, ids of
    their own, foreign keys from columns, views, questions and gates: the same spec."""
    assert _agrees(AWKWARD)
    assert _builds_the_same(AWKWARD)
    duplicated = AWKWARD.replace("id: custom.noted", "id: tables.plain.columns.id")
    assert _agrees(duplicated)
    assert _builds_the_same(duplicated)  # both refuse it: duplicate requirement id


def test_init_specs_read_the_same(make_db: Any, tmp_path: Path) -> None:
    """init's own output on a database (the synthetic schema the benchmark uses)."""
    generated = generate(24)
    dsn = make_db("blockread", "\n".join(sql for _, sql in generated.files))
    spec = tmp_path / "init.yaml"
    result = CliRunner().invoke(app, ["init", "--dsn", dsn, "-o", str(spec)])
    assert result.exit_code == 0, result.output
    assert _agrees(spec.read_text())
    assert _builds_the_same(spec.read_text())


# -- generated documents --------------------------------------------------------

WORDS = [
    "a", "b c", "yes", "No", "on", "OFF", "y", "n", "null", "Null", "~", "true", "False",
    "0", "1", "-2", "+3", "0x1F", "0o17", "0777", "1_000", "1:20", "1.5", "-.5", "1e3",
    "6.02e+23", ".inf", "-.Inf", ".nan", "2024-05-06", "2024-05-06 07:08:09",
    "2024-05-06T07:08:09Z", "t00001", "bigint", "c05 DESC", "now()", "numeric(12,2)",
    "it's", 'say "hi"', "a: b", "a #b", "a#b", "#x", "- x", "-x", "[x]", "{x}", "x,y", "*a",
    "&b", "!t", "%p", "@q", "`r", "|", ">", "?", "?x", ":x", "x:", "é", "a  b", " lead",
    "trail ", "", "=", "<<", "(a >= (0)::numeric)", "\\", "a\\nb", "line\nbreak", "2025-13-01",
    "---", "...", "x" * 130, "word " * 30,
]  # fmt: skip
scalars = st.one_of(
    st.sampled_from(WORDS),
    st.booleans(),
    st.none(),
    st.integers(-(10**6), 10**6),
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=25).map(" ".join),
)
keys = st.one_of(
    st.sampled_from(WORDS[:40]), st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)
documents = st.dictionaries(keys, values, min_size=1, max_size=6).map(
    lambda d: {"name": "x", "tables": d}
)


def _written(data: dict[str, Any], how: int, width: int) -> str:
    if how == 0:
        return yamlwrite.dump(data, width=width, flow_style=None)
    if how == 1:
        return yamlwrite.dump(data, width=width, flow_style=False)
    return yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=width, indent=how, default_flow_style=None
    )


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents, st.integers(0, 4), st.sampled_from([40, 80, 120]))
def test_generated_documents_read_the_same(data: dict[str, Any], how: int, width: int) -> None:
    _agrees(_written(data, how, width))


DAMAGE = [": ", "#", " #", "'", '"', "''", " ", "  ", "-", "- ", "[", "]", "{", "}", ",", "\n",
          "\n  ", "\n\n", "&a ", "*a", "!!str ", "|", ">", "---", "...", "%", "\t", "\r", "\\",
          "x:", "? ", "<<: ", "${X}", "\ufeff", "\x85"]  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    documents,
    st.integers(0, 4),
    st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(DAMAGE), st.integers(0, 2)),
        min_size=1,
        max_size=3,
    ),
)
def test_damaged_documents_read_the_same_or_are_left_to_the_event_reader(
    data: dict[str, Any], how: int, damage: list[tuple[float, str, int]]
) -> None:
    text = _written(data, how, 80)
    for where, piece, action in damage:
        at = int(where * len(text))
        if action == 0:
            text = text[:at] + piece + text[at:]
        elif action == 1:
            text = text[:at] + text[at + 1 :]
        else:
            start = text.rfind("\n", 0, at) + 1
            text = text[:start] + " " + text[start:]
    _agrees(text)


def test_init_like_damage_is_caught() -> None:
    """Hand-picked damage to init-like text: each either reads the same or falls back."""
    lines = INIT_LIKE.split("\n")
    for index in range(len(lines)):
        for change in (" ", "  ", "- ", "#"):
            damaged = lines[:index] + [change + lines[index]] + lines[index + 1 :]
            _agrees("\n".join(damaged))
        _agrees("\n".join(lines[:index] + lines[index + 1 :]))


# -- errors are worded as before -------------------------------------------------

ERRORS = {
    "duplicate key": "name: a\ntables:\n  t: {}\n  t: {}\n",
    "duplicate flow key": "name: a\ntables:\n  t: {columns: {}, columns: {}}\n",
    "tab": "name: a\ntables:\n\tt: {}\n",
    "bad indentation": "name: a\ntables:\n  t:\n    columns: {}\n   other: {}\n",
    "alias": "name: a\nx: &a [1]\ntables: *a\n",
    "merge key": "name: a\nbase: &b {severity: high}\ntables:\n  t: {<<: *b, nope: 1}\n",
    "two documents": "name: a\n---\nname: b\n",
    "unknown key": "name: a\ntables:\n  t:\n    columns:\n      id: {type: bigint, nulable: false}\n",
    "wrong type": "name: a\ntables:\n  t:\n    columns:\n    - id\n",
    "bad date": "name: a\nwaivers:\n- {requirement: x, reason: y, expires: 2025-13-01}\n",
    "unclosed flow": "name: a\ntables: {t: {columns: {}}\n",
    "unclosed quote": "name: 'a\ntables: {}\n",
    "mapping in a value": "name: a: b\n",
    # positions inside one-line flow collections are worked out from their line when asked
    "wrong type in a flow": "name: a\ntables:\n  t:\n    columns:\n      id: {type: bigint, nullable: maybe}\n",
    "in a nested flow": "name: a\ntables:\n  t:\n    checks: [{name: c, expression: x}, {name: d, expression: [1]}]\n",
    "an item's flow": "name: a\ntables:\n  t:\n    indexes:\n    - {name: i, columns: [a, {b: c}]}\n",
    "a pattern in a flow": "name: a\ntables:\n  t: {}\nquestions:\n- {id: q, requirements: [tables.t, nope]}\n",
}  # fmt: skip


@pytest.mark.parametrize("case", ERRORS, ids=str)
def test_errors_keep_their_one_line_wording(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same SpecError as the readers before the line reader (file:line:column first),
    and the CLI's exit 2 without a traceback."""
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text(ERRORS[case])
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    now = str(caught.value)
    with monkeypatch.context() as before:
        before.setattr("schema_audit.spec.load.read_block", lambda *args: None)
        with pytest.raises(SpecError) as previously:
            load_spec(spec)
    assert now == str(previously.value)
    assert re.match(rf"{re.escape(str(spec))}:\d+:\d+: ", now), now
    result = CliRunner().invoke(app, ["audit", "-s", "spec.yaml", "--sql", str(tmp_path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert now.splitlines()[0].replace(str(spec), "spec.yaml") in result.output.replace("\n", "")


@pytest.mark.parametrize(
    ("limit", "value", "wording"),
    [("MAX_NODES", "100", "more than 100 YAML nodes"), ("MAX_DEPTH", "4", "nesting depth")],
)
def test_limits_leave_a_block_document_to_the_composing_path_which_words_them(
    limit: str, value: str, wording: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hostile spec is bounded whichever reader takes it: past a limit the line reader
    gives up and the composing path refuses the spec in one line."""
    assert read_block(INIT_LIKE, "spec.yaml", LIMIT_NODES, LIMIT_DEPTH) is not None
    assert read_block(INIT_LIKE, "spec.yaml", 100, LIMIT_DEPTH) is None
    assert read_block(INIT_LIKE, "spec.yaml", LIMIT_NODES, 4) is None
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")
    monkeypatch.setenv(f"SCHEMA_AUDIT_SPEC_{limit}", value)
    spec = tmp_path / "spec.yaml"
    spec.write_text(INIT_LIKE)
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    assert wording in str(caught.value)


def test_a_cached_spec_keeps_the_positions_inside_flow_collections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spec cache stores every position, the derived ones too: an error the builder
    finds after caching (a question pattern inside a flow list) reads the same from it."""
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "1")
    spec = tmp_path / "spec.yaml"
    spec.write_text(ERRORS["a pattern in a flow"])
    messages = []
    for _ in range(2):
        with pytest.raises(SpecError) as caught:
            load_spec(spec)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith(f"{spec}:5:36: questions[0] (q): 'nope' matches no requirement")


# -- what importing the reader costs ---------------------------------------------------


def test_the_unicode_check_is_compiled_only_for_a_text_that_is_not_ascii() -> None:
    """The reader's test for characters outside printable text spans all of Unicode: compiled
    at import it was 7-8 ms of every command that loads a spec (issue 19), for the ASCII
    specs init writes, which never use it. A fresh interpreter imports the reader without
    compiling it; reading a text that is not ASCII compiles it, and still refuses a control
    character or a YAML 1.1 line break there and reads printable text."""
    import subprocess
    import sys

    probe = (
        "import re, json\n"
        "from schema_audit.spec import blockread\n"
        "compiled = lambda: any(blockread._OUTSIDE_TEXT in k for k in re._cache)\n"
        "before = compiled()\n"
        "ascii_read = blockread.read_block('name: a\\n', 's.yaml', 1000, 50) is not None\n"
        "after_ascii = compiled()\n"
        "latin = blockread.read_block('name: caf\\u00e9\\n', 's.yaml', 1000, 50) is not None\n"
        "after_latin = compiled()\n"
        "print(json.dumps([before, ascii_read, after_ascii, latin, after_latin]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[false, true, false, true, true]"
    for bad in ("\x85", "\u2028", "\u2029", "\x07", "\ufeff"):
        assert read_block(f"name: caf\u00e9{bad}x\n", "s.yaml", LIMIT_NODES, LIMIT_DEPTH) is None
        _agrees(f"name: caf\u00e9{bad}x\n")


def test_an_ascii_text_is_refused_exactly_for_a_control_character_but_a_line_break() -> None:
    """An ASCII spec is checked a byte at a time (bytes.translate), not character by character
    against Unicode's tables (str.isprintable: a twentieth of reading init's spec): the same
    verdict for each of the 128 ASCII characters, in a key's value and after the last line."""
    for code in range(128):
        char = chr(code)
        printable = char == "\n" or char.isprintable()
        for text in (f"name: a{char}b\n", f"name: ab\n{char}"):
            read = read_block(text, "s.yaml", LIMIT_NODES, LIMIT_DEPTH)
            if not printable:
                assert read is None, repr(char)
            _agrees(text)


def test_a_repeated_one_line_mapping_is_one_mapping_checked_once(tmp_path: Path) -> None:
    """init writes most columns as one of a few ``{type: …, nullable: …}`` texts (23,910
    columns in 28 texts at 1,000 tables): each text is one mapping, shared by every line
    that writes it (nothing changes a document's mappings after reading), and the compiled
    validator checks it once per document."""
    text = (
        "spec_version: 1\nname: s\ntables:\n"
        "  a:\n    columns:\n      id: {type: bigint, nullable: false}\n"
        "  b:\n    columns:\n      id: {type: bigint, nullable: false}\n"
        "      x: {type: bigint, nullable: true}\n"
    )
    located = read_block(text, "s.yaml", 10_000, 64)
    assert located is not None
    tables = located.data["tables"]
    assert tables["a"]["columns"]["id"] is tables["b"]["columns"]["id"]
    assert tables["b"]["columns"]["x"] == {"type": "bigint", "nullable": True}
    assert located.data == load_plain(text, "s.yaml", 10_000, 64).data
    validate(located)
    # the memo lasts one check: the same mapping made invalid is refused next time
    tables["a"]["columns"]["id"]["nullable"] = "no"
    with pytest.raises(SpecError, match="nullable"):
        validate(located)
    spec = tmp_path / "s.yaml"
    spec.write_text(text)
    columns = [r for r in load_spec(spec).requirements if r.kind == "column"]
    assert [r.props for r in columns] == [
        {"type": "bigint", "nullable": False},
        {"type": "bigint", "nullable": False},
        {"type": "bigint", "nullable": True},
    ]


def test_a_line_the_reader_never_reaches_cannot_fail_the_document(tmp_path: Path) -> None:
    """The reader reads each distinct line ahead of its loop (eighteenth session); a
    multi-line quoted scalar's continuation line is never read as a line of its own, so
    whatever reading it ahead raises (here the flow reader's recursion on 1,500 nested
    brackets) must leave the document as it was: read, not an internal error."""
    spec = tmp_path / "spec.yaml"
    nested = "[" * 1500 + "x" + "]" * 1500
    spec.write_text(
        "spec_version: 1\nname: x\ntables:\n  t:\n"
        f"    description: 'start\n      k: {nested}\n      end'\n"
        "    columns:\n      id: {type: bigint}\n"
    )
    text = spec.read_text()
    block = read_block(text, "spec.yaml", LIMIT_NODES, LIMIT_DEPTH)
    assert block is not None
    assert block.data["tables"]["t"]["description"] == f"start k: {nested} end"
    assert _agrees(text) and _builds_the_same(text)
    result = CliRunner().invoke(app, ["validate-spec", str(spec)])
    assert result.exit_code == 0, result.output


def test_a_line_too_deep_for_the_line_reader_is_left_to_the_event_reader(tmp_path: Path) -> None:
    """1,500 nested brackets on a value line overflow the line reader's recursive flow
    reading; the document is then the event reader's, which refuses it with its positioned
    one-line error (exit 2), not an internal error."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "spec_version: 1\nname: x\ntables:\n  t:\n"
        f"    description: {'[' * 1500}x{']' * 1500}\n"
        "    columns:\n      id: {type: bigint}\n"
    )
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    assert str(caught.value).startswith(f"{spec}:5:"), str(caught.value)
    result = CliRunner().invoke(app, ["validate-spec", str(spec)])
    assert result.exit_code == 2
    assert "internal error" not in result.output
