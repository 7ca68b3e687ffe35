"""Coverage-guided fuzzing of the spec loader and the SQL reader, for a fixed time (``make fuzz``).

Not part of ``make test`` or CI: it runs until ``FUZZ_SECONDS`` (default 120) are spent,
split between the two targets. Each round mutates an input from the corpus (byte edits,
splices of two inputs, repeated chunks, tokens each format cares about) and runs it in a
child process, so a crash of the interpreter (pglast's C code, a recursion) is caught as
one. An input that makes the target execute lines of ``schema_audit`` no earlier input
reached joins the corpus (line coverage through ``sys.settrace``: slow, but guided).

A target fails when it raises anything but its documented error (``SpecError`` for a
spec; the SQL reader reports bad statements in the model and raises nothing) or when the
child dies. Each failure is written to ``fuzz-crashes/`` with its traceback; turn it into
a test in tests/test_fuzz_spec.py or tests/test_fuzz_ddl.py before fixing it.

    FUZZ_SECONDS=600 make fuzz
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing as mp
import os
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = str(ROOT / "schema_audit")
CRASHES = ROOT / "fuzz-crashes"
PER_INPUT_SECONDS = 20
MAX_INPUT = 64 * 1024

SPEC_TOKENS = [
    b"&a ", b"*a", b"<<: *a\n", b"${X}", b"${X:-d}", b"extends: ", b"vars:\n  X: 1\n",
    b"!!python/object:os.system ", b"tables:\n", b"  t:\n    columns:\n      id: {type: int}\n",
    b"[", b"]", b"{", b"}", b"\n  ", b": ", b"- ", b"'", b'"', b"\\e", b"\x00", b"\t",
]  # fmt: skip
SQL_TOKENS = [
    b"(", b")", b";", b"$$", b"$x$", b"'", b'"', b"--", b"/*", b"*/", b"\\", b"\x00",
    b"BEGIN ATOMIC ", b" END", b"CREATE TABLE t (id int);", b"DO $$ BEGIN END $$;",
    b" + 1", b"::int", b"CASE WHEN true THEN 1 END", b"ALTER TABLE t ", b"E'\\x'",
]  # fmt: skip


def corpus(kind: str) -> list[bytes]:
    """Seed inputs: the specs, SQL files and migrations of this repository."""
    if kind == "spec":
        paths = [*ROOT.glob("specs/*.yaml"), *ROOT.glob("tests/data/*.yaml")]
    else:
        paths = [*ROOT.glob("tests/fixtures/**/*.sql"), *ROOT.glob("tests/data/*.sql")]
    seeds = [p.read_bytes()[:MAX_INPUT] for p in sorted(paths)]
    return seeds or [b"name: x\n" if kind == "spec" else b"CREATE TABLE t (id int);\n"]


def mutate(data: bytes, pool: list[bytes], tokens: list[bytes], rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        pos = rng.randint(0, len(out))
        choice = rng.randrange(6)
        if choice == 0 and out:  # delete a span
            del out[pos : pos + rng.randint(1, 64)]
        elif choice == 1:  # insert a token
            out[pos:pos] = rng.choice(tokens)
        elif choice == 2 and out:  # flip a byte
            out[min(pos, len(out) - 1)] = rng.randrange(256)
        elif choice == 3 and out:  # repeat a chunk (nesting, long lines)
            start = rng.randint(0, len(out) - 1)
            chunk = bytes(out[start : start + rng.randint(1, 32)])
            out[pos:pos] = chunk * rng.randint(2, 200)
        elif choice == 4:  # splice another input
            other = rng.choice(pool)
            cut = rng.randint(0, len(other))
            out[pos:] = other[cut:]
        else:  # duplicate a line
            lines = bytes(out).split(b"\n")
            line = rng.choice(lines)
            out[pos:pos] = line + b"\n"
    return bytes(out[:MAX_INPUT])


def run_spec(data: bytes) -> set[tuple[str, int]]:
    from schema_audit.spec.load import SpecError, load_spec

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.yaml"
        path.write_bytes(data)
        os.environ["SCHEMA_AUDIT_CACHE"] = "0"
        return _covered(lambda: _expect(lambda: load_spec(path), SpecError))


def run_sql(data: bytes) -> set[tuple[str, int]]:
    from schema_audit.sources.ddl import interpret

    text = data.decode("utf-8", errors="replace")
    return _covered(lambda: interpret(text))


def _expect(call, allowed: type[BaseException]) -> None:  # type: ignore[no-untyped-def]
    with contextlib.suppress(allowed):
        call()


def _covered(call) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    lines: set[tuple[str, int]] = set()

    def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
        if not frame.f_code.co_filename.startswith(PACKAGE):
            return None
        if event == "line":
            lines.add((frame.f_code.co_filename, frame.f_lineno))
        return tracer

    sys.settrace(tracer)
    try:
        call()
    finally:
        sys.settrace(None)
    return lines


TARGETS = {"spec": run_spec, "sql": run_sql}


def _child(kind: str, data: bytes, queue: mp.Queue) -> None:
    try:
        queue.put(("ok", TARGETS[kind](data)))
    except BaseException:  # noqa: BLE001 - any exception is the finding
        queue.put(("error", traceback.format_exc()))


def attempt(kind: str, data: bytes) -> tuple[str, object]:
    """Run one input in a child process: ("ok", lines) | ("error", traceback) | ("crash", why)."""
    queue: mp.Queue = mp.Queue()
    child = mp.Process(target=_child, args=(kind, data, queue))
    child.start()
    try:
        status, payload = queue.get(timeout=PER_INPUT_SECONDS)
    except Exception:  # noqa: BLE001 - no answer: the child died or hung
        child.kill()
        child.join()
        return "crash", f"child exited {child.exitcode} (signal or timeout)"
    child.join()
    return status, payload


def fuzz(kind: str, seconds: float, rng: random.Random) -> tuple[int, int, int]:
    tokens = SPEC_TOKENS if kind == "spec" else SQL_TOKENS
    pool = corpus(kind)
    seen: set[tuple[str, int]] = set()
    for seed in pool:
        status, payload = attempt(kind, seed)
        if status == "ok":
            seen |= payload  # type: ignore[arg-type]
    deadline = time.monotonic() + seconds
    runs = failures = 0
    while time.monotonic() < deadline:
        data = mutate(rng.choice(pool), pool, tokens, rng)
        status, payload = attempt(kind, data)
        runs += 1
        if status == "ok":
            new = payload - seen  # type: ignore[operator]
            if new:
                seen |= new
                pool.append(data)
            continue
        failures += 1
        CRASHES.mkdir(exist_ok=True)
        name = f"{kind}-{hashlib.sha256(data).hexdigest()[:12]}"
        (CRASHES / f"{name}.input").write_bytes(data)
        (CRASHES / f"{name}.txt").write_text(f"{status}\n{payload}\n")
        print(f"{kind}: {status}: fuzz-crashes/{name}.input", flush=True)
    return runs, len(pool), len(seen)


def main() -> int:
    # imported once here, so each forked child starts with them loaded (the interpreter
    # module imports every statement family; the ddl package itself loads nothing)
    import schema_audit.sources.ddl.interpreter  # noqa: F401
    import schema_audit.spec.load  # noqa: F401

    seconds = float(os.environ.get("FUZZ_SECONDS", "120"))
    rng = random.Random(int(os.environ.get("FUZZ_SEED", "21")))
    failed = False
    for kind in TARGETS:
        runs, kept, lines = fuzz(kind, seconds / len(TARGETS), rng)
        print(f"{kind}: {runs} inputs run, corpus {kept}, {lines} lines of schema_audit reached")
        failed = failed or any(CRASHES.glob(f"{kind}-*.input"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
