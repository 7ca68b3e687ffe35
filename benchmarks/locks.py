"""The lock experiment of issue 19: does a running audit make a migration fail?

While one command reads the database over and over, a migration-style
``ALTER TABLE … ADD COLUMN`` (then DROP) with ``lock_timeout = 200ms`` runs against a
table that a materialized view reads. Counted: how many of those DDL statements fail.
The same is done with ``pg_dump --schema-only`` as the reference.
"""

from __future__ import annotations

import subprocess
import time

import psycopg


def ddl_failures(dsn: str, table: str, reader: list[str], seconds: float = 20.0) -> tuple[int, int]:
    """(failed, tried) DDL statements while ``reader`` runs in a loop for ``seconds``."""
    failed = tried = 0
    deadline = time.monotonic() + seconds
    process: subprocess.Popen[bytes] | None = None
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '200ms'")
        while time.monotonic() < deadline:
            if process is None or process.poll() is not None:
                process = subprocess.Popen(
                    reader, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            time.sleep(0.05)
            # IF [NOT] EXISTS: a DROP that timed out leaves the column for the next round's
            # DROP, not a DuplicateColumn error (both forms take the same ACCESS EXCLUSIVE lock)
            for statement in (
                f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS lock_probe int",
                f"ALTER TABLE {table} DROP COLUMN IF EXISTS lock_probe",
            ):
                tried += 1
                try:
                    conn.execute(statement)
                except psycopg.errors.LockNotAvailable:
                    failed += 1
                    break  # the column was not added: do not try to drop it
    if process is not None:
        process.wait(timeout=120)
    return failed, tried
