"""The fleet summary as text, Markdown, HTML and JSON: one row per target, then the drift.

Each target's own findings stay in its own audit report (``results`` in the JSON); this
page answers "which databases pass, and which differ from the rest, on what".
"""

from __future__ import annotations

import html
import json

from schema_audit.fleet.summary import FleetSummary, TargetRow
from schema_audit.render.markdown_text import md_cell as md_escape

_COUNTED = ("PASS", "FAIL", "DEFERRED", "WAIVED")
DRIFT_LIMIT = 50  # drifting findings listed in text formats; JSON lists them all


def _counts(row: TargetRow) -> str:
    if row.error:
        return row.error
    return ", ".join(f"{row.summary.get(k, 0)} {k}" for k in _COUNTED)


def terminal(summary: FleetSummary) -> str:
    width = max([len(row.name) for row in summary.rows] + [6])
    lines = [f"fleet: {summary.verdict} ({len(summary.rows)} target(s))"]
    for row in summary.rows:
        drift = f", drifts on {row.drift}" if row.drift else ""
        lines.append(f"  {row.name:<{width}}  {row.verdict:<5}  {_counts(row)}{drift}")
    if summary.drifting:
        lines.append(f"findings that differ between targets ({len(summary.drifting)}):")
        for item in summary.drifting[:DRIFT_LIMIT]:
            others = ", ".join(
                f"{name}={status}"
                for name, status in sorted(item.statuses.items())
                if status != item.majority
            )
            lines.append(f"  {item.id}: most {item.majority}; {others}")
        if len(summary.drifting) > DRIFT_LIMIT:
            lines.append(f"  … and {len(summary.drifting) - DRIFT_LIMIT} more (see the JSON)")
    return "\n".join(_printable(line) for line in lines) + "\n"


def markdown(summary: FleetSummary) -> str:
    out = [
        "# Fleet audit",
        "",
        f"**Verdict: {summary.verdict}** — {len(summary.rows)} target(s)",
        "",
        "| Target | Verdict | Findings | Drift |",
        "|---|---|---|---|",
    ]
    for row in summary.rows:
        out.append(
            f"| {md_escape(row.name)} | {row.verdict} | {md_escape(_counts(row))} | {row.drift} |"
        )
    if summary.drifting:
        names = [row.name for row in summary.rows if row.verdict != "ERROR"]
        out += ["", "## Findings that differ between targets", ""]
        out.append("| Finding | Majority | " + " | ".join(md_escape(n) for n in names) + " |")
        out.append("|---|---|" + "---|" * len(names))
        for item in summary.drifting[:DRIFT_LIMIT]:
            cells = " | ".join(item.statuses.get(n, "") for n in names)
            out.append(f"| {md_escape(item.id)} | {item.majority} | {cells} |")
        if len(summary.drifting) > DRIFT_LIMIT:
            out.append(f"\n… and {len(summary.drifting) - DRIFT_LIMIT} more (see the JSON).")
    return "\n".join(out) + "\n"


def html_page(summary: FleetSummary) -> str:
    e = html.escape
    rows = "".join(
        f"<tr class='{e(row.verdict.lower())}'><td>{e(row.name)}</td><td>{e(row.verdict)}</td>"
        f"<td>{e(_counts(row))}</td><td>{row.drift}</td></tr>"
        for row in summary.rows
    )
    names = [row.name for row in summary.rows if row.verdict != "ERROR"]
    drift = ""
    if summary.drifting:
        head = "".join(f"<th>{e(n)}</th>" for n in names)
        body = "".join(
            f"<tr><td class='id'>{e(item.id)}</td><td>{e(item.majority)}</td>"
            + "".join(f"<td>{e(item.statuses.get(n, ''))}</td>" for n in names)
            + "</tr>"
            for item in summary.drifting[:DRIFT_LIMIT]
        )
        drift = (
            "<h2>Findings that differ between targets</h2>"
            f"<table><tr><th>Finding</th><th>Majority</th>{head}</tr>{body}</table>"
        )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\"><title>Fleet audit</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}"
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem;"
        "text-align:left;overflow-wrap:anywhere}.fail td:nth-child(2){color:#b00}"
        ".error td:nth-child(2){color:#850}.pass td:nth-child(2){color:#070}"
        "</style></head><body>"
        f"<h1>Fleet audit: {e(summary.verdict)}</h1>"
        f"<table><tr><th>Target</th><th>Verdict</th><th>Findings</th><th>Drift</th></tr>{rows}"
        f"</table>{drift}</body></html>\n"
    )


def json_text(summary: FleetSummary) -> str:
    return json.dumps(summary.to_document(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _printable(text: str) -> str:
    """No terminal escape sequences from names or server messages."""
    return "".join(ch if ch.isprintable() or ch == "\t" else "?" for ch in text)
