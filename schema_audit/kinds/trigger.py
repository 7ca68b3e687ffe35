"""A trigger: timing, events, level, function, enabled (not DISABLED, not REPLICA
only), WHEN condition, arguments, UPDATE OF columns, and ``raises``: its function must RAISE EXCEPTION (a guard that makes rows
immutable).

```yaml
tables:
  audit_log:
    triggers:
      - {timing: BEFORE, events: [UPDATE, DELETE], level: ROW, raises: true}
```
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schema_audit import model_ddl, sqlnorm
from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Candidate, Diff, Finding, describe_diffs, finding_for
from schema_audit.enums import PASS, Status
from schema_audit.ident import split_qualified
from schema_audit.kinds import requirement_kind
from schema_audit.kinds._common import COMMENT_PROP, comment_diffs, exists
from schema_audit.model import SchemaModel, Trigger, qualify
from schema_audit.spec.fragments import EVENTS, req_schema, string, strings
from schema_audit.spec.model import Requirement

SCHEMA = req_schema(
    {
        "name": string("Trigger name; without it matched by timing, events and level."),
        "timing": {"enum": ["BEFORE", "AFTER", "INSTEAD OF"]},
        "events": {"type": "array", "items": {"enum": EVENTS}},
        "level": {"enum": ["ROW", "STATEMENT"]},
        "function": string("Trigger function name."),
        "raises": {
            "type": "boolean",
            "description": "true = the function must RAISE EXCEPTION (a guard trigger).",
        },
        "enabled": {
            "enum": [True, False, "always", "replica"],
            "description": "true (default) = the trigger must not be DISABLED (nor REPLICA "
            "only); always = ENABLE ALWAYS (fires under session_replication_role = replica "
            "too); replica = ENABLE REPLICA (fires only there); false = DISABLED.",
        },
        "when": string("The WHEN condition, compared as an expression."),
        "arguments": strings("The arguments passed to the function (TG_ARGV), in order."),
        "update_of": strings("The columns of UPDATE OF (fires only when one of them is set)."),
        "comment": COMMENT_PROP,
        "constraint": {
            "type": "boolean",
            "description": "true = a CONSTRAINT TRIGGER (fires at the end of the statement, "
            "or at commit when deferred); exactly: [triggers] holds an unstated one to false.",
        },
        "deferrable": {
            "type": "boolean",
            "description": "true = DEFERRABLE (a constraint trigger); exactly: [triggers] "
            "holds an unstated one to false.",
        },
        "initially_deferred": {
            "type": "boolean",
            "description": "true = INITIALLY DEFERRED (fires at commit); exactly: [triggers] "
            "holds an unstated one to false.",
        },
        "old_table": string(
            "REFERENCING OLD TABLE AS this name (a transition table); exactly: [triggers] "
            "holds an unstated one to none."
        ),
        "new_table": string(
            "REFERENCING NEW TABLE AS this name (a transition table); exactly: [triggers] "
            "holds an unstated one to none."
        ),
        "from": string(
            "A constraint trigger's FROM table (schema.name); exactly: [triggers] holds an "
            "unstated one to none."
        ),
    },
    "A trigger requirement.",
)


def _function_raises(model: SchemaModel, name: str) -> bool | None:
    """Whether the trigger function raises; None when the function is not in the model."""
    schema, _, bare = name.rpartition(".")
    functions = model.functions_named(bare.strip('"'), schema.strip('"') or None)
    if not functions:
        return None
    return any(f.raises for f in functions)


def _same_function(wanted: str, actual: str) -> bool:
    """A schema-qualified name (``init`` writes ``pg_catalog.tsvector_update_trigger``) is
    that schema's function: a trigger re-pointed to a function of the same name in another
    schema PASSed. A bare name matches the function of that name in any schema (as
    before); the model names a function in public bare."""
    w_schema, _, w_name = wanted.rpartition(".")
    a_schema, _, a_name = actual.rpartition(".")
    if w_name != a_name:
        return False
    return not w_schema or w_schema == (a_schema or "public")


# pg_trigger.tgenabled's states as the ``enabled:`` key states them
_STATE_WORDS = {"ORIGIN": True, "DISABLED": False, "ALWAYS": "always", "REPLICA": "replica"}


def _trigger_diffs(props: dict, trigger: Trigger, model: SchemaModel) -> list[Diff]:
    diffs: list[Diff] = []
    if "timing" in props and props["timing"] != trigger.timing:
        diffs.append(Diff("timing", props["timing"], trigger.timing))
    if "events" in props and not set(props["events"]) <= set(trigger.events):
        diffs.append(Diff("events", props["events"], trigger.events))
    if "level" in props and props["level"] != trigger.level:
        diffs.append(Diff("level", props["level"], trigger.level))
    if "function" in props and not _same_function(props["function"], trigger.function):
        diffs.append(Diff("function", props["function"], trigger.function))
    if "when" in props and not sqlnorm.exprs_equal(props["when"], trigger.when):  # as expressions
        diffs.append(Diff("when", props["when"], trigger.when))
    if "arguments" in props and list(props["arguments"]) != trigger.arguments:
        diffs.append(Diff("arguments", props["arguments"], trigger.arguments))
    if "update_of" in props and set(props["update_of"]) != set(trigger.update_columns):
        # the order of UPDATE OF columns changes nothing PostgreSQL does
        diffs.append(Diff("update_of", props["update_of"], trigger.update_columns))
    diffs += comment_diffs(props, trigger.comment)
    for key, actual in trigger.extra_values():
        if key in props and (props[key] or None) != (actual or None):
            diffs.append(Diff(key, props[key], actual))
    wanted = props.get("enabled", True)
    if isinstance(wanted, str):  # always / replica: that state exactly
        if trigger.enabled != wanted.upper():
            diffs.append(Diff("enabled", wanted, _STATE_WORDS[trigger.enabled]))
    elif not wanted and trigger.enabled != "DISABLED":  # init's entry of a DISABLED one
        diffs.append(Diff("enabled", False, _STATE_WORDS[trigger.enabled]))
    elif wanted and trigger.enabled == "DISABLED":
        diffs.append(Diff("enabled", True, False))
    elif wanted and trigger.enabled == "REPLICA":
        # fires only under session_replication_role = replica: no protection in normal sessions
        diffs.append(Diff("enabled", True, "replica only"))
    if props.get("raises"):
        raises = _function_raises(model, trigger.function)
        if raises is False:
            diffs.append(Diff("raises", True, False))
    return diffs


def recommend(f: Finding, req: Requirement | None, model: SchemaModel) -> str:
    props = req.props if req else {}
    table = f.table or ""
    if not exists(f):
        events = " OR ".join(props.get("events") or [])
        return (
            f"Add a {props.get('timing', '')} {events} row trigger on {table} that raises".replace(
                "  ", " "
            )
        )
    return f"Fix trigger {f.name} on {table}: {f.message}"


def label(item: Mapping[str, Any], index: int) -> str:
    events = "_".join(e.lower() for e in item.get("events") or [])
    return f"{(item.get('timing') or 'any').lower()}_{events or 'any'}_{index}"


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    if not req.props.get("raises"):
        # the function's name is the trigger's; only ``raises`` reads the function itself (a
        # trigger on Supabase's auth.users left unapplied DEFERred every trigger)
        return [Facet("trigger", target)]
    return [Facet("trigger", target), Facet("function", _function_key(req.props.get("function")))]


def _function_key(name: object) -> str:
    """The trigger function a spec names, as effects name it (``s.f``); ``*`` for a bare
    name (it matches a function of that name in any schema) or none."""
    parts = split_qualified(name, fold=False) if isinstance(name, str) else None
    return qualify(*parts) if parts and len(parts) == 2 else "*"


@requirement_kind(
    id="trigger",
    name="Trigger",
    title="Triggers",
    group="security",
    hint="create or fix the trigger",
    spec="tables.<table>.triggers[]",
    schema=SCHEMA,
    recommend=recommend,
    label=label,
    strict="triggers",
    facets=facets,
)
def check_trigger(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None
    props = req.props
    shape = " ".join(
        filter(
            None,
            [
                props.get("timing"),
                " OR ".join(props.get("events") or []),
                f"FOR EACH {props['level']}" if props.get("level") else None,
            ],
        )
    )
    label = (
        f"trigger {req.name} on {table.name}" if req.name else f"{shape} trigger on {table.name}"
    )
    trigger = table.triggers.get(req.name) if req.name else None
    if trigger is None and not req.name:
        # Fully matching first; else the structural match (timing, events, level) that is
        # disabled or does not raise, so the finding says what is wrong with it.
        ranked = sorted(
            (len(_trigger_diffs(props, t, ctx.model)), t.name, t)
            for t in table.triggers.values()
            if not {d.property for d in _trigger_diffs(props, t, ctx.model)}
            & {"timing", "events", "level", "function"}
        )
        trigger = ranked[0][2] if ranked else None
    if trigger is None:
        instead = [
            Candidate(
                "trigger",
                t.name,
                "differs in " + ", ".join(d.property for d in _trigger_diffs(props, t, ctx.model)),
                model_ddl.create_trigger(t, table),
            )
            for t in sorted(table.triggers.values(), key=lambda t: t.name)
        ]
        return ctx.absent(req, table, label, instead=instead)
    ddl = model_ddl.create_trigger(trigger, table)
    evidence = ctx.evidence(trigger.provenance, ddl)
    fn_name = trigger.function.rpartition(".")[2]
    for fn in ctx.model.functions_named(fn_name):
        evidence += ctx.evidence(fn.provenance, None)
    diffs = _trigger_diffs(props, trigger, ctx.model)
    if diffs:
        detail = describe_diffs(diffs)
        return finding_for(
            req,
            Status.FAIL,
            f"trigger {trigger.name} on {table.name} differs: {detail}",
            diffs=diffs,
            evidence=evidence,
            ddl=ddl,
            name=trigger.name,
        )
    note = ""
    if props.get("raises") and _function_raises(ctx.model, trigger.function) is None:
        note = f" (function {trigger.function} not found: whether it raises is unverified)"
    return finding_for(
        req,
        PASS,
        f"trigger {trigger.name} on {table.name}: {trigger.timing} "
        f"{' OR '.join(trigger.events)} FOR EACH {trigger.level}{note}",
        evidence=evidence,
        ddl=ddl,
        name=trigger.name,
    )
