"""Opening the store: a database Radar cannot use is one ConfigError line (found without creating
anything by check_storage), and processes starting together on a new file migrate it once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.store import migrate
from bot.store.health import check_storage
from bot.store.repository import Store
from tests.e2e.test_cli_hardening import read_only


def new_database(folder: Path) -> Path:
    db = folder / "radar.db"
    Store.open(f"sqlite:///{db}").close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db


def test_a_missing_database_is_fine_and_check_storage_does_not_create_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'radar.db'}"
    assert check_storage(url) is None
    assert list(tmp_path.iterdir()) == []
    Store.open(url).close()
    assert check_storage(url) is None


def unusable(tmp_path: Path) -> dict[str, tuple[str, str]]:
    (tmp_path / "afolder").mkdir()
    (tmp_path / "afile").write_text("not a folder\n", encoding="utf-8")
    (tmp_path / "text.db").write_text("hello, I am not a database\n" * 200, encoding="utf-8")
    return {
        "proc": ("sqlite:////proc/radar.db", "/proc"),
        "folder": (f"sqlite:///{tmp_path / 'afolder'}", "afolder is a folder, not a file"),
        "text": (f"sqlite:///{tmp_path / 'text.db'}", "file is not a database"),
        "parent": (f"sqlite:///{tmp_path / 'afile' / 'r.db'}", "afile is a file, not a folder"),
        "device": ("sqlite:////dev/full", "/dev/full is not a regular file"),
    }


@pytest.mark.parametrize("case", ["proc", "folder", "text", "parent", "device"])
def test_an_unusable_database_is_one_line_for_check_and_open(tmp_path: Path, case: str) -> None:
    url, fragment = unusable(tmp_path)[case]
    found = check_storage(url)
    assert found is not None and fragment in found and found.startswith("storage.url: ")
    with pytest.raises(ConfigError) as err:
        Store.open(url)
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_a_corrupt_database_is_found_and_refused(tmp_path: Path) -> None:
    db = new_database(tmp_path)
    data = bytearray(db.read_bytes())
    for i in range(4096, len(data), 7):  # every page but the header
        data[i] = 0x5A
    db.write_bytes(data)
    url = f"sqlite:///{db}"
    found = check_storage(url)
    assert found is not None and "malformed" in found and "restore a backup" in found
    with pytest.raises(ConfigError, match="malformed"):
        Store.open(url)


def test_a_read_only_database_is_found_and_refused_before_any_work(tmp_path: Path) -> None:
    db = new_database(tmp_path)
    url = f"sqlite:///{db}"
    before = db.read_bytes()
    with read_only(db):
        found = check_storage(url)
        with pytest.raises(ConfigError, match=r"readonly.*read-only for this user"):
            Store.open(url)
    assert found is not None and "read-only for this user" in found
    assert db.read_bytes() == before


RACER = """
import sys
from bot.store.repository import Store
print("ready", flush=True)
sys.stdin.readline()
try:
    Store.open(sys.argv[1]).close()
except Exception as exc:
    print("FAILED", type(exc).__name__, exc, flush=True)
    sys.exit(1)
print("ok", flush=True)
"""


def test_processes_starting_together_on_a_new_database_migrate_it_once(tmp_path: Path) -> None:
    """Four real processes, released at once onto each of two new files (on today's main one
    of them fails with 'table feeds already exists' in most rounds)."""
    for round_ in range(2):
        url = f"sqlite:///{tmp_path / f'new-{round_}.db'}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", RACER, url],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(4)
        ]
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:  # the barrier: every process has imported everything
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=120)[0] for proc in procs]
        assert [proc.returncode for proc in procs] == [0, 0, 0, 0], outputs
        conn = sqlite3.connect(tmp_path / f"new-{round_}.db")
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (migrate.HEAD,)
        ]
        conn.close()


def test_check_storage_finds_a_full_disk(tmp_path: Path) -> None:
    """A real full file system: a 256 KB tmpfs, filled (needs the right to mount; skipped without)."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        (mount / "filler").write_bytes(b"\0" * 200 * 1024)
        found = check_storage(f"sqlite:///{mount / 'radar.db'}")
        assert found is not None and "disk is full" in found and "free some space" in found
    finally:
        subprocess.run(["umount", str(mount)], check=True)
