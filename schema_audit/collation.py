"""A column's collation, named the way PostgreSQL resolves it, in one spelling for every source.

``COLLATE ci`` and ``COLLATE s.ci`` are different collations when both ``public.ci`` and
``s.ci`` exist, so the model keeps the schema (``pg_collation.collnamespace``) of any
collation a reader could not reach without it. The model's spelling:

* bare (``C``, ``und-x-icu``, ``ci``) for a collation in ``pg_catalog``, or in ``public``
  (the schema every source resolves unqualified names into) unless that name is also a
  built-in one of ``pg_catalog``, which an unqualified ``COLLATE`` would reach first; a
  bare name with a dot is quoted (``"en_US.utf8"``) so it never reads as schema.name;
* ``schema.name`` otherwise, each part quoted as ``quote_ident`` would (``s."Mixed"``).

A spec's ``collation:`` is read the way ``COLLATE`` reads it: unqualified is pg_catalog's
or public's (``ci`` is not ``s.ci``), qualified must name the schema. Collation names may
contain dots (``en_US.utf8``), so an unquoted dotted spelling is read both ways and two
spellings are equal only when a reading is shared.
"""

from __future__ import annotations

from schema_audit.ident import split_qualified
from schema_audit.model import quote_ident

# Collations every PostgreSQL database has in pg_catalog (whatever the locales installed):
# a public collation of one of these names is reached only qualified.
BUILTIN = frozenset({"default", "C", "POSIX", "ucs_basic", "unicode"})
HOME = "public"


def model_name(schema: str | None, name: str) -> str:
    """The model's spelling of collation ``schema.name`` (schema None: unqualified, as written)."""
    if schema in (None, "pg_catalog") or (schema == HOME and name not in BUILTIN):
        return quote_ident(name) if "." in name or '"' in name else name
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def readings(text: str | None) -> frozenset[tuple[str | None, str]]:
    """The (schema, name) pairs a spelling may mean; schema None is pg_catalog or public.
    Empty for no collation (``None``, ``""``, ``default``)."""
    if not text or not text.strip():
        return frozenset()
    text = text.strip()
    out = set()
    parts = split_qualified(text, fold=False)
    if parts is not None and len(parts) in (1, 2):
        out.add(_reading(parts))
    if '"' not in text:
        out.add((None, text))  # a bare name with dots: en_US.utf8
    out.discard((None, "default"))
    return frozenset(out)


def same(a: str | None, b: str | None) -> bool:
    """Whether two spellings can name one collation (no collation equals only no collation)."""
    ra, rb = readings(a), readings(b)
    return ra == rb if not ra or not rb else bool(ra & rb)


def _reading(parts: list[str]) -> tuple[str | None, str]:
    if len(parts) == 1:
        return None, parts[0]
    schema, name = parts
    if schema == "pg_catalog" or (schema == HOME and name not in BUILTIN):
        return None, name
    return schema, name
