"""PERF001 and PERF002 ask ``indexsem`` only about the indexes that can answer (issue 19):
the same findings as asking about every index and every pair, on indexes PostgreSQL made."""

from __future__ import annotations

import itertools

from schema_audit.audit import indexsem
from schema_audit.model import SchemaModel
from schema_audit.rules import RuleOptions, registry
from schema_audit.sources.live import introspect

# Indexes that share a first column but differ in everything answers_for compares (order,
# nulls, operator class, collation, method, predicate, uniqueness, constraints), expression
# keys, equal twins, and foreign keys whose columns some index has in another order.
SCHEMA = """
CREATE TABLE parent (id int, code text, PRIMARY KEY (id, code));
CREATE TABLE t (
  id int PRIMARY KEY, a int, b int, c text, d text COLLATE "C",
  UNIQUE (a, b),
  FOREIGN KEY (a, c) REFERENCES parent (id, code),
  FOREIGN KEY (b) REFERENCES t (id),
  FOREIGN KEY (c, a) REFERENCES parent (code, id) NOT VALID
);
ALTER TABLE parent ADD UNIQUE (code, id);
CREATE INDEX t_a ON t (a);
CREATE INDEX t_a_twin ON t (a);
CREATE INDEX t_a_b ON t (a, b);
CREATE INDEX t_a_desc ON t (a DESC);
CREATE INDEX t_a_desc_b ON t (a DESC, b);
CREATE INDEX t_a_nulls ON t (a NULLS FIRST, c);
CREATE INDEX t_a_part ON t (a) WHERE b > 0;
CREATE INDEX t_a_b_part ON t (a, b) WHERE b > 0;
CREATE INDEX t_a_b_other ON t (a, b) WHERE b > 1;
CREATE INDEX t_a_hash ON t USING hash (a);
CREATE INDEX t_a_brin ON t USING brin (a);
CREATE UNIQUE INDEX t_a_c_unique ON t (a, c);
CREATE INDEX t_c ON t (c);
CREATE INDEX t_c_pattern ON t (c text_pattern_ops);
CREATE INDEX t_c_pattern_a ON t (c text_pattern_ops, a);
CREATE INDEX t_c_collate ON t (c COLLATE "C");
CREATE INDEX t_c_collate_a ON t (c COLLATE "C", a);
CREATE INDEX t_c_a ON t (c, a);
CREATE INDEX t_d ON t (d);
CREATE INDEX t_d_posix ON t (d COLLATE "POSIX", a);
CREATE INDEX t_expr ON t ((a + b));
CREATE INDEX t_expr_b ON t ((a + b), b);
CREATE INDEX t_lower ON t (lower(c));
CREATE INDEX t_b_incl ON t (b) INCLUDE (c);
CREATE INDEX t_b_a ON t (b, a);
CREATE TABLE u (id int, p int REFERENCES t (id), q int REFERENCES t (id), r int REFERENCES t (id));
CREATE INDEX u_q_part ON u (q) WHERE r IS NOT NULL;
CREATE INDEX u_r_p ON u (r, p);
CREATE INDEX u_expr ON u ((r + 0));
CREATE TABLE v (id int PRIMARY KEY, w int REFERENCES v (id));
"""


def _model(make_db) -> SchemaModel:  # type: ignore[no-untyped-def]
    return introspect(make_db("shortcuts", SCHEMA), jobs=1)


def test_perf002_names_exactly_what_every_pair_would(make_db) -> None:  # type: ignore[no-untyped-def]
    model = _model(make_db)
    rule = registry()["PERF002"]
    found = [(h.obj, h.message) for h in rule.check(model, RuleOptions())]
    every_pair = []
    for key, table in sorted(model.tables.items()):
        indexes = sorted(table.indexes.values(), key=lambda ix: ix.name)
        for small in indexes:
            big = next((b for b in indexes if indexsem.redundant_with(small, b)), None)
            if big is not None:
                every_pair.append(
                    (f"{key}.{small.name}", f"{small.name} is redundant with {big.name}")
                )
    assert found == every_pair
    assert ("public.t.t_a_twin", "t_a_twin is redundant with t_a") in found  # not vacuous
    assert ("public.t.t_a", "t_a is redundant with t_a_b") in found


def test_a_lookup_is_covered_exactly_when_some_index_serves_it(make_db) -> None:  # type: ignore[no-untyped-def]
    """Every foreign key, and every ordered choice of up to three of a table's columns."""
    model = _model(make_db)
    asked = covered = 0
    for table in model.tables.values():
        lookups = [fk.columns for fk in table.foreign_keys.values()]
        for n in (1, 2, 3):
            lookups += [list(c) for c in itertools.permutations(table.columns, n)]
        for columns in lookups:
            every_index = any(
                indexsem.serves_lookup(ix, columns, table).serves for ix in table.indexes.values()
            )
            pk = table.primary_key
            expected = every_index or bool(
                pk and sorted(pk.columns[: len(columns)]) == sorted(columns)
            )
            assert indexsem.is_covered(table, columns) == expected, (table.name, columns)
            asked, covered = asked + 1, covered + expected
    assert asked > 100 and 0 < covered < asked
    hits = {h.obj for h in registry()["PERF001"].check(model, RuleOptions())}
    assert "public.u.u_p_fkey" in hits and "public.u.u_q_fkey" in hits  # leads nothing; partial
    assert "public.u.u_r_fkey" not in hits and "public.t.t_a_c_fkey" not in hits
