"""Date and time literals as PostgreSQL stores them, so a migration's spelling compares
with the catalog's.

PostgreSQL converts a typed literal to its binary value when the statement runs:
``timestamptz DEFAULT '0001-01-01 00:00:00Z'`` is stored as an instant and printed back
(``pg_get_expr``) in the reading session's TimeZone and DateStyle, e.g.
``'0001-01-01 00:00:00+00'::timestamp with time zone``. The static reader keeps the literal
as written. :func:`fold` reads both spellings into one canonical text, the value as
PostgreSQL prints it with DateStyle ISO and TimeZone UTC (so a bare literal already written
that way, in a CHECK whose type only the catalog knows, still equals the catalog's):

* ``0001-01-01 00:00:00+00`` — a ``timestamptz``: an instant, in UTC;
* ``2024-01-01 12:00:00``, ``2024-01-01``, ``12:00:00``, ``12:00:00+02`` — the stored value;
* ``@session <type> <literal>`` — the stored value depends on a setting of the session
  that ran the statement, which no file records: a ``timestamptz`` or ``timetz`` without a
  UTC offset is read in that session's TimeZone, ``'now'``/``'today'`` is the moment it
  ran, ``'01/02/2024'`` is read in its DateStyle's field order, and a spelling this
  module does not read (a named zone such as ``Europe/Paris``) is kept for the same
  reason: never guessed.

Two ``@session`` texts are equal only when the literals are; comparing one with a
stored value cannot be decided from a file (callers say DEFERRED, see
:func:`depends_on_session`).
"""

from __future__ import annotations

import re

SESSION = "@session "
TYPES = frozenset({"timestamptz", "timestamp", "date", "time", "timetz"})

_SPECIAL_TIMESTAMPS = {"infinity": "infinity", "+infinity": "infinity", "-infinity": "-infinity"}
_CREATE_TIME_WORDS = frozenset({"now", "today", "tomorrow", "yesterday"})
_DATE = r"(?P<year>\d{4,})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<frac>\d{1,6}))?)?"
_ZONE = (
    r"(?P<zone>[zZ]|(?i:utc|gmt|zulu|ut)"
    r"|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?)"
)
_ERA = r"(?:\s+(?P<era>(?i:bc|ad)))?"
_TIMESTAMP_RE = re.compile(rf"^{_DATE}(?:(?:\s+|[tT]){_TIME})?(?:\s*{_ZONE})?{_ERA}$")
_CLOCK_RE = re.compile(rf"^{_TIME}(?:\s*{_ZONE})?$")
_OFFSET_RE = re.compile(r"^([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?$")
_MICROS_PER_DAY = 86_400_000_000


def depends_on_session(canonical: str | None) -> bool:
    """True when a canonical expression holds a literal whose stored value a file cannot tell."""
    return canonical is not None and SESSION in canonical


_QUOTED = re.compile(r"'(?:[^']|'')*'")


def undecidable(a: str, b: str) -> bool:
    """True when canonical expressions ``a`` and ``b`` differ only in literals where one side
    is a value the session decided: the same text around them, literal for literal equal or
    one of the pair ``@session``. Any other difference (a column, an operator, another
    literal) is one a file can tell."""
    if a == b or SESSION not in a + b:
        return False
    left, right = _QUOTED.findall(a), _QUOTED.findall(b)
    if len(left) != len(right) or _QUOTED.sub("''", a) != _QUOTED.sub("''", b):
        return False
    return all(x == y or SESSION in x or SESSION in y for x, y in zip(left, right, strict=True))


def fold(base: str, text: str) -> str | None:
    """The canonical text of literal ``text`` read as a value of type ``base``
    (``timestamptz``, ``timestamp``, ``date``, ``time``, ``timetz``); None for other types."""
    if base not in TYPES:
        return None
    value = " ".join(text.split())
    lowered = value.lower()
    if lowered in _CREATE_TIME_WORDS:
        return _session(base, value)
    if base == "time":
        return _fold_time(value, lowered)
    if base == "timetz":
        return _fold_timetz(value, lowered)
    if lowered in _SPECIAL_TIMESTAMPS:
        return _SPECIAL_TIMESTAMPS[lowered]
    if lowered == "epoch":
        value = "1970-01-01 00:00:00+00"
    match = _TIMESTAMP_RE.match(value)
    if match is None:
        return _session(base, value)
    date = _date_of(match)
    if date is None:
        return _session(base, value)
    if base == "date":
        return _format_date(date)
    micros = _clock_micros(match)
    if micros is None:
        return _session(base, value)
    stamp = _days(*date) * _MICROS_PER_DAY + micros
    if base == "timestamp":
        return _format_stamp(stamp, "")
    offset = _offset_seconds(match.group("zone"))
    if offset is None:  # no zone: read in the TimeZone of the session that ran it
        return _session(base, value)
    return _format_stamp(stamp - offset * 1_000_000, "+00")


def _session(base: str, value: str) -> str:
    return f"{SESSION}{base} {value}"


def _fold_time(value: str, lowered: str) -> str:
    if lowered == "allballs":
        return "00:00:00"
    match = _CLOCK_RE.match(value)
    micros = _clock_micros(match) if match else None
    if micros is None:
        return _session("time", value)
    return _format_clock(micros)


def _fold_timetz(value: str, lowered: str) -> str:
    if lowered == "allballs":
        return "00:00:00+00"
    match = _CLOCK_RE.match(value)
    micros = _clock_micros(match) if match else None
    offset = _offset_seconds(match.group("zone")) if match else None
    if micros is None or offset is None:  # no zone: the session's TimeZone offset of today
        return _session("timetz", value)
    return f"{_format_clock(micros)}{_format_offset(offset)}"


def _date_of(match: re.Match[str]) -> tuple[int, int, int] | None:
    """(astronomical year, month, day): 1 BC is year 0, as PostgreSQL counts."""
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    if year == 0:
        return None  # PostgreSQL rejects year 0
    if (match["era"] or "").lower() == "bc":
        year = 1 - year
    if not 1 <= month <= 12 or not 1 <= day <= _month_days(year, month):
        return None
    return year, month, day


def _clock_micros(match: re.Match[str]) -> int | None:
    """Microseconds since midnight; 24:00:00 is allowed (the next midnight), as PostgreSQL does."""
    if match["hour"] is None:
        return 0
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"] or 0)
    micros = int((match["frac"] or "").ljust(6, "0"))
    if minute > 59 or second > 59 or hour > 24 or (hour == 24 and (minute or second or micros)):
        return None
    return ((hour * 60 + minute) * 60 + second) * 1_000_000 + micros


def _offset_seconds(zone: str | None) -> int | None:
    """Seconds east of UTC of an explicit zone; None when there is none."""
    if zone is None:
        return None
    if zone.lower() in ("z", "utc", "gmt", "zulu", "ut"):
        return 0
    match = _OFFSET_RE.match(zone)
    if match is None:
        return None
    sign = -1 if match.group(1) == "-" else 1
    hours, minutes, seconds = (int(g or 0) for g in match.groups()[1:])
    return sign * (hours * 3600 + minutes * 60 + seconds)


def _month_days(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar (any year, negative too)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil(days: int) -> tuple[int, int, int]:
    """Inverse of :func:`_days`."""
    days += 719468
    era = days // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (month <= 2), month, day


def _format_date(date: tuple[int, int, int]) -> str:
    year, month, day = date
    era = "" if year > 0 else " BC"
    return f"{year if year > 0 else 1 - year:04d}-{month:02d}-{day:02d}{era}"


def _format_clock(micros: int) -> str:
    seconds, fraction = divmod(micros, 1_000_000)
    text = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return text + (f".{fraction:06d}".rstrip("0") if fraction else "")


def _format_stamp(micros: int, zone: str) -> str:
    """As DateStyle ISO prints it: ``0001-01-01 00:00:00+00 BC``."""
    days, clock = divmod(micros, _MICROS_PER_DAY)
    date = _format_date(_civil(days))
    era = " BC" if date.endswith(" BC") else ""
    return f"{date.removesuffix(' BC')} {_format_clock(clock)}{zone}{era}"


def _format_offset(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}{hours:02d}"
    if minutes or secs:
        text += f":{minutes:02d}"
    if secs:
        text += f":{secs:02d}"
    return text
