"""Built-in rules: what a spec writer forgot to ask for (``--rules security,perf,schema,privacy``).

Vendor-neutral checks that work on any model, live or static. Each rule has a
stable id, a severity and a fix hint; a finding's id names the rule and the
object (``rules.SEC004.public.t.p``), so baselines can track it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from schema_audit import sqlnorm
from schema_audit.audit.findings import Evidence, Finding
from schema_audit.model import SchemaModel, Table
from schema_audit.render import ddl as render_ddl

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


_SOURCE = {
    "evidence": "catalog"
}  # evidence source of the current run: catalog (live/replay) or migration


def _finding(
    rule: Rule, obj: str, table: str | None, message: str, ddl: str | None = None
) -> Finding:
    return Finding(
        id=f"rules.{rule.id}.{obj}",
        kind="rule",
        table=table,
        name=rule.name,
        status="FAIL",
        severity=rule.severity,
        message=f"{rule.id} {rule.name}: {message}",
        category="Rules",
        evidence=[Evidence(source=_SOURCE["evidence"], note=f"fix: {rule.hint}", sql=ddl)],
        impact=rule.hint,
    )


def _covered(table: Table, columns: list[str]) -> bool:
    for index in table.indexes.values():
        keys = index.column_names
        if (
            not index.where
            and all(k.is_column for k in index.keys[: len(columns)])
            and sorted(keys[: len(columns)]) == sorted(columns)
        ):
            return True
    return bool(table.primary_key and table.primary_key.columns[: len(columns)] == columns)


def _is_true(expr: str | None) -> bool:
    return expr is not None and sqlnorm.canonical_expr(expr) in ("TRUE", "true")


def _security(model: SchemaModel, tenant_column: str | None) -> Iterator[Finding]:
    for key, table in sorted(model.tables.items()):
        if table.rls_enabled and not table.policies:
            yield _finding(
                RULES["SEC001"], key, table.name, f"{table.name} has RLS enabled and no policy"
            )
        if table.policies and not table.rls_enabled:
            yield _finding(
                RULES["SEC002"],
                key,
                table.name,
                f"{table.name} has {len(table.policies)} polic(ies) but RLS is disabled",
            )
        if table.rls_enabled and not table.rls_forced:
            yield _finding(
                RULES["SEC003"], key, table.name, f"{table.name}: RLS enabled but not forced"
            )
        if tenant_column and tenant_column in table.columns and not table.rls_enabled:
            yield _finding(
                RULES["SEC006"],
                key,
                table.name,
                f"{table.name} has {tenant_column} but no row level security",
            )
        permissive: dict[tuple[str, str], list[str]] = {}
        for policy in table.policies.values():
            ddl = render_ddl.create_policy(policy, table)
            if policy.permissive and (_is_true(policy.using) or _is_true(policy.with_check)):
                clause = "USING (true)" if _is_true(policy.using) else "WITH CHECK (true)"
                yield _finding(
                    RULES["SEC004"],
                    f"{key}.{policy.name}",
                    table.name,
                    f"policy {policy.name} on {table.name} is permissive with {clause}",
                    ddl,
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
                    RULES["SEC005"],
                    f"{key}.{'+'.join(group)}",
                    table.name,
                    f"{table.name}: permissive policies {', '.join(group)} both apply to {command} "
                    f"for {role}",
                )
    for signature, fn in sorted(model.functions.items()):
        if fn.security_definer and not any(c.lower().startswith("search_path=") for c in fn.config):
            yield _finding(
                RULES["SEC007"],
                signature,
                None,
                f"{signature} is SECURITY DEFINER without SET search_path",
                render_ddl.create_function(fn),
            )


def _perf(model: SchemaModel) -> Iterator[Finding]:
    for key, table in sorted(model.tables.items()):
        for fk in sorted(table.foreign_keys.values(), key=lambda f: f.name):
            if not _covered(table, fk.columns):
                near = []
                for ix in sorted(table.indexes.values(), key=lambda i: i.name):
                    if set(fk.columns) & set(ix.column_names):
                        why = []
                        if ix.column_names[: len(fk.columns)] != fk.columns:
                            why.append(f"{fk.columns[0]} is not its leading column")
                        if ix.where:
                            why.append("it is partial")
                        near.append(
                            f"{ix.name} does not serve lookups by {', '.join(fk.columns)} ({' and '.join(why)})"
                        )
                note = f"; {'; '.join(near)}" if near else ""
                yield _finding(
                    RULES["PERF001"],
                    f"{key}.{fk.name}",
                    table.name,
                    f"{fk.name} ({', '.join(fk.columns)}) has no covering index{note}",
                )
        indexes = sorted(table.indexes.values(), key=lambda ix: ix.name)
        for small in indexes:
            if small.unique or small.constraint or not small.keys:
                continue
            for big in indexes:
                if big is small or len(big.keys) < len(small.keys) or big.method != small.method:
                    continue
                same_keys = [k.render() for k in big.keys[: len(small.keys)]] == [
                    k.render() for k in small.keys
                ]
                if (
                    same_keys
                    and sqlnorm.exprs_equal(big.where, small.where)
                    and (len(big.keys) > len(small.keys) or big.name < small.name)
                ):
                    yield _finding(
                        RULES["PERF002"],
                        f"{key}.{small.name}",
                        table.name,
                        f"{small.name} is redundant with {big.name}",
                        render_ddl.create_index(small, table.schema, table.name),
                    )
                    break


def _schema(model: SchemaModel) -> Iterator[Finding]:
    for key, table in sorted(model.tables.items()):
        if table.primary_key is None and table.kind == "table":
            yield _finding(RULES["SCH001"], key, table.name, f"{table.name} has no primary key")


def _privacy(model: SchemaModel) -> Iterator[Finding]:
    pattern = re.compile(r"(^|_)(" + "|".join(PII_WORDS) + r")($|_)", re.IGNORECASE)
    for key, table in sorted(model.tables.items()):
        for column in table.columns:
            if pattern.search(column):
                yield _finding(
                    RULES["PRIV001"],
                    f"{key}.{column}",
                    table.name,
                    f"{table.name}.{column} looks like personal data",
                )


GROUP_RUNNERS: dict[str, Callable[..., Iterator[Finding]]] = {
    "security": _security,
    "perf": _perf,
    "schema": _schema,
    "privacy": _privacy,
}


def parse_groups(text: str) -> list[str]:
    groups = [g.strip() for g in text.split(",") if g.strip()]
    if groups == ["all"]:
        return GROUPS
    unknown = [g for g in groups if g not in GROUP_RUNNERS]
    if unknown:
        raise ValueError(f"unknown rule group {unknown[0]!r}; groups: {', '.join(GROUPS)}, all")
    return groups


def run_rules(
    model: SchemaModel,
    groups: list[str],
    *,
    tenant_column: str | None = None,
    source_kind: str = "live",
    allowed: set[str] | None = None,
) -> list[Finding]:
    """Findings of the enabled rule groups; ``allowed`` finding ids (from the spec) are skipped."""
    _SOURCE["evidence"] = "migration" if source_kind in ("alembic", "sql") else "catalog"
    out: list[Finding] = []
    for group in groups:
        runner = GROUP_RUNNERS[group]
        found = runner(model, tenant_column) if group == "security" else runner(model)
        out += [f for f in found if not allowed or f.id not in allowed]
    return out
