"""The console script keeps the memory it frees for reuse (cli/allocator.py, glibc).

A large document is written in pieces of a few MB; with glibc's default thresholds every
piece came in fresh pages the kernel had to zero and fault in (at 5,000 tables 28,700 page
faults and 0.07-0.16 s of system CPU while ``inspect`` wrote its JSON). Each check runs in a
fresh interpreter: the thresholds are process state.
"""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# JSON pieces of ~3 MB encoded and laid out as render/jsonenc.py does, ten times
PIECES = """
import resource, sys
import msgspec
if sys.argv[1] == "kept":
    from schema_audit.cli import allocator
    assert allocator.keep_freed_memory()
rows = [{"name": f"c{i:06d}", "type": "bigint", "nullable": False, "default": None}
        for i in range(40000)]
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    text = msgspec.json.format(msgspec.json.encode(rows), indent=0)
    del text
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _page_faults(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", PIECES, mode], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


@pytest.mark.skipif(not GLIBC, reason="mallopt's thresholds are glibc's")
def test_large_pieces_reuse_the_pages_freed_before_them() -> None:
    default, kept = _page_faults("default"), _page_faults("kept")
    assert default > 5000  # a fresh ~3 MB piece twice per round: the cost this avoids
    assert kept * 4 < default, (default, kept)


CONSOLE = """
import atexit, sys
from schema_audit.cli import allocator, entry
calls = []
real = allocator.keep_freed_memory
allocator.keep_freed_memory = lambda: calls.append(real()) or calls[-1]
atexit.register(lambda: sys.stderr.write(f"allocator {calls}\\n"))
sys.argv = ["schema-audit", "spec-schema"]
entry.main()
"""


def test_the_console_script_sets_it_once_before_the_command_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CONSOLE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("{")  # the command ran as ever
    assert done.stderr == f"allocator [{GLIBC}]\n"
