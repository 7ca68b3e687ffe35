"""Strict mode for the set of functions: a function in the covered schemas that no
``functions:`` entry requires FAILs (a function or a new overload created after ``init``
passed its "exactly" spec: ``strict.tables`` and ``strict.views`` cover relations only).

An entry requires the function it judges: ``f(integer)`` that overload, a bare ``f`` the
first overload by signature (so a second overload of a name init wrote bare is new).
``allow:`` accepts a function by name (every overload) or by ``name(types)``.

```yaml
strict:
  functions: true
  schemas: [public, billing]
```
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet, in_schemas
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import PASS, Status
from schema_audit.kinds import requirement_kind
from schema_audit.kinds.function import argument_types, candidates, split_overload
from schema_audit.model import Function, number
from schema_audit.spec.model import Requirement


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    return [Facet("function", schemas=in_schemas(req))]


def _allowed(function: Function, allow: list[str], default_schema: str) -> bool:
    """Whether an ``allow:`` item names the function (``name``, ``schema.name``, either with
    its argument types)."""
    for item in allow:
        schema, _, name = item.partition(".") if "." in item.split("(")[0] else ("", "", item)
        base, types = split_overload(name)
        if (schema or default_schema) != function.schema or base != function.name:
            continue
        if types is None or argument_types(function.arguments) == types:
            return True
    return False


@requirement_kind(
    id="strict_functions",
    name="Exactly these functions",
    title="Unexpected functions",
    group="strict",
    hint="drop the function, or require it (or allow: it) in the spec",
    spec="strict.functions",
    last=True,
    facets=facets,
)
def check_strict_functions(req: Requirement, ctx: AuditContext) -> Finding:
    spec = ctx.spec
    required: set[str] = set()
    # required functions with a comment (LEAKPROOF, COST, ROWS) their entry does not state:
    # (signature, text of the message)
    commented: list[tuple[str, str]] = []
    for other in ctx.of_kind("function"):
        if not other.id.startswith("match."):
            functions = candidates(other, ctx.model)[1]
            if functions:
                required.add(functions[0].signature)
                if functions[0].comment and "comment" not in other.props:
                    commented.append((functions[0].signature,) * 2)
                elif functions[0].leakproof and "leakproof" not in other.props:
                    commented.append((functions[0].signature,) * 2)  # LEAKPROOF, unstated
                elif unstated := [
                    f"{k.upper()} {number(v)}"
                    for k, v in functions[0].planner_estimates()
                    if k not in other.props
                ] + (
                    [f"DEFAULT {', '.join(functions[0].defaults)}"]
                    if functions[0].defaults and "defaults" not in other.props
                    else []
                ):
                    signature = functions[0].signature
                    commented.append((signature, f"{signature} ({', '.join(unstated)})"))
    allow = [str(a) for a in req.props.get("allow") or []]
    schemas = set(req.props["schemas"])
    extra = sorted(
        key
        for key, f in ctx.model.functions.items()
        if f.schema in schemas
        and f.signature not in required
        and not _allowed(f, allow, spec.default_schema)
    )
    if extra:
        return finding_for(
            req,
            Status.FAIL,
            f"functions the spec does not require: {', '.join(extra)}",
            diffs=[Diff("functions", "only the required ones", extra)],
            name="functions",
        )
    unstated = sorted(text for key, text in commented if ctx.model.functions[key].schema in schemas)
    if unstated:
        return finding_for(
            req,
            Status.FAIL,
            "functions with a comment, LEAKPROOF, COST or ROWS the spec does not state: "
            + ", ".join(unstated),
            diffs=[Diff("function comments", "only what the entries state", unstated)],
            name="functions",
        )
    return finding_for(
        req,
        PASS,
        f"exactly the required functions in {', '.join(sorted(schemas))}",
        name="functions",
    )
