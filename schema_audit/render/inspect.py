"""The schema model a source yields, as the JSON ``schema-audit inspect`` prints.

Keys sorted, so two reads of the same schema print the same bytes.
"""

from __future__ import annotations

import json

from schema_audit.model import to_data
from schema_audit.sources.select import LoadedSource


def json_text(source: LoadedSource, *, indent: int | None = None) -> str:
    """The source (kind, target, layout) and its model; compact unless ``indent`` is given."""
    return (
        json.dumps(
            {
                "source": {"kind": source.kind, "target": source.target, "layout": source.layout},
                "model": to_data(source.model),
            },
            indent=indent,
            ensure_ascii=False,
            sort_keys=True,
        )
        + "\n"
    )
