"""Scrub credentials from any text before it reaches a user, a log or a report."""

from __future__ import annotations

import re

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
