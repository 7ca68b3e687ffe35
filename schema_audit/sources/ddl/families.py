"""Every family module of the interpreter, imported: importing one registers its handlers.

Order does not matter (one node type, one handler, checked by ``registry``). Imported by
``interpreter``, so an interpreter never runs with a family missing, and by nothing that
the parsing child of a long history needs (``sources.ddl``'s docstring says why).
"""

from __future__ import annotations

from schema_audit.sources.ddl import (  # noqa: F401
    alter_table,
    comments,
    domains,
    drops,
    indexes,
    moves,
    policies,
    privileges,
    renames,
    roles,
    routines,
    rules,
    schemas,
    sequences,
    session,
    tables,
    triggers,
    views,
)
