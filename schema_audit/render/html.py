"""The HTML report: one self-contained file, autoescaped, with an inline SVG summary chart.

No network fetches (no CDN scripts or fonts): the file must open on an
air-gapped reviewer's laptop. Everything from the database (names, comments,
DDL) goes through jinja2's autoescaping, so a table comment ``<script>`` is
shown as text, never run. Behind that, a Content-Security-Policy (a meta tag)
lets the browser run only our own stylesheet and script, named by their SHA-256:
nothing is fetched from anywhere, and no inline event handler or style attribute
applies, so even an escaping mistake could not turn a name from the database into code.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from schema_audit import __version__
from schema_audit.audit.engine import AuditResult
from schema_audit.audit.findings import SEVERITY_RANK, STATUS_RANK, STATUSES, Finding, sort_key
from schema_audit.render import digest
from schema_audit.render.markdown import (
    ANSWER,
    CategoryView,
    build_categories,
    live_recommendations,
    overall_verdict,
)
from schema_audit.render.recommendations import BUCKETS

COLORS = {
    "PASS": "#2e7d32",
    "FAIL": "#c62828",
    "PARTIAL": "#f9a825",
    "DEFERRED": "#0277bd",
    "NOT_APPLICABLE": "#9e9e9e",
    "WAIVED": "#8e24aa",
}


TEMPLATES = Path(__file__).parent / "templates"


@cache
def page_assets() -> tuple[Markup, Markup, Markup]:
    """Our stylesheet and script (inlined) and the policy that allows exactly them."""
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    badges = "".join(
        f".badge.{status} {{ background: {color}; }}\n" for status, color in COLORS.items()
    )
    style = "\n" + css.replace("/* status badges */\n", badges)
    script = "\n" + (TEMPLATES / "report.js").read_text(encoding="utf-8")
    csp = "; ".join(
        [
            "default-src 'none'",  # nothing remote: no scripts, fonts, images, frames, fetches
            f"script-src {_sha256(script)}",  # no 'unsafe-inline': no event handler attributes
            f"style-src {_sha256(style)}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    return Markup(style), Markup(script), Markup(csp)


def _sha256(text: str) -> str:
    digest_ = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return f"'sha256-{digest_}'"


def chart_bars(categories: list[CategoryView]) -> list[dict[str, Any]]:
    """Stacked-bar geometry per category (percent widths), computed here so the template stays dumb."""
    bars = []
    for index, cat in enumerate(categories):
        total = sum(cat.counts.values()) or 1
        x = 0.0
        segments = []
        for status in STATUSES:
            n = cat.counts.get(status, 0)
            if n:
                width = 100.0 * n / total
                segments.append(
                    {
                        "status": status,
                        "x": round(x, 3),
                        "width": round(width, 3),
                        "n": n,
                        "color": COLORS[status],
                    }
                )
                x += width
        bars.append(
            {
                "label": f"{cat.id} {cat.title}" if cat.id else cat.title,
                "segments": segments,
                "total": total,
                "y": index * 28 + 4,
            }
        )
    return bars


@dataclass(slots=True)
class Row:
    """One line of the findings table: the finding, and its forensic record when it is a problem."""

    finding: Finding
    problem: digest.Problem | None
    group: str
    srank: int
    vrank: int


def rows_for(result: AuditResult, dig: digest.Digest, verbose: bool) -> list[Row]:
    """Problems worst first (rule findings folded into a spec finding are not repeated); with
    --verbose the waived findings too. Passing ones go to their own collapsed section."""
    rows = [
        Row(
            p.finding, p, p.group, STATUS_RANK[p.finding.status], -SEVERITY_RANK[p.finding.severity]
        )
        for p in dig.problems
    ]
    if verbose:
        for f in sorted((f for f in result.findings if f.status == "WAIVED"), key=sort_key):
            group = f.id.split(".")[1] if f.kind == "rule" and f.id.count(".") >= 2 else f.kind
            rows.append(Row(f, None, group, STATUS_RANK[f.status], -SEVERITY_RANK[f.severity]))
    return rows


def render(  # type: ignore[no-untyped-def]
    result: AuditResult, *, date: str | None = None, verbose: bool = False, trend=None
) -> str:
    style, script, csp = page_assets()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    categories = build_categories(result)
    dig = digest.build(result, trend)
    rows = rows_for(result, dig, verbose)
    spec = result.spec
    template = env.get_template("report.html.j2")
    return (
        template.render(
            spec=spec,
            result=result,
            date=digest.report_date(date, spec.date),
            version=__version__,
            categories=categories,
            question_categories=[c for c in categories if c.questions],
            bars=chart_bars(categories),
            colors=COLORS,
            statuses=STATUSES,
            rows=rows,
            digest=dig,
            verdict_line=digest.verdict_line(result, dig),
            passing=sorted((f for f in result.findings if f.status == "PASS"), key=sort_key)
            if verbose
            else [],
            filter_categories=sorted(
                {(r.finding.category or "", spec.category_title(r.finding.category)) for r in rows}
            ),
            filter_groups=sorted({r.group for r in rows}),
            filter_tables=sorted({r.finding.table for r in rows if r.finding.table}),
            answer=ANSWER,
            overall=re.sub(r"[*✅❌⚠️\ufe0f]", "", overall_verdict(result)).strip(),
            recommendations=live_recommendations(result, dig),
            buckets=BUCKETS,
            style=style,
            script=script,
            csp=csp,
        ).rstrip("\n")
        + "\n"
    )
