"""SQL that differs by database dialect, kept in one place: insert-or-ignore."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def insert_ignore(conn: Connection, table: Any, rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows, skipping those that break a unique constraint; returns how many went in.

    Two processes on one database may insert the same row at the same moment (a config feed at
    start-up, an item both fetched): the second insert is then a no-op, not an IntegrityError."""
    if not rows:
        return 0
    stmt: Any
    if conn.dialect.name == "sqlite":
        stmt = sqlite_insert(table).on_conflict_do_nothing()
    else:  # pragma: no cover - PostgreSQL comes later; its dialect has the same construct
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table).on_conflict_do_nothing()
    return int(conn.execute(stmt, list(rows)).rowcount or 0)
