"""The differences between two sources as text: one line per object, or JSON.

Each side of a difference is the object's SQL text (JSON: null when the object is not on
that side); the terminal form ends with the count and both sources named.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from schema_audit.modeldiff import Difference
from schema_audit.render.terminal import printable_lines
from schema_audit.sources.select import LoadedSource


def json_text(left: LoadedSource, right: LoadedSource, differences: Sequence[Difference]) -> str:
    """Both sources and every difference, as an indented JSON document."""
    return (
        json.dumps(
            {
                "left": {"kind": left.kind, "target": left.target},
                "right": {"kind": right.kind, "target": right.target},
                # each side as SQL text; null: the object is not on that side
                "differences": [d.to_data() for d in differences],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


def terminal(left: LoadedSource, right: LoadedSource, differences: Sequence[Difference]) -> str:
    """One line per difference, then how many and between what."""
    return (
        printable_lines("".join(f"{d}\n" for d in differences))
        + f"{len(differences)} difference(s) between {left.kind} {left.target} and "
        f"{right.kind} {right.target}\n"
    )
