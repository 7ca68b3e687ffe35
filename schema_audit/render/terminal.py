"""Terminal summary: verdict first, then what is wrong, worst first.

rich handles colour; it already honours ``NO_COLOR`` and drops colour when the
output is not a terminal. When not a terminal we also drop box drawing so the
text greps and diffs cleanly in CI logs.
"""

from __future__ import annotations

from rich import box as rich_box
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable
from rich.text import Text

from schema_audit.audit.engine import AuditResult
from schema_audit.audit.findings import STATUSES, sort_key

STYLE = {
    "PASS": "green",
    "FAIL": "bold red",
    "PARTIAL": "yellow",
    "DEFERRED": "cyan",
    "NOT_APPLICABLE": "dim",
    "WAIVED": "magenta",
}


def _plain_text(text: str) -> str:
    """Strip control characters (ANSI escapes from hostile names) before printing."""
    return "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in text)


def render(result: AuditResult, console: Console, *, verbose: bool = False) -> None:
    box = rich_box.SIMPLE if console.is_terminal else None
    spec = result.spec
    verdict_style = "bold green" if result.verdict == "PASS" else "bold red"
    console.print(Text(f"schema-audit: {_plain_text(spec.name)}", style="bold"))
    console.print(
        f"source: {escape(result.source_kind)} {escape(_plain_text(result.source_target))}"
    )
    counts = "  ".join(f"{status} {n}" for status, n in result.summary.items() if n)
    console.print(
        Text.assemble(
            ("verdict: ", "bold"),
            (result.verdict, verdict_style),
            f"  (fail-on {result.fail_on})  ",
            counts,
        )
    )

    # Per category: counts, then the findings that need attention.
    categories: dict[str | None, list] = {}
    for f in result.findings:
        categories.setdefault(f.category, []).append(f)
    order = [c.id for c in spec.categories] + sorted(
        (c for c in categories if c not in {c.id for c in spec.categories}), key=lambda c: c or ""
    )
    overview = RichTable(title="By category", box=box, show_edge=False, title_justify="left")
    overview.add_column("category")
    for status in STATUSES:
        overview.add_column(status, justify="right")
    for cid in order:
        if cid not in categories:
            continue
        row_counts = {s: 0 for s in STATUSES}
        for f in categories[cid]:
            row_counts[f.status] += 1
        title = spec.category_title(cid)
        overview.add_row(
            escape(_plain_text(f"{cid} {title}" if cid and title != cid else title)),
            *[str(row_counts[s]) if row_counts[s] else "" for s in STATUSES],
        )
    console.print(overview)

    shown = sorted((f for f in result.findings if verbose or f.status != "PASS"), key=sort_key)
    if shown and not console.is_terminal:
        # CI logs: one finding per line, never folded, so grep and diff work.
        console.print("Findings (worst first)")
        for f in shown:
            console.print(escape(_plain_text(_line(f))), soft_wrap=True, highlight=False)
    elif shown:
        table = RichTable(
            title="Findings (worst first)", box=box, show_edge=False, title_justify="left"
        )
        table.add_column("status")
        table.add_column("severity")
        table.add_column("requirement", overflow="fold")
        table.add_column("finding", overflow="fold")
        for f in shown:
            message = f.message
            if f.instead:
                message += " | instead: " + ", ".join(c.name for c in f.instead[:3])
            where = next((e for e in f.evidence if e.file), None)
            if where is not None:
                message += f" | {where.file}:{where.line}" if where.line else f" | {where.file}"
            table.add_row(
                Text(f.status, style=STYLE[f.status]),
                f.severity,
                escape(_plain_text(f.id)),
                escape(_plain_text(message)),
            )
        console.print(table)

    if result.questions:
        qt = RichTable(title="Reviewer questions", box=box, show_edge=False, title_justify="left")
        qt.add_column("question")
        qt.add_column("status")
        qt.add_column("title", overflow="fold")
        for q in sorted(result.questions, key=lambda q: (sort_key_status(q.status), q.id)):
            qt.add_row(
                escape(q.id),
                Text(q.status, style=STYLE.get(q.status, "")),
                escape(_plain_text(q.title)),
            )
        console.print(qt)
    if result.exit_gates:
        gt = RichTable(title="Exit gates", box=box, show_edge=False, title_justify="left")
        gt.add_column("criterion", overflow="fold")
        gt.add_column("status")
        for g in result.exit_gates:
            gt.add_row(escape(_plain_text(g.title)), Text(g.status, style=STYLE.get(g.status, "")))
        console.print(gt)
    if result.model.unapplied:
        console.print(
            f"{len(result.model.unapplied)} statement(s) could not be applied statically "
            "(listed in the JSON output; --replay settles them)"
        )
    for spot in result.model.blind_spots:
        console.print(f"blind spot: {escape(_plain_text(spot))}")
    failing = len(result.failing)
    console.print(
        Text(
            f"{result.verdict}: {failing} failing finding(s) at or above '{result.fail_on}'",
            style=verdict_style,
        )
    )


def _line(f) -> str:  # type: ignore[no-untyped-def]
    """``STATUS severity id: message | instead: … | file:line`` on one line."""
    text = f"{f.status:<14} {f.severity:<8} {f.id}: {f.message}"
    if f.instead:
        text += " | instead: " + ", ".join(c.name for c in f.instead[:3])
    where = next((e for e in f.evidence if e.file), None)
    if where is not None:
        text += f" | {where.file}:{where.line}" if where.line else f" | {where.file}"
    return text


def sort_key_status(status: str) -> int:
    return {
        "FAIL": 0,
        "DEFERRED": 1,
        "PARTIAL": 2,
        "NOT_APPLICABLE": 3,
        "WAIVED": 4,
        "PASS": 5,
    }.get(status, 9)
