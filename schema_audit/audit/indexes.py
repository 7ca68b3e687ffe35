"""Index shapes as a spec writes them: key parsing and shape comparison.

The ``index`` requirement kind (``schema_audit/kinds/index.py``) judges by these, the
recommendations rebuild a proposed index from them, and a required index missing by
name but present with the same shape (the seed's ``idx_events_tenant_timestamp`` →
``idx_attribution_events_tenant_occurred_at``) is found with :func:`shape_diffs`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from dataclasses import dataclass

from schema_audit import collation, ident, sqlnorm
from schema_audit.audit.findings import Diff
from schema_audit.audit.options import option_diffs
from schema_audit.model import Index, IndexKey

_NAME = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_KEY = re.compile(
    r"^(?P<expr>.+?)"
    rf"(?:\s+COLLATE\s+(?P<collation>{_NAME}(?:\.{_NAME})?))?"
    r"(?:\s+(?P<opclass>[A-Za-z_][A-Za-z0-9_.]*_ops))?"
    r"(?:\s+(?P<dir>ASC|DESC))?(?:\s+NULLS\s+(?P<nulls>FIRST|LAST))?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class WantedKey:
    """One key of the index a spec asks for, as the judge compares it with an existing index's key."""

    expression: str
    is_column: bool
    descending: bool
    nulls_first: bool | None
    opclass: str | None = None  # ``data jsonb_path_ops``: the key's operator class, when given
    collation: str | None = None  # ``title COLLATE "C"``: the key's collation, when given


@functools.lru_cache(maxsize=16384)
def parse_key(text: str) -> WantedKey:
    """A spec's index key (``c05 DESC``, ``lower(email)``, ``data jsonb_path_ops``); the
    answer is immutable, so a key written on many indexes is parsed once."""
    m = _KEY.match(text.strip())
    if not m:
        return WantedKey(text.strip(), True, False, None)
    expr = m.group("expr").strip()
    opclass = (m.group("opclass") or "").lower() or None
    descending = (m.group("dir") or "").upper() == "DESC"
    nulls = m.group("nulls")
    nulls_first = None if nulls is None else nulls.upper() == "FIRST"
    if nulls_first == descending:
        nulls_first = None  # the default for the direction
    is_column = re.fullmatch(r'[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+"', expr) is not None
    if is_column:
        expr, _quoted = ident.unquote(expr)
        if _quoted:
            expr = '"' + expr.replace('"', '""') + '"'  # kept quoted: matched exactly
    return WantedKey(expr, is_column, descending, nulls_first, opclass, m.group("collation"))


def _opclass_matches(wanted: str, actual: str | None) -> bool:
    """A named operator class; one that is its type's default is stored as none."""
    if actual is None:
        return any((method, wanted) in sqlnorm.DEFAULT_OPCLASSES for method in _METHODS)
    return wanted == actual.rpartition(".")[2].lower()


_METHODS = ("btree", "hash", "gin", "gist", "spgist", "brin")


def key_matches(wanted: WantedKey, key: IndexKey, columns: Collection[str] = ()) -> bool:
    """Same expression, direction and NULLS order; the operator class and collation too when
    one is asked for."""
    if wanted.descending != key.descending:
        return False
    if wanted.opclass and not _opclass_matches(wanted.opclass, key.opclass):
        return False
    # a key's collation is kept only where it is not its column's (as init writes it)
    if wanted.collation and not collation.same(wanted.collation, key.collation):
        return False
    if (wanted.nulls_first if wanted.nulls_first is not None else wanted.descending) != (
        key.nulls_first if key.nulls_first is not None else key.descending
    ):
        return False
    if wanted.is_column and key.is_column:
        return ident.same(wanted.expression, key.expression, columns)
    return sqlnorm.exprs_equal(wanted.expression, key.expression)


def shape_diffs(
    props: dict,
    index: Index,
    aliases: dict[str, str] | None = None,
    columns: Collection[str] = (),
) -> list[Diff]:
    """Every property of the required index the actual index does not have.

    ``aliases`` maps a missing spec column to the declared alias that exists,
    so an index the spec names by the guide's column matches the real one.
    ``columns`` are the relation's column names, so a spec key written
    unquoted matches its lower-case folding only when that is unambiguous.
    """
    diffs: list[Diff] = []
    wanted = [parse_key(c) for c in props.get("columns") or []]
    if aliases:
        wanted = [
            WantedKey(
                aliases[w.expression], True, w.descending, w.nulls_first, w.opclass, w.collation
            )
            if w.is_column and w.expression in aliases
            else w
            for w in wanted
        ]
    if len(wanted) != len(index.keys) or not all(
        key_matches(w, k, columns) for w, k in zip(wanted, index.keys, strict=False)
    ):
        diffs.append(Diff("columns", props.get("columns"), [k.render() for k in index.keys]))
    if "unique" in props and bool(props["unique"]) != index.unique:
        diffs.append(Diff("unique", props["unique"], index.unique))
    if "where" in props and not sqlnorm.exprs_equal(props["where"], index.where):
        diffs.append(Diff("where", props["where"], index.where))
    if "include" in props and not (
        len(props["include"]) == len(index.include)
        and all(
            ident.same(w, a, columns) for w, a in zip(props["include"], index.include, strict=True)
        )
    ):
        diffs.append(Diff("include", props["include"], index.include))
    if "method" in props and props["method"].lower() != index.method:
        diffs.append(Diff("method", props["method"], index.method))
    if "nulls_not_distinct" in props and props["nulls_not_distinct"] != index.nulls_not_distinct:
        diffs.append(
            Diff("nulls_not_distinct", props["nulls_not_distinct"], index.nulls_not_distinct)
        )
    if "options" in props:  # WITH (fillfactor …), as pg_class.reloptions keeps it
        stated = props["options"] or {}
        diffs += option_diffs(stated, index.options, None)
        diffs += [
            Diff(f"options.{name}", None, value)
            for name, value in sorted(index.options.items())
            if name not in stated
        ]
    if "clustered" in props and bool(props["clustered"]) != index.clustered:
        diffs.append(Diff("clustered", props["clustered"], index.clustered))
    if "comment" in props and (props["comment"] or None) != (index.comment or None):
        diffs.append(Diff("comment", props["comment"], index.comment))
    if "tablespace" in props and props["tablespace"] != (index.tablespace or "pg_default"):
        diffs.append(Diff("tablespace", props["tablespace"], index.tablespace or "pg_default"))
    diffs += exclusion_diffs(props, index)
    if not index.valid:  # a failed CREATE INDEX CONCURRENTLY: kept up to date, never used
        diffs.append(Diff("valid", True, False))
    return diffs


def exclusion_diffs(props: dict, index: Index) -> list[Diff]:
    """An EXCLUDE constraint's operators, DEFERRABLE, INITIALLY DEFERRED and COMMENT ON
    CONSTRAINT against the stated ones (re-created ``WITH =`` for ``WITH &&``, or made not
    deferrable, it PASSed init's spec before: a false PASS). An index that backs no EXCLUDE
    constraint has no operators (``exclude: []``)."""
    diffs: list[Diff] = []
    if "exclude" in props and list(props["exclude"] or []) != index.exclude:
        diffs.append(Diff("exclude", props["exclude"], index.exclude))
    for prop in ("deferrable", "initially_deferred"):
        if prop in props and bool(props[prop]) != getattr(index, prop):
            diffs.append(Diff(prop, props[prop], getattr(index, prop)))
    if "constraint_comment" in props and (props["constraint_comment"] or None) != (
        index.constraint_comment or None
    ):
        diffs.append(
            Diff("constraint_comment", props["constraint_comment"], index.constraint_comment)
        )
    return diffs


def add_exclusion_sql(props: dict, target: str) -> str:
    """``ALTER TABLE target ADD CONSTRAINT name EXCLUDE USING method (key WITH op, …)`` for an
    ``indexes:`` entry with ``exclude:`` (an EXCLUDE constraint's index): the advice and fix
    for one missing, where ``CREATE INDEX`` would make no constraint."""
    pairs = zip(props.get("columns") or [], props.get("exclude") or [], strict=False)
    name = f"CONSTRAINT {props['name']} " if props.get("name") else ""
    text = (
        f"ALTER TABLE {target} ADD {name}EXCLUDE USING {props.get('method') or 'gist'} ("
        + ", ".join(f"{key} WITH {operator}" for key, operator in pairs)
        + ")"
    )
    if props.get("where"):
        text += f" WHERE ({props['where']})"
    if props.get("deferrable"):
        text += " DEFERRABLE"
    if props.get("initially_deferred"):
        text += " INITIALLY DEFERRED"
    return text
