"""The one way tests run the command line: ``python -m schema_audit.cli`` in a subprocess.

A subprocess, not typer's in-process runner, because what is under test is what a user
gets: the exit code of the real process, stderr without a traceback, output with the
passwords masked, no state left over from another test. Colour is off (``NO_COLOR``) so
assertions read plain text.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    *args: str | os.PathLike[str],
    cwd: str | os.PathLike[str] = ROOT,
    env: Mapping[str, str] | None = None,
    base_env: Mapping[str, str] | None = None,
    timeout: float = 600,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``schema-audit ARGS…`` run from ``cwd`` (default: the repository root).

    The environment is ``base_env`` (default: this process's) with ``NO_COLOR=1`` and then
    ``env`` on top; ``preexec_fn`` runs in the child before it starts (resource limits).
    ``timeout`` only stops a hung run (a replay on a loaded machine takes minutes).
    """
    environment = {**(os.environ if base_env is None else base_env), "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "schema_audit.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=timeout,
        preexec_fn=preexec_fn,
    )
