"""Storage and view options: what ``WITH (…)`` and UNLOGGED set, compared as PostgreSQL reads them.

Reviewers ask whether a view runs with the caller's rights (``security_invoker``),
leaks through functions (``security_barrier``), checks inserted rows
(``check_option``), and whether a table is UNLOGGED (lost on a crash) or has a
``fillfactor``. pg_class.reloptions keeps what was written (``security_invoker=on``);
booleans compare as booleans and an absent option has PostgreSQL's default.
"""

from __future__ import annotations

from typing import Any

from schema_audit.audit.findings import Diff

_TRUE = {"true", "on", "yes", "1", "t", "y"}
_FALSE = {"false", "off", "no", "0", "f", "n"}
DEFAULTS = {"security_invoker": "false", "security_barrier": "false", "check_option": "none"}


def _norm(value: Any) -> str:
    text = str(value).strip().lower() if not isinstance(value, bool) else str(value).lower()
    if text in _TRUE:
        return "true"
    if text in _FALSE:
        return "false"
    return text


def option_diffs(
    wanted: dict[str, Any], actual: dict[str, str], unlogged: bool | None
) -> list[Diff]:
    """A Diff per option whose value differs (``unlogged`` is the table's persistence)."""
    diffs: list[Diff] = []
    for name, value in wanted.items():
        if name == "unlogged" and unlogged is not None:
            if bool(value) != unlogged:
                diffs.append(Diff("options.unlogged", bool(value), unlogged))
            continue
        have = actual.get(name, DEFAULTS.get(name))
        if have is None or _norm(have) != _norm(value if value is not None else "none"):
            diffs.append(Diff(f"options.{name}", value, actual.get(name)))
    return diffs
