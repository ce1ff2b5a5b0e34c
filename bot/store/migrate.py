"""Bring a database to the latest schema with Alembic; called on every start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions (a test keeps this in step with Alembic's own view).
HEAD = "0003"
LEDGERLESS = ("0001", "0002")  # revisions before the moves ledger (0003)


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> None:
    # Alembic is imported only when there is something to migrate: loading it and its scripts
    # costs a few hundred milliseconds on every `radar` command otherwise.
    before = current_revision(engine)
    if before == HEAD:
        return
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    if before in LEDGERLESS:  # stories stored before the moves ledger: their moves fill it now
        from datetime import UTC, datetime

        from bot.store.ledger import backfill

        backfill(engine, datetime.now(UTC))
