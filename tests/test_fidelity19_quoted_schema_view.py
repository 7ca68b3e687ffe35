"""A view over a relation the search_path finds in a schema whose name needs quotes.

``SET search_path = "My Schema", public; CREATE VIEW public.v3 AS SELECT id FROM t`` stores
``SELECT t.id FROM "My Schema".t`` (pg_get_viewdef with an empty search_path). The static
reading qualified the FROM item with the schema of the relation's quoted key, and printing
quoted it again (three double quotes each side of My Schema), a false FAIL of ``views.v3`` (query differs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, psql_f, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live

FILES = {
    "001_quoted.sql": (
        'CREATE SCHEMA "My Schema";\n'
        'CREATE SCHEMA "a.b";\n'
        'CREATE TABLE "My Schema".t (id int, "Odd Col" int);\n'
        'CREATE TABLE "a.b".u (id int);\n'
        'CREATE VIEW v AS SELECT * FROM "My Schema".t;\n'
        'SET search_path = "My Schema", "a.b", public;\n'
        "CREATE VIEW public.v3 AS SELECT id FROM t;\n"
        'CREATE VIEW public.v4 AS SELECT x."Odd Col", u.id FROM t x JOIN u USING (id);\n'
    ),
}


@PATHS
def test_a_view_over_a_quoted_schema_found_on_the_path_reads_as_postgresql_stores_it(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("quoted_schema_view")
    assert psql_f(dsn, history, *FILES) == ""
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.views) == sorted(catalog.views)
    stored = catalog.views["public.v3"].definition.rstrip(";")
    assert static.views["public.v3"].definition.split() == stored.split()
    assert [str(d) for d in compare_models(catalog, static).differences] == []
