"""IdIndex answers every pattern exactly as match_ids does (issue 19: waivers by lookup).

``apply_waivers`` uses the index so that init's thousands of exact-id waivers cost a
dictionary lookup each instead of a scan of every finding id; the report must not change,
so the index must return the same ids, in the same order, with the same repetitions.
"""

from __future__ import annotations

import pytest

from schema_audit.spec.model import IdIndex, match_ids

IDS = [
    "tables.tenants",
    "tables.tenants.columns.id",
    "tables.tenants.columns.id",  # an id may repeat (several findings of one requirement)
    "tables.users",
    "rules.SEC007.public.f(a text[], b text[])",
    "rules.PERF001.public.t1.t1_parent_id_fkey",
    "odd*id",
    "odd?x",
]


@pytest.mark.parametrize(
    "pattern",
    [
        "tables.tenants",
        "tables.tenants.columns.id",
        "tables.tenants.*",
        "tables.*",
        "tables.user?",
        "rules.SEC007.public.f(a text[], b text[])",
        "rules.SEC007.*[]*",
        "rules.PERF001.*",
        "odd*id",
        "odd*",
        "odd?x",
        "missing",
        "missing.*",
        "*",
    ],
)
def test_index_matches_like_match_ids(pattern: str) -> None:
    assert IdIndex(IDS).match(pattern) == match_ids(pattern, IDS)


def test_exact_repeated_id_keeps_its_repetitions() -> None:
    assert IdIndex(IDS).match("tables.tenants.columns.id") == ["tables.tenants.columns.id"] * 2


DISTINCT = list(dict.fromkeys(IDS))


@pytest.mark.parametrize(
    "pattern", ["tables.tenants", "tables.tenants.columns.id", "tables.*", "odd*id", "missing", "*"]
)
def test_a_keyed_index_of_distinct_ids_matches_like_match_ids(pattern: str) -> None:
    """apply_waivers hands over its id -> last position dictionary: with no id repeated,
    nothing is counted, and the answers are the same."""
    positions = {i: n for n, i in enumerate(DISTINCT)}
    index = IdIndex(DISTINCT, positions)
    assert index.counts is None
    assert index.match(pattern) == match_ids(pattern, DISTINCT)


def test_a_keyed_index_with_repeated_ids_still_counts_them() -> None:
    positions = {i: n for n, i in enumerate(IDS)}  # fewer keys than ids: some repeat
    index = IdIndex(IDS, positions)
    assert index.counts is not None
    assert index.match("tables.tenants.columns.id") == ["tables.tenants.columns.id"] * 2
