"""Say in one line why a database cannot be used, and check one without creating or changing it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from urllib.parse import quote

from bot.settings import sqlite_file, sqlite_url_problem

# Below this, the first poll cycle's transaction would fail half-way (a cycle writes a few
# hundred KB at most on a normal day; WAL needs room for it).
MIN_FREE_BYTES = 1024 * 1024

# SQLite's own words, and what the user can do about each.
_HINTS = (
    ("unable to open", "this user cannot create or open it there (check the folder and its owner)"),
    ("readonly", "the file or its folder is read-only for this user (check the owner and mode)"),
    ("not a database", "it is not a SQLite database: point storage.url at another file"),
    ("malformed", "the database is corrupt: restore a backup or point storage.url at a new file"),
    ("disk is full", "the disk is full: free some space"),
    ("disk i/o error", "the disk refused a read or write: is it full or failing?"),
    ("locked", "another process holds a lock on it for too long"),
)


def storage_message(url: str, reason: str) -> str:
    """One line for a database error: where, what SQLite said, what to do."""
    where = sqlite_file(url) or url
    lowered = reason.lower()
    hint = next((h for key, h in _HINTS if key in lowered), "")
    return f"storage.url: cannot use {where}: {reason}" + (f"; {hint}" if hint else "")


def check_storage(url: str) -> str | None:
    """Why Radar could not open this database; None if it can. Never creates the database: a
    missing file only needs a folder this user can write to. An existing one is opened read-only
    and given SQLite's quick integrity check."""
    problem = sqlite_url_problem(url)
    if problem is not None:
        return f"storage.url: {problem}"
    path = sqlite_file(url)
    if path is None:
        return None
    folder = path.absolute().parent
    if shutil.disk_usage(folder).free < MIN_FREE_BYTES:
        return storage_message(url, f"disk is full (less than {MIN_FREE_BYTES // 1024} KB free)")
    if not _can_create_in(folder):
        return storage_message(url, f"cannot create files in {folder}")
    if not path.exists():
        return None
    if not os.access(path, os.R_OK | os.W_OK):
        return storage_message(url, "attempt to write a readonly database")
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode=ro", uri=True, timeout=5)
        try:
            rows = conn.execute("PRAGMA quick_check(1)").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return storage_message(url, str(exc))
    verdict = rows[0][0] if rows else "no answer"
    if verdict != "ok":
        return storage_message(url, f"database disk image is malformed ({verdict})")
    return None


def _can_create_in(folder: Path) -> bool:
    """Whether this process can create a file in folder: SQLite needs to, for its -wal and -shm
    files. A real attempt, since permission bits lie about read-only mounts and /proc."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".radar-check-"):
            return True
    except OSError:
        return False
