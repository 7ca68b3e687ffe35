"""The differences between two sources as text: one line per object, or JSON.

Each side of a difference is the object's SQL text (JSON: null when the object is not on
that side); the terminal form ends with the count and both sources named. What a static
reading cannot decide (``audit``'s DEFERRED) is listed apart as undecided, with the
reason, and each side names the statements its static reading could not apply.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from schema_audit.modeldiff import Difference, Undecided
from schema_audit.render.plaintext import printable_lines
from schema_audit.sources.select import LoadedSource


def _side(source: LoadedSource) -> dict[str, object]:
    return {
        "kind": source.kind,
        "target": source.target,
        # statements the static reading could not apply: what they may change is undecided
        "unapplied_statements": [
            {"file": s.file, "line": s.line, "kind": s.kind, "reason": s.reason}
            for s in source.model.unapplied
        ],
    }


def json_text(
    left: LoadedSource,
    right: LoadedSource,
    differences: Sequence[Difference],
    undecided: Sequence[Undecided] = (),
) -> str:
    """Both sources, every difference and every undecided one, as an indented JSON document."""
    return (
        json.dumps(
            {
                "left": _side(left),
                "right": _side(right),
                # each side as SQL text; null: the object is not on that side
                "differences": [d.to_data() for d in differences],
                # the same, with "reason": what a static reading cannot decide (not drift)
                "undecided": [u.to_data() for u in undecided],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


def terminal(
    left: LoadedSource,
    right: LoadedSource,
    differences: Sequence[Difference],
    undecided: Sequence[Undecided] = (),
) -> str:
    """One line per difference, then each undecided one, then how many and between what."""
    text = "".join(f"{d}\n" for d in differences) + "".join(f"{u}\n" for u in undecided)
    summary = (
        f"{len(differences)} difference(s) between {left.kind} {left.target} and "
        f"{right.kind} {right.target}\n"
    )
    if undecided:
        summary += (
            f"{len(undecided)} undecided: the static reading cannot tell whether they differ "
            "(not counted as differences)\n"
        )
    for name, source in (("left", left), ("right", right)):
        if unapplied := source.model.statements_unapplied():
            summary += (
                f"{name}: {len(unapplied)} statement(s) could not be applied "
                "statically (listed in the JSON output)\n"
            )
    return printable_lines(text) + summary
