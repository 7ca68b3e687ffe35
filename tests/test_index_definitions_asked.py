"""The server's index definitions are asked for only when an index needs them (issue 19).

The live read builds the text of a plain index (column keys, default operator classes) on the
client and asks the server (``Q_INDEX_DEFINITIONS``) for the others. When every index read
is plain (the generated benchmark's schemas, most application schemas without expression
indexes) that query read no row, yet its planning alone was 8.5-12 ms of a server's CPU at
1,000 tables, a round trip, and in a reading child a request and an answer more. It is not
sent then; with one index the client cannot build, it is, for that index only.
"""

from __future__ import annotations

import json

import pytest
from test_parallel_read import _served_by

from schema_audit.model import to_data
from schema_audit.sources import live

PLAIN = """
CREATE TABLE customers (id int PRIMARY KEY, name text UNIQUE);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers,
                     amount numeric NOT NULL CHECK (amount >= 0));
CREATE INDEX orders_amount ON orders (amount) WHERE amount > 100;
CREATE INDEX orders_customer ON orders (customer_id, amount DESC);
"""


@pytest.mark.parametrize("jobs", [1, 4])
def test_no_query_when_every_index_is_built_here(
    make_db, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("idxdefs_plain", PLAIN)
    served = _served_by(monkeypatch)
    model = live.introspect(dsn, jobs=jobs)
    assert "index definitions" not in served
    orders = model.tables["public.orders"]
    assert sorted(orders.indexes) == ["orders_amount", "orders_customer", "orders_pkey"]
    assert orders.indexes["orders_customer"].definition == (
        "CREATE INDEX orders_customer ON public.orders USING btree (customer_id, amount DESC)"
    )


@pytest.mark.parametrize("jobs", [1, 4])
def test_asked_for_when_an_index_needs_the_server(
    make_db, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db(
        "idxdefs_expr", PLAIN + "CREATE INDEX customers_lower ON customers (lower(name));"
    )
    one_reader = live.introspect(dsn, jobs=1)
    served = _served_by(monkeypatch)
    model = live.introspect(dsn, jobs=jobs)
    assert "index definitions" in served
    assert model.tables["public.customers"].indexes["customers_lower"].definition == (
        "CREATE INDEX customers_lower ON public.customers USING btree (lower(name))"
    )
    assert json.dumps(to_data(model), sort_keys=True) == json.dumps(
        to_data(one_reader), sort_keys=True
    )
