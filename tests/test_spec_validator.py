"""Large specs load fast and still fail exactly as before (issue 19).

The loader asks a validator compiled from the spec schema (spec.validator) and runs
jsonschema only to word the errors of an invalid spec. A compiled validator that
accepted what jsonschema rejects would let a typo pass silently, so both are held to the
same verdict on every spec in the repository and on thousands of seeded mutations of
them; and a 30,000-requirement spec with one mistake deep inside still names its
file:line:column and key, exit 2.
"""

from __future__ import annotations

import copy
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from schema_audit.spec.load import load_spec
from schema_audit.spec.schema import SPEC_SCHEMA
from schema_audit.spec.validator import compile_schema
from schema_audit.spec.yamlpos import load_file

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Draft202012Validator(SPEC_SCHEMA)
COMPILED = compile_schema(SPEC_SCHEMA)


def corpus() -> list[Any]:
    """Every spec document in the repository (specs/, docs and test fixtures)."""
    docs = []
    for path in sorted([*ROOT.glob("specs/**/*.yaml"), *ROOT.glob("tests/**/*.yaml")]):
        try:
            data = load_file(path).data
        except Exception:
            continue
        if isinstance(data, dict) and ("tables" in data or "spec_version" in data):
            docs.append(data)
    assert len(docs) >= 5
    return docs


ODD_VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 1.0, 2.5, "", "x", "high", "CASCADE", "SELECT", "table",
    [], [None], ["a"], [1], [{}], {}, {"zz": 1}, {"columns": ["a"]}, {"type": "text"},
]  # fmt: skip


def paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += paths(item, (*here, index))
    return out


def values_by_key(docs: list[Any]) -> dict[Any, list[Any]]:
    """Values seen under each key name anywhere: plausible (often valid) replacements."""
    seen: dict[Any, list[Any]] = {}
    for doc in docs:
        for path in paths(doc):
            if path and isinstance(path[-1], str):
                seen.setdefault(path[-1], []).append(get(doc, path))
    return seen


def get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def mutate(doc: Any, rng: random.Random, plausible: dict[Any, list[Any]]) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(rng.choice((1, 1, 2, 3))):
        places = paths(doc)[1:]
        if not places:
            break
        path = rng.choice(places)
        parent, last = get(doc, path[:-1]), path[-1]
        move = rng.random()
        if move < 0.45 and isinstance(last, str) and plausible.get(last):
            parent[last] = copy.deepcopy(rng.choice(plausible[last]))
        elif move < 0.75:
            parent[last] = copy.deepcopy(rng.choice(ODD_VALUES))
        elif move < 0.85 and isinstance(parent, dict):
            del parent[last]
        elif isinstance(parent, dict):
            parent[rng.choice([*plausible, "zz_unknown"])] = copy.deepcopy(rng.choice(ODD_VALUES))
        else:
            parent.append(copy.deepcopy(rng.choice(parent)))
    return doc


def test_compiled_validator_agrees_with_jsonschema_on_every_spec_and_mutation() -> None:
    docs = corpus()
    plausible = values_by_key(docs)
    rng = random.Random(19)
    verdicts = {True: 0, False: 0}
    for doc in docs:
        assert COMPILED(doc) == REFERENCE.is_valid(doc)
    for _ in range(3000):
        variant = mutate(rng.choice(docs), rng, plausible)
        expected = REFERENCE.is_valid(variant)
        assert COMPILED(variant) == expected, (expected, variant)
        verdicts[expected] += 1
    assert verdicts[True] > 300 and verdicts[False] > 300, verdicts  # both sides exercised


@pytest.mark.parametrize(
    "schema, good, bad",
    [
        ({"type": "integer"}, [1, 2.0, -5], [True, 1.5, "1", None]),
        ({"type": "number"}, [1, 2.5], [False, "2"]),
        ({"enum": [1, "a", None]}, [1, 1.0, "a", None], [True, "b", 2]),
        ({"const": False}, [False], [0, None, "false"]),
        ({"pattern": "^a"}, ["abc", 5, None], ["ba"]),
        ({"propertyNames": {"pattern": "^[a-z]+$"}}, [{"ab": 1}, []], [{"A": 1}]),
        (
            {"patternProperties": {"^x": {"type": "string"}}, "additionalProperties": False},
            [{"xa": "s"}, {}],
            [{"xa": 1}, {"y": "s"}],
        ),
        ({"oneOf": [{"type": "string"}, {"enum": ["a"]}]}, ["b"], ["a", 1]),
        ({"required": ["a"]}, [{"a": None}, "not an object"], [{}]),
        (
            {
                "$defs": {
                    "node": {"type": "object", "properties": {"k": {"$ref": "#/$defs/node"}}}
                },
                "$ref": "#/$defs/node",
                "required": ["k"],
            },
            [{"k": {}}, {"k": {"k": {"k": {}}}}],
            [{}, {"k": 1}, {"k": {"k": []}}],
        ),
        ({"allOf": [{"type": "string"}, {"not": {"enum": ["x"]}}]}, ["y"], ["x", 1]),
        # type and the object / array keywords checked in one closure
        (
            {"type": "object", "properties": {"a": {"type": "string"}}},
            [{}, {"a": "s"}, {"b": 1}],
            [[], "x", None, 1, {"a": 1}],
        ),
        (
            {
                "type": "object",
                "properties": {"a": {}},
                "additionalProperties": False,
                "required": ["a"],
            },
            [{"a": 1}],
            [{}, ["a"], "a", {"a": 1, "b": 2}],
        ),
        ({"properties": {"a": {"type": "string"}}}, [{}, [], "x", None], [{"a": 1}]),
        ({"type": "array", "items": {"type": "string"}}, [[], ["a"]], [{}, "a", None, [1]]),
        ({"items": {"type": "string"}}, [[], "a", {}], [[1]]),
        (
            {"type": ["object", "null"], "additionalProperties": {"type": "integer"}},
            [None, {}, {"a": 1}],
            [[], "x", {"a": "b"}],
        ),
    ],
)
def test_keyword_meanings_match_jsonschema(schema: Any, good: list[Any], bad: list[Any]) -> None:
    check, reference = compile_schema(schema), Draft202012Validator(schema)
    for value in good:
        assert reference.is_valid(value) and check(value), value
    for value in bad:
        assert not reference.is_valid(value) and not check(value), value


def test_a_keyword_the_compiler_does_not_know_is_refused() -> None:
    with pytest.raises(ValueError, match="minItems"):
        compile_schema({"type": "array", "minItems": 1})


def large_spec(tables: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"spec_version": 1, "name": "large", "tables": {}}
    for t in range(tables):
        columns = {f"c{c:02d}": {"type": "text", "nullable": c % 2 == 0} for c in range(26)}
        spec["tables"][f"t{t:05d}"] = {
            "columns": columns,
            "primary_key": ["c00"],
            "indexes": [{"columns": ["c01"]}, {"columns": ["c02", "c03"], "unique": True}],
        }
    return spec


def python(*args: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter (cold: nothing imported, no spec cache)."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "SCHEMA_AUDIT_CACHE": "0"},
    )


def dump(spec: dict[str, Any]) -> str:
    """libyaml's emitter when present (the pure-Python one takes seconds for 1,000 tables)."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(spec, Dumper=dumper, sort_keys=False, width=200)


def test_a_mistake_deep_in_a_30000_requirement_spec_names_its_line(tmp_path: Path) -> None:
    spec = large_spec(1000)
    spec["tables"]["t00777"]["columns"]["c05"]["nullable"] = "sometimes"
    spec["tables"]["t00998"]["indexes"][1]["uniqe"] = True
    text = dump(spec)
    lines = text.splitlines()
    start = lines.index("  t00777:")
    c05 = lines.index("      c05:", start)
    nullable = next(i for i in range(c05, len(lines)) if "nullable: sometimes" in lines[i])
    uniqe = lines.index("      uniqe: true", lines.index("  t00998:"))
    path = tmp_path / "large.yaml"
    path.write_text(text)

    out = python("-m", "schema_audit.cli", "validate-spec", str(path))
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    problems = [line.strip() for line in out.stderr.splitlines() if str(path) in line]
    assert problems == [
        f"schema-audit: {path}:{nullable + 1}:9: tables.t00777.columns.c05.nullable: expected boolean, got string",
        f"schema-audit: {path}:{uniqe + 1}:7: tables.t00998.indexes[1].uniqe: unknown key 'uniqe' "
        "(did you mean 'unique'?)",
    ], out.stderr


def test_a_valid_large_spec_never_runs_the_generic_validator(tmp_path: Path) -> None:
    """jsonschema (per-node validation, ~10x slower) is imported only to word errors."""
    path = tmp_path / "large.yaml"
    path.write_text(dump(large_spec(1000)))
    probe = (
        "import sys; from schema_audit.spec.load import load_spec; "
        f"spec = load_spec({str(path)!r}); "
        "print(len(spec.requirements), 'jsonschema' in sys.modules)"
    )
    out = python("-c", probe)
    assert out.returncode == 0, out.stderr
    count, imported = out.stdout.split()
    assert int(count) >= 30000
    assert imported == "False"
    assert load_spec(path).requirements  # and in-process, through the same path
