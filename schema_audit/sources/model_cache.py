"""A cache of the model a SQL history reads to, keyed by everything the model depends on.

Reading the 1,000-table, 200-file history takes ~1.4–1.8 CPU s of per-statement
Python however the parse is done (the profile is flat); decoding the finished model
from this cache takes ~0.2 s. The key hashes, in order, every file's displayed name,
version and bytes, the search_path and the layout's shape, plus the code the model
comes from: the bytes of ``schema_audit``'s top-level modules and of ``sources/``
(the interpreter, the parser glue, the model classes), the versions of pglast
(the parser), msgspec (this codec) and Python, and the SCHEMA_AUDIT_* settings. A change to any of them is a
different key, so an entry is never read for other input or other code.

An entry is ``SAMODEL <sha256 of the payload>\\n`` then the payload: msgspec's JSON of
the model, never pickle (a cache directory must not be able to run code). Each
distinct provenance is written once in a table, and every provenance list holds
placeholders pointing into it, restored on reading to the very same shared objects
the reader made (the SQL of a statement is 76 % of the model's text otherwise).
Anything wrong with an entry (checksum, JSON, types, a placeholder out of range or
not a placeholder) means "no entry": the history is read again and the entry
rewritten. A corrupt entry can cost time, never give a different model.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from schema_audit import cache
from schema_audit.gcpause import collector_paused
from schema_audit.model import Provenance, SchemaModel

FORMAT = 2  # 2: keys chained file by file, the reader's session kept
KIND = "sqlmodel"
_MAGIC = b"SAMODEL "
_MARK = "\x00cached"  # the action of a placeholder: no statement's action holds a NUL
# The history's bytes above which nothing is cached: an entry is ~8× the input's size
# (12.8 MB for the 1.6 MB, 1,000-table history), and a dump that large reads once.
MAX_INPUT_BYTES = 16 * 1024 * 1024
KEEP = 8  # entries kept (most recently used); older ones are removed when one is written


@dataclass(slots=True)
class Session:
    """The static reader's state after a prefix of the history, beside the model: what the
    next file would see (sources/ddl/resume.py captures and restores it)."""

    contents: int  # files so far that held SQL (a history with none is an error)
    search_path: list[str]
    current_role: str | None
    collations: list[tuple[str, str]]
    revoked_defaults: list[tuple[str | None, str, str, str]]
    views_unknown_columns: list[str]
    relations: dict[str, str]  # qualified relation/index/sequence name -> kind
    # (schema, table) -> the current tables holding a foreign key to it, in registration order
    referrers: list[tuple[tuple[str, str], list[str]]]
    # (schema, index) -> its current relation (qualified name, is a view)
    index_homes: list[tuple[tuple[str, str], str, bool]]
    ledger_open: list[int]  # the open unapplied statements, as positions in model.unapplied
    # (relation, rule name) -> the blind spot naming it (CREATE RULE), in order
    rules: list[tuple[tuple[str, str], str]] = field(default_factory=list)
    # (relation, rule name) -> what the rule uses: (relation, column; "" the relation)
    rule_uses: list[tuple[tuple[str, str], list[tuple[str, str]]]] = field(default_factory=list)
    # INHERITS: (child, its parents, what it holds only through them), in order
    inheritance: list[tuple[str, list[str], list[tuple[str, str]]]] = field(default_factory=list)
    # view -> the table columns (table, column) a ``*`` of it covered when it was made
    star_uses: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    # the roles a SET ROLE switched to (not the history's runner: DdlInterpreter._may_run)
    set_roles: list[str] = field(default_factory=list)
    # partition index -> the parent index it is attached to: (table, index, table, index)
    index_links: list[tuple[str, str, str, str]] = field(default_factory=list)


@dataclass(slots=True)
class _Entry:
    """A model cache entry as read back: the model, its provenance lists and the session to resume
    from."""

    provenances: list[Provenance] = field(default_factory=list)
    model: SchemaModel = field(default_factory=SchemaModel)
    carriers: int = 0  # provenance lists made placeholders: as many must be restored
    session: Session | None = None  # None: the entry cannot be resumed from


def _code_files() -> list[Path]:
    package = Path(__file__).resolve().parent.parent  # schema_audit/
    return sorted([*package.glob("*.py"), *package.glob("sources/**/*.py")])


def code_fingerprint() -> bytes:
    """The bytes of the code a SQL source's model comes from (~3 ms for 80 files)."""
    digest = hashlib.sha256()
    for path in _code_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    # pglast (the parser) by its package's __init__, which states its version: found, not
    # imported (importing it is ~0.1 s a cached read does not otherwise need)
    spec = importlib.util.find_spec("pglast")
    if spec is None or spec.origin is None:
        raise OSError("pglast not found")
    digest.update(Path(spec.origin).read_bytes())
    import msgspec

    digest.update(f"msgspec={msgspec.__version__};python={sys.version_info[:3]}".encode())
    return digest.digest()


def wanted(size: int) -> bool:
    """Whether a history of ``size`` bytes may have an entry (caching on, not too large)."""
    return size <= MAX_INPUT_BYTES and cache.enabled()


# the variables that are no input of the model (every other SCHEMA_AUDIT_* is in the key:
# SCHEMA_AUDIT_MAX_STATEMENT_CHARS changes which statements are read)
_NOT_INPUTS = ("SCHEMA_AUDIT_CACHE", "SCHEMA_AUDIT_CACHE_DIR", "SCHEMA_AUDIT_PROGRESS")


def _settings() -> bytes:
    return repr(
        sorted(
            (name, value)
            for name, value in os.environ.items()
            if name.startswith("SCHEMA_AUDIT_") and name not in _NOT_INPUTS
        )
    ).encode()


def chain_keys(head: bytes, files: list[tuple[bytes, ...]]) -> list[str] | None:
    """The key of each prefix of the history: the k-th hashes the (k-1)-th and file k's parts
    (name, version, bytes), the first the code, the settings and ``head`` (the options).
    None when the code cannot be read back to fingerprint it."""
    try:
        fingerprint = code_fingerprint()
    except OSError:  # the code cannot be read back (a zipped install): no cache
        return None
    # not cache.key: its versions() reads five packages' metadata (~0.1 s), and this key
    # holds the tool's own code itself
    previous = hashlib.sha256(
        f"sql-model-{FORMAT};".encode() + fingerprint + _settings() + head
    ).digest()
    keys = []
    for parts in files:
        digest = hashlib.sha256(previous)
        for part in parts:
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        previous = digest.digest()
        keys.append(digest.hexdigest())
    return keys


def _carriers(model: SchemaModel) -> Iterator[object]:
    """Every object of ``model`` holding a provenance list. One missed would only be written
    whole (larger, not shared), never wrong: placeholders are made and restored here alone."""
    for group in (model.functions, model.enums, model.extensions, model.sequences):
        yield from group.values()
    for table in model.tables.values():
        yield table
        yield from table.columns.values()
        if table.primary_key is not None:
            yield table.primary_key
        yield from table.uniques.values()
        yield from table.checks.values()
        yield from table.foreign_keys.values()
        yield from table.indexes.values()
        yield from table.policies.values()
        yield from table.triggers.values()
    for view in model.views.values():
        yield view
        yield from view.indexes.values()


def _path(cache_key: str) -> Path:
    return cache.directory() / KIND / f"{cache_key}.json"


def latest(keys: list[str]) -> tuple[int, SchemaModel, Session | None] | None:
    """The longest prefix of the history with a usable entry: (its number of files, model,
    session), or None. A shorter prefix is only usable with its session (to go on from)."""
    for count in range(len(keys), 0, -1):
        if not _path(keys[count - 1]).exists():
            continue
        found = load(keys[count - 1])
        if found is not None and (count == len(keys) or found[1] is not None):
            return count, found[0], found[1]
    return None


@collector_paused()
def load(cache_key: str) -> tuple[SchemaModel, Session | None] | None:
    """The cached model and session, or None (no entry, or one that fails any check)."""
    path = _path(cache_key)
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    try:
        found = _decode(raw)
    except Exception:  # any fault in an entry means "read the history again"
        return None
    if found is not None:
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept by _evict
    return found


def _decode(raw: bytes) -> tuple[SchemaModel, Session | None] | None:
    import msgspec

    view = memoryview(raw)  # no copy of a payload of megabytes
    newline = raw.find(b"\n")
    head, payload = raw[: max(newline, 0)], view[newline + 1 :]
    if newline < 0 or not head.startswith(_MAGIC):
        return None
    if hashlib.sha256(payload).hexdigest().encode() != head[len(_MAGIC) :]:
        return None
    entry = msgspec.json.decode(payload, type=_Entry)
    table = entry.provenances
    restored = 0
    for obj in _carriers(entry.model):
        placeholders = obj.provenance  # type: ignore[attr-defined]
        if not placeholders:
            continue
        shared = []
        for p in placeholders:
            if p.action != _MARK or p.line is None or not 0 <= p.line < len(table):
                return None
            shared.append(table[p.line])
        obj.provenance = shared  # type: ignore[attr-defined]
        restored += 1
    if restored != entry.carriers:
        return None
    session = entry.session
    if session is not None and not all(
        0 <= i < len(entry.model.unapplied) for i in session.ledger_open
    ):
        return None
    return entry.model, session


@collector_paused()
def store(cache_key: str, model: SchemaModel, session: Session | None = None) -> None:
    """Write ``model``'s entry (atomically); any failure only means no entry."""
    with contextlib.suppress(Exception):
        payload = _encode(model, session)
        folder = cache.directory() / KIND
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{cache_key}.{os.getpid()}.tmp"
        tmp.write_bytes(_MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
        tmp.replace(folder / f"{cache_key}.json")
        _evict(folder)


def _encode(model: SchemaModel, session: Session | None = None) -> bytes:
    """The payload; the model's provenance lists are swapped for placeholders while it is
    encoded and put back however encoding ends."""
    import msgspec

    numbers: dict[int, int] = {}
    table: list[Provenance] = []
    placeholders: list[Provenance] = []
    swapped: list[tuple[object, list[Provenance]]] = []
    try:
        for obj in _carriers(model):
            provenance = obj.provenance  # type: ignore[attr-defined]
            if not provenance:
                continue
            replaced = []
            for p in provenance:
                number = numbers.get(id(p))
                if number is None:
                    number = numbers[id(p)] = len(table)
                    table.append(p)
                    placeholders.append(Provenance(line=number, action=_MARK))
                replaced.append(placeholders[number])
            swapped.append((obj, provenance))
            obj.provenance = replaced  # type: ignore[attr-defined]
        return msgspec.json.encode(_Entry(table, model, len(swapped), session))
    finally:
        for obj, provenance in swapped:
            obj.provenance = provenance  # type: ignore[attr-defined]


def _evict(folder: Path) -> None:
    """Keep the ``KEEP`` most recently used entries (an entry is megabytes)."""
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()
