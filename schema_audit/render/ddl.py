"""Moved: the DDL printer is ``schema_audit.model_ddl`` (below the audit, which prints
evidence with it). These names stay importable from here for existing callers."""

from schema_audit.model_ddl import (
    check_clause,
    column_line,
    create_function,
    create_index,
    create_policy,
    create_table,
    create_trigger,
    create_view,
    fk_clause,
)

__all__ = [
    "check_clause",
    "column_line",
    "create_function",
    "create_index",
    "create_policy",
    "create_table",
    "create_trigger",
    "create_view",
    "fk_clause",
]
