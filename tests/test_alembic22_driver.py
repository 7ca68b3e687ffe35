"""Which DBAPI driver env.py connects with, read from its text (sources/alembic_driver).

The reading follows a revision's ``op.execute("COMMIT")`` as the driver runs it
(tests/test_alembic22_commit_driver.py): psycopg (3) begins a new transaction after it,
psycopg2 does not. A driver named only where the URL may be replaced (alembic.ini's URL
overwritten by ``config.set_main_option`` from the environment, a connection handed in
through ``config.attributes``) or only for ``alembic upgrade --sql`` is not known: guessed,
psycopg2's reading PASSes an index psycopg refuses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_audit.sources.alembic_driver import driver

TEMPLATE = """from alembic import context
from sqlalchemy import engine_from_config, pool, create_engine
import os

config = context.config
{before}

def run_migrations_offline():
    context.configure(url={offline})


def run_migrations_online():
    connectable = {engine}
    with connectable.connect() as connection:
        context.configure(connection=connection)


run_migrations_online()
"""
FROM_INI = 'engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.")'


@pytest.mark.parametrize(
    ("before", "offline", "engine", "ini", "wanted"),
    [
        ("", "None", "create_engine('postgresql+psycopg://h/db')", "", "psycopg"),
        ("", "None", FROM_INI, "postgresql+psycopg2://h/db", "psycopg2"),
        (
            'config.set_main_option("sqlalchemy.url", os.environ["URL"])',
            "None",
            FROM_INI,
            "postgresql+psycopg2://h/db",
            None,
        ),
        (
            'connectable = config.attributes.get("connection")',
            "None",
            FROM_INI,
            "postgresql+psycopg2://h/db",
            None,
        ),
        ("", "None", "create_engine('postgresql://h/db')", "", None),
        ("", "'postgresql+psycopg2://h/db'", "create_engine(os.environ['URL'])", "", None),
        (  # the offline mode's engine is not the run's
            "",
            "create_engine('postgresql+psycopg2://h/db').url",
            "create_engine('postgresql+psycopg://h/db')",
            "",
            "psycopg",
        ),
        ("", "None", FROM_INI, "", None),
        (  # the FastAPI template's shape: the ini's section, its URL replaced in the dict
            "cfg = config.get_section(config.config_ini_section, {})\n"
            'cfg["sqlalchemy.url"] = os.environ["DATABASE_URL"]',
            "None",
            'engine_from_config(cfg, prefix="sqlalchemy.")',
            "postgresql+psycopg2://h/db",
            None,
        ),
        (
            "cfg = config.get_section(config.config_ini_section, {})\n"
            'cfg.update({"sqlalchemy.url": os.environ["DATABASE_URL"]})',
            "None",
            'engine_from_config(cfg, prefix="sqlalchemy.")',
            "postgresql+psycopg2://h/db",
            None,
        ),
        (  # a dict built in code: the ini is not read at all
            "",
            "None",
            'engine_from_config({"sqlalchemy.url": os.environ["DB"]}, prefix="sqlalchemy.")',
            "postgresql+psycopg2://h/db",
            None,
        ),
        (
            "",
            "None",
            'engine_from_config(dict(config.get_section("alembic"), **{"sqlalchemy.url": '
            'os.environ["DB"]}), prefix="sqlalchemy.")',
            "postgresql+psycopg2://h/db",
            None,
        ),
        (
            "cfg = config.get_section(config.config_ini_section, {})\nset_url(cfg)",
            "None",
            'engine_from_config(cfg, prefix="sqlalchemy.")',
            "postgresql+psycopg2://h/db",
            None,
        ),
        (  # the section under a name nothing writes to: the ini's URL is the run's
            "cfg = config.get_section(config.config_ini_section, {})",
            "None",
            'engine_from_config(cfg, prefix="sqlalchemy.")',
            "postgresql+psycopg2://h/db",
            "psycopg2",
        ),
    ],
    ids=[
        "literal",
        "ini",
        "ini-overwritten",
        "connection-handed-in",
        "bare-scheme",
        "offline-only",
        "offline-differs",
        "no-url",
        "section-url-replaced",
        "section-updated",
        "dict-in-code",
        "dict-of-section",
        "section-handed-on",
        "section-by-name",
    ],
)
def test_the_driver_is_known_only_where_env_py_says_it(
    tmp_path: Path, before: str, offline: str, engine: str, ini: str, wanted: str | None
) -> None:
    env = tmp_path / "env.py"
    env.write_text(TEMPLATE.format(before=before, offline=offline, engine=engine))
    config = tmp_path / "alembic.ini"
    config.write_text(f"[alembic]\nscript_location = .\nsqlalchemy.url = {ini}\n")
    assert driver(env, config) == wanted
