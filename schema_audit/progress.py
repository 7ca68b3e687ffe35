"""Progress of long reads on stderr: a 200 MB dump or a 10,000-revision history should not look hung.

Shown on a terminal, or everywhere with ``SCHEMA_AUDIT_PROGRESS=1`` (CI logs);
never with ``SCHEMA_AUDIT_PROGRESS=0`` or ``--quiet``. Updates are throttled
to a few per second, so the cost does not grow with the input, and stdout
(where JSON goes) is never touched.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

INTERVAL_S = 0.5


def enabled() -> bool:
    setting = os.environ.get("SCHEMA_AUDIT_PROGRESS", "").strip().lower()
    if setting in ("0", "no", "never", "false"):
        return False
    return setting in ("1", "yes", "always", "true") or sys.stderr.isatty()


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


def reporter(label: str, total: int, unit: str) -> Progress | None:
    """A Progress when progress is enabled and the work is big enough to be worth one."""
    return Progress(label, total, unit) if enabled() else None
