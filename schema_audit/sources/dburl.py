"""Turn a libpq DSN (URL or key=value) into the SQLAlchemy URL Alembic needs.

Users and tests hold libpq DSNs; Alembic's env.py files want a SQLAlchemy URL
with a driver. Going through psycopg's own parser keeps every parameter
(host, port, sslmode, …) and quotes odd characters correctly.
"""

from __future__ import annotations

from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import URL


def sqlalchemy_url(dsn: str, driver: str = "postgresql+psycopg") -> str:
    """The SQLAlchemy URL of ``dsn``. A Unix-socket directory (``host=/var/run/postgresql``)
    or a list of hosts cannot stand in a URL's host part (SQLAlchemy read
    ``user@/tmp/pg:5432/db`` as the database ``tmp/pg:5432/db``, so the replay's env.py was
    refused its own scratch database): host and port then go in the query, which
    SQLAlchemy's psycopg dialect hands to libpq as they are."""
    params = {k: str(v) for k, v in conninfo_to_dict(dsn).items() if v is not None}
    host = params.get("host", "")
    if host.startswith("/") or "," in host:
        return URL.create(
            driver,
            username=params.pop("user", None),
            password=params.pop("password", None),
            database=params.pop("dbname", None),
            query=params,
        ).render_as_string(hide_password=False)
    url = URL.create(
        driver,
        username=params.pop("user", None),
        password=params.pop("password", None),
        host=params.pop("host", None),
        port=int(params.pop("port")) if params.get("port") else None,
        database=params.pop("dbname", None),
        query=params,
    )
    return url.render_as_string(hide_password=False)
