"""Static readings PostgreSQL disagreed with (the eighth static session's leftovers): a view's
``SELECT *`` over XMLTABLE.

Each script is applied to a real database; the static reading must give what the catalog
holds (``diff`` of both models, nothing left unapplied).
"""

from __future__ import annotations

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret


def test_select_star_over_xmltable_names_its_declared_columns(make_db) -> None:  # type: ignore[no-untyped-def]
    """XMLTABLE's columns are the ones its COLUMNS clause declares (a FOR ORDINALITY one
    too): `SELECT *` / `x.*` over it was "not known" (the view's findings DEFERRED, `diff`
    showing `"?column?"`). PostgreSQL prints it LATERAL when its row or PASSING expression
    reads an earlier FROM item, with that item's columns qualified. An XMLTABLE with column
    aliases (`x (a, b)`) stays not known: PostgreSQL 15 prints the alias alone."""
    script = """
        CREATE TABLE docs (id int, body xml);
        CREATE VIEW rows AS SELECT * FROM docs, XMLTABLE('/rows/row' PASSING docs.body
            COLUMNS rid int PATH '@id', ord FOR ORDINALITY, name text) AS x;
        CREATE VIEW picked AS SELECT x.* FROM docs, XMLTABLE('/rows/row' PASSING body
            COLUMNS rid int PATH '@id' NOT NULL, name text DEFAULT 'n') x;
        CREATE VIEW lone AS SELECT * FROM XMLTABLE('/a' PASSING xml '<a x="1"/>'
            COLUMNS x int PATH '@x') t;
        CREATE VIEW spaced AS SELECT x.* FROM docs, XMLTABLE(XMLNAMESPACES('http://x' AS n),
            '/n:rows/n:row' PASSING body COLUMNS rid int PATH '@id') x;
        CREATE VIEW nested AS SELECT s.rid FROM (SELECT * FROM docs,
            XMLTABLE('/r' PASSING body COLUMNS rid int) x) s;
    """
    dsn = make_db("s8", script)
    static = interpret(script)
    assert [u.sql for u in static.unapplied] == []
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []
    assert [c.name for c in static.views["public.rows"].columns] == [
        "id",
        "body",
        "rid",
        "ord",
        "name",
    ]
