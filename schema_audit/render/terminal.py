"""Terminal summary: verdict first, then what is wrong, worst first.

rich handles colour; it already honours ``NO_COLOR`` and drops colour when the
output is not a terminal. When not a terminal we also drop box drawing so the
text greps and diffs cleanly in CI logs.
"""

from __future__ import annotations

import io

from rich import box as rich_box
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable
from rich.text import Text

from schema_audit.audit.engine import AuditResult
from schema_audit.audit.findings import STATUSES, Finding, sort_key
from schema_audit.render import digest

STYLE = {
    "PASS": "green",
    "FAIL": "bold red",
    "PARTIAL": "yellow",
    "DEFERRED": "cyan",
    "NOT_APPLICABLE": "dim",
    "WAIVED": "magenta",
}


def _plain_text(text: str) -> str:
    """One line of text with every control character (escape sequences, bell, newline,
    bidirectional overrides from hostile names and comments) shown as U+FFFD: a name can
    neither drive the terminal nor forge a line of the summary."""
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)


def text(  # type: ignore[no-untyped-def]
    result: AuditResult,
    *,
    verbose: bool = False,
    width: int = 160,
    terminal: bool = False,
    top: int = 10,
    trend=None,
) -> str:
    """The terminal summary as text (colour and box drawing only when ``terminal``), so the
    caller can mask known passwords before it is shown or written."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, force_terminal=terminal, no_color=not terminal, highlight=False
    )
    render(result, console, verbose=verbose, top=top, trend=trend)
    return buffer.getvalue()


def render(  # type: ignore[no-untyped-def]
    result: AuditResult,
    console: Console,
    *,
    verbose: bool = False,
    top: int = 10,
    trend=None,
) -> None:
    """Verdict, the problems grouped by kind or rule, the top ``top`` of them, waivers summarised.

    Passing findings are counted per category and listed only with ``verbose``, so a
    passing audit of 1,000 tables fits a screen.
    """
    box = rich_box.SIMPLE if console.is_terminal else None
    spec = result.spec
    dig = digest.build(result, trend)
    verdict_style = "bold green" if result.verdict == "PASS" else "bold red"
    console.print(Text(f"schema-audit: {_plain_text(spec.name)}", style="bold"))
    console.print(Text(digest.verdict_line(result, dig), style=verdict_style))
    console.print(
        f"source: {escape(result.source_kind)} {escape(_plain_text(result.source_target))}"
    )

    if trend is not None:
        console.print(escape(_plain_text(trend.line)), soft_wrap=True, highlight=False)
        for fid in trend.new[:top]:
            console.print(escape(_plain_text(f"  new: {fid}")), soft_wrap=True, highlight=False)
        for fid, _ in trend.fixed[:top]:
            console.print(escape(_plain_text(f"  fixed: {fid}")), soft_wrap=True, highlight=False)

    # Per category: counts only.
    categories: dict[str | None, list[Finding]] = {}
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

    if dig.groups:
        console.print(Text("Problems by kind (worst first)", style="bold"))
        for g in dig.groups:
            console.print(
                escape(
                    _plain_text(
                        f"  {g.worst.status:<8} {g.title}: {g.count} on {len(g.tables)} table(s)"
                        f" — fix: {g.fix}"
                    )
                ),
                soft_wrap=True,
                highlight=False,
            )
    shown = dig.problems if verbose else dig.problems[:top]
    if shown:
        title = "Problems" if verbose else f"Top {len(shown)} of {dig.problem_count} problem(s)"
        if not console.is_terminal:
            console.print(title)
            for p in shown:
                console.print(escape(_plain_text(_line(p))), soft_wrap=True, highlight=False)
        else:
            table = RichTable(title=title, box=box, show_edge=False, title_justify="left")
            table.add_column("status")
            table.add_column("severity")
            table.add_column("requirement", overflow="fold")
            table.add_column("finding", overflow="fold")
            for p in shown:
                table.add_row(
                    Text(p.finding.status, style=STYLE[p.finding.status]),
                    p.finding.severity,
                    escape(_plain_text(p.id)),
                    escape(_plain_text(_details(p))),
                )
            console.print(table)
        if len(shown) < dig.problem_count:
            console.print(
                f"… {dig.problem_count - len(shown)} more: --top N shows more, --verbose all, "
                "--report/--html the evidence of each"
            )
    for w in dig.waived:
        owner = f" (owner {w.owner})" if w.owner else ""
        console.print(
            escape(
                _plain_text(
                    f"waived: {w.what}: {w.count} finding(s) by {w.waivers} waiver(s){owner}"
                )
            ),
            soft_wrap=True,
            highlight=False,
        )
    if verbose:
        passing = sorted(
            (f for f in result.findings if f.status in ("PASS", "WAIVED")), key=sort_key
        )
        if passing:
            console.print("Passing and waived")
            for f in passing:
                console.print(
                    escape(_plain_text(f"{f.status:<8} {f.severity:<8} {f.id}: {f.message}")),
                    soft_wrap=True,
                    highlight=False,
                )

    if result.questions:
        open_questions = [q for q in result.questions if verbose or q.status != "PASS"]
        confirmed = sum(1 for q in result.questions if q.status == "PASS")
        qt = RichTable(
            title=f"Reviewer questions ({confirmed} of {len(result.questions)} confirmed"
            + ("" if verbose else "; the others below")
            + ")",
            box=box,
            show_edge=False,
            title_justify="left",
        )
        qt.add_column("question")
        qt.add_column("status")
        qt.add_column("title", overflow="fold")
        for q in sorted(open_questions, key=lambda q: (sort_key_status(q.status), q.id)):
            qt.add_row(
                escape(_plain_text(q.id)),
                Text(q.status, style=STYLE.get(q.status, "")),
                escape(_plain_text(q.title)),
            )
        console.print(qt)
    if result.exit_gates:
        gt = RichTable(title="Exit gates", box=box, show_edge=False, title_justify="left")
        gt.add_column("criterion", overflow="fold")
        gt.add_column("status")
        for gate in result.exit_gates:
            gt.add_row(
                escape(_plain_text(gate.title)), Text(gate.status, style=STYLE.get(gate.status, ""))
            )
        console.print(gt)
    if unapplied := result.model.statements_unapplied():
        console.print(
            f"{len(unapplied)} statement(s) could not be applied statically "
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


def _details(p: digest.Problem) -> str:
    f = p.finding
    text = f.message
    if f.instead:
        text += " | instead: " + ", ".join(c.name for c in f.instead[:3])
    if p.where:
        text += f" | {p.where}"
    if p.folded:
        text += " | also " + ", ".join(r.id.split(".")[1] for r in p.folded)
    return text


def _line(p: digest.Problem) -> str:
    """``STATUS severity id: message | instead: … | file:line`` on one line."""
    f = p.finding
    return f"{f.status:<14} {f.severity:<8} {f.id}: {_details(p)}"


def sort_key_status(status: str) -> int:
    return {
        "FAIL": 0,
        "DEFERRED": 1,
        "PARTIAL": 2,
        "NOT_APPLICABLE": 3,
        "WAIVED": 4,
        "PASS": 5,
    }.get(status, 9)
