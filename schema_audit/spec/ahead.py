"""A large spec's document read and checked by a forked child while this process reads
the history: the static audit of a long history with init's spec.

Why: ``audit --sql`` / ``--migrations`` loaded the spec (init's 1,000-table spec: ≈ 0.5
CPU s, two thirds of it reading the document line by line and checking it against the
spec's schema) and only then read the history, on one core; a long history's parsing
child (``sources/parse_ahead``) is done with its part long before this process is done
interpreting, and the second core then waited for the judging fork. Here the child reads
the document and checks it (``spec.load``'s own :func:`~schema_audit.spec.load.document`)
on that core while this process reads the history, and hands the checked document back
(``marshal`` data: the data, its positions and, for the line reader's document, the
positions kept per block collection, with the collections shared as they were). This
process then builds the requirements from it as it would have from its own reading.

Never different: the document is taken only for the very bytes this process then reads
from the same path under the same limits (their SHA-256, the spec's own digest), and
only when it is valid as read; anything else (a spec that is not plain, invalid, unreadable,
a child that fails or dies, data ``marshal`` cannot carry) hands back nothing and this
process loads the spec itself, every error worded as before. Where a fork is not safe or
does not pay (``forkjob.start``: not Linux, another thread, one allowed core) or the spec is
small (below :data:`MIN_BYTES`, where the fork would cost more than the read), nothing is
started.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from schema_audit import forkjob
from schema_audit.spec import blockread
from schema_audit.spec.limits import SpecLimits
from schema_audit.spec.yamlpos import Located

# below this a spec's reading costs less than forking for it (init's 1,000-table spec is
# ≈ 2.5 MB; B0.3's, whose cold audit's start-up is measured, ≈ 20 KB)
MIN_BYTES = 256 * 1024


class Ahead:
    """The child reading the spec at ``path``; :meth:`located` takes its document."""

    def __init__(self, path: Path, job: Any) -> None:
        self.path, self._job = path, job

    def located(
        self, path: Path, text: str, raw: bytes, limits: SpecLimits
    ) -> tuple[Located, Any] | None:
        """(the document, its digest) when the child read exactly ``raw`` (``text``
        encoded) at ``path`` under ``limits`` and found it valid, else None (this process
        reads it itself); the child is collected either way."""
        got = self._job.result()
        if got is None or path != self.path:
            return None
        digest = hashlib.sha256(raw)
        sha, file, bounds, reading = got
        if sha != digest.hexdigest() or file != str(path) or bounds != _bounds(limits):
            return None
        return _rebuilt(text, file, limits, reading), digest

    def end(self) -> None:
        """Stop and collect the child (a load that failed before taking it)."""
        self._job.end()


def start(path: Path) -> Ahead | None:
    """The child reading and checking the spec at ``path`` from now, or None (a small or
    unreadable file, or no fork to be had: the spec is loaded here, as before)."""
    try:
        if os.stat(path).st_size < MIN_BYTES:
            return None
    except (OSError, ValueError):
        return None
    job = forkjob.start(lambda: _read(path))
    return None if job is None else Ahead(path, job)


def _bounds(limits: SpecLimits) -> tuple[int, int, int]:
    return limits.max_bytes, limits.max_nodes, limits.max_depth


def _read(path: Path) -> Any:
    """The child's work: (the SHA-256 of the bytes read, the file's name, the limits, the
    checked document's pieces), or None where this process must load the spec itself."""
    from schema_audit.spec.load import document

    limits = SpecLimits.from_env()  # load_spec's, from this (forked) environment
    got = document(path, limits)
    if got is None:
        return None
    located, sha = got
    derived = located.derived
    if derived is None:
        spots = None
    elif isinstance(derived, blockread.Positions):
        spots = derived.spots
    else:
        return None
    return sha, located.file, _bounds(limits), (located.data, located.marks, spots)


def _rebuilt(text: str, file: str, limits: SpecLimits, reading: Any) -> Located:
    """The child's document as this process's own reading would have made it: the line
    reader's positions are kept per block collection over the text's lines (the flow
    collections' entries worked out from a line when asked, as there)."""
    data, marks, spots = reading
    if spots is None:
        return Located(data, marks, file)
    lines = text.split("\n")  # as read_block split it
    kept = blockread.positions(file, limits.max_nodes, limits.max_depth, lines, spots)
    return Located(data, marks, file, kept)
