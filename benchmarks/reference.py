"""The ``psql -f`` reference of the static rows: the same conditions each round, and why it took what it took.

Applying the 1,000-table history is ~9,600 statements sent one after another: psql and
its server backend take turns, so the wall time is the sum of both processes' time on a
CPU and of their waits for one (within a few percent, measured in benchmarks/README.md,
"Sixteenth session: static read, cold"). On two shared cores that wait decided the
reference (3.6 to 7.7 s in one session). Each sample is therefore taken the same way —
into a database created for it, after a CHECKPOINT and a ``sync`` (untimed), so no
earlier step's dirty buffers or page cache are written back inside the timed run — and
watched: the backend's and psql's ``/proc/<pid>/schedstat`` (nanoseconds on a CPU, and
waiting in the run queue) are read every 50 ms, which tells a slow server from a busy
machine. The same settling runs before each schema-audit command of the static rows,
so both sides start from a machine at rest; and after each sample the catalogs it filled
are vacuumed and analyzed (untimed, ``run._vacuum_catalogs``), else autovacuum does that
(≈ 0.3 CPU s) within the next 15 s, inside whichever schema-audit sample it meets.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Turns:
    """One sample's processes: seconds on a CPU and seconds runnable but waiting for one."""

    backend_cpu: float
    backend_wait: float
    psql_cpu: float
    psql_wait: float

    def describe(self) -> str:
        return (
            f"server backend {self.backend_cpu:.2f} s on a CPU + {self.backend_wait:.2f} s waiting "
            f"for one, psql {self.psql_cpu:.2f} + {self.psql_wait:.2f} s"
        )


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _schedstat(pid: int) -> tuple[float, float] | None:
    try:
        on_cpu, waiting, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
    except (OSError, ValueError):
        return None
    return int(on_cpu) / 1e9, int(waiting) / 1e9


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Watch:
    """Polls, while ``psql -f`` runs, the backend serving ``dbname`` and the psql process.

    The backend is the postmaster's child whose title names the database; psql is the
    child of the measuring wrapper this process spawned (benchmarks/measure.py). The
    last reading before each ends is kept (≤ 50 ms short of the whole).
    """

    def __init__(self, postmaster: int, dbname: str) -> None:
        self.postmaster = postmaster
        self.dbname = f" {dbname} "
        self.last: dict[str, tuple[float, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def turns(self) -> Turns | None:
        if "backend" not in self.last or "psql" not in self.last:
            return None
        (b_cpu, b_wait), (p_cpu, p_wait) = self.last["backend"], self.last["psql"]
        return Turns(b_cpu, b_wait, p_cpu, p_wait)

    def _poll(self) -> None:
        pids: dict[str, int] = {}
        while not self._stop.wait(POLL_SECONDS):
            if "backend" not in pids:
                for pid in _children(self.postmaster):
                    if self.dbname in _cmdline(pid) + " ":
                        pids["backend"] = pid
            if "psql" not in pids:
                for wrapper in _children(os.getpid()):
                    for pid in _children(wrapper):
                        pids["psql"] = pid
            for name, pid in pids.items():
                reading = _schedstat(pid)
                if reading:
                    self.last[name] = reading
