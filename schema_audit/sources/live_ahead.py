"""A live read started before the caller needs its model, so the server works meanwhile.

``audit --dsn`` has client work that needs no model: importing the audit engine, loading
and validating the spec (pure Python). Read one after the other, the catalog queries
wait for all of it to end and the spec's loading waits for the server. Started here in a
thread first, the queries run on the server (psycopg releases the GIL while it waits)
while the caller's thread loads the spec; the caller takes the model when it needs it.

Nothing the read says reaches the user before the caller asks for it: notices are kept
and told when :meth:`ReadAhead.result` is called, and an error is raised there, in the
caller's thread. A caller that fails first (a spec with errors) never asks: its error is
the only one printed, exactly as when the read had not started. The read itself is the
same (one snapshot, read-only transaction, timeouts, locks given back per query); it
ends its transaction when its model is whole, not when the caller takes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")


class ReadAhead(Generic[T]):
    """``read(notice)`` running in a daemon thread; its result (or error) on demand."""

    def __init__(self, read: Callable[[Callable[[str], None]], T]) -> None:
        """Start ``read`` now; it is given a ``notice`` callable that keeps lines for later."""
        self._notices: list[str] = []
        self._future: Future[T] = Future()
        # a daemon: a caller that fails first exits without waiting for a read it will not
        # use (the server rolls the read-only transaction back when the connection closes)
        self._thread = threading.Thread(
            target=self._run, args=(read,), name="schema-audit-read-ahead", daemon=True
        )
        self._thread.start()

    def _run(self, read: Callable[[Callable[[str], None]], T]) -> None:
        try:
            self._future.set_result(read(self._notices.append))
        except BaseException as exc:  # raised again in the caller's thread, by result()
            self._future.set_exception(exc)

    def result(
        self, notice: Callable[[str], None], meanwhile: Callable[[], None] | None = None
    ) -> T:
        """Wait for the read; tell its notices (in order) to ``notice``, then return its
        result or raise its error. ``meanwhile`` runs first when the read is still under
        way (the caller would only wait: ``audit.prefetch``), not when it is over."""
        if meanwhile is not None and self._thread.is_alive():
            meanwhile()
        self._thread.join()
        for line in self._notices:
            notice(line)
        return self._future.result()
