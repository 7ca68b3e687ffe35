"""A range type (CREATE TYPE … AS RANGE): its subtype, the subtype's operator class and
collation, its canonical and subtype_diff functions, its multirange type's name, comment,
owner and USAGE grants. A range type re-created with another ``subtype_diff`` (or subtype,
canonical function …), a COMMENT ON TYPE or a REVOKE USAGE after ``init`` FAILs; before,
range types were only named as a blind spot and each such change passed.

```yaml
range_types:
  floatrange: {subtype: double precision, subtype_diff: float8mi, multirange: floatmultirange}
```

An option not stated is not compared; one stated null must be CREATE TYPE's default. The
static reader does not model range types: against a migration history the entry is
DEFERRED, never PASS.
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Diff, Finding
from schema_audit.kinds import _acl, requirement_kind
from schema_audit.kinds._catalog_types import judge_catalog_type
from schema_audit.kinds._common import COMMENT_PROP, type_facets
from schema_audit.model import RangeType, qualify
from schema_audit.spec.fragments import req_schema, string
from schema_audit.spec.model import Requirement

# why a history's reading DEFERs a range type entry and strict.range_types
UNKNOWN_RANGES = "the static reader does not model range types (compare with --dsn)"

_OPTION = {"type": ["string", "null"]}
OPTIONS = ("subtype_opclass", "collation", "canonical", "subtype_diff", "multirange")

SCHEMA = req_schema(
    {
        "schema": string("Its schema, when the key is not schema.name."),
        "subtype": string("Its subtype as format_type prints it (double precision, text …)."),
        "subtype_opclass": {
            **_OPTION,
            "description": "The subtype's btree operator class (null = its default).",
        },
        "collation": {**_OPTION, "description": "Its collation (null = the subtype's own)."},
        "canonical": {
            **_OPTION,
            "description": "Its canonical function, as regproc prints it (null = none).",
        },
        "subtype_diff": {
            **_OPTION,
            "description": "Its subtype_diff function, as regproc prints it (null = none).",
        },
        "multirange": {
            **_OPTION,
            "description": "Its multirange type's name (PostgreSQL 14+).",
        },
        "comment": COMMENT_PROP,
        "owner": _acl.OWNER_SCHEMA,
        "grants": _acl.GRANTS_SCHEMA,
    },
    "A range type requirement; {} only requires existence.",
)


def option_diffs(props: dict, found: RangeType) -> list[Diff]:
    """The stated subtype and options the range type has not."""
    diffs = []
    if "subtype" in props and " ".join(str(props["subtype"]).split()) != found.subtype:
        diffs.append(Diff("subtype", props["subtype"], found.subtype))
    for key in OPTIONS:
        if key in props and props[key] != getattr(found, key):
            diffs.append(Diff(key, props[key], getattr(found, key)))
    return diffs


@requirement_kind(
    id="range_type",
    name="Range type",
    title="Range types",
    group="objects",
    hint="CREATE TYPE … AS RANGE in a new migration (drop and re-create it to change it)",
    spec="range_types.<type>",
    schema=SCHEMA,
    facets=type_facets,
)
def check_range_type(req: Requirement, ctx: AuditContext) -> Finding:
    return judge_catalog_type(
        req,
        ctx,
        "range type",
        ctx.model.ranges.get(qualify(req.schema, req.name or "")),
        UNKNOWN_RANGES,
        lambda found: option_diffs(req.props, found),
        lambda found: f"(subtype {found.subtype})",
    )
