"""Built-in rules: what a spec writer forgot to ask for (``--rules security,perf,schema,privacy``).

Vendor-neutral checks that work on any model, live or static. Each rule has a
stable id, a severity and a fix hint; a finding's id names the rule and the
object (``rules.SEC004.public.t.p``), so baselines can track it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from schema_audit import model_ddl, sqlnorm
from schema_audit.audit import indexsem, privileges
from schema_audit.audit.findings import Evidence, Finding
from schema_audit.audit.suppressions import suppress
from schema_audit.enums import Status
from schema_audit.model import SchemaModel, Table, qualify
from schema_audit.sources.ignores import find_ignore, source_lines
from schema_audit.spec.model import Spec

PII_WORDS = (
    "email",
    "e_mail",
    "phone",
    "mobile",
    "ssn",
    "social_security",
    "passport",
    "birth",
    "dob",
    "first_name",
    "last_name",
    "full_name",
    "street",
    "address",
    "postcode",
    "zip_code",
    "ip_address",
    "device_id",
    "credit_card",
    "iban",
)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    group: str  # security | perf | schema | privacy
    severity: str
    hint: str


RULES = {
    r.id: r
    for r in [
        Rule(
            "SEC001",
            "rls-without-policies",
            "security",
            "moderate",
            "RLS denies every row to non-owners without a policy: add the policies, or disable RLS on purpose",
        ),
        Rule(
            "SEC002",
            "policies-without-rls",
            "security",
            "high",
            "policies have no effect until ALTER TABLE … ENABLE ROW LEVEL SECURITY",
        ),
        Rule(
            "SEC003",
            "rls-not-forced",
            "security",
            "moderate",
            "the table owner bypasses RLS: ALTER TABLE … FORCE ROW LEVEL SECURITY",
        ),
        Rule(
            "SEC004",
            "policy-allows-everything",
            "security",
            "high",
            "a permissive USING (true) / WITH CHECK (true) opens every row: scope it to the tenant",
        ),
        Rule(
            "SEC005",
            "multiple-permissive-policies",
            "security",
            "moderate",
            "permissive policies are OR-ed: one broad policy widens every other; merge them or make one RESTRICTIVE",
        ),
        Rule(
            "SEC006",
            "tenant-table-without-rls",
            "security",
            "high",
            "a table with the tenant column and no RLS is readable across tenants: enable RLS with a tenant policy",
        ),
        Rule(
            "SEC007",
            "security-definer-without-search-path",
            "security",
            "high",
            "SECURITY DEFINER functions must pin search_path (SET search_path = pg_catalog, …)",
        ),
        Rule(
            "SEC008",
            "security-definer-executable-by-public",
            "security",
            "high",
            "REVOKE EXECUTE ON FUNCTION … FROM PUBLIC and GRANT it to the roles that need it: "
            "it runs with its owner's rights",
        ),
        Rule(
            "PERF001",
            "foreign-key-without-index",
            "perf",
            "moderate",
            "index the referencing columns (leading columns of a non-partial index) so deletes and joins do not scan",
        ),
        Rule(
            "PERF002",
            "redundant-index",
            "perf",
            "low",
            "an index whose keys are a prefix of another's (same predicate) is redundant: drop it",
        ),
        Rule("SCH001", "table-without-primary-key", "schema", "moderate", "add a primary key"),
        Rule(
            "PRIV001",
            "pii-looking-column",
            "privacy",
            "moderate",
            "a column name that looks like personal data: confirm it is needed, or allow it in the spec",
        ),
    ]
}
GROUPS = sorted({r.group for r in RULES.values()})


@dataclass(slots=True)
class RuleOptions:
    """What the rules need to know beyond the model: the spec's facts and the migration files."""

    tenant_column: str | None = None
    app_role: str | None = None
    pii_words: tuple[str, ...] = ()
    pii_allowed: tuple[str, ...] = ()  # table.column globs
    evidence_source: str = "catalog"  # catalog (live/replay) or migration
    # displayed migration file name -> its lines, for inline `schema-audit: ignore RULE reason`
    source_lines: dict[str, tuple[str, ...]] | None = None
    # a static source's model: rule FAILs its unapplied statements may change are DEFERRED
    static_model: SchemaModel | None = None


def _suppression(options: RuleOptions, rule: Rule, provenance: list) -> tuple[str, int, str] | None:  # type: ignore[type-arg]
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
    provenance: list | None = None,  # type: ignore[type-arg]
    target: str | None = None,
    column: str | None = None,
) -> Finding:
    """A rule's FAIL (WAIVED when an inline comment suppresses it; DEFERRED when a statement
    the static reader could not apply may change its evidence on ``target``)."""
    finding = Finding(
        id=f"rules.{rule.id}.{obj}",
        kind="rule",
        table=table,
        name=rule.name,
        status=Status.FAIL,
        severity=rule.severity,
        message=f"{rule.id} {rule.name}: {message}",
        category="Rules",
        evidence=[Evidence(source=options.evidence_source, note=f"fix: {rule.hint}", sql=ddl)],
        impact=rule.hint,
    )
    suppressed = _suppression(options, rule, provenance or [])
    if suppressed:
        return suppress(finding, *suppressed)
    if options.static_model is not None and target is not None:
        from schema_audit.audit.deferral import defer_rule

        finding = defer_rule(finding, rule.id, target, column, options.static_model)
    return finding


def _is_true(expr: str | None) -> bool:
    return expr is not None and sqlnorm.canonical_expr(expr) in ("TRUE", "true")


def _security(model: SchemaModel, options: RuleOptions) -> Iterator[Finding]:
    tenant_column = options.tenant_column
    for key, table in sorted(model.tables.items()):
        where = table.provenance
        if table.rls_enabled and not table.policies:
            yield _finding(
                options,
                RULES["SEC001"],
                key,
                table.name,
                f"{table.name} has RLS enabled and no policy",
                provenance=where,
                target=key,
            )
        if table.policies and not table.rls_enabled:
            yield _finding(
                options,
                RULES["SEC002"],
                key,
                table.name,
                f"{table.name} has {len(table.policies)} polic(ies) but RLS is disabled",
                provenance=where,
                target=key,
            )
        if table.rls_enabled and not table.rls_forced and _owner_may_be_app(table, options):
            owner = f"its owner {table.owner}" if table.owner else "its owner (the migration role)"
            yield _finding(
                options,
                RULES["SEC003"],
                key,
                table.name,
                f"{table.name}: RLS enabled but not forced, so {owner} bypasses every policy",
                provenance=where,
                target=key,
            )
        if tenant_column and tenant_column in table.columns and not table.rls_enabled:
            yield _finding(
                options,
                RULES["SEC006"],
                key,
                table.name,
                f"{table.name} has {tenant_column} but no row level security",
                provenance=where,
                target=key,
                column=tenant_column,
            )
        permissive: dict[tuple[str, str], list[str]] = {}
        for policy in table.policies.values():
            ddl = model_ddl.create_policy(policy, table)
            if policy.permissive and (_is_true(policy.using) or _is_true(policy.with_check)):
                clause = "USING (true)" if _is_true(policy.using) else "WITH CHECK (true)"
                yield _finding(
                    options,
                    RULES["SEC004"],
                    f"{key}.{policy.name}",
                    table.name,
                    f"policy {policy.name} on {table.name} is permissive with {clause}",
                    ddl,
                    policy.provenance,
                    target=key,
                )
            if policy.permissive:
                for role in policy.roles:
                    for command in (
                        ["SELECT", "INSERT", "UPDATE", "DELETE"]
                        if policy.command == "ALL"
                        else [policy.command]
                    ):
                        permissive.setdefault((role, command), []).append(policy.name)
        reported: set[tuple[str, ...]] = set()
        for (role, command), names in sorted(permissive.items()):
            group = tuple(sorted(set(names)))
            if len(group) > 1 and group not in reported:
                reported.add(group)
                yield _finding(
                    options,
                    RULES["SEC005"],
                    f"{key}.{'+'.join(group)}",
                    table.name,
                    f"{table.name}: permissive policies {', '.join(group)} both apply to {command} "
                    f"for {role}",
                    provenance=[p for n in group for p in table.policies[n].provenance],
                    target=key,
                )
    for signature, fn in sorted(model.functions.items()):
        if not fn.security_definer:
            continue
        ddl = model_ddl.create_function(fn)
        if not any(c.lower().startswith("search_path=") for c in fn.config):
            yield _finding(
                options,
                RULES["SEC007"],
                signature,
                None,
                f"{signature} is SECURITY DEFINER without SET search_path",
                ddl,
                fn.provenance,
                target=qualify(fn.schema, fn.name),
            )
        if privileges.routine_execute(model, fn, "public") is not None:
            yield _finding(
                options,
                RULES["SEC008"],
                signature,
                None,
                f"{signature} is SECURITY DEFINER and every role can EXECUTE it "
                f"(owner {fn.owner or 'unknown'}'s rights)",
                ddl,
                fn.provenance,
                target=qualify(fn.schema, fn.name),
            )


def _owner_may_be_app(table: Table, options: RuleOptions) -> bool:
    """Unforced RLS matters when the application connects as the table's owner.

    Without ``settings.app_role`` in the spec, or with an owner the source does not know
    (a migration history), that cannot be ruled out.
    """
    return not options.app_role or not table.owner or table.owner == options.app_role


def _perf(model: SchemaModel, options: RuleOptions) -> Iterator[Finding]:
    """PERF001/PERF002 through :mod:`indexsem`, the spec's and the recommendations' test too."""
    for key, table in sorted(model.tables.items()):
        for fk in sorted(table.foreign_keys.values(), key=lambda f: f.name):
            if indexsem.is_covered(table, fk.columns):
                continue
            near = [
                f"{ix.name} does not serve lookups by {', '.join(fk.columns)} "
                f"({indexsem.serves_lookup(ix, fk.columns, table).why_not})"
                for ix in sorted(table.indexes.values(), key=lambda i: i.name)
                if set(fk.columns) & set(ix.column_names)
            ]
            note = f"; {'; '.join(near)}" if near else ""
            yield _finding(
                options,
                RULES["PERF001"],
                f"{key}.{fk.name}",
                table.name,
                f"{fk.name} ({', '.join(fk.columns)}) has no covering index{note}",
                f"CREATE INDEX ON {qualify(table.schema, table.name)} ({', '.join(fk.columns)});",
                provenance=fk.provenance,
                target=key,
            )
        indexes = sorted(table.indexes.values(), key=lambda ix: ix.name)
        for small in indexes:
            big = next((b for b in indexes if indexsem.redundant_with(small, b)), None)
            if big is not None:
                yield _finding(
                    options,
                    RULES["PERF002"],
                    f"{key}.{small.name}",
                    table.name,
                    f"{small.name} is redundant with {big.name}",
                    model_ddl.create_index(small, table.schema, table.name),
                    small.provenance,
                    target=key,
                )


def _schema(model: SchemaModel, options: RuleOptions) -> Iterator[Finding]:
    for key, table in sorted(model.tables.items()):
        # a partitioned table answers for its partitions (they inherit its key)
        if table.primary_key is None and table.kind != "foreign" and not table.partition_of:
            yield _finding(
                options,
                RULES["SCH001"],
                key,
                table.name,
                f"{table.name} has no primary key",
                provenance=table.provenance,
                target=key,
            )


def _privacy(model: SchemaModel, options: RuleOptions) -> Iterator[Finding]:
    words = PII_WORDS + tuple(w.lower() for w in options.pii_words)
    pattern = re.compile(r"(^|_)(" + "|".join(map(re.escape, words)) + r")($|_)", re.IGNORECASE)
    for key, table in sorted(model.tables.items()):
        for name, column in table.columns.items():
            if not pattern.search(name):
                continue
            if any(
                fnmatch.fnmatchcase(f"{table.name}.{name}", glob)
                or fnmatch.fnmatchcase(f"{table.schema}.{table.name}.{name}", glob)
                for glob in options.pii_allowed
            ):
                continue
            yield _finding(
                options,
                RULES["PRIV001"],
                f"{key}.{name}",
                table.name,
                f"{table.name}.{name} looks like personal data",
                provenance=column.provenance or table.provenance,
                target=key,
                column=name,
            )


GROUP_RUNNERS: dict[str, Callable[[SchemaModel, RuleOptions], Iterator[Finding]]] = {
    "security": _security,
    "perf": _perf,
    "schema": _schema,
    "privacy": _privacy,
}


def parse_groups(text: str) -> list[str]:
    """``security,perf`` -> groups; ``all`` -> every group; ``none`` or empty -> no rules."""
    groups = [g.strip() for g in text.split(",") if g.strip()]
    if groups == ["all"]:
        return GROUPS
    if groups in ([], ["none"]):
        return []
    unknown = [g for g in groups if g not in GROUP_RUNNERS]
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
        out += GROUP_RUNNERS[group](model, options)
    return out


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
        setting = settings.get(rule.id, RuleSetting())
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
