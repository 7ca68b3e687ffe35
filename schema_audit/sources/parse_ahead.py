"""A history's files cut and parsed in a second process while this one interprets them.

Why: a static read of a long history spends a sixth of its time before interpretation
(reading, the up section, cutting the text into statements, PostgreSQL's parser), and the
interpretation itself cannot be split (each statement reads the state the ones before it
left). On a machine with a second core, a forked child does that part one file ahead and
hands each statement over as its text and libpg_query's JSON text; this process decodes
the JSON and interprets, as it would have after parsing the statement itself. For the
shapes the plain-data readers take (``sources.ddl.fast``: CREATE TABLE, CREATE INDEX,
GRANT, ALTER TABLE, CREATE POLICY; nine statements in ten of a long history) the child
also makes their statement-local read (type texts, printed defaults and expressions,
keys, roles) and sends it along: this process only applies it to its model, and decodes
the JSON only when the model refuses the read (the tree handler then decides).

What crosses the pipe is what ``statements.pieces`` makes with ``pgparse.parse_json`` as
its parse step (the same cut, the same verdicts: a syntax error, a statement too long, a
piece joined with the next ones), so the statements rebuilt here are the ones
``split_statements`` yields, field for field. Frames are ``marshal`` data (this very
interpreter on both ends, forked) with their length in front.

Never silent, never different: a child that dies, is killed, or sends anything this end
does not expect ends the pipeline; this process then prepares and cuts the rest itself,
from the statement it had got to (the cut is deterministic: the same statements, the
ones already applied skipped). It is used only where forking is safe and pays: a single
thread (a fork copies no other thread, whatever lock it held) and enough SQL to parse.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import marshal
import os
import queue
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pglast

from schema_audit.pgparse import Parsed, Pending, expect_a_long_read, from_json, parse_json
from schema_audit.sources.outside_words import none_in
from schema_audit.sources.statements import (
    Statement,
    node_of,
    pieces,
    split_statements,
    statement_of,
)
from schema_audit.sources.whole_parse import pieces as whole_pieces
from schema_audit.sources.whole_parse import read

# Less SQL than this is parsed in process: forking costs a few milliseconds, a short history
# (an Alembic one of a few revisions, whose start-up is measured) would not win them back.
MIN_BYTES = 256 * 1024
BATCH = 128  # statements a frame
_LENGTH = struct.Struct("<I")

# (header, up-section text or None) of the file at an index: ``sqlfile``'s preparation
Prepare = Callable[[int], tuple[tuple, str | None]]


def wanted(size: int) -> bool:
    """Whether ``size`` bytes of SQL are read with a parsing child: enough of them, Linux
    (``os.fork`` is safe there; macOS's system libraries may crash a forked child, which is
    why Python's multiprocessing spawns there), and no other thread in this process."""
    return (
        size >= MIN_BYTES
        and sys.platform.startswith("linux")  # macOS: a forked child may crash in system code
        and threading.active_count() == 1
    )


def _parse(chunk: str, offset: int, limit: int, empty_strings: bool) -> tuple[str, Any, Any]:
    """``statements._parse_one``'s verdicts, with what can cross a pipe: (the statement's
    text, its JSON text | None (read here: the other process parses the text again if it
    ever needs the data, ``Pending``) | 1 (pglast's tree: parsed again from the text) | 0
    (no statement), what ``fast.read_ahead`` reads of it alone or None)."""
    text = statement_of(chunk, offset, limit)
    data = parse_json(text, empty_strings)
    if data.__class__ is str:
        ahead = _read(text, data)
        return text, data if ahead is None else None, ahead
    return text, 1 if data else 0, None


def _read(text: str, data: str) -> tuple[str, Any] | None:
    """The statement-local half of the plain-data readers (type texts, printed expressions,
    keys, roles), made here so the other process only applies it to its model."""
    parsed = from_json(text, data)
    if parsed.__class__ is not Parsed:
        return None  # pglast's tree: that process decides the same again
    return read(parsed)


class _Plain(Statement):
    """A statement of a file holding none of the words of a statement run outside a
    transaction block (``outside_words.none_in``, asked in the child for the file)."""

    __slots__ = ()
    plain = True


def _statement(
    body: str,
    line: int,
    parsed: tuple[str, Any, Any] | None,
    error: str | None,
    kind: type[Statement] = Statement,
) -> Statement:
    """The :class:`Statement` ``split_statements`` makes of the same piece (with the read
    made ahead: its data made, from the text, only if that read is not taken); ``kind``
    :class:`_Plain` for a piece of a file holding none of the words."""
    if parsed is None:
        return kind(body, line, None, error)
    text, data, ahead = parsed
    if ahead is not None:  # (data: None, or where the file parsed whole puts the statement)
        return kind(body, line, Pending(text, None, ahead, data or 0))
    if data.__class__ is str:
        return kind(body, line, node_of(from_json(text, data)))
    return kind(body, line, node_of(pglast.parse_sql(text)) if data else None)


class Ahead:
    """The child parsing files ``start`` … ``count - 1`` (``prepare`` gives each one's
    header and text), and this end of its pipe; :meth:`file` takes them in order."""

    def __init__(
        self, prepare: Prepare, start: int, count: int, child: tuple[int, int] | None = None
    ) -> None:
        """Fork the child, or adopt ``child`` (pid, this end of its pipe): one started with
        the command line (``parse_early``), serving the same files from the first."""
        self._prepare = prepare
        self._next = start
        if child is not None:
            self._pid: int | None = child[0]
            read = child[1]
        else:
            read, write = os.pipe()
            self._pid = os.fork()
            if self._pid == 0:  # the child: never returns to the caller's code
                try:
                    os.close(read)
                    # msgspec's decoder from the first statement: some 2 MB of JSON to decode
                    # here. Not in this process, which decodes only what the child's reads
                    # leave (views, triggers: 0.2 MB of 10 MB), where ``json.loads`` costs
                    # less than importing msgspec (≈ 8 ms) unless the read takes it anyway
                    expect_a_long_read()
                    _serve(write, prepare, start, count)
                finally:
                    os._exit(1)
            os.close(write)
        self._pipe: BinaryIO | None = os.fdopen(read, "rb", buffering=1 << 16)

    def file(self, index: int) -> tuple[tuple, Iterator[Statement]]:
        """The header of file ``index`` (the next one) and its statements, from the child
        while it serves, else prepared and cut here."""
        assert index == self._next, "files are taken in order"
        self._next += 1
        frame = self._frame()
        if frame is None or frame[0] != index or frame[1] is None:
            self.close()
            header, text = self._prepare(index)
            return header, iter(split_statements(text, True) if text is not None else ())
        return frame[1], self._statements(index, frame)

    def _statements(self, index: int, first: tuple) -> Iterator[Statement]:
        given = 0
        frame: tuple | None = first
        kind = _Plain if first[4] is True else Statement
        while frame is not None and frame[0] == index:
            for body, line, parsed, error in frame[2]:
                yield _statement(body, line, parsed, error, kind)
                given += 1
            if frame[3]:
                return
            frame = self._frame()
            if frame is not None and frame[1] is not None:
                break  # another file's header mid-file: not this end's order
        # the child stopped mid-file: the rest of this file (and of the history) read here
        self.close()
        _, text = self._prepare(index)
        for number, stmt in enumerate(split_statements(text or "", True)):
            if number >= given:
                yield stmt

    def _frame(self) -> tuple | None:
        """The child's next frame: (index, header or None, records, last of its file, the
        file holds none of the words: ``outside_words.none_in``); None when the pipeline has
        ended or anything is amiss."""
        pipe = self._pipe
        if pipe is None:
            return None
        try:
            size = pipe.read(4)
            if len(size) == 4:
                payload = pipe.read(_LENGTH.unpack(size)[0])
                frame = marshal.loads(payload)
                if frame.__class__ is tuple and len(frame) == 5:
                    return frame
        except (OSError, ValueError, EOFError, TypeError):
            pass
        self.close()
        return None

    def close(self) -> None:
        """End the pipeline: the child is stopped (if still running) and reaped."""
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
        if self._pid:
            pid, self._pid = self._pid, None
            with contextlib.suppress(OSError):  # already gone
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def serve_history(fd: int, path: Path) -> None:
    """The life of a child started with the command line (``parse_early``): the files
    ``sqlfile.discover`` finds at ``path`` and a digest of the bytes read of each as the
    first frame (None: too little SQL to parse apart, or no readable layout), then every
    file's frames, as :func:`_serve`."""
    from schema_audit.sources.sqlfile import discover, prepared

    gc.disable()  # as in a child forked by the read: the collector is paused there
    expect_a_long_read()  # as a child forked by the read (Ahead)
    listed = None
    try:
        files = discover(path).files
        if wanted(sum(file.stat().st_size for file in files)):
            raws = [file.read_bytes() for file in files]
            listed = ([str(file) for file in files], [digest(raw) for raw in raws])
    except Exception:  # noqa: BLE001 - the read finds the same problem and says it
        listed = None
    data = marshal.dumps(listed)
    frame = memoryview(_LENGTH.pack(len(data)) + data)
    while frame:
        frame = frame[os.write(fd, frame) :]
    if listed is None:
        os._exit(0)
    _serve(fd, lambda index: prepared(raws[index]), 0, len(raws), queued=True)


def digest(raw: bytes) -> bytes:
    """What tells the bytes a file held when the child read it from the ones read here."""
    return hashlib.blake2b(raw, digest_size=16).digest()


def _serve(fd: int, prepare: Prepare, start: int, count: int, queued: bool = False) -> None:
    """The child's whole life: each file's frames, then exit (no cleanup of the parent's:
    ``os._exit``); any failure ends it, which the parent notices. ``queued``: the frames
    are written by a thread of the child, so it parses on while the pipe is full (a child
    started with the command line is seconds ahead: the pipe holds 64 KiB of some 12 MB)."""
    code = 1
    try:
        out = os.fdopen(fd, "wb", buffering=1 << 16)

        def now(data: bytes) -> None:
            out.write(data)
            out.flush()  # each frame goes now: this process interprets while the next is cut

        write = _writer(out) if queued else now
        for index in range(start, count):
            header, text = prepare(index)
            batch: list[tuple] = []
            # (a plain file cut and parsed by one parse: whole_parse; else cut, then parsed
            # statement by statement)
            records = (
                () if text is None else whole_pieces(text, _parse) or pieces(text, _parse, True)
            )
            plain = text is not None and none_in(text)  # (once a file, not once a statement)
            first = True
            for record in records:
                batch.append(record)
                if len(batch) >= BATCH:
                    frame = marshal.dumps((index, header if first else None, batch, False, plain))
                    write(_LENGTH.pack(len(frame)) + frame)
                    batch, first = [], False
            frame = marshal.dumps((index, header if first else None, batch, True, plain))
            write(_LENGTH.pack(len(frame)) + frame)
        if queued:
            write(b"")  # the end: the thread writes what is queued and ends
            _WRITER[0].join()
        code = 0
    except BaseException:  # noqa: BLE001 - the parent reads on without the child
        code = 1
    finally:
        os._exit(code)


_WRITER: list[threading.Thread] = []
# frames a child may hold that the other end has not read yet (≈ 150 KB each: about 40 MB,
# the whole of a 3,000-table history; a longer one waits for this end, as without a queue)
_QUEUED = 256


def _writer(out: BinaryIO) -> Callable[[bytes], None]:
    """A ``write`` that queues the frame for a thread writing them to ``out`` in order (it
    waits when :data:`_QUEUED` frames are queued); an empty frame ends it. A write that
    fails (the other end closed) ends the child."""
    frames: queue.Queue[bytes] = queue.Queue(maxsize=_QUEUED)

    def drain() -> None:
        try:
            while data := frames.get():
                out.write(data)
                out.flush()
        except BaseException:  # noqa: BLE001 - the parent reads on without the child
            os._exit(1)

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    _WRITER.append(thread)
    return frames.put
