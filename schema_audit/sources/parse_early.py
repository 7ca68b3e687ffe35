"""The parsing child of a long static read, started as the command line is read.

Why: ``parse_ahead``'s child used to be forked when the read began, after the command's
imports and, for ``audit``, after the spec load (a 1,000-table init spec: ≈ 0.4 CPU s).
The child's work (cut, parse, the statement-local reads) is about the main process's own
share of the read, so the read's wall time was that of the slower of the two plus the
wait for the first frames. Forked at the start of the command line (``cli/entry.py``,
before typer is imported) the child works on the second core while this process imports
and loads the spec, and the read here only applies what is already waiting in the pipe.

This module imports nothing until it forks: a command line without a long history pays
nothing. The reader's modules are imported before the fork (this process needs them for
the read anyway; imported in the child too they cost ≈ 0.13 CPU s twice).
Its first frame is the list of files ``sqlfile.discover`` found with a digest of the bytes
it read of each (or None: too little SQL to pay for a child); then the frames of
``parse_ahead`` follow, from the first file on. ``take`` hands the child to the read of the
very same files and nothing else: another path, other files, other bytes than the ones a
model cache key hashes (a history changed meanwhile), a read that goes on after a cached
prefix all end the child, and that read forks its own or reads in process, as before.
A child nobody takes is ended when the process exits. Where a model cache entry could
answer the read (caching on and any entry stored), no child is started here: a warm read
parses nothing.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import struct
import sys
from pathlib import Path
from typing import Any

COMMANDS = frozenset({"inspect", "audit", "init"})
# what makes a command line read something else than the plain static read (or nothing)
_OTHER_WORK = frozenset({"--replay", "--targets", "--help", "-h"})
_MIN_BYTES = 256 * 1024  # parse_ahead.MIN_BYTES (not imported: it imports pglast)
_MAX_ENTRIES = 20000  # a folder this large is walked by the read, not here
_LENGTH = struct.Struct("<I")

# the one child started: (the --sql text, its pid, this end of its pipe)
_STARTED: list[tuple[str, int, int]] = []


def start(argv: list[str]) -> None:
    """Fork the parsing child when ``argv`` (the command line after the program name) is a
    reading command with one ``--sql PATH`` of at least 256 KiB of ``.sql`` files; Linux only,
    a single thread (``parse_ahead.wanted``'s reasons)."""
    sql = sql_option(argv)
    if sql is None or _STARTED or not sys.platform.startswith("linux"):
        return
    if _cache_may_answer() or not _enough_sql(Path(sql)):
        return
    import threading

    if threading.active_count() != 1:
        return
    # the reader's modules (pglast, the plain-data readers) are imported before the fork:
    # this process needs them for the read anyway, and the child then starts at once
    from schema_audit.sources import sqlfile  # noqa: F401 - discover, for the child
    from schema_audit.sources.parse_ahead import serve_history

    read, write = os.pipe()
    _widen(write)
    pid = os.fork()
    if pid == 0:  # the child: never returns to the caller's code
        try:
            os.close(read)
            serve_history(write, Path(sql))
        finally:
            os._exit(1)
    os.close(write)
    _STARTED.append((sql, pid, read))
    atexit.register(abandon)


def _widen(fd: int) -> None:
    """A 1 MiB pipe (64 KiB by default; where the system allows it): the child, seconds
    ahead, hands its frames over in 16 times fewer turns (the read's wait for frames at load
    9: 1.3–2.8 s with 64 KiB, 0.6–1.0 s with 1 MiB)."""
    import fcntl

    size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if size is not None:
        with contextlib.suppress(OSError):  # above the user's pipe limit: the default size
            fcntl.fcntl(fd, size, 1 << 20)


def sql_option(argv: list[str]) -> str | None:
    """The ``--sql`` value of a reading command's line, when it names exactly one and the
    command does nothing else with it (no replay, no fleet, no help)."""
    if not argv or argv[0] not in COMMANDS:
        return None
    found: list[str] = []
    words = iter(argv[1:])
    for word in words:
        if word in _OTHER_WORK:
            return None
        if word == "--sql":
            found.append(next(words, ""))
        elif word.startswith("--sql="):
            found.append(word[len("--sql=") :])
    if len(found) != 1 or not found[0] or found[0].startswith("-"):
        return None
    return found[0]


def _cache_may_answer() -> bool:
    """Caching on and an entry stored: the read may need no parse at all."""
    from schema_audit import cache

    if not cache.enabled():
        return False
    folder = cache.directory() / "sqlmodel"  # model_cache.KIND
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        return any(entry.name.endswith(".json") for entry in entries)
    return False


def _enough_sql(path: Path) -> bool:
    """At least 256 KiB in ``.sql`` files at or under ``path`` (an upper bound of what the
    read parses: a smaller total never pays for a child)."""
    total, seen = 0, 0
    stack = [path]
    while stack:
        current = stack.pop()
        try:
            if current.is_file():
                return current.stat().st_size >= _MIN_BYTES
            with os.scandir(current) as entries:
                for entry in entries:
                    seen += 1
                    if seen > _MAX_ENTRIES:
                        return False
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.name.lower().endswith(".sql") and entry.is_file():
                        total += entry.stat().st_size
                        if total >= _MIN_BYTES:
                            return True
        except OSError:
            return False
    return False


def take(path: Path, files: list[Path], raws: list[bytes] | None) -> tuple[int, int] | None:
    """The child started for this read — (pid, this end of its pipe), its first frame read —
    when it parses exactly ``files`` of ``path`` (and, given ``raws``, the bytes this process
    read of them: a cache key hashes those); else it is ended and None."""
    if not _STARTED:
        return None
    sql, pid, fd = _STARTED.pop()
    listed: Any = None
    if Path(sql) == path:
        listed = _first_frame(fd)
    if listed.__class__ is tuple and listed[0] == [str(file) for file in files]:
        if raws is None:
            return pid, fd
        from schema_audit.sources.parse_ahead import digest

        if listed[1] == [digest(raw) for raw in raws]:
            return pid, fd
    end(pid, fd)
    return None


def _first_frame(fd: int) -> Any:
    """The child's file list, or None (no child's list: it found too little SQL or failed)."""
    import marshal

    try:
        size = _read_exactly(fd, 4)
        if size is None:
            return None
        payload = _read_exactly(fd, _LENGTH.unpack(size)[0])
        return marshal.loads(payload) if payload is not None else None
    except (OSError, ValueError, EOFError, TypeError):
        return None


def _read_exactly(fd: int, count: int) -> bytes | None:
    data = b""
    while len(data) < count:
        chunk = os.read(fd, count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def abandon() -> None:
    """End a child nobody took (the command failed before its read, or read nothing)."""
    while _STARTED:
        _, pid, fd = _STARTED.pop()
        end(pid, fd)


def end(pid: int, fd: int) -> None:
    """Stop a child :func:`take` handed over that the read does not use, and reap it."""
    with contextlib.suppress(OSError):
        os.close(fd)
    with contextlib.suppress(OSError):  # already gone
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
