"""Bring a database to the latest schema with Alembic, one process at a time; called on every start."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions (a test keeps this in step with Alembic's own view).
HEAD = "0003"
LEDGERLESS = ("0001", "0002")  # revisions before the moves ledger (0003)
# The key of the PostgreSQL advisory lock that serialises migrations (any constant shared by all
# Radar processes on one database; "radar" in ASCII).
ADVISORY_LOCK_KEY = 0x7261646172


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def revision_of(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return revision_of(conn)


@contextmanager
def migration_lock(conn: Connection) -> Iterator[None]:
    """Hold the database's migration lock for one transaction on `conn`, committed on success.

    Two processes starting on a new database would otherwise both see no tables and both create
    them ("table feeds already exists"). SQLite: an exclusive transaction, so the second process
    waits (busy_timeout) and then finds the schema done. PostgreSQL: a transaction-scoped advisory
    lock, which leaves ordinary reads and writes of other replicas alone."""
    with conn.begin():
        if conn.dialect.name == "sqlite":
            # pysqlite opens transactions lazily and never for DDL: begin one by hand, so the
            # DDL that follows runs inside it and under its lock.
            conn.exec_driver_sql("BEGIN EXCLUSIVE")
        elif conn.dialect.name == "postgresql":  # pragma: no cover - PostgreSQL comes later
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        yield


def upgrade(engine: Engine) -> None:
    # Alembic is imported only when there is something to migrate: loading it and its scripts
    # costs a few hundred milliseconds on every `radar` command otherwise.
    before = current_revision(engine)
    if before == HEAD:
        return
    from alembic import command

    cfg = alembic_config(engine)
    with engine.connect() as connection, migration_lock(connection):
        # Another process may have migrated while this one waited for the lock.
        if revision_of(connection) == HEAD:
            return
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    if before in LEDGERLESS:  # stories stored before the moves ledger: their moves fill it now
        from datetime import UTC, datetime

        from bot.store.ledger import backfill

        backfill(engine, datetime.now(UTC))
