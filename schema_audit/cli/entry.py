"""The console-script entry point (``schema-audit``, ``python -m schema_audit.cli``).

``schema-audit --version`` is answered before typer is imported: a version check in a CI
step or a shell prompt should cost about as much as starting Python.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn


class Interrupted(BaseException):
    """Ctrl-C, kept apart from errors: nothing may catch it as one."""


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted


def main() -> None:
    """Console-script entry point: no traceback ever reaches the user.

    Ctrl-C raises :class:`Interrupted` rather than KeyboardInterrupt: typer turns the latter
    into a silent exit 130, and library code that cleans up on ``except Exception`` (a failed
    initdb, say) would report an interrupt as an environment failure. ``finally`` blocks still
    run, so a throwaway cluster is stopped on the way out.
    """
    if sys.argv[1:] == ["--version"]:
        from schema_audit.cli.version import version_line

        sys.stdout.write(version_line() + "\n")
        sys.exit(0)
    import signal

    from schema_audit.gcpause import collector_paused

    # no cyclic collection while the command's modules are imported: imports make ~100,000
    # objects and no garbage, and each collection they triggered walked the young ones again
    # (a live init: ~90 collections, ≈ 0.02 CPU s); everything alive then goes to the oldest
    # generation, unwalked (gcpause.age_survivors)
    with collector_paused():
        command = _command()
    import typer  # imported by _command

    from schema_audit.cli import early_read

    signal.signal(signal.SIGINT, _raise_interrupted)
    try:
        code = command.main(standalone_mode=False)
    except SystemExit:
        raise
    except (Interrupted, KeyboardInterrupt, typer.Abort):
        typer.echo("schema-audit: interrupted", err=True)
        sys.exit(130)
    except click_exceptions() as exc:  # usage errors: Click's own message, exit 2
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:  # the last line of defence: one line, exit 2
        if os.environ.get("SCHEMA_AUDIT_DEBUG"):
            raise
        from schema_audit.redact import scrub

        typer.echo(
            f"schema-audit: internal error: {type(exc).__name__}: {scrub(str(exc))} "
            "(set SCHEMA_AUDIT_DEBUG=1 for a traceback)",
            err=True,
        )
        sys.exit(2)
    finally:
        early_read.forget()  # a read this command line did not take is never another's
    # the process ends here: its exit need not walk every object the command made (spec,
    # model, findings) for cycles to collect; at 1,000 tables that walk was 0.4 s of an audit
    import gc

    gc.freeze()
    _end(code if isinstance(code, int) else 0)


def _command() -> Any:
    """The Click command of the whole tool, after the work that starts before it is parsed:
    the allocator's thresholds, the parsing child of a long history, the early live read."""
    from schema_audit.cli import allocator

    allocator.keep_freed_memory()  # large documents: no fresh pages for every piece

    from schema_audit.sources import parse_early

    # a long --sql history is cut and parsed on the second core from now on, while this
    # process imports the command and (audit) loads the spec
    parse_early.start(sys.argv[1:])

    from schema_audit.cli import early_read

    # a plain live command line: its catalog read starts now, the server answers while
    # this process imports typer and the command
    early_read.start(sys.argv[1:])

    import typer
    import typer.main

    from schema_audit.cli import driverversion

    driverversion.preset()  # before psycopg is imported: keeps importlib.metadata out

    from schema_audit.cli import common
    from schema_audit.cli.commands import app, name_option_values

    common.OWN_PROCESS[0] = True
    command = typer.main.get_command(app)
    name_option_values(command)
    return command


def _end(code: int) -> NoReturn:
    """End the process as the interpreter would, without freeing what the command kept.

    What an exit must do is done here, in the interpreter's order: stdout and stderr are
    flushed, then the exit handlers run (a throwaway cluster is stopped and its directory
    removed, logging is flushed, weakref finalizers run). What is left is freeing every
    object one by one (a 5,000-table model: ~0.07 CPU s; a 1,000-table audit's model, spec and
    findings: ~0.05) and tearing the modules down (~0.02–0.03), which nobody waits for. Any
    other thread still running, a flush that fails (a closed pipe) or an interpreter without
    ``atexit._run_exitfuncs`` takes the ordinary exit, which reports such things as always.
    """
    import atexit
    import threading

    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None or threading.active_count() > 1:
        sys.exit(code)
    if not _flushed():
        sys.exit(code)
    run_exit_handlers()
    os._exit(code if _flushed() else 120)  # 120: the interpreter's code when it cannot flush


def _flushed() -> bool:
    """stdout and stderr flushed; False when one is closed (``>&-`` leaves it None) or fails."""
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:  # noqa: BLE001 - the ordinary exit then reports it as always
        return False
    return True


def click_exceptions() -> type[Exception]:
    """Click's exception base: recent typer vendors its own copy of Click, older typer uses Click."""
    import importlib

    import typer.main

    click = getattr(typer.main, "_click", None) or importlib.import_module("click")
    return click.ClickException
