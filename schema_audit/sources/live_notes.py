"""What a relation's columns, indexes, constraints, triggers and policies have rarely: a COMMENT, an
index's storage parameters (``WITH (fillfactor = 70)``), tablespace and CLUSTER ON, a table's or
materialized view's TOAST storage parameters (``toast.autovacuum_enabled``: the TOAST table's
reloptions), a table's INHERITS parents, read in one query that returns only the objects
having one.

The heavy per-object queries (``live.Q_INDEXES``, ``Q_CONSTRAINTS`` …) are tuned for 5,000
tables; these facts are absent on nearly every object, so one extra round trip returning a
handful of rows costs less than a column more in each of them. Before, none of them was read:
a COMMENT ON INDEX, an ``ALTER INDEX … SET (fillfactor …)`` or a CLUSTER ON after ``init``
passed its spec. A column's COMMENT came with the column query: its join of pg_description made
the planner sort every part's rows for a merge join (spilling to disk at 5,000 tables) where the
index on (attrelid, attnum) gives them in order (a part's server CPU 0.065 -> 0.050 s).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from schema_audit.model import SchemaModel, Table, View, qualify

# (kind, relation oid, schema, name, comment, options), one row per fact, each branch starting from the
# few catalog rows having it (a join of every index first took ~30 ms at 7,700 indexes; a TOAST
# table's owner found by c.reltoastrelid, which has no index, 44 ms at 5,000 tables, by its
# internal pg_depend row 6 ms);
# {ns}/{not_ext}: live's filters
Q_OBJECT_NOTES = """
SELECT 'index comment', i.indrelid, n.nspname, ic.relname, d.description, NULL::text[]
FROM pg_catalog.pg_description d
JOIN pg_catalog.pg_class ic ON ic.oid = d.objoid
JOIN pg_catalog.pg_index i ON i.indexrelid = ic.oid
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0 AND {ns} AND {not_ext}
UNION ALL
SELECT 'column comment', a.attrelid, n.nspname, a.attname, d.description, NULL
FROM pg_catalog.pg_description d
JOIN pg_catalog.pg_attribute a ON a.attrelid = d.objoid AND a.attnum = d.objsubid
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid > 0 AND NOT a.attisdropped
  AND {ns} AND {not_ext}
UNION ALL
SELECT 'clustered', i.indrelid, n.nspname, ic.relname, NULL, NULL
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE i.indisclustered AND {ns} AND {not_ext}
UNION ALL
SELECT 'index options', i.indrelid, n.nspname, ic.relname,
       CASE WHEN ic.reltablespace <> 0 THEN (
         SELECT s.spcname FROM pg_catalog.pg_tablespace s WHERE s.oid = ic.reltablespace) END,
       ic.reloptions
FROM pg_catalog.pg_class ic
JOIN pg_catalog.pg_index i ON i.indexrelid = ic.oid
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE ic.relkind IN ('i', 'I') AND (ic.reloptions IS NOT NULL OR ic.reltablespace <> 0)
  AND {ns} AND {not_ext}
UNION ALL
SELECT 'constraint', con.conrelid, n.nspname, con.conname, d.description, NULL
FROM pg_catalog.pg_description d
JOIN pg_catalog.pg_constraint con ON con.oid = d.objoid
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE d.classoid = 'pg_catalog.pg_constraint'::regclass AND {ns} AND {not_ext}
UNION ALL
SELECT 'trigger', t.tgrelid, n.nspname, t.tgname, d.description, NULL
FROM pg_catalog.pg_description d
JOIN pg_catalog.pg_trigger t ON t.oid = d.objoid
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE d.classoid = 'pg_catalog.pg_trigger'::regclass AND {ns} AND {not_ext}
UNION ALL
SELECT 'policy', p.polrelid, n.nspname, p.polname, d.description, NULL
FROM pg_catalog.pg_description d
JOIN pg_catalog.pg_policy p ON p.oid = d.objoid
JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE d.classoid = 'pg_catalog.pg_policy'::regclass AND {ns} AND {not_ext}
UNION ALL
SELECT 'schema comment', NULL, n.nspname, n.nspname, d.description, NULL
FROM pg_catalog.pg_description d
JOIN pg_catalog.pg_namespace n ON n.oid = d.objoid
WHERE d.classoid = 'pg_catalog.pg_namespace'::regclass AND {ns}
UNION ALL
SELECT 'type comment', NULL, n.nspname, t.typname, d.description, NULL
FROM pg_catalog.pg_description d
JOIN pg_catalog.pg_type t ON t.oid = d.objoid
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE d.classoid = 'pg_catalog.pg_type'::regclass AND t.typtype = 'e' AND {ns}
UNION ALL
SELECT 'toast options', c.oid, n.nspname, c.relname, NULL, t.reloptions
FROM pg_catalog.pg_class t
JOIN pg_catalog.pg_depend dt ON dt.classid = 'pg_catalog.pg_class'::regclass AND dt.objid = t.oid
  AND dt.objsubid = 0 AND dt.refclassid = 'pg_catalog.pg_class'::regclass AND dt.deptype = 'i'
JOIN pg_catalog.pg_class c ON c.oid = dt.refobjid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE t.relkind = 't' AND t.reloptions IS NOT NULL AND {ns} AND {not_ext}
UNION ALL
SELECT 'inherits', c.oid, pn.nspname, p.relname, i.inhseqno::text, NULL
FROM pg_catalog.pg_inherits i
JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
WHERE NOT c.relispartition AND c.relkind IN ('r', 'f') AND {ns} AND {not_ext}
UNION ALL
SELECT 'partition bound', c.oid, n.nspname, c.relname, pg_catalog.pg_get_expr(c.relpartbound, c.oid), NULL
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relispartition AND c.relkind IN ('r', 'p', 'f') AND {ns} AND {not_ext}"""


def _comment_column(relation: Table | View, name: str, comment: str) -> None:
    """COMMENT ON COLUMN, on a table's or a view's column (by name: a view's are a list)."""
    if isinstance(relation, Table):
        column = relation.columns.get(name)
        if column is not None:
            column.comment = comment
        return
    for view_column in relation.columns:
        if view_column.name == name:
            view_column.comment = comment


def apply_object_notes(
    rows: Iterable[Any], relations: dict[int, Table | View], model: SchemaModel
) -> None:
    """Put each row's comment, CLUSTER ON and storage parameters on the object it names
    (after the indexes, constraints, triggers, policies, schemas and enums are built)."""
    parents: dict[int, list[tuple[int, str]]] = {}  # INHERITS, by inhseqno
    for kind, relid, schema, name, comment, options in rows:
        if kind == "schema comment":
            model.schema_comments[name] = comment
            continue
        if kind == "type comment":
            enum = model.enums.get(qualify(schema, name))
            if enum is not None:
                enum.comment = comment
            continue
        relation = relations.get(relid)
        if relation is None:
            continue
        if kind == "column comment":
            _comment_column(relation, name, comment)
            continue
        if kind.startswith(("index", "clustered")):
            index = relation.indexes.get(name)
            if index is None:
                continue
            if kind == "index comment":
                index.comment = comment
            elif kind == "clustered":
                index.clustered = True
            else:  # its storage parameters and (in comment's place) its tablespace
                index.options = dict(o.partition("=")[::2] for o in options or ())
                index.tablespace = comment
            continue
        if kind == "toast options":  # ALTER TABLE / MATERIALIZED VIEW … SET (toast.…)
            relation.options.update(
                ("toast." + k, v) for k, v in (o.partition("=")[::2] for o in options or ())
            )
            continue
        if not isinstance(relation, Table):
            continue
        if kind == "partition bound":
            relation.partition_bound = comment
            continue
        if kind == "inherits":
            parents.setdefault(relid, []).append((int(comment), qualify(schema, name)))
            continue
        if kind == "constraint":
            excluding = relation.indexes.get(name)
            if excluding is not None and excluding.exclude:  # an EXCLUDE constraint's
                excluding.constraint_comment = comment
                continue
            target: Any = (
                relation.checks.get(name)
                or relation.uniques.get(name)
                or relation.foreign_keys.get(name)
                or (
                    relation.primary_key
                    if relation.primary_key and relation.primary_key.name == name
                    else None
                )
            )
        elif kind == "trigger":
            target = relation.triggers.get(name)
        else:
            target = relation.policies.get(name)
        if target is not None:
            target.comment = comment
    for relid, found in parents.items():
        table = relations[relid]
        assert isinstance(table, Table)
        table.inherits = [parent for _, parent in sorted(found)]
