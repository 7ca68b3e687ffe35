"""``validate-spec --explain``: the effective spec, one requirement a line, with its origin.

After ``extends:``, YAML merge keys and ``${VAR}`` substitution a reviewer can no
longer see which file asked for what; this lists every requirement (and every
selector's per-table requirements) with the file:line:column it was written at.
"""

from __future__ import annotations

from schema_audit.spec.model import Requirement, Spec
from schema_audit.spec.selectors import SCHEMA_SLOT, TABLE_SLOT


def _line(req: Requirement, width: int) -> str:
    rid = req.id.replace(SCHEMA_SLOT, "<schema>").replace(TABLE_SLOT, "<table>")
    return f"{rid:<{width}}  {req.kind:<16} {req.severity:<8} {req.location}\n"


def explain(spec: Spec) -> str:
    """The listing: requirements in spec order, then each selector with its templates."""
    templates = [t for s in spec.selectors for t in s.templates]
    width = max((len(r.id) for r in [*spec.requirements, *templates]), default=10)
    out = [f"# {spec.name}: {len(spec.requirements)} requirements"]
    if spec.selectors:
        out[0] += f" + {len(spec.selectors)} selector(s) applied per picked table"
    out.append("\n")
    out += [_line(r, width) for r in spec.requirements]
    for selector in spec.selectors:
        out.append(f"# match.{selector.name} ({selector.location}) picks: {selector.select}\n")
        out += [_line(t, width) for t in selector.templates]
    for waiver in spec.waivers:
        expiry = f" until {waiver.expires}" if waiver.expires else ""
        out.append(f"# waiver {waiver.pattern}{expiry} ({waiver.location}): {waiver.reason}\n")
    return "".join(out)
