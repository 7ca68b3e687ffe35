"""Large outputs written in pieces mask exactly what masking the whole text masked (issue 19).

``inspect`` and the JSON reports are no longer built as one string: they are encoded a
batch at a time and known passwords are masked in the UTF-8 pieces as they pass
(``redact.mask_chunks``). A password may sit anywhere PostgreSQL keeps text (a column
default, a comment, a function body, a view definition, a DSN in a comment) and a piece
may end in the middle of it: the bytes must still be the old whole-text masking's.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from schema_audit import api
from schema_audit.cli import common
from schema_audit.redact import _char_forms, mask_chunks, mask_secrets
from schema_audit.render import inspect as render_inspect
from schema_audit.render import jsonenc

ROOT = Path(__file__).resolve().parent.parent
# a quote and a backslash (JSON escapes them), an accent (two bytes in UTF-8)
SECRET = 'Pw"Leak\\9é-x'
SQL_SECRET = SECRET.replace("'", "''")

LEAKY_SQL = f"""
CREATE TABLE account (
    id int PRIMARY KEY,
    token text DEFAULT '{SQL_SECRET}',
    dsn text DEFAULT 'postgresql://app:{SQL_SECRET}@db.internal:5432/app'
);
COMMENT ON TABLE account IS 'rotate {SQL_SECRET} monthly';
COMMENT ON COLUMN account.token IS 'was {SQL_SECRET}';
CREATE FUNCTION leak() RETURNS text LANGUAGE sql AS $$ SELECT '{SQL_SECRET}'::text $$;
CREATE VIEW leaky AS SELECT id FROM account WHERE token <> '{SQL_SECRET}';
"""


def every_form(secret: str) -> list[str]:
    """The secret as each output format may spell it."""
    return [
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        html.escape(secret),
        "".join(_char_forms(c)[-1] for c in secret),
        f"postgresql://u:{secret}@h/db",
    ]


def test_a_password_split_at_any_byte_is_masked_as_in_the_whole_text() -> None:
    text = " | ".join(every_form(SECRET)) + " | Pw-not-it | " + SECRET[:-1]
    data = text.encode("utf-8")
    want = mask_secrets(text, [SECRET]).encode("utf-8")
    assert SECRET not in want.decode() and want.count(b"***") == len(every_form(SECRET))
    for cut in range(len(data) + 1):
        assert b"".join(mask_chunks([data[:cut], data[cut:]], [SECRET])) == want, cut
    # one byte at a time, and with empty pieces between
    assert b"".join(mask_chunks([bytes([b]) for b in data], [SECRET])) == want
    assert b"".join(mask_chunks([b"", data[:9], b"", data[9:], b""], [SECRET])) == want
    # several secrets: one after another over the previous one's output, as mask_secrets does
    secrets = sorted([SECRET, "Leak\\9", "db.internal"], key=lambda s: (-len(s), s))
    want = mask_secrets(text + " db.internal", secrets).encode("utf-8")
    data = (text + " db.internal").encode("utf-8")
    for cut in range(0, len(data) + 1, 3):
        assert b"".join(mask_chunks([data[:cut], data[cut:]], secrets)) == want, cut


def test_inspect_masks_the_password_everywhere_postgres_keeps_text(
    make_db: Callable[..., str], tmp_path: Path
) -> None:
    dsn = make_db("leaky", LEAKY_SQL)
    source = api.read_source(dsn=dsn)
    document = {
        "source": {"kind": source.kind, "target": source.target, "layout": source.layout},
        "model": source.model,
    }
    whole = jsonenc.reference(document, sort_keys=True) + "\n"
    assert whole.count(json.dumps(SECRET, ensure_ascii=False)[1:-1]) >= 6  # all six places
    want = mask_secrets(whole, [SECRET])
    assert SECRET not in want and json.dumps(SECRET)[1:-1] not in want

    env = {**os.environ, "PGPASSWORD": SECRET, "SCHEMA_AUDIT_CACHE": "0", "NO_COLOR": "1"}
    out = tmp_path / "model.json"
    for extra in (["-o", str(out)], []):
        proc = subprocess.run(
            [sys.executable, "-m", "schema_audit.cli", "inspect", "--dsn", dsn, *extra],
            capture_output=True,
            cwd=ROOT,
            env=env,
            timeout=180,
        )
        assert proc.returncode == 0, proc.stderr
        written = out.read_bytes() if extra else proc.stdout
        assert written == want.encode("utf-8")


def test_pieces_ending_inside_the_password_are_masked_as_the_whole(
    make_db: Callable[..., str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every value its own piece, then the pieces cut again inside each password."""
    dsn = make_db("leaky", LEAKY_SQL)
    source = api.read_source(dsn=dsn)
    monkeypatch.setenv("PGPASSWORD", SECRET)
    want = mask_secrets(render_inspect.json_text(source, indent=2), [SECRET]).encode("utf-8")
    monkeypatch.setattr(jsonenc, "SPLIT_DEPTH", 8)
    escaped = json.dumps(SECRET, ensure_ascii=False)[1:-1].encode("utf-8")

    def recut(pieces: Iterator[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            at = piece.find(escaped)
            while at >= 0:  # end a piece after the first 4 bytes of every password
                yield piece[: at + 4]
                piece = piece[at + 4 :]
                at = piece.find(escaped)
            yield piece

    assert len(list(recut(render_inspect.json_chunks(source, indent=2)))) > 100
    out = tmp_path / "model.json"
    common.write(out, recut(render_inspect.json_chunks(source, indent=2)))
    assert out.read_bytes() == want


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_text("the good report\n")

    def failing() -> Iterator[bytes]:
        yield b'{"half": '
        raise RuntimeError("encoder broke")

    with pytest.raises(RuntimeError):
        common.write(out, failing())
    assert out.read_text() == "the good report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    common.write(out, iter([b'{"whole": ', b"true}\n"]))
    assert json.loads(out.read_text()) == {"whole": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
