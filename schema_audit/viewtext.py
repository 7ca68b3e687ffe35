"""A view's query as a spec states it and as a source holds it: the same query or not.

``init`` writes ``pg_get_viewdef``'s text; the live read holds the same text, so the usual
comparison is a string one. Otherwise both go through ``sqlnorm.canonical_query`` (PostgreSQL's
grammar, the catalog's decorations removed), imported only then.
"""

from __future__ import annotations


def views_equal(a: str | None, b: str | None, *, printed: bool = False) -> bool | None:
    """Two view queries PostgreSQL would store alike (see ``sqlnorm.canonical_query``): True;
    different: False; None when they differ only in casts (one may be a cast PostgreSQL
    adds by itself, which a migration's text does not show, or a cast someone added) —
    unless both are ``pg_get_viewdef``'s text (``printed``: ``b`` was read from a catalog,
    and ``a`` is in its layout, as init wrote it): the same printer added the same casts,
    so a cast more or less is a different query."""
    left, right = str(a or ""), str(b or "")
    if unframed_query(left) == unframed_query(right):  # init's text of the same catalog
        return True
    from schema_audit.sqlnorm import canonical_query

    if canonical_query(left) == canonical_query(right):
        return True
    if canonical_query(left, True) == canonical_query(right, True):
        return False if printed and viewdef_layout(left) and viewdef_layout(right) else None
    return False


def unframed_query(text: str) -> str:
    """pg_get_viewdef's text without its leading space and final ``;`` (as init writes it)."""
    return text.strip().removesuffix(";").rstrip()


def viewdef_layout(text: str) -> bool:
    """Whether ``text`` is laid out as ``pg_get_viewdef(view, true)`` prints a query over a
    relation (``FROM`` on its own line after three spaces): a catalog's text."""
    return "\n   FROM " in text
