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


# init's waivers are all exact ids: apply_waivers keeps only the positions of the ids they
# name; with any glob among them it keeps every id's, as before. Both must answer alike.
EXACT = [
    "tables.tenants",
    "tables.tenants.columns.id",  # repeated in IDS: matched twice, the last one's position
    "rules.SEC007.public.f(a text[], b text[])",  # brackets are literal
    "rules.PERF001.public.t1.t1_parent_id_fkey",
    "missing",
]


def test_the_exact_waivers_index_answers_as_the_whole_one() -> None:
    from schema_audit.audit.waivers import _matcher

    ids = [*IDS, "tables.tenants", "tables.users"]  # repeats after other ids too
    exact_position, exact_match = _matcher(ids, EXACT)
    whole_position, whole_match = _matcher(ids, [*EXACT, "nothing*"])  # a glob: every id
    assert len(whole_position) == len(set(ids)) > len(exact_position)
    for pattern in EXACT:
        assert exact_match(pattern) == whole_match(pattern) == match_ids(pattern, ids)
        assert [exact_position[i] for i in exact_match(pattern)] == [
            whole_position[i] for i in whole_match(pattern)
        ]
    assert exact_match("tables.tenants") == ["tables.tenants"] * 2
    assert exact_position["tables.tenants"] == len(IDS)  # the last of the id
