"""Static readings that differed from what PostgreSQL stores after the same SQL (the last real-
world trial's leftovers: Lemmy's diesel history, goose, a BETWEEN with a numeric bound).

Each script is written in the style of the project that showed the difference; each test
applies it to a real database and compares `diff` of the static reading with the catalog.
"""

from __future__ import annotations

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live

GOOSE_INIT = """-- +goose Up
-- +goose StatementBegin
CREATE TABLE v1_events (
    tenant_id UUID NOT NULL,
    id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    CONSTRAINT v1_events_pkey PRIMARY KEY (tenant_id, id)
);
-- +goose StatementEnd

-- +goose Down
DROP TABLE v1_events;
"""

# hatchet's 20260119123835_v1_0_69.sql locks the table it changes, relying on goose's
# transaction around each file
GOOSE_LOCK = """-- +goose Up
-- +goose StatementBegin
LOCK TABLE v1_events IN ACCESS EXCLUSIVE MODE;
ALTER TABLE v1_events ADD COLUMN seen_at TIMESTAMPTZ;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE v1_events DROP COLUMN seen_at;
"""

GOOSE_CONCURRENTLY = """-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY IF NOT EXISTS v1_events_kind_idx ON v1_events (kind);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS v1_events_kind_idx;
"""

GOOSE_BROKEN = """-- +goose Up
CREATE TABLE v1_alerts (id BIGINT PRIMARY KEY);
ALTER TABLE v1_events ADD COLUMN alert_id BIGINT REFERENCES v1_alertz (id);

-- +goose Down
DROP TABLE v1_alerts;
"""


def _replayed(pg_server, folder):  # type: ignore[no-untyped-def]
    """(the step that failed or None, the replayed database's model) of a replay of ``folder``."""
    from schema_audit.sources.replay import replay_sql, scratch_database

    with scratch_database(pg_server.admin_dsn) as scratch:
        replay_sql(folder, scratch)
        return scratch.failed, live.introspect(scratch.dsn)


def test_goose_files_replay_in_goose_transactions(pg_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """goose runs each file in one transaction unless it says `-- +goose NO TRANSACTION`. The
    replay ran every file statement by statement in autocommit (as psql -f), so hatchet's
    `LOCK TABLE` stopped it ("LOCK TABLE can only be used in transaction blocks": a false
    replay failure, every finding DEFERRED). A NO TRANSACTION file still runs outside one
    (CREATE INDEX CONCURRENTLY), and a file that fails leaves nothing behind, as with goose."""
    from schema_audit.sources.sqlfile import read_sql

    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20240115180414_init.sql").write_text(GOOSE_INIT)
    (folder / "20260119123835_v1_0_69.sql").write_text(GOOSE_LOCK)
    (folder / "20260120090000_v1_0_70.sql").write_text(GOOSE_CONCURRENTLY)
    failed, model = _replayed(pg_server, folder)
    assert failed is None, failed
    assert [d for d in diff_models(model, read_sql(folder)[0])] == []
    assert "seen_at" in model.tables["public.v1_events"].columns

    (folder / "20260121090000_v1_0_71.sql").write_text(GOOSE_BROKEN)
    failed, model = _replayed(pg_server, folder)
    assert failed is not None and failed.where == "migrations/20260121090000_v1_0_71.sql:3"
    assert "public.v1_alerts" not in model.tables  # rolled back with its file


def test_dbmate_and_diesel_migrations_replay_in_their_transactions(pg_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """dbmate and diesel wrap each migration in a transaction too (opt-outs: dbmate's
    `-- migrate:up transaction:false`, diesel's `run_in_transaction = false` in
    metadata.toml); a replay without it stopped at `LOCK TABLE`."""
    dbmate = tmp_path / "db" / "migrations"
    dbmate.mkdir(parents=True)
    (dbmate / "20240101000000_create_posts.sql").write_text(
        "-- migrate:up\nCREATE TABLE posts (id bigint PRIMARY KEY, title text);\n"
        "-- migrate:down\nDROP TABLE posts;\n"
    )
    (dbmate / "20240102000000_lock_posts.sql").write_text(
        "-- migrate:up\nLOCK TABLE posts;\nALTER TABLE posts ADD COLUMN body text;\n\n"
        "-- migrate:down\nALTER TABLE posts DROP COLUMN body;\n"
    )
    (dbmate / "20240103000000_index_posts.sql").write_text(
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY posts_title ON posts (title);\n"
        "-- migrate:down\nDROP INDEX posts_title;\n"
    )
    failed, model = _replayed(pg_server, tmp_path / "db" / "migrations")
    assert failed is None, failed
    assert {"body", "title"} <= set(model.tables["public.posts"].columns)

    diesel = tmp_path / "lemmy" / "migrations"
    for name, up in (
        ("2019-02-26-002946_create_user", "CREATE TABLE user_ (id serial PRIMARY KEY, name text);"),
        (
            "2020-01-01-000000_lock_user",
            "LOCK TABLE user_;\nALTER TABLE user_ ADD COLUMN bio text;",
        ),
        (
            "2020-01-02-000000_user_index",
            "CREATE INDEX CONCURRENTLY idx_user_name ON user_ (name);",
        ),
    ):
        (diesel / name).mkdir(parents=True)
        (diesel / name / "up.sql").write_text(up + "\n")
        (diesel / name / "down.sql").write_text("SELECT 1;\n")
    (diesel / "2020-01-02-000000_user_index" / "metadata.toml").write_text(
        "run_in_transaction = false\n"
    )
    failed, model = _replayed(pg_server, tmp_path / "lemmy")
    assert failed is None, failed
    assert "bio" in model.tables["public.user_"].columns
    assert "idx_user_name" in model.tables["public.user_"].indexes
