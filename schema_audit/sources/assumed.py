"""What a history references but never creates: roles, schemas, extensions a replay must assume.

A ``pg_dump --schema-only`` of a production database grants to roles only that
cluster has (``GRANT SELECT ON t TO app``, ``ALTER TABLE t OWNER TO app``); a
migration history may rely on a schema or extension the platform provides. On a
scratch cluster the first such statement stops the replay and everything after it
is lost. So before replaying, the statements are read with PostgreSQL's own parser
(pglast) and whatever they reference but never create is created on the scratch
cluster: roles NOLOGIN, schemas empty, extensions only when the cluster has them.
The report lists each assumption; the replay still decides everything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pglast
from pglast import ast
from pglast.visitors import Visitor

from schema_audit.pgparse import parse_sql

# RoleSpec.roletype 0 is a named role; the others are CURRENT_USER, SESSION_USER, PUBLIC, …
_NAMED = 0
_BUILTIN_SCHEMAS = {"pg_catalog", "information_schema", "public", "pg_temp", "pg_toast"}
# What a type, function or operator class needs, for extensions PostgreSQL ships in contrib.
_EXTENSION_OF = {
    "citext": "citext",
    "hstore": "hstore",
    "ltree": "ltree",
    "lquery": "ltree",
    "cube": "cube",
    "uuid_generate_v1": "uuid-ossp",
    "uuid_generate_v1mc": "uuid-ossp",
    "uuid_generate_v4": "uuid-ossp",
    "uuid_generate_v5": "uuid-ossp",
    "crypt": "pgcrypto",
    "gen_salt": "pgcrypto",
    "digest": "pgcrypto",
    "hmac": "pgcrypto",
    "gen_random_bytes": "pgcrypto",
    "pgp_sym_encrypt": "pgcrypto",
    "pgp_sym_decrypt": "pgcrypto",
    "similarity": "pg_trgm",
    "word_similarity": "pg_trgm",
    "gin_trgm_ops": "pg_trgm",
    "gist_trgm_ops": "pg_trgm",
    "unaccent": "unaccent",
}
_DO_CREATE_ROLE = re.compile(r'(?i)\bCREATE\s+(?:ROLE|USER|GROUP)\s+(?:"((?:[^"]|"")+)"|(\w+))')
_DO_CREATE_SCHEMA = re.compile(
    r'(?i)\bCREATE\s+SCHEMA\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:"((?:[^"]|"")+)"|(\w+))'
)


@dataclass(slots=True)
class References:
    """Names the statements use and names they create."""

    roles: set[str] = field(default_factory=set)
    created_roles: set[str] = field(default_factory=set)
    schemas: set[str] = field(default_factory=set)
    created_schemas: set[str] = field(default_factory=set)
    extensions: set[str] = field(default_factory=set)
    created_extensions: set[str] = field(default_factory=set)

    def missing_roles(self) -> list[str]:
        return sorted(r for r in self.roles - self.created_roles if not r.startswith("pg_"))

    def missing_schemas(self) -> list[str]:
        return sorted(
            s
            for s in self.schemas - self.created_schemas - _BUILTIN_SCHEMAS
            if not s.startswith("pg_")
        )

    def missing_extensions(self) -> list[str]:
        return sorted(self.extensions - self.created_extensions)


class _Collector(Visitor):
    def __init__(self, refs: References) -> None:
        self.refs = refs

    def visit_RoleSpec(self, parent, node):
        if node.roletype == _NAMED and node.rolename:
            self.refs.roles.add(node.rolename)

    def visit_GrantRoleStmt(self, parent, node):
        for granted in node.granted_roles or ():
            if isinstance(granted, ast.AccessPriv) and granted.priv_name:
                self.refs.roles.add(granted.priv_name)

    def visit_VariableSetStmt(self, parent, node):
        if (node.name or "").lower() in ("role", "session_authorization") and node.args:
            value = getattr(node.args[0], "val", None)
            name = getattr(value, "sval", None)
            if name and name.lower() != "none":
                self.refs.roles.add(name)

    def visit_CreateRoleStmt(self, parent, node):
        self.refs.created_roles.add(node.role)

    def visit_CreateSchemaStmt(self, parent, node):
        if node.schemaname:
            self.refs.created_schemas.add(node.schemaname)

    def visit_CreateExtensionStmt(self, parent, node):
        self.refs.created_extensions.add(node.extname)

    def visit_RangeVar(self, parent, node):
        if node.schemaname:
            self.refs.schemas.add(node.schemaname)

    def _names(self, names) -> list[str]:
        return [n.sval for n in names or () if isinstance(n, ast.String)]

    def _qualified(self, names: list[str]) -> None:
        if len(names) >= 2:
            self.refs.schemas.add(names[0])
        if names and names[-1] in _EXTENSION_OF:
            self.refs.extensions.add(_EXTENSION_OF[names[-1]])

    def visit_TypeName(self, parent, node):
        self._qualified(self._names(node.names))

    def visit_FuncCall(self, parent, node):
        self._qualified(self._names(node.funcname))

    def visit_IndexElem(self, parent, node):
        self._qualified(self._names(node.opclass))

    def visit_DoStmt(self, parent, node):
        """A DO body is PL/pgSQL text: read the names it creates (the IF NOT EXISTS idiom)."""
        for item in node.args or ():
            body = getattr(getattr(item, "arg", None), "sval", None)
            if not body:
                continue
            for quoted, bare in _DO_CREATE_ROLE.findall(body):
                self.refs.created_roles.add(quoted.replace('""', '"') if quoted else bare.lower())
            for quoted, bare in _DO_CREATE_SCHEMA.findall(body):
                self.refs.created_schemas.add(quoted.replace('""', '"') if quoted else bare.lower())


def collect(statements: Iterable[str]) -> References:
    """Parse each statement on its own (one that does not parse is the replay's business)."""
    refs = References()
    collector = _Collector(refs)
    for sql in statements:
        try:
            tree = parse_sql(sql)
        except pglast.parser.ParseError:
            continue
        collector(tree)
    return refs
