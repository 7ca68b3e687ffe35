"""The C allocator of the console-script process told to keep the memory it frees for reuse.

Large blocks (glibc: above 128 KiB at first) are mapped fresh from the kernel and given back
when freed, and the heap's free top is given back past 128 KiB. A command that writes a large
document does that for every piece: at 5,000 tables ``inspect``'s JSON is 62 MB encoded and
laid out 3 MB at a time, each piece in new pages the kernel zeroes and faults in (28,700 page
faults, 0.07-0.16 s of system CPU of a 0.4 s write; 1,300 and 0.02-0.04 s when the pages are
kept), and the catalog read's rows and the audit's reports alike. A command runs for seconds
and ends: the pages it keeps are handed back when it exits (peak RSS at 5,000 tables:
``inspect --dsn`` 188 -> 190 MiB, ``audit --dsn`` with init's spec 476 -> 489 MiB).

glibc only (``mallopt``, by ``ctypes``, which psycopg loads anyway on the live path); any
other C library, or none found, keeps its own policy. The console script's process alone:
a program that imports the library keeps its allocator as it set it.
"""

from __future__ import annotations

import sys

# mallopt's parameters (malloc.h) and the values set: blocks up to 64 MiB come from the heap,
# whose free top is given back only past 256 MiB
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 64 << 20
TRIM_THRESHOLD = 256 << 20


def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds for this process; whether they were set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - glibc's own; musl's mallopt does nothing
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
