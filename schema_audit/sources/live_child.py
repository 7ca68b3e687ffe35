"""The early live read's queries in a forked child; the model built here from its rows.

Why: on the command line's early read (``cli/early_read.py``) this process used to import
psycopg (≈ 0.1 CPU s: asyncio, ssl, logging come with its package) and run the reading
threads (≈ 0.06 CPU s of psycopg's fetching at 1,000 tables) before and while it imported
the command and built the model, all on one core: a live ``init`` or ``audit`` is CPU-bound
there while the second core has only the server's share. Forked before typer is imported,
the child imports psycopg, opens the read (``live.opened``: the same connections, snapshot,
read-only transaction, timeouts, plan and round trips) and answers this process's requests
for rows; this process never imports psycopg on that path and builds the model from the
rows with the same ``live._read_all`` as an in-process read, in the same order, so the
model (and every report) is the same.

The rows cross a pipe as ``marshal`` data (tuples of str, int, bool, None, bytes and lists:
≈ 3 MB at 1,000 tables, loaded in ≈ 0.03 s; the built model pickled was 4.7 MB and 0.1 s to
load). A message is a kind and its fields; the child ends when this process says it is done
or when the pipe closes (this process exited, or dropped a read it did not take): its
connections are then closed, which rolls the read-only transaction back, as a daemon reading
thread's are at exit. Told it is done, the child sends the notices it kept and its round
trips first and closes its connections after: this process goes on with its model meanwhile.

Errors keep their one line: the child sends the message and the class of a
``LiveSourceError`` (already password-free), and it is raised here with the same class and
text, where the in-process read raises it; any other failure of the child is an internal
error here, as it would have been there.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import pickle
import struct
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO

_HEADER = struct.Struct("<cQ")  # codec (m: marshal, p: pickle), length


class ChildGone(Exception):
    """The child ended without an answer (killed, or out of memory)."""


def _send(out: BinaryIO, message: Any) -> None:
    try:
        data, codec = marshal.dumps(message), b"m"
    except ValueError:  # a value marshal does not know (none of today's columns): pickle it
        data, codec = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL), b"p"
    out.write(_HEADER.pack(codec, len(data)))
    out.write(data)
    out.flush()


def _receive(source: BinaryIO) -> Any:
    """The next message, or None when the other end closed the pipe."""
    head = source.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    codec, length = _HEADER.unpack(head)
    data = source.read(length)
    if len(data) < length:
        return None
    return marshal.loads(data) if codec == b"m" else pickle.loads(data)


def fork(
    dsn: str,
    schemas: Sequence[str] | None,
    jobs: int,
    statement_timeout_ms: int,
    lock_timeout_ms: int,
) -> tuple[int, BinaryIO, BinaryIO] | None:
    """Fork the reading child: (its pid, the pipe to it, the pipe from it), or None where a
    fork is not safe (not Linux: macOS's system libraries may crash a forked child; another
    thread: a fork copies no thread, whatever lock it held)."""
    from schema_audit import forkjob

    if not forkjob.safe():
        return None
    opened: list[int] = []
    try:
        for _ in range(2):
            opened += os.pipe()  # (read end, write end)
        for n, fd in enumerate(opened):
            opened[n] = forkjob.above_stdio(fd)
        from_parent, to_child, from_child, to_parent = opened
        forkjob.widen(to_parent)
        pid = os.fork()
    except OSError:  # no pipe or process to be had (a process or memory limit): read here
        for fd in opened:
            with contextlib.suppress(OSError):
                os.close(fd)
        return None
    if pid == 0:  # the child: never returns into the command line's code
        code = 1
        try:
            os.close(to_child)
            os.close(from_child)
            forkjob.quiet_stdio()  # failures go through the pipe; `| tee` ends with us
            with open(from_parent, "rb") as requests, open(to_parent, "wb") as answers:
                _serve(requests, answers, dsn, schemas, jobs, statement_timeout_ms, lock_timeout_ms)
            code = 0
        finally:
            os._exit(code)
    os.close(from_parent)
    os.close(to_parent)
    return pid, open(to_child, "wb"), open(from_child, "rb")


def _serve(
    requests: BinaryIO,
    answers: BinaryIO,
    dsn: str,
    schemas: Sequence[str] | None,
    jobs: int,
    statement_timeout_ms: int,
    lock_timeout_ms: int,
) -> None:
    """The child's work: open the read, tell the server's version, answer each request for
    rows (or plan what the parent planned) until the parent is done; a failure is sent."""
    notices: list[str] = []
    try:
        # (psycopg's version modules are answered by the finder ``early_read`` set before
        # the fork: no importlib.metadata here either)
        from schema_audit.sources import live
        from schema_audit.sources.live_pool import Planned

        live.LAST_ROUND_TRIPS = 0
        with live.opened(
            dsn,
            schemas=list(schemas) if schemas else None,
            statement_timeout_ms=statement_timeout_ms,
            lock_timeout_ms=lock_timeout_ms,
            jobs=jobs,
            notice=notices.append,
            # the parent has its model before the connections close (``live.opened``)
            read_over=lambda: _send(answers, ("end", notices, live.LAST_ROUND_TRIPS)),
        ) as (rows, (version_num, version, quote)):
            hello = (version_num, version, sorted(quote.keywords), quote.quote_all)
            _send(answers, ("hello", hello, rows.plans_ahead, rows.connections))
            while True:
                request = _receive(requests)
                if request is None:  # the parent exited or dropped the read: end it
                    raise ChildGone("the parent closed the read")
                if request[0] == "done":
                    break
                if request[0] == "plan":
                    rows.plan_next([Planned(*p) for p in request[1]])
                    continue
                _, query, what, optional, part = request
                mark = len(rows.blind_spots)
                got = rows.rows(query, what, optional=optional, part=part)
                _send(answers, ("rows", got, rows.blind_spots[mark:]))
                del got
    except ChildGone:
        return
    except BaseException as exc:  # noqa: BLE001 - told to the parent, which raises it there
        from schema_audit.redact import scrub
        from schema_audit.sources.live import LiveSourceError

        if isinstance(exc, LiveSourceError):
            failure = (type(exc).__name__, str(exc))
        else:
            failure = ("", f"{type(exc).__name__}: {scrub(str(exc))}")
        with contextlib.suppress(OSError):  # the parent may be gone
            _send(answers, ("error", notices, *failure))


class ChildRows:
    """The build's rows (``live.Rows``), asked for from the child one query at a time."""

    def __init__(self, to_child: BinaryIO, from_child: BinaryIO, hello: Any) -> None:
        self._to, self._from = to_child, from_child
        _, _, self.plans_ahead, self.connections = hello
        self.blind_spots: list[str] = []

    def rows(self, query: str, what: str, *, optional: bool = False, **fmt: str) -> list[tuple]:
        """The rows of one query, as the child's reader or pool gave them (and what it could
        not read, in ``blind_spots``)."""
        _send(self._to, ("rows", query, what, optional, fmt.get("part", "")))
        _, got, spots = answer(self._from, ("rows",))
        self.blind_spots.extend(spots)
        return got

    def plan_next(self, plan: Sequence[Any]) -> None:
        """Queries depending on rows read, planned in the child's pool ahead of the rest."""
        _send(self._to, ("plan", [(p.query, p.what, p.optional, p.part, p.slot) for p in plan]))


def answer(
    source: BinaryIO, kinds: tuple[str, ...], notice: Callable[[str], None] | None = None
) -> Any:
    """The child's next message, of one of ``kinds``; its failure raised here (its notices told
    to ``notice`` first), with the class and line the in-process read raises."""
    message = _receive(source)
    if message is None:
        raise ChildGone("the catalog read's child process ended without an answer")
    if message[0] in kinds:
        return message
    if message[0] != "error":
        raise ChildGone(f"the catalog read's child process answered {message[0]!r}")
    _, notices, kind, text = message
    for line in notices:
        if notice is not None:
            notice(line)
    from schema_audit.sources import live

    if kind == "LiveTimeoutError":
        raise live.LiveTimeoutError(text)
    if kind:
        raise live.LiveSourceError(text)
    raise ChildGone(text)


def read(child: tuple[int, BinaryIO, BinaryIO], dsn: str, notice: Callable[[str], None]) -> Any:
    """The source the child reads (``select.LoadedSource``), its model built here; the
    child's notices go to ``notice``, its round trips to ``live.LAST_ROUND_TRIPS``."""
    from schema_audit.sources import live
    from schema_audit.sources.live_deparse import Quoter
    from schema_audit.sources.select import LoadedSource

    pid, to_child, from_child = child
    over = False
    try:
        _, hello, *pool = answer(from_child, ("hello",), notice)
        version_num, version, keywords, quote_all = hello
        rows = ChildRows(to_child, from_child, (None, None, *pool))
        model = live._read_all(rows, version_num, version, Quoter(keywords, quote_all))
        _send(to_child, ("done",))
        _, notices, round_trips = answer(from_child, ("end",), notice)
        for line in notices:
            notice(line)
        live.LAST_ROUND_TRIPS = round_trips
        over = True
        return LoadedSource(model, "live", live.redact_dsn(dsn))
    finally:
        end(child, wait=over)


def end(child: tuple[int, BinaryIO, BinaryIO], *, wait: bool) -> None:
    """Close this process's ends of the pipes; the child, if still reading, sees the pipe
    closed when it next asks or answers, cancels its queries in flight and closes its
    connections (the server rolls the read back). ``wait``: its read is over and it exits
    now, collected when this process exits (``forkjob.collect``: its closing of connections
    and its exit overlap with the model's use here); else it is collected if it has already
    exited (a read that failed here does not wait for a query in flight)."""
    from schema_audit import forkjob

    pid, to_child, from_child = child
    for stream in (to_child, from_child):
        with contextlib.suppress(OSError):
            stream.close()
    if wait:
        forkjob.collect_later(pid)
        return
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
