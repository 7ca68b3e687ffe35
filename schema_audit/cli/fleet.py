"""What ``audit --targets FILE`` and ``merge RESULT.json …`` share: the fleet run and its outputs.

Both end in the same summary (schema_audit.fleet.summary) and the same outputs, so a fleet
audited in one process and one audited as a CI matrix whose results are merged afterwards
read the same. Exit codes: 0 every target passes, 1 a target fails, 2 a target could not
be audited (the summary is still written: one unreachable database is never fatal to the
report on the others).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import typer

from schema_audit.fleet.summary import FleetSummary


def audit_targets(
    targets_file: Path,
    *,
    spec: Path,
    variables: dict[str, str],
    jobs: int,
    timeout_s: float,
    fail_on: str,
    rules: str | None,
    schemas: list[str] | None,
    as_of: str | None,
    fmt: str,
    output: Path | None,
    report: Path | None,
    html: Path | None,
    quiet: bool,
    write: Callable[[Path, str], None],
) -> FleetSummary:
    """Audit every target of the file; the caller phrases a SchemaAuditError."""
    from dataclasses import replace

    from schema_audit.fleet.run import run_fleet
    from schema_audit.fleet.summary import summarise
    from schema_audit.fleet.targets import load_targets

    targets = [
        replace(t, variables={**variables, **t.variables}) for t in load_targets(targets_file, spec)
    ]

    def progress(outcome) -> None:
        if not quiet:
            state = "error" if outcome.error else outcome.document["verdict"]
            typer.echo(f"  {outcome.name}: {state} ({outcome.seconds:.1f} s)", err=True)

    outcomes = run_fleet(
        targets,
        jobs=jobs,
        timeout_s=timeout_s,
        fail_on=fail_on,
        rules=rules,
        schemas=schemas,
        as_of=as_of,
        on_done=progress,
    )
    summary = summarise(outcomes)
    emit(summary, fmt=fmt, output=output, report=report, html=html, quiet=quiet, write=write)
    return summary


def emit(
    summary: FleetSummary,
    *,
    fmt: str,
    output: Path | None,
    report: Path | None,
    html: Path | None,
    quiet: bool,
    write: Callable[[Path, str], None],
) -> None:
    """Every output asked for; all rendered before any is written, so none is half a run's."""
    from schema_audit.render import fleet as render

    texts: list[tuple[Path, str]] = []
    if report:
        texts.append((report, render.markdown(summary)))
    if html:
        texts.append((html, render.html_page(summary)))
    main_text = render.json_text(summary) if fmt == "json" else render.terminal(summary)
    if output:
        texts.append((output, main_text))
    for path, text in texts:
        write(path, text)
    if not output and not quiet:
        sys.stdout.write(main_text)
