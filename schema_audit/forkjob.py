"""Work done on the second core by a forked child of this process, its result handed back.

Why: once the server has answered, a live command's remaining work (init's spec text,
inspect's JSON) runs on one core while the second sits idle. A child forked then has the
model already (the fork copies the process), does a part of that work and sends its
result back over a pipe as ``marshal`` data (this very interpreter on both ends), while
this process does the rest. The result must be what this process would have made itself:
the caller splits work whose pieces do not depend on each other and joins them in order.

Never silent, never different: where a fork is not safe (not Linux: macOS's system
libraries may crash a forked child; another thread: a fork copies no thread, whatever lock
it held), pays nothing (one core allowed: :func:`cores`) or is refused (a process or memory
limit), :func:`start` returns None and the caller does the work itself; a child that fails,
dies or is killed gives no result (:meth:`Job.result` returns None) and the caller does
that part itself, the same way. A caller ends every job it started (:meth:`Job.end`, on its
error paths too), so no process outlives the command.

The pipe and stdio helpers here also serve the live read's child (``sources/live_child``).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import struct
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

_LENGTH = struct.Struct("<Q")
_LAST = 2**64 - 1  # a stream of pieces ends here: whole (a shorter one is not)


def safe() -> bool:
    """Whether this process may fork a child that runs Python code: Linux, and no thread
    but this one."""
    import threading

    return sys.platform.startswith("linux") and threading.active_count() == 1


def cores() -> int:
    """The cores this process may run on. A CI runner or a container may allow one
    (``taskset -c 0``, a cgroup's cpuset): a child and this process there only take turns,
    and the fork's own cost (its start, copy-on-write faults, the hand-over) is the whole
    difference, so :func:`start` then declines and the caller does the work itself."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux: safe() refuses the fork anyway
        return os.cpu_count() or 1


def above_stdio(fd: int) -> int:
    """``fd``, moved above 0-2 if it took the place of a closed stdin, stdout or stderr
    (``schema-audit … >&-``): a child points those at /dev/null, and this process must find
    them closed as it started, not holding a pipe (its exit then failed to flush stdout)."""
    if fd > 2:
        return fd
    import fcntl

    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    os.close(fd)
    return moved


def widen(fd: int) -> None:
    """A pipe as wide as Linux lets a user make it (1 MiB by default, not 64 KiB): data of a
    few MB then crosses in a few writes, not one wake-up of each process per 64 KiB."""
    import fcntl

    # refused above /proc/sys/fs/pipe-max-size: the pipe stays as it is
    with contextlib.suppress(OSError, AttributeError):  # F_SETPIPE_SZ: Linux, Python 3.10+
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)


def quiet_stdio() -> None:
    """In a child: nothing is printed there (its results go through its pipe), and a pipeline
    reading this process's output (``schema-audit … | tee``, a test's capture) must see its
    end when the parent exits, not when a child closes its copies."""
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    os.close(quiet)


class Job:
    """A forked child computing one value; :meth:`result` waits for it."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self._fd = pid, fd
        self._over = False

    def result(self) -> Any:
        """The child's value, or None when it gave none (it failed, died or was killed):
        the caller then does that work itself."""
        data = None
        try:
            data = _read_all(self._fd)
        finally:
            self.end(wait=data is None)
        if data is None or len(data) < _LENGTH.size:
            return None
        (length,) = _LENGTH.unpack_from(data)
        if length != len(data) - _LENGTH.size:
            return None
        return marshal.loads(memoryview(data)[_LENGTH.size :])

    def pieces(self) -> Iterator[bytes]:
        """The pieces of a child started by :func:`start_pieces`, each as it was made, read
        as they are asked for (no copy of the whole); fewer than it was to make when it
        failed, died or was killed: the caller then makes the rest itself."""
        whole = False
        try:
            with open(self._fd, "rb", closefd=False) as source:
                while True:
                    head = source.read(_LENGTH.size)
                    if len(head) < _LENGTH.size:
                        return
                    (length,) = _LENGTH.unpack(head)
                    if length == _LAST:
                        whole = True
                        return
                    piece = source.read(length)
                    if len(piece) < length:
                        return
                    yield piece
        except OSError:
            return
        finally:
            self.end(wait=not whole)

    def end(self, *, wait: bool = True) -> None:
        """Stop the child if it still runs and collect it (idempotent). ``wait=False``: it
        has handed over all it had and is exiting; it is collected when this process exits
        (:func:`collect`), not now: a child forked from a large heap takes 20–60 ms to
        release its copy of the address space, which this process spends on its own
        remaining work instead of waiting for it."""
        if self._over:
            return
        self._over = True
        with contextlib.suppress(OSError):
            os.close(self._fd)
        with contextlib.suppress(OSError):  # already exited: nothing to stop
            os.kill(self.pid, signal.SIGKILL)
        if wait:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
        else:
            collect_later(self.pid)


_EXITING: list[int] = []  # children that handed everything over and exit, not yet collected


def collect_later(pid: int) -> None:
    """``pid``, a child that handed everything over and is exiting, collected by
    :func:`collect` (at this process's exit at the latest), not waited for now."""
    import atexit

    atexit.unregister(collect)  # one handler, however many children
    atexit.register(collect)  # the CLI's exit runs the exit handlers before ``os._exit``
    _EXITING.append(pid)


def collect() -> None:
    """Collect every child that handed its result over (they were stopped then): run when
    this process exits, and before each new fork, so no child outlives the command and a
    long-running caller keeps none."""
    while _EXITING:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(_EXITING.pop(), 0)


def _read_all(fd: int) -> bytes | None:
    parts: list[bytes] = []
    while True:
        try:
            chunk = os.read(fd, 1 << 20)
        except OSError:
            return None
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


def start(work: Callable[[], Any]) -> Job | None:
    """``work()`` started in a forked child (its value must be marshal data), or None where
    forking is not safe or refused: the caller then does the work itself."""
    return _fork(work, False)


def start_pieces(work: Callable[[], Iterable[bytes]]) -> Job | None:
    """``work()`` started in a forked child, its pieces (bytes) handed back one by one as
    they are made (:meth:`Job.pieces`: no marshal copy of megabytes of text at either end),
    or None where forking is not safe or refused."""
    return _fork(work, True)


def _fork(work: Callable[[], Any], in_pieces: bool) -> Job | None:
    if not safe() or cores() < 2:
        return None
    collect()
    opened: list[int] = []
    try:
        opened += os.pipe()
        opened = [above_stdio(fd) for fd in opened]
        widen(opened[1])
        pid = os.fork()
    except OSError:  # no pipe or process to be had (a process or memory limit)
        for fd in opened:
            with contextlib.suppress(OSError):
                os.close(fd)
        return None
    source, sink = opened
    if pid == 0:  # the child: never returns into the caller's code
        code = 1
        try:
            os.close(source)
            quiet_stdio()
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it with the parent
            import gc

            gc.disable()  # a collection would walk (and copy) the whole inherited heap
            with open(sink, "wb", closefd=True) as out:
                if in_pieces:
                    for piece in work():
                        out.write(_LENGTH.pack(len(piece)))
                        out.write(piece)
                    out.write(_LENGTH.pack(_LAST))
                else:
                    data = marshal.dumps(work())
                    out.write(_LENGTH.pack(len(data)))
                    out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(sink)
    return Job(pid, source)
