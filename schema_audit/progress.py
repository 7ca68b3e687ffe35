"""Progress of long reads: a 200 MB dump or a 10,000-revision history should not look hung.

The library reports progress only to a :class:`Reporter` its caller hands it; the
default, :data:`SILENT`, says nothing. The CLI decides whether anyone is watching
(a terminal, or ``SCHEMA_AUDIT_PROGRESS=1`` in CI logs; never with ``=0`` or
``--quiet``) and passes a :class:`StderrReporter`. Updates are throttled to a few
per second, so the cost does not grow with the input, and stdout (where JSON goes)
is never touched.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

INTERVAL_S = 0.5


class Progress:
    """``label: 40% (4,000/10,000 revisions)`` lines; in place on a terminal, one per update in logs."""

    def __init__(self, label: str, total: int, unit: str, stream: TextIO | None = None) -> None:
        self.label, self.total, self.unit = label, max(total, 1), unit
        self.stream = stream or sys.stderr
        self.inline = self.stream.isatty()
        self.last = 0.0
        self.shown = False

    def update(self, done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < INTERVAL_S:
            return
        self.last = now
        percent = 100 * min(done, self.total) // self.total
        text = f"{self.label}: {percent}% ({done:,}/{self.total:,} {self.unit})"
        self.stream.write(("\r" + text + "\x1b[K") if self.inline else text + "\n")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            self.update(self.total, force=True)
            if self.inline:
                self.stream.write("\n")
                self.stream.flush()


class Reporter:
    """Where long work tells how far it got. This base class is silent."""

    enabled = False

    def progress(self, label: str, total: int, unit: str) -> Progress | None:
        """A Progress for ``total`` steps of ``unit``, or None when nobody is watching."""
        return None

    def replay_step(self, step: Any) -> None:
        """One revision replayed into the scratch database (``step.revision``, ``.seconds``, ``.error``)."""


SILENT = Reporter()


class StderrReporter(Reporter):
    """Progress lines on stderr (or ``stream``)."""

    enabled = True

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def progress(self, label: str, total: int, unit: str) -> Progress | None:
        return Progress(label, total, unit, self.stream)

    def replay_step(self, step: Any) -> None:
        mark = "FAILED: " + step.error if step.error else "ok"
        stream = self.stream or sys.stderr
        stream.write(f"  replay {step.revision} ({step.seconds * 1000:.0f} ms) {mark}\n")
        stream.flush()
