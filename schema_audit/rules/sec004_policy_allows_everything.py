"""A permissive policy whose USING or WITH CHECK is `true` opens every row to its roles.

Fires on:

```sql
CREATE POLICY everyone ON t FOR SELECT USING (true);
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from schema_audit import model_ddl, sqlnorm
from schema_audit.model import SchemaModel
from schema_audit.rules import Hit, rule


@rule(
    id="SEC004",
    name="policy-allows-everything",
    group="security",
    severity="high",
    hint="a permissive USING (true) / WITH CHECK (true) opens every row: scope it to the tenant",
)
def check(model: SchemaModel, options: object) -> Iterator[Hit]:
    for key, table in sorted(model.tables.items()):
        for policy in table.policies.values():
            if policy.permissive and (_is_true(policy.using) or _is_true(policy.with_check)):
                clause = "USING (true)" if _is_true(policy.using) else "WITH CHECK (true)"
                yield Hit(
                    f"{key}.{policy.name}",
                    table.name,
                    f"policy {policy.name} on {table.name} is permissive with {clause}",
                    model_ddl.create_policy(policy, table),
                    policy.provenance,
                    target=key,
                )


def _is_true(expr: str | None) -> bool:
    return (
        expr is not None
        and not _has_operator(expr)
        and sqlnorm.canonical_expr(expr) in ("TRUE", "true")
    )


_PLAIN_LITERAL = re.compile(r"(?<![\w&])'(?:[^']|'')*'")  # 'x' with '' inside; not E'…', U&'…'
_OPERATOR = re.compile(r"[=<>*/%^|&~!@#?]")
_UNREAD = (
    "'",
    "$",
    '"',
    "--",
    "/*",
)  # an escaped or dollar-quoted string, a quoted name, a comment


def _has_operator(expr: str) -> bool:
    """True when the text has an operator outside its plain string literals (``=``, ``<>``,
    ``~~`` …): the expression is then no lone constant, whatever casts it holds, and cannot
    canonicalise to ``true``. Told without parsing, so a live audit need not load pglast
    (every policy a tenant model writes compares something).

    Text this cannot read plainly (see ``_UNREAD``) is left to the parser.
    """
    rest = _PLAIN_LITERAL.sub(" ", expr)
    if any(mark in rest for mark in _UNREAD):
        return False
    return _OPERATOR.search(rest.replace("::", " ")) is not None
