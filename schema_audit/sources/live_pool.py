"""Catalog queries spread over several connections that share one exported snapshot.

The way ``pg_dump -j`` does it: the main connection exports its REPEATABLE READ
snapshot, every other connection imports it before its first query, so all of
them read the catalog exactly as it was at one instant. Each connection is
served by one thread (psycopg releases the GIL while it waits on the server),
pulling the next planned query from one queue, heaviest first; the caller
consumes the results in a fixed order, so the model and its blind spots come
out the same whatever connection answered what.

A query planned for a slot goes to the connection of that slot while it is
there: the shares of one set of relations (their indexes, constraints,
columns) then meet in one server process, which builds each relation's cache
entry once instead of once per connection (``pg_get_expr`` opens the relation).
A slot whose connection could not be opened is served by the others.

A query the plan could not know (its text depends on rows read earlier: the
indexes left to the server's deparser) is asked for by the consumer once it has
those rows, and goes ahead of the rest of the plan; so the connections wait for
such queries until the pool is closed instead of ending with the plan.

A connection that cannot be opened (too many connections, a role's connection
limit) only means fewer of them: the others, the main one included, serve the
whole plan. Nothing here knows SQL; :mod:`schema_audit.sources.live` supplies
the readers.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol


class Reader(Protocol):
    """One connection inside its read-only transaction (``live._Reader``)."""

    blind_spots: list[str]

    def rows(self, query: str, what: str, *, optional: bool = False, **fmt: str) -> list[tuple]: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Planned:
    """One catalog query of the plan; ``part`` restricts it to a share of the relations, and
    ``slot`` names the connection that should run it (None: whichever is free)."""

    query: str
    what: str
    optional: bool = False
    part: str = ""
    slot: int | None = None


@dataclass(slots=True, eq=False)  # compared by identity (removed from the queue by it)
class _Job:
    """One planned catalog query and the future its result goes to."""

    planned: Planned
    future: Future = field(default_factory=Future)


class SharedSnapshotPool:
    """Runs a plan of catalog queries on ``connections`` connections sharing one snapshot."""

    plans_ahead = True  # queries depending on rows read are handed over by plan_next

    def __init__(
        self,
        main: Reader,
        open_reader: Callable[[], Reader],
        connections: int,
        plan: Sequence[Planned],
        refused: Callable[[int, int, str], None],
        held: Sequence[Planned] = (),
    ) -> None:
        """``open_reader`` opens one more connection on the exported snapshot (or raises, with
        a one-line message); ``refused(opened, wanted, reason)`` is told once if some could not
        be opened, after the plan ran. ``held`` is the rest of the plan, run only once the
        consumer has planned what depends on ``plan``'s rows (:meth:`plan_next`): a connection
        free meanwhile waits rather than start a long query the consumer needs later."""
        jobs = [_Job(p) for p in plan]
        self._held = [_Job(p) for p in held]
        jobs += self._held  # registered for rows(), queued by plan_next
        # the consumer takes each query's jobs (and their rows) out once it has them: at 5,000
        # tables the rows of every query held until the pool closed were ~40 MiB (issue 19)
        self._by_query: dict[tuple[str, str], list[_Job]] = {}
        for job in jobs:
            self._by_query.setdefault((job.planned.query, job.planned.what), []).append(job)
        self._todo = deque(jobs[: len(jobs) - len(self._held)])
        self._lock = threading.Lock()
        self._more = threading.Condition(self._lock)  # a job was added, or the pool closes
        self._closing = False
        self._failure: BaseException | None = None
        self._readers: list[Reader] = [main]
        self._slots = 1  # slots handed out: the main reader has 0, each opened one the next
        self._busy: dict[int, Reader] = {}  # thread ident -> reader in a query
        self._refusals: list[str] = []
        self._wanted = connections
        self._refused = refused
        self.blind_spots: list[str] = []
        self._threads = [threading.Thread(target=self._serve, args=(main, 0), daemon=True)]
        self._threads += [
            threading.Thread(target=self._open_then_serve, args=(open_reader,), daemon=True)
            for _ in range(connections - 1)
        ]
        for thread in self._threads:
            thread.start()

    # -- worker threads ---------------------------------------------------------------------

    def _open_then_serve(self, open_reader: Callable[[], Reader]) -> None:
        try:
            reader = open_reader()
        except Exception as exc:  # a refused connection: the others serve the plan
            with self._lock:
                self._refusals.append(str(exc))
            return
        with self._lock:
            slot, self._slots = self._slots, self._slots + 1
            self._readers.append(reader)
        self._serve(reader, slot)

    def _next(self, slot: int) -> _Job | None:
        """The first job planned for ``slot`` or for any connection; when none is left, the
        first of another slot's (one not opened, refused, or still busy: nothing waits on a
        connection that is not there, and a connection done early helps the others). With
        none left, waits for a query the consumer adds, until the pool closes."""
        with self._more:
            while self._failure is None and not self._todo and not self._closing:
                self._more.wait()
            if self._failure is not None or not self._todo:
                return None
            for job in self._todo:
                if job.planned.slot is None or job.planned.slot == slot:
                    self._todo.remove(job)
                    return job
            return self._todo.popleft()

    def _serve(self, reader: Reader, slot: int) -> None:
        me = threading.get_ident()
        while (job := self._next(slot)) is not None:
            if not job.future.set_running_or_notify_cancel():
                continue
            mark = len(reader.blind_spots)
            p = job.planned
            with self._lock:
                self._busy[me] = reader
            try:
                out = reader.rows(p.query, p.what, optional=p.optional, part=p.part)
            except BaseException as exc:  # the read fails as a whole: stop every thread
                self._fail(exc)
                job.future.set_exception(exc)
                return
            finally:
                with self._lock:
                    self._busy.pop(me, None)
            job.future.set_result((out, reader.blind_spots[mark:]))
            del out, job  # not kept through the next query: the consumer frees the rows

    def _fail(self, exc: BaseException) -> None:
        with self._more:
            if self._failure is None:
                self._failure = exc
            pending, self._todo = list(self._todo) + self._held, deque()
            self._held = []
            busy = list(self._busy.values())
            self._more.notify_all()
        for job in pending:  # the consumer may be waiting on a query no thread will run now
            job.future.cancel()
        for reader in busy:  # and need not wait for the ones in flight
            with contextlib.suppress(Exception):
                reader.cancel()

    # -- the consumer -----------------------------------------------------------------------

    def rows(
        self, query: str, what: str, *, optional: bool = False, part: str = "", **_: Any
    ) -> list[tuple]:
        """The rows of one planned query (all its parts, in plan order); waits for them. Each
        query is consumed once: the pool keeps no reference to its rows afterwards. A query
        not in the plan (with its ``part``) runs next, on the first connection free."""
        jobs = self._by_query.pop((query, what), None)
        if jobs is None:
            jobs = [self._add(Planned(query, what, optional=optional, part=part))]
        elif any(job in self._held for job in jobs):  # asked for before plan_next: queue them
            self.plan_next([])
        out: list[tuple] = []
        for job in jobs:
            try:
                got, spots = job.future.result()
            except BaseException as exc:
                # the first failure is the cause: a query the pool cancelled because of it
                # fails with "canceling statement due to user request", which would hide
                # the lock timeout (or other error) the user has to act on
                failure = self._failure
                if failure is None or failure is exc:
                    raise
                raise failure from None
            out.extend(got)
            self.blind_spots.extend(spots)
        return out

    @property
    def connections(self) -> int:
        """The connections asked for (some may have been refused): the parts a query is split in."""
        return self._wanted

    def plan_next(self, plan: Sequence[Planned]) -> None:
        """Queries whose text depends on rows read earlier (the relations a split query reads)
        and that the consumer wants next: queued ahead of the rest of the plan (the held part
        is queued after them), in this order. Consumed by :meth:`rows` like planned ones."""
        jobs = [_Job(p) for p in plan]
        with self._more:
            for job in jobs:
                self._by_query.setdefault((job.planned.query, job.planned.what), []).append(job)
            jobs += self._held
            self._held = []
            if self._failure is not None or self._closing:
                for job in jobs:
                    job.future.cancel()
                return
            self._todo.extendleft(reversed(jobs))
            self._more.notify_all()

    def _add(self, planned: Planned) -> _Job:
        """A job ahead of the rest of the plan (cancelled at once if the read already failed)."""
        job = _Job(planned)
        with self._more:
            if self._failure is not None or self._closing:
                job.future.cancel()
            else:
                self._todo.appendleft(job)
                self._more.notify()
        return job

    def stop(self, *, failed: bool) -> None:
        """Stop the threads (cancelling queries in flight if the read failed); tells of refused
        connections. The connections stay open: every query is answered, nothing is left to
        say, and :meth:`close` (called once or more after this) closes them."""
        if failed:
            self._fail(RuntimeError("read abandoned"))
        with self._more:
            if self._closing:
                return
            self._closing = True
            self._more.notify_all()
        for thread in self._threads:
            thread.join()
        if self._refusals and not failed:
            self._refused(len(self._readers), self._wanted, self._refusals[0])

    def close(self, *, failed: bool) -> None:
        """:meth:`stop`, then close the extra connections; the main one stays with the caller."""
        self.stop(failed=failed)
        for reader in self._readers[1:]:
            with contextlib.suppress(Exception):
                reader.close()
