"""Measure one command in a fresh process: wall time, its own peak RSS, exit code, stderr.

A small wrapper process (``python -I -S``, three modules) spawns the command and
reports what ``os.wait4`` says of that one child. The wrapper is needed because
Linux keeps a process's ``ru_maxrss`` across ``exec``: a command spawned straight
from the benchmark, which holds a catalog model in memory, would report the
benchmark's own size as its floor (every row read 127 MiB). The wrapper's floor is
about 8 MiB, below ``python -c pass``'s own. The time is taken inside the wrapper,
so its start-up is not counted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXE = Path(sys.executable).parent / "schema-audit"
# the installed entry point is what users run; ``-m`` where it is missing
CLI = [str(EXE)] if EXE.exists() else [sys.executable, "-m", "schema_audit.cli"]
WRAPPER = """\
import os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(
    sys.argv[1], sys.argv[1:], os.environ,
    file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)],
)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
cpu = usage.ru_utime + usage.ru_stime
print(seconds, usage.ru_maxrss, os.waitstatus_to_exitcode(status), cpu)
"""


@dataclass(frozen=True)
class Outcome:
    """One run: seconds, peak RSS in MiB, exit code, the end of its stderr, CPU seconds.

    CPU time (user + system of the command alone) moves far less than wall time when
    other work shares the machine; wall time is what the targets are set in.
    """

    seconds: float
    rss_mib: float
    code: int
    stderr: str
    cpu: float = 0.0


def run(argv: list[str], env: dict[str, str] | None = None) -> Outcome:
    """Run ``argv`` once from the repository root, stdout discarded."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.run(
            [sys.executable, "-I", "-S", "-c", WRAPPER, *argv],
            stdout=subprocess.PIPE,
            stderr=err,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            check=False,
        )
        err.seek(0)
        tail = err.read()[-4000:].decode(errors="replace")
    try:
        seconds, rss_kib, code, cpu = proc.stdout.split()
    except ValueError:
        raise RuntimeError(f"{' '.join(argv)} could not be measured: {tail[-800:]}") from None
    return Outcome(float(seconds), int(rss_kib) / 1024, int(code), tail, float(cpu))  # KiB


def checked(
    argv: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)
) -> Outcome:
    """``run``, raising when the exit code is not one of ``ok`` (a failed run is no figure)."""
    outcome = run(argv, env)
    if outcome.code not in ok:
        raise RuntimeError(f"{' '.join(argv)} exited {outcome.code}: {outcome.stderr[-800:]}")
    return outcome


def measure(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS MiB) of one run; exit 0 or 1 (an audit with findings) is a result."""
    outcome = checked(argv, ok=(0, 1))
    return outcome.seconds, outcome.rss_mib
