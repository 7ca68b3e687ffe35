"""Fuzzing the spec loader: any YAML gives a Spec or a clean SpecError with positions, never a crash."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema_audit.spec.load import SpecError, load_spec

KEYS = [
    "name",
    "tables",
    "columns",
    "type",
    "nullable",
    "indexes",
    "policies",
    "questions",
    "requirements",
    "id",
    "severity",
    "rls",
    "enabled",
    "references",
    "columns",
    "unique",
    "where",
    "x-a",
    "probes",
    "kind",
    "waivers",
    "reason",
    "requirement",
    "expires",
    "defaults",
    "schema",
    "exit_gates",
    "criterion",
    "forbidden_columns",
    "pattern",
    "privileges",
    "roles",
    "deny",
    "triggers",
    "events",
    "timing",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from(["", "uuid", "high", "ALL", "t(a)", "tables.*", "[", "{x", "- a"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=25,
)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)
LINE = re.compile(r"^.+:\d+(:\d+)?: |^.+: (spec file not found|YAML)")


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(documents)
def test_random_structures_never_crash(tmp_path: Path, document: dict) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(document))
    try:
        spec = load_spec(path)
    except SpecError as exc:
        assert exc.problems, document
        for problem in exc.problems:
            assert problem.startswith(str(path)) or problem.startswith("…"), problem
    else:
        assert spec.name == document["name"]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=st.sampled_from(list("abc:- {}[]&*!|>'\"#\n\t%@`,?")), max_size=80))
def test_random_text_never_crashes(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text)
    try:
        load_spec(path)
    except SpecError as exc:
        assert all(p.startswith(str(path)) or p.startswith("…") for p in exc.problems), exc.problems
