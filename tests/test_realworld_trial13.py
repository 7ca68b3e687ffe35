"""Real-world trial (fourteenth session, trial13): static reading == catalog on projects' own forms.

Fixtures are written here in each project's style; no project file is copied. Each test applies
its SQL to a real database and compares what the tool says of the static reading of the same SQL
with what the catalog says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli_runner import run_cli

# Lemmy's form (diesel, 2025-08-01 "smoosh tables together"): per-person action tables folded
# into one by CREATE TABLE AS over a UNION ALL with aggregates, keys added afterwards. CREATE
# TABLE AS declares no column types; PostgreSQL works them out from the query.
SMOOSHED = {
    "2019-03-03-163336_create_post/up.sql": """
        CREATE TABLE post_like (
            id serial PRIMARY KEY,
            post_id int NOT NULL,
            person_id int NOT NULL,
            score smallint NOT NULL,
            published timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE post_saved (
            post_id int NOT NULL,
            person_id int NOT NULL,
            published timestamptz NOT NULL DEFAULT now()
        );
    """,
    "2025-08-01-000016_smoosh-tables-together/up.sql": """
        CREATE TABLE post_actions AS
        SELECT
            person_id,
            post_id,
            max(liked) AS liked_at,
            max(saved) AS saved_at,
            max(like_score) = 1 AS vote_is_upvote
        FROM (
            SELECT person_id, post_id, score AS like_score, published AS liked,
                NULL::timestamptz AS saved
            FROM post_like
            UNION ALL
            SELECT person_id, post_id, NULL::int, NULL::timestamptz, published
            FROM post_saved) AS s
        GROUP BY person_id, post_id;
        DROP TABLE post_like, post_saved;
        ALTER TABLE post_actions
            ALTER COLUMN person_id SET NOT NULL,
            ALTER COLUMN post_id SET NOT NULL,
            ADD PRIMARY KEY (person_id, post_id);
    """,
}


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "migrations"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_create_table_as_column_types_are_undecided_not_wrong(make_db: Any, tmp_path: Path) -> None:
    """CREATE TABLE AS gives its columns the query's types, which the static reading does not
    work out: it typed them `unknown`. `init --dsn`'s spec then FAILed every such column
    against the history (`expected integer, actual unknown`), `init --sql` wrote `type:
    unknown` (FAILing the database) and `diff` counted each as a difference (false FAILs,
    LemmyNet/lemmy: 47 columns). The type is DEFERRED now (undecided in `diff`), `init --sql`
    writes no type for such a column and says so; what is known (nullability) still FAILs."""
    folder = _folder(tmp_path, SMOOSHED)
    dsn = make_db("trial13_ctas", "".join(SMOOSHED.values()))
    live_spec = tmp_path / "live.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", live_spec).returncode == 0
    proc = run_cli("audit", "-s", live_spec, "--sql", folder, "-f", "json")
    status = {f["id"]: f for f in json.loads(proc.stdout)["findings"]}
    for column in ("person_id", "post_id", "liked_at", "vote_is_upvote"):
        finding = status[f"tables.post_actions.columns.{column}"]
        assert finding["status"] == "DEFERRED", finding
        assert "CREATE TABLE AS" in finding["message"]
    assert [i for i, f in status.items() if f["status"] == "FAIL"] == []

    spec = tmp_path / "static.yaml"
    init = run_cli("init", "--sql", folder, "-o", spec)
    assert init.returncode == 0, init.stderr
    assert "5 columns of tables made by CREATE TABLE AS have no type statically" in init.stderr
    assert "2025-08-01-000016_smoosh-tables-together/up.sql:2: public.post_actions." in init.stderr
    assert "type: unknown" not in spec.read_text()
    audit = run_cli("audit", "-s", spec, "--dsn", dsn, "-f", "json")
    failing = [f["id"] for f in json.loads(audit.stdout)["findings"] if f["status"] == "FAIL"]
    assert failing == [], failing

    diff = run_cli("diff", folder, dsn, "-f", "json")
    data = json.loads(diff.stdout)
    assert data["differences"] == [], data["differences"]
    undecided = {u["object"] for u in data["undecided"] if u["property"] == "type"}
    assert "column public.post_actions.vote_is_upvote" in undecided

    # nullability is known: a spec saying otherwise still FAILs statically
    text = live_spec.read_text()
    changed = text.replace(
        "person_id: {type: integer, nullable: false}",
        "person_id: {type: integer, nullable: true}",
        1,
    )
    assert changed != text
    live_spec.write_text(changed)
    proc = run_cli("audit", "-s", live_spec, "--sql", folder, "-f", "json")
    found = {f["id"]: f["status"] for f in json.loads(proc.stdout)["findings"]}
    assert found["tables.post_actions.columns.person_id"] == "FAIL"
