"""The schema model a source yields, as the JSON ``schema-audit inspect`` prints.

Keys sorted, so two reads of the same schema print the same bytes. Encoded in C from the
model's dataclasses (render.jsonenc: the bytes of ``json.dumps(to_data(...),
ensure_ascii=False, sort_keys=True)`` without the millions of ``to_data`` calls).
"""

from __future__ import annotations

from schema_audit.render import jsonenc
from schema_audit.sources.select import LoadedSource


def json_text(source: LoadedSource, *, indent: int | None = None) -> str:
    """The source (kind, target, layout) and its model; compact unless ``indent`` is given."""
    document = {
        "source": {"kind": source.kind, "target": source.target, "layout": source.layout},
        "model": source.model,
    }
    return jsonenc.dumps(document, indent=indent, sort_keys=True) + "\n"
