"""psql's ``\\i`` / ``\\ir`` / ``\\include`` / ``\\include_relative``: the file each one reads.

psql runs the included file's statements in place, in the same session. The static reading
(the DDL interpreter) and ``--replay`` follow them the same way, with the rules below, so
a table an included file makes is in the model, with the included file's own file:line.

Where the path starts: ``\\ir`` / ``\\include_relative`` from the including file's folder,
as psql does. ``\\i`` / ``\\include`` from the directory psql runs in, which a history does
not say: the tool takes the history's folder (the folder given; for one file given, its
folder) and says so in the report (``Includes.note``). A path that leads out of that folder
(``..``, an absolute path elsewhere, a symbolic link) is refused, not read: the history
would depend on files outside what was given. A file that includes itself, directly or
through others, is refused too (psql would recurse until it fails). Both, and a file that
cannot be read, are a one-line error with the including file:line (exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from schema_audit.errors import SchemaAuditError
from schema_audit.sources.psqlvars import variables_at

_NAME = re.compile(r"\\(include_relative|include|ir|i)(?![A-Za-z0-9_])\s*(.*)", re.S)
_ARG = re.compile(r"'((?:[^']|'')*)'|(\S+)")
_RELATIVE = ("ir", "include_relative")
# a history holding one (bytes: tested before a file is decoded, to skip the model cache)
INCLUDE_BYTES = re.compile(rb"(?m)^[ \t]*\\(?:include_relative|include|ir|i)(?![A-Za-z0-9_])")


class IncludeError(SchemaAuditError):
    """An included file that is not read (outside the history, a cycle, unreadable); one
    line naming the including file:line."""


def is_include(command: str) -> bool:
    """Whether a psql meta-command's text is one of the four include commands."""
    return _NAME.match(command.strip()) is not None


def has_include(raw: bytes) -> bool:
    """Whether a file's bytes hold an include command at a line's start."""
    return b"\\i" in raw and INCLUDE_BYTES.search(raw) is not None


@dataclass(slots=True)
class Includes:
    """How one history's includes are read: ``root`` (resolved) holds every file read and is
    where ``\\i`` starts; ``display`` names a file as reports do; ``reading``: the files
    being read now, outermost first (the history's own file, then each include; resolved
    when an include is met, not for every file of a history)."""

    root: Path
    display: Callable[[Path], str]
    reading: list[Path] = field(default_factory=list)
    followed_plain: bool = False  # an \\i / \\include was followed (the report says from where)
    # psql variables set when each file of ``reading`` after the first started (one session)
    inherited: list[dict[str, str]] = field(default_factory=list)
    # the history's layout (Layout.name): whether its runner wraps a file in a transaction
    layout: str | None = None

    def variables_at(self, line: int) -> dict[str, str]:
        """The psql variables an include at ``line`` of the file being read hands on: those
        its text set before that line, over the ones it started with. Read again from the
        file only when an include is met (a reader may hold its statements, not its text)."""
        if not self.reading:
            return {}
        try:
            text = self.reading[-1].read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return dict(self.inherited[-1]) if self.inherited else {}
        if "\\" not in text and not self.inherited:
            return {}
        start = self.inherited[-1] if len(self.reading) > 1 and self.inherited else {}
        return variables_at(text, line, start)

    def resolve(self, command: str, where: str) -> Path:
        """The file ``command`` (``\\ir x.sql`` …) reads, written at ``where`` (file:line)."""
        m = _NAME.match(command.strip())
        assert m is not None
        arg = _ARG.match(m[2].strip())
        name = (arg[1].replace("''", "'") if arg[1] is not None else arg[2]) if arg else ""
        if not name:
            raise IncludeError(f"{where}: \\{m[1]} without a file name")
        relative = m[1] in _RELATIVE and bool(self.reading)
        reading = [p.resolve() for p in self.reading]  # (resolved only when one is met)
        start = reading[-1].parent if relative else self.root
        self.followed_plain = self.followed_plain or not relative
        path = (start / name).resolve()
        if not path.is_relative_to(self.root):
            raise IncludeError(
                f"{where}: \\{m[1]} {name}: {path} is outside the history's folder "
                f"{self.root}; not read"
            )
        if path in reading:
            chain = " -> ".join(self.display(p) for p in [*reading, path])
            raise IncludeError(f"{where}: \\{m[1]} {name}: the file includes itself ({chain})")
        return path

    def read(self, path: Path, where: str) -> str:
        """The included file's text (psql reads all of it: no up/down sections)."""
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise IncludeError(f"{where}: {self.display(path)}: {reason}; not read") from None

    def note(self) -> str:
        """The report's line on where ``\\i`` paths started (only when one was followed)."""
        return (
            f"psql \\i / \\include paths were read from the history's folder ({self.root}), "
            "where psql would resolve them from the directory it runs in; \\ir from the "
            "including file's folder"
        )
