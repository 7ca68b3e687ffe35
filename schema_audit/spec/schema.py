"""The spec format, as a JSON Schema.

One definition serves three purposes: validating a loaded spec (with our own
file:line messages on top), exporting ``spec.schema.json`` for editors, and
documenting every key (``description`` fields). Keep it strict
(``additionalProperties: false`` everywhere) so a typo is an error, not a
silently ignored requirement.
"""

from __future__ import annotations

from typing import Any

from schema_audit.kinds import registry
from schema_audit.kinds.primary_key import PRIMARY_KEY_MAPPING
from schema_audit.spec.fragments import (
    COMMANDS,
    EVENTS,
    PRIVILEGES,
    REF_ACTIONS,
    SEVERITIES,
    STRICT_KINDS,
)
from schema_audit.spec.fragments import COMMON as _COMMON
from schema_audit.spec.fragments import day as _day
from schema_audit.spec.fragments import obj as _obj
from schema_audit.spec.fragments import req_schema as _req
from schema_audit.spec.fragments import string as _str
from schema_audit.spec.fragments import strings as _strlist

__all__ = [
    "COMMANDS",
    "EVENTS",
    "PRIVILEGES",
    "REF_ACTIONS",
    "SEVERITIES",
    "SPEC_SCHEMA",
    "STRICT_KINDS",
]


def _kind(kind_id: str) -> dict[str, Any]:
    """The schema fragment the requirement kind's module registered (schema_audit/kinds/)."""
    fragment = registry()[kind_id].schema
    assert fragment is not None, kind_id
    return dict(fragment)


_COLUMN = _kind("column")
_INDEX = _kind("index")
_FOREIGN_KEY = _kind("foreign_key")
_UNIQUE = _kind("unique")
_CHECK = _kind("check")
_POLICY = _kind("policy")
_TRIGGER = _kind("trigger")
_PRIVILEGE = _kind("privilege")
_PROBE = _kind("probe")
_VIEW = _kind("view")
_FUNCTION = _kind("function")
_FORBIDDEN = _kind("forbidden_column")

_TABLE = _req(
    {
        "schema": _str("Schema of the table (default: defaults.schema)."),
        "columns": {
            "type": "object",
            "additionalProperties": {"anyOf": [_COLUMN, {"type": "null"}]},
            "description": "Required columns by name.",
        },
        "primary_key": {
            "anyOf": [_strlist("Primary-key columns."), {"type": "string"}, PRIMARY_KEY_MAPPING],
            "description": "Primary-key columns (a list, or one column), or `required`: any "
            "primary key (a column named 'required' is written [required]), or a mapping "
            "stating its constraint name and COMMENT too (what `init` writes).",
        },
        "unique": {"type": "array", "items": _UNIQUE},
        "checks": {"type": "array", "items": _CHECK},
        "foreign_keys": {"type": "array", "items": _FOREIGN_KEY},
        "indexes": {"type": "array", "items": _INDEX},
        "rls": _kind("rls"),
        "policies": {"type": "array", "items": _POLICY},
        "triggers": {"type": "array", "items": _TRIGGER},
        "privileges": {"type": "array", "items": _PRIVILEGE},
        "comment": _str("Required table comment."),
        "replica_identity": _str(
            "REPLICA IDENTITY: default, full, nothing or 'index <name>' (USING INDEX)."
        ),
        "partition_key": _str(
            "PARTITION BY of a partitioned table as pg_get_partkeydef prints it ('RANGE (at)')."
        ),
        "tablespace": _str(
            "Its tablespace (TABLESPACE, SET TABLESPACE; pg_default: the database's default); "
            "compared when stated, strict.tables holds an unstated one to the default."
        ),
        "access_method": _str(
            "Its table access method (USING, SET ACCESS METHOD; heap: the default); compared "
            "when stated, strict.tables holds an unstated one to the default."
        ),
        "rules": {
            "type": "object",
            "description": "The table's rules (CREATE RULE) by name: pg_get_ruledef's text, or "
            "{definition, enabled: origin|disabled|replica|always}; held by strict.rules.",
            "additionalProperties": {"type": ["string", "object"]},
        },
        "partition_bound": {
            "type": ["string", "null"],
            "description": "A partition's bounds as pg_get_expr(relpartbound) prints them "
            "(\"FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')\", 'DEFAULT'); a number's quotes "
            "and a date's zero padding aside. null: not compared (`init --sql` writes it for a "
            "bound computed by an expression, `FROM (now())`, whose stored value a history does "
            "not tell).",
        },
        "partition_of": _str(
            "The partitioned table this one is a partition of ('parent' or 'schema.parent'); "
            "under strict tables, a listed table that does not say it must not be a partition."
        ),
        "inherits": _strlist(
            "Its INHERITS parents ('parent' or 'schema.parent'), in order ([] = none); compared "
            "when stated, strict.tables holds an unstated one (ALTER TABLE … [NO] INHERIT)."
        ),
        "owner": _str(
            "The role that owns the table (DEFERRED when a migration history does not name it)."
        ),
        "exactly": {
            "type": "array",
            "items": {"enum": STRICT_KINDS},
            "description": "Strict mode: anything of these kinds that the spec does not require is a finding.",
        },
        "allow": _strlist(
            "Object names (or role names, for privileges) strict mode accepts without a requirement."
        ),
        "options": {
            "type": "object",
            "additionalProperties": {"type": ["string", "number", "boolean"]},
            "description": "Storage parameters as WITH (…) sets them (fillfactor: 70, "
            "autovacuum_enabled: false …) and unlogged: true/false (UNLOGGED).",
        },
        "replace": {
            "type": "boolean",
            "description": "With extends: this entry replaces the base spec's entry for the "
            "table instead of merging into it (lists merge by name or shape otherwise).",
        },
    },
    "A table requirement. An empty mapping ({}) only requires existence.",
)

_SELECT = _obj(
    {
        "schema": {
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            "description": "Schema name(s) or globs (default: defaults.schema).",
        },
        "tables": {
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            "description": "Table name globs ('inv*', 'billing.*'); default: every table.",
        },
        "regex": _str("Regular expression (Python syntax) searched in the table name."),
        "exclude": {
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            "description": "Table name globs left out.",
        },
        "has_column": {
            "anyOf": [
                {"type": "string"},
                {"type": "object"},
                {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            ],
            "description": "Column(s) the table must have: a name glob, or {name: glob, type: t} "
            "(type compared canonically); a list means all of them.",
        },
        "lacks_column": {
            "anyOf": [
                {"type": "string"},
                {"type": "object"},
                {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            ],
            "description": "Column(s) the table must not have (same forms as has_column).",
        },
        "rls": {"type": "boolean", "description": "Only tables with (true) / without RLS enabled."},
        "partitioned": {
            "type": "boolean",
            "description": "Only partitioned tables (true) / only plain ones (false).",
        },
        "partitions": {
            "type": "boolean",
            "description": "Include partitions themselves (default false: the parent answers).",
        },
    },
    "Which tables a match: entry picks; every condition given must hold.",
)


_QUESTION = _obj(
    {
        "id": _str("Question id, e.g. 'Billy A-01'."),
        "category": _str("Category id."),
        "title": _str("Short title."),
        "question": _str("The question, restated."),
        "requirements": _strlist(
            "Requirement ids or globs that answer it (tables.tenants.columns.*)."
        ),
        "note": _str("Reviewer note printed under the answer."),
    },
    "A reviewer's question and the requirements that answer it.",
    ["id", "requirements"],
)

_WAIVER = _obj(
    {
        "requirement": _str("Requirement id or glob the waiver accepts a deviation for."),
        "reason": _str("Why the deviation is accepted (shown in every output)."),
        "owner": _str("Who accepted it."),
        "expires": _day("YYYY-MM-DD after which the waiver no longer applies."),
    },
    "An accepted deviation: matching FAIL/PARTIAL findings become WAIVED until it expires.",
    ["requirement", "reason"],
)

_EXIT_GATE = _obj(
    {
        "criterion": _str("Exit-gate criterion."),
        "requirements": _strlist("Requirement ids or globs that decide it."),
    },
    "A phase exit-gate criterion.",
    ["criterion", "requirements"],
)

SPEC_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://schema-audit.dev/spec.schema.json",
    "title": "schema-audit specification",
    **_obj(
        {
            "spec_version": {"const": 1, "description": "Format version; 1."},
            "extends": {
                "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                "description": "Spec file(s) this one builds on (paths relative to this file, inside "
                "the spec's directory tree unless --spec-allow names another); mappings merge, a "
                "table's requirement lists merge by name (or shape for unnamed items), "
                "questions/exit_gates/waivers/categories concatenate, this file wins; "
                "replace: true in a table entry replaces the base's.",
            },
            "vars": {
                "type": "object",
                "description": "Variables ${NAME} may use, with their defaults (null: must be given "
                "with --var NAME=… or SCHEMA_AUDIT_VAR_NAME). No other environment variable is read.",
                "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
            },
            "name": _str("Name of the specification."),
            "phase": _str("Phase this spec gates, e.g. B0.3."),
            "date": _day("Report date (YYYY-MM-DD); --date overrides."),
            "description": _str("Purpose, printed in the report."),
            "defaults": _obj(
                {
                    "schema": _str("Default schema for unqualified names (public)."),
                    "severity": {"enum": SEVERITIES},
                    "category": _str("Default category id."),
                },
                "Defaults inherited by every requirement.",
            ),
            "settings": _obj(
                {
                    "tenant_column": _str("Column that scopes rows to a tenant (tenant_id)."),
                    "tenant_setting": _str("GUC the tenant policies read (app.current_tenant_id)."),
                    "app_role": _str("Role the application connects as (probes)."),
                },
                "Facts about the application the checks and probes use.",
            ),
            "rules": _obj(
                {
                    "groups": {
                        "type": "array",
                        "items": {"enum": ["security", "perf", "schema", "privacy"]},
                        "description": "Rule groups to run (default: all; [] turns the pack off). "
                        "--rules overrides.",
                    },
                    "pii_words": _strlist(
                        "Extra words PRIV001 treats as personal data (added to the built-in list)."
                    ),
                    "pii_allowed": _strlist(
                        "table.column globs where personal data is expected (PRIV001 stays quiet)."
                    ),
                },
                "The built-in rule pack (docs/rules.md): which groups run and what they accept; "
                "per rule (SEC006: high, PERF002: off, SCH001: {severity: blocking}) on, off or "
                "re-graded (--rule overrides).",
            )
            | {
                "patternProperties": {
                    "^[A-Z]+[0-9]{3}$": {
                        "anyOf": [
                            {"type": "boolean"},
                            {"enum": ["on", "off", *SEVERITIES]},
                            _obj(
                                {
                                    "enabled": {"type": "boolean"},
                                    "severity": {"enum": SEVERITIES},
                                },
                                "enabled (default true) and a severity that replaces the rule's.",
                            ),
                        ],
                        "description": "One rule: on, off, a severity, or {enabled, severity}.",
                    }
                }
            },
            "categories": {
                "type": "array",
                "items": _obj(
                    {"id": _str("A, B, …"), "title": _str("Category title.")},
                    "A report category.",
                    ["id", "title"],
                ),
            },
            "tables": {
                "type": "object",
                "additionalProperties": {"anyOf": [_TABLE, {"type": "null"}]},
            },
            "match": {
                "type": "object",
                "description": "Requirements applied to every table a selector picks; ids "
                "match.<name>.<schema>.<table>.…; a table's own entry under tables: replaces the "
                "same requirement from a selector; a selector picking nothing FAILs.",
                "additionalProperties": _obj(
                    {
                        "select": _SELECT,
                        "require": {
                            **_TABLE,
                            "properties": {
                                k: v for k, v in _TABLE["properties"].items() if k != "schema"
                            },
                        },
                        "severity": {"enum": SEVERITIES},
                        "category": _str("Report category id of its requirements."),
                        "description": _str("What the selector stands for."),
                    },
                    "One selector and the table block it applies.",
                    ["select", "require"],
                ),
            },
            "absent_tables": {
                "type": "array",
                "items": _str("A table that must NOT exist."),
                "description": "Tables that must not exist.",
            },
            "views": {
                "type": "object",
                "additionalProperties": {"anyOf": [_VIEW, {"type": "null"}]},
            },
            "materialized_views": {
                "type": "object",
                "additionalProperties": {"anyOf": [_VIEW, {"type": "null"}]},
            },
            "functions": {
                "type": "object",
                "additionalProperties": {"anyOf": [_FUNCTION, {"type": "null"}]},
            },
            "enums": {
                "type": "object",
                "description": "Enum types by name ('mood' or 'schema.mood').",
                "additionalProperties": {"anyOf": [_kind("enum"), {"type": "null"}]},
            },
            "schemas": {
                "type": "object",
                "description": "Schemas by name: owner and exact grants.",
                "additionalProperties": {"anyOf": [_kind("schema"), {"type": "null"}]},
            },
            "composite_types": {
                "type": "object",
                "description": "Composite types by name ('pair' or 'schema.pair'): attributes in "
                "order (read from a catalog only).",
                "additionalProperties": {"anyOf": [_kind("composite_type"), {"type": "null"}]},
            },
            "range_types": {
                "type": "object",
                "description": "Range types by name ('floatrange' or 'schema.floatrange'): "
                "subtype, operator class, collation, canonical and subtype_diff functions, "
                "multirange (read from a catalog only).",
                "additionalProperties": {"anyOf": [_kind("range_type"), {"type": "null"}]},
            },
            "domains": {
                "type": "object",
                "description": "Domains by name ('posint' or 'schema.posint'): base type, NOT "
                "NULL, DEFAULT, CHECK constraints (read from a catalog only).",
                "additionalProperties": {"anyOf": [_kind("domain"), {"type": "null"}]},
            },
            "sequences": {
                "type": "object",
                "description": "Sequences by name ('seq' or 'schema.seq'): owner and exact grants.",
                "additionalProperties": {"anyOf": [_kind("sequence"), {"type": "null"}]},
            },
            "default_privileges": {
                "type": "array",
                "description": "ALTER DEFAULT PRIVILEGES entries: what objects created later grant.",
                "items": _kind("default_privilege"),
            },
            "forbidden_columns": {"type": "object", "additionalProperties": _FORBIDDEN},
            "probes": {"type": "object", "additionalProperties": _PROBE},
            "questions": {"type": "array", "items": _QUESTION},
            "exit_gates": {"type": "array", "items": _EXIT_GATE},
            "waivers": {"type": "array", "items": _WAIVER},
            "strict": _obj(
                {
                    **_COMMON,
                    "tables": {
                        "type": "boolean",
                        "description": "Every table must be in the spec.",
                    },
                    "views": {
                        "type": "boolean",
                        "description": "Every view and materialized view must be in the spec.",
                    },
                    "functions": {
                        "type": "boolean",
                        "description": "Every function (each overload) must be in the spec.",
                    },
                    "sequences": {
                        "type": "boolean",
                        "description": "Every sequence (but those behind identity columns) "
                        "must be in the spec.",
                    },
                    "rules": {
                        "type": "boolean",
                        "description": "Every table's rules exactly as its entry's rules: states "
                        "them (a catalog's reading; DEFERRED against a migration history).",
                    },
                    "composite_types": {
                        "type": "boolean",
                        "description": "Every composite type must be in the spec (a catalog's "
                        "reading; DEFERRED against a migration history).",
                    },
                    "range_types": {
                        "type": "boolean",
                        "description": "Every range type must be in the spec (a catalog's "
                        "reading; DEFERRED against a migration history).",
                    },
                    "domains": {
                        "type": "boolean",
                        "description": "Every domain must be in the spec (a catalog's reading; "
                        "DEFERRED against a migration history).",
                    },
                    "extensions": {
                        "type": "object",
                        "description": "Exactly these extensions (database-wide; plpgsql in "
                        "pg_catalog aside): name -> {schema, version} (version compared when "
                        "stated). One added, dropped, updated or moved FAILs.",
                        "additionalProperties": {
                            "type": ["object", "null"],
                            "properties": {
                                "schema": {"type": "string"},
                                "version": {"type": ["string", "number"]},
                            },
                            "additionalProperties": False,
                        },
                    },
                    "default_privileges": {
                        "type": "boolean",
                        "description": "Every default privilege must be stated under "
                        "default_privileges: (a new ALTER DEFAULT PRIVILEGES … GRANT FAILs).",
                    },
                    "schemas": _strlist("Schemas strict mode covers (default: defaults.schema)."),
                    "exactly": {
                        "type": "array",
                        "items": {"enum": STRICT_KINDS},
                        "description": "Every table entry is strict about these kinds (as if it "
                        "said exactly: […]; a table's own exactly: wins): a new column, index, "
                        "policy, trigger or grant FAILs.",
                    },
                    "allow": _strlist(
                        "Tables accepted without a requirement (e.g. alembic_version)."
                    ),
                },
                "Strict mode for the set of tables.",
            ),
        },
        "A schema-audit specification: what a PostgreSQL schema must contain.",
        ["name"],
    ),
    # x-… keys hold YAML anchors shared by several requirements; they are not requirements.
    "patternProperties": {
        "^x-": {"description": "Free-form block for YAML anchors (&name), ignored."}
    },
}
