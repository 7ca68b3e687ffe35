"""The type PostgreSQL takes a domain's value as where an operator meets it.

A column of a domain meeting an operator is coerced to the domain's base type, and the
catalog prints that coercion: ``CHECK (a > 2)`` over ``a posint`` (a domain over integer) is
stored ``((a)::integer > 2)``, ``b ~ 'x'`` over a domain over citext
``((b)::public.citext OPERATOR(public.~) 'x'::public.citext)``. Read as written, such a
CHECK, index expression or generated column differed from the catalog (a false FAIL of a
static audit against the catalog's spec); ``implicit.promote_integer_columns`` adds the cast
for the types :func:`operand_bases` gives.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from schema_audit.sources.ddl.nodes import type_text

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# the type an operator takes a domain's value as, by the domain's base type (typmod dropped):
# character varying's operators are text's, character's bpchar's
_OPERAND_TYPES = {"character varying": "text", "character": "bpchar"}
# base types known to be coerced so (an enum's, a composite's, a range's are not cast)
_COERCED = frozenset(
    [
        "integer",
        "bigint",
        "smallint",
        "numeric",
        "real",
        "double",
        "precision",
        "boolean",
        "text",
        "citext",
        "bpchar",
        "uuid",
        "jsonb",
        "json",
        "date",
        "bytea",
        "inet",
        "cidr",
        "macaddr",
        "interval",
        "money",
    ]
) | {"timestamp with time zone", "timestamp without time zone", "double precision"}


def operand_bases(interp: DdlInterpreter) -> dict[str, str]:
    """Column type -> the type PostgreSQL coerces a value of that domain to where an
    operator takes it (``implicit.promote_integer_columns``): the last base of a domain over
    domains, its typmod dropped. Only base types known to be coerced so."""
    domains = interp.model.domains
    if not domains:
        return {}
    by_type = {type_text(d.schema, d.name): d for d in domains.values()}
    out: dict[str, str] = {}
    for text, domain in by_type.items():
        base, seen = domain.type, {text}
        while base in by_type and base not in seen:
            seen.add(base)
            base = by_type[base].type
        array = base.endswith("[]")
        plain = re.sub(r"\([^)]*\)", "", base.removesuffix("[]")).replace("  ", " ").strip()
        plain = _OPERAND_TYPES.get(plain, plain)
        if plain in _COERCED and not (array and plain in _OPERAND_TYPES.values()):
            out[text] = plain + ("[]" if array else "")
    return out
