"""Scrub credentials from any text before it reaches a user, a log or a report."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote

_URL_PASSWORD = re.compile(
    r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?P<tail>@)", re.IGNORECASE
)
_KV_PASSWORD = re.compile(
    r"(?P<head>\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE
)


def scrub(text: str, *secrets: str | None) -> str:
    """Replace passwords in URLs, ``password=`` pairs and any known secret with ``***``."""
    out = _URL_PASSWORD.sub(lambda m: f"{m['head']}***{m['tail']}", text)
    out = _KV_PASSWORD.sub(lambda m: f"{m['head']}***", out)
    for secret in secrets:
        if secret:
            out = out.replace(secret, "***")
    return out


# -- passwords known to this process, masked in every output whatever route they took ----------

MIN_SECRET_LENGTH = 4  # shorter ones would mask ordinary words all over a report
_DSNS: set[str] = set()


def register_dsn(*dsns: str | None) -> None:
    """DSNs given on the command line: their passwords are known secrets from now on."""
    _DSNS.update(d for d in dsns if d)


def known_secrets(environ: dict[str, str] | None = None) -> list[str]:
    """Passwords this process could know: ``PGPASSWORD``, every ``.pgpass`` and service-file
    password, and the passwords of the DSNs given (``--dsn``, ``SCHEMA_AUDIT_DSN``, …).

    In CI the spec and the migrations come from a pull request; a password must not reach
    a report however it got there (a ``--var``, a comment in a migration, a table name).
    """
    env = dict(os.environ if environ is None else environ)
    found = [env.get("PGPASSWORD")]
    found += _pgpass_passwords(Path(env.get("PGPASSFILE") or Path.home() / ".pgpass"))
    for service_file in _service_files(env):
        found += _service_passwords(service_file)
    for dsn in (*_DSNS, env.get("SCHEMA_AUDIT_DSN"), env.get("DATABASE_URL")):
        found += dsn_passwords(dsn)
    unique = {s for s in found if s and len(s) >= MIN_SECRET_LENGTH}
    return sorted(unique, key=lambda s: (-len(s), s))  # longest first: no half-masked secret


def dsn_passwords(dsn: str | None) -> list[str]:
    """The password of a URL or ``key=value`` DSN, as written and decoded."""
    if not dsn:
        return []
    out = []
    for match in _URL_PASSWORD.finditer(dsn):
        out += [match["pw"], unquote(match["pw"])]
    for match in _KV_PASSWORD.finditer(dsn):
        value = match["pw"]
        if value.startswith("'") and value.endswith("'") and len(value) >= 2:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out.append(value)
    return out


def _pgpass_passwords(path: Path) -> list[str]:
    """The fifth field of each ``host:port:db:user:password`` line (``\\:`` and ``\\\\`` escaped)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = re.findall(r"(?:[^:\\]|\\.)*", line)[::2]  # split on unescaped colons
        if len(fields) >= 5:
            out.append(re.sub(r"\\(.)", r"\1", ":".join(fields[4:])))
    return out


def _service_files(env: dict[str, str]) -> list[Path]:
    files = [Path(env.get("PGSERVICEFILE") or Path.home() / ".pg_service.conf")]
    if env.get("PGSYSCONFDIR"):
        files.append(Path(env["PGSYSCONFDIR"]) / "pg_service.conf")
    return files


def _service_passwords(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return re.findall(r"^\s*password\s*=\s*(.*?)\s*$", text, re.MULTILINE)


def _char_forms(char: str) -> list[str]:
    """How one character of a secret may be written by our formats: as itself, backslash-
    escaped (Markdown, JSON), as an HTML/XML entity, or JSON's ``\\uXXXX``."""
    import html  # here: only a command that knows a secret masks (html.entities' import ~2 ms)

    code = ord(char)
    forms = {
        char,
        "\\" + char,
        html.escape(char),
        f"&#{code};",
        f"&#{code:02d};",
        f"&#x{code:x};",
        f"&#x{code:X};",
        json.dumps(char)[1:-1],
        f"\\u{code:04x}",
    }
    return sorted(forms, key=len, reverse=True)


def _pattern(secret: str) -> re.Pattern[str]:
    parts = ["(?:" + "|".join(re.escape(f) for f in _char_forms(c)) + ")" for c in secret]
    return re.compile("".join(parts))


def mask_secrets(text: str, secrets: list[str] | None = None) -> str:
    """Every known secret in ``text`` replaced by ``***``, in whatever escaping the output
    format gave it (JSON, HTML, XML, Markdown)."""
    for secret in known_secrets() if secrets is None else secrets:
        if len(secret) >= MIN_SECRET_LENGTH:
            text = _pattern(secret).sub("***", text)
    return text


# -- the same masking over UTF-8 bytes that arrive in pieces (large reports are streamed) ------


def _byte_pattern(secret: str) -> tuple[re.Pattern[bytes], int]:
    """:func:`_pattern` over the UTF-8 bytes of the text, and the longest match in bytes.

    It matches exactly where :func:`_pattern` matches in the text: every alternative is
    whole characters, and a match cannot start inside a character (UTF-8 lead and
    continuation bytes differ), so the same alternatives are tried in the same order.
    """
    forms = [[f.encode("utf-8") for f in _char_forms(c)] for c in secret]
    parts = [b"(?:" + b"|".join(re.escape(f) for f in alts) + b")" for alts in forms]
    return re.compile(b"".join(parts)), sum(max(map(len, alts)) for alts in forms)


def mask_chunks(chunks: Iterable[bytes], secrets: list[str] | None = None) -> Iterator[bytes]:
    """:func:`mask_secrets` over UTF-8 text given in pieces: the same bytes as masking the
    whole text and encoding it, without ever holding the whole text.

    A secret split across two pieces is still found: the end of each piece that could begin
    a match (the longest match's length) waits for the next piece. Secrets are masked one
    after another, as :func:`mask_secrets` does, each over the previous one's output.
    """
    stream: Iterable[bytes] = chunks
    for secret in known_secrets() if secrets is None else secrets:
        if len(secret) >= MIN_SECRET_LENGTH:
            stream = _masked(stream, *_byte_pattern(secret))
    return iter(stream)


def _masked(chunks: Iterable[bytes], pattern: re.Pattern[bytes], longest: int) -> Iterator[bytes]:
    """``pattern.sub(b"***", b"".join(chunks))``, piece by piece.

    A match starting before ``len(buffer) - longest + 1`` lies in the buffer whatever follows,
    so it (and the absence of one) is decided; the rest is carried into the next buffer.
    Scanning resumes where the whole-text scan would: after the last match, or at the cut.
    """
    carry = b""
    for chunk in chunks:
        buffer = carry + chunk if carry else chunk
        decided = len(buffer) - longest + 1
        pieces: list[bytes] = []
        position = 0
        for match in pattern.finditer(buffer):
            if match.start() >= decided:
                break
            pieces += (buffer[position : match.start()], b"***")
            position = match.end()
        cut = max(position, decided)
        pieces.append(buffer[position:cut])
        carry = buffer[cut:]
        out = b"".join(pieces)
        if out:
            yield out
    if carry:
        yield pattern.sub(b"***", carry)
