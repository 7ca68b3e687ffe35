"""Helpers for tests that migrate the B0.3 fixture into a real database."""

from __future__ import annotations

from pathlib import Path

from schema_audit.demo import upgrade_alembic

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "b03_alembic"
SPEC = Path(__file__).resolve().parent.parent / "specs" / "backend_guide_b03.yaml"


def upgrade_b03(dsn: str) -> None:
    """``alembic upgrade head`` of the B0.3 fixture into ``dsn``."""
    upgrade_alembic(FIXTURE, dsn)
