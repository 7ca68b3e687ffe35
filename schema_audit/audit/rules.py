"""Built-in rules: what a spec writer forgot to ask for (``--rules security,perf,schema,privacy``).

Runs the rules registered in ``schema_audit/rules/`` (one module per rule) and turns
their hits into findings. A finding's id names the rule and the object
(``rules.SEC004.public.t.p``), so baselines can track it; an inline
``schema-audit: ignore RULE reason`` comment on the statement that made the object
waives it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from schema_audit.audit.findings import Finding, new_evidence, new_finding
from schema_audit.audit.suppressions import suppress
from schema_audit.enums import Status
from schema_audit.model import SchemaModel
from schema_audit.rules import Rule, RuleOptions, registry
from schema_audit.sources.ignores import find_ignore, source_lines
from schema_audit.spec.model import Spec

RULES = registry()
GROUPS = sorted({r.group for r in RULES.values()})


def _suppression(options: RuleOptions, rule: Rule, provenance: list) -> tuple[str, int, str] | None:
    """(file, line, reason) of an inline ignore comment on a statement that created or changed the object.

    The comment stands in the statement (a column's own line inside CREATE TABLE, say) or in
    the comment lines right above it; it covers the whole statement.
    """
    if not options.source_lines:
        return None
    for prov in provenance:
        last = (prov.line or 0) + (prov.sql or "").count("\n")
        found = find_ignore(
            prov.file,
            options.source_lines.get(prov.file or ""),
            prov.line,
            last,
            {rule.id, rule.name},
        )
        if found and prov.file:
            return prov.file, found[0], found[1]
    return None


def _finding(
    options: RuleOptions,
    rule: Rule,
    obj: str,
    table: str | None,
    message: str,
    ddl: str | None = None,
    provenance: list | None = None,
    target: str | None = None,
    column: str | None = None,
) -> Finding:
    """A rule's FAIL (WAIVED when an inline comment suppresses it; DEFERRED when a statement
    the static reader could not apply may change its evidence on ``target``)."""
    # Finding's fields in order (made positionally: init's spec waives thousands of these)
    finding = new_finding(
        f"rules.{rule.id}.{obj}",
        "rule",
        table,
        rule.name,
        Status.FAIL,
        rule.severity,
        f"{rule.id} {rule.name}: {message}",
        (),
        (),
        (new_evidence(options.evidence_source, None, None, None, ddl, f"fix: {rule.hint}"),),
        (),
        "Rules",
        rule.hint,
        None,
        None,
    )
    suppressed = _suppression(options, rule, provenance or [])
    if suppressed:
        return suppress(finding, *suppressed)
    if options.static_model is not None and target is not None:
        from schema_audit.audit.deferral import defer_rule

        finding = defer_rule(finding, rule.id, target, column, options.static_model)
    return finding


def parse_groups(text: str) -> list[str]:
    """``security,perf`` -> groups; ``all`` -> every group; ``none`` or empty -> no rules."""
    groups = [g.strip() for g in text.split(",") if g.strip()]
    if groups == ["all"]:
        return GROUPS
    if groups in ([], ["none"]):
        return []
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise ValueError(
            f"unknown rule group {unknown[0]!r}; groups: {', '.join(GROUPS)}, all, none"
        )
    return groups


def run_rules(
    model: SchemaModel,
    groups: list[str],
    *,
    tenant_column: str | None = None,
    source_kind: str = "live",
    options: RuleOptions | None = None,
) -> list[Finding]:
    """Findings of the enabled rule groups, in group order."""
    options = dataclasses.replace(
        options or RuleOptions(tenant_column=tenant_column),
        evidence_source="migration" if source_kind in ("alembic", "sql") else "catalog",
        static_model=model if source_kind in ("alembic", "sql") and model.unapplied else None,
    )
    out: list[Finding] = []
    for group in groups:
        for r in RULES.values():
            if r.group != group or r.check is None or not _applies(r, model):
                continue
            out += (
                _finding(
                    options,
                    r,
                    hit.obj,
                    hit.table,
                    hit.message,
                    hit.ddl,
                    hit.provenance,
                    hit.target,
                    hit.column,
                )
                for hit in r.check(model, options)
            )
    return out


def _applies(r: Rule, model: SchemaModel) -> bool:
    """A rule about a PostgreSQL feature is judged only where the server has it; a model of
    unknown version (a migration history) is judged."""
    if r.since is None or not model.server_version:
        return True
    major = model.server_version.split(".")[0].split()[0]
    return not major.isdigit() or int(major) >= r.since


def rules_for_spec(
    model: SchemaModel,
    groups: list[str],
    spec: Spec,
    source_kind: str,
    migrations: Path | None = None,
) -> list[Finding]:
    """The pack as an audit runs it: the spec's facts, per-rule settings, inline ignores.

    A rule turned on by itself (``SEC006: on`` or a severity) runs even when its group is
    off; one turned off never reports; a severity re-grades it so it can gate any --fail-on.
    """
    settings = rule_settings(spec)
    wanted = [
        g
        for g in GROUPS
        if g in groups or any(s.enabled and RULES[r].group == g for r, s in settings.items())
    ]
    if not wanted:
        return []
    lines = None
    if migrations is not None and source_kind in ("alembic", "sql"):
        lines = source_lines(migrations)
    options = RuleOptions(
        tenant_column=spec.settings.get("tenant_column"),
        app_role=spec.settings.get("app_role"),
        pii_words=tuple(spec.rules.get("pii_words") or ()),
        pii_allowed=tuple(spec.rules.get("pii_allowed") or ()),
        source_lines=lines,
    )
    found = run_rules(model, wanted, source_kind=source_kind, options=options)
    return configure(found, groups, settings)


@dataclass(frozen=True, slots=True)
class RuleSetting:
    """One rule's configuration: on/off (None = as its group) and a severity override."""

    enabled: bool | None = None
    severity: str | None = None


# a rule the spec does not configure: as its group (one value for every such finding: init's
# spec carries thousands of rule findings, each a new setting before)
_AS_GROUP = RuleSetting()

SEVERITY_NAMES = ("blocking", "high", "moderate", "low", "info")


def parse_setting(value: object) -> RuleSetting:
    """``off``/``false``, ``on``/``true``, a severity, or ``{enabled:, severity:}``; ValueError else."""
    if isinstance(value, bool):
        return RuleSetting(enabled=value)
    if isinstance(value, dict):
        return RuleSetting(value.get("enabled", True), value.get("severity"))
    text = str(value).strip().lower()
    if text in ("off", "false", "no"):
        return RuleSetting(enabled=False)
    if text in ("on", "true", "yes"):
        return RuleSetting(enabled=True)
    if text in SEVERITY_NAMES:
        return RuleSetting(enabled=True, severity=text)
    raise ValueError(f"{value!r}: expected on, off or a severity ({', '.join(SEVERITY_NAMES)})")


def rule_settings(spec: Spec) -> dict[str, RuleSetting]:
    """The spec's per-rule entries (``rules: {SEC006: {severity: high}, PERF002: off}``)."""
    return {k: parse_setting(v) for k, v in spec.rules.items() if k in RULES}


def configure(
    findings: list[Finding], groups: list[str], settings: dict[str, RuleSetting]
) -> list[Finding]:
    """Drop rules turned off (or whose group is off, unless turned on one by one); re-grade."""
    out = []
    for finding in findings:
        rule = RULES.get(finding.id.split(".")[1]) if finding.id.startswith("rules.") else None
        if rule is None:
            out.append(finding)
            continue
        setting = settings.get(rule.id, _AS_GROUP)
        if setting.enabled is False or (rule.group not in groups and not setting.enabled):
            continue
        if setting.severity and setting.severity != finding.severity:
            finding = dataclasses.replace(finding, severity=setting.severity)
        out.append(finding)
    return out


def groups_for(cli_value: str | None, spec: Spec) -> list[str]:
    """--rules wins, then the spec's ``rules.groups``, then every group (on by default)."""
    if cli_value is not None:
        return parse_groups(cli_value)
    if "groups" in spec.rules:
        return parse_groups(",".join(spec.rules["groups"]) or "none")
    return list(GROUPS)
