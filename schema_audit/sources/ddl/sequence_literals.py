"""``nextval('seq'::regclass)`` in a column default, as the catalog prints it.

regclass input resolves a bare name through the search_path when the default is made, and
the catalog keeps the sequence's OID: ``SET search_path = test, pg_catalog; ALTER TABLE ONLY
b ALTER COLUMN id SET DEFAULT nextval('b_seq'::regclass)`` (pg_dump's older form, PostgREST's
fixtures) is printed ``nextval('test.b_seq'::regclass)`` by a reader whose search_path is
public. The static reading kept ``'b_seq'``, so the default differed from the catalog's (a
false FAIL of `init --sql`'s spec, and of the privileges that follow a sequence's USAGE).
Here such a literal gets the schema the search_path finds the sequence in, when that is not
public (public's are printed bare, as written). :func:`sequence_key` is the same resolution for
the drops that ask which columns call a sequence (``dependents``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from schema_audit.ident import split_qualified
from schema_audit.model import qualify, quote_ident

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# a nextval call's literal as pglast prints it: nextval('s'), nextval(CAST('s' AS regclass)),
# nextval('s'::regclass) as written; its text holds no quote (a sequence name seldom does)
_LITERAL = re.compile(r"(\bnextval\(\s*(?:CAST\(\s*)?')([^']*)(')")


def resolved_nextval(interp: DdlInterpreter, text: str | None) -> str | None:
    """``text`` with each unqualified nextval literal naming the schema the search_path
    finds its sequence in, outside public; the same text otherwise (nothing parsed)."""
    if not text or "nextval" not in text:
        return text
    return _LITERAL.sub(lambda m: m.group(1) + _resolved(interp, m.group(2)) + m.group(3), text)


def _resolved(interp: DdlInterpreter, literal: str) -> str:
    parts = split_qualified(literal, fold=True)
    if not parts or len(parts) != 1:
        return literal  # qualified (or not a name): as written
    schema = _schema_on_path(interp, parts[0])
    if schema is None or schema in ("public", "pg_catalog"):
        return literal
    return f"{quote_ident(schema)}.{quote_ident(parts[0])}"


def sequence_key(interp: DdlInterpreter, literal: str) -> str | None:
    """The sequence a nextval literal names ('order_no', 'public."Order"'), resolved as
    regclass input resolves it: a qualified name as written (a catalog's name before it
    aside), a bare one in the first schema of the search_path holding such a sequence;
    None when the text is no name or no schema of the path holds it."""
    parts = split_qualified(literal, fold=True)
    if not parts or len(parts) > 3:
        return None
    if len(parts) > 1:
        return qualify(parts[-2], parts[-1])
    schema = _schema_on_path(interp, parts[0])
    return None if schema is None else qualify(schema, parts[0])


def _schema_on_path(interp: DdlInterpreter, name: str) -> str | None:
    """The schema regclass input finds sequence ``name`` in: the session's temporary schema
    first where the search_path does not name it (a default calling it goes with the
    session, ``temp_session``), then the search_path's."""
    path = interp.search_path
    if name in interp._temp and "pg_temp" not in path:
        path = ["pg_temp", *path]
    for schema in path:
        if qualify(schema, name) in interp.model.sequences:
            return schema
    return None
