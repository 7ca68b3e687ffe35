"""A column's SET STATISTICS / STORAGE / COMPRESSION, as PostgreSQL keeps them.

The model holds only what differs from the default (``Column.settings``), as the live
reader does: a statistics target other than -1, a compression method, a storage other than
the type's own (``typstorage``). So ``SET STORAGE EXTENDED`` of a ``text`` column is no
setting at all, and ``ALTER COLUMN … TYPE`` takes the new type's storage and the default
compression back (the statistics target stays). A new partition or inheritance child, and
``LIKE … INCLUDING STORAGE / COMPRESSION``, copy the parent's storage and compression (not
its statistics target); SET STATISTICS and SET STORAGE reach the partitions, SET
COMPRESSION does not (checked against PostgreSQL 15 in tests/test_init_exact4.py).
"""

from __future__ import annotations

from schema_audit.model import Column, ViewColumn, option_text

# typstorage of the built-in types that are not "extended" (format_type's names, modifiers
# aside); every other type (text, varchar, bytea, json/jsonb, arrays, ranges, composite and
# domain types over such) is extended. Enums are plain (the caller says so).
_PLAIN = frozenset(
    {
        "smallint", "integer", "bigint", "boolean", "real", "double precision", "money",
        "\"char\"", "name", "oid", "tid", "xid", "xid8", "cid", "regproc", "regprocedure",
        "regoper", "regoperator", "regclass", "regcollation", "regtype", "regrole",
        "regnamespace", "regconfig", "regdictionary", "date", "time without time zone",
        "timestamp without time zone", "timestamp with time zone", "time with time zone",
        "interval", "uuid", "pg_lsn", "macaddr", "macaddr8", "aclitem", "circle", "point",
        "lseg", "box", "line", "tsquery", "gtsvector",
    }
)  # fmt: skip
_MAIN = frozenset({"numeric", "inet", "cidr"})
STORAGE_WORDS = ("plain", "external", "extended", "main")


def type_storage(type_text: str, enum: bool = False) -> str:
    """The storage PostgreSQL gives a column of this type (its ``typstorage``)."""
    if enum:
        return "plain"
    base = type_text.split("(")[0].strip()
    if base.endswith("]"):
        return "extended"
    if base.startswith(("time(", "timestamp(")) or base in _PLAIN:
        return "plain"
    if base.startswith(("time ", "timestamp ")):  # time(3) with time zone …
        return "plain"
    return "main" if base in _MAIN else "extended"


def set_setting(column: Column | ViewColumn, key: str, value: int | str | None) -> None:
    """One setting of ``column`` (None: back to the default)."""
    settings = dict(column.settings or {})
    if value is None:
        settings.pop(key, None)
    else:
        settings[key] = value
    column.settings = settings or None


def set_options(column: Column | ViewColumn, changed: dict[str, str], reset: bool) -> None:
    """ALTER COLUMN … SET (name = value) / RESET (name): attoptions merged as PostgreSQL
    merges them (a SET replaces that option's value, a RESET drops it)."""
    have = dict(
        o.partition("=")[::2]
        for o in str((column.settings or {}).get("options") or "").split(", ")
        if o
    )
    for name, value in changed.items():
        if reset:
            have.pop(name, None)
        else:
            have[name] = value
    set_setting(column, "options", option_text(have) if have else None)


def set_storage(column: Column, word: str, enum: bool = False) -> None:
    """SET STORAGE: kept only when it is not the type's own."""
    word = word.lower()
    set_setting(column, "storage", None if word == type_storage(column.type, enum) else word)


def copy_settings(source: Column, target: Column, storage: bool, compression: bool) -> None:
    """A new child's or LIKE copy's storage and compression, as the options say."""
    for key, wanted in (("storage", storage), ("compression", compression)):
        if wanted and source.settings and key in source.settings:
            set_setting(target, key, source.settings[key])
