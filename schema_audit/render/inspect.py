"""The schema model a source yields, as the JSON ``schema-audit inspect`` prints.

Keys sorted, so two reads of the same schema print the same bytes. Encoded in C from the
model's dataclasses (render.jsonenc: the bytes of ``json.dumps(to_data(...),
ensure_ascii=False, sort_keys=True)`` without the millions of ``to_data`` calls).
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_audit.model import SchemaModel
from schema_audit.render import jsonenc
from schema_audit.sources.select import LoadedSource


def prepare() -> None:
    """Decide now, for each class of the model, whether msgspec writes it as ``json.dumps``
    does (``jsonenc``'s per-class verdicts: the annotations of 28 classes evaluated,
    ≈ 0.013 CPU s). ``inspect`` asks before its read, where this process has time to spare
    (a long static read waits on its parsing child, a live one on the server); asked by
    the first piece of the JSON, after the read, it was on the way of the model's JSON (as
    was importing ``forkjob``, which forks the JSON's child)."""
    jsonenc.decide_exact(SchemaModel)
    from schema_audit import forkjob  # noqa: F401 - the JSON's child, forked after the read


def json_chunks(source: LoadedSource, *, indent: int | None = None) -> Iterator[bytes]:
    """The source (kind, target, layout) and its model as UTF-8 pieces, newline-terminated;
    compact unless ``indent`` is given. At 5,000 tables the text is ~58 MB: written piece by
    piece it is never held whole (issue 19)."""
    document = {
        "source": {"kind": source.kind, "target": source.target, "layout": source.layout},
        "model": source.model,
    }
    # the later half of the tables encoded on the second core meanwhile (forkjob)
    yield from jsonenc.chunks(document, indent=indent, sort_keys=True, ahead=True)
    yield b"\n"


def json_text(source: LoadedSource, *, indent: int | None = None) -> str:
    """:func:`json_chunks` as one string."""
    return b"".join(json_chunks(source, indent=indent)).decode("utf-8")
