"""Several Radar processes starting on one existing database add the configured feeds once,
and none of them fails on the others' inserts."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bot.store.repository import Store

SYNC = """
import sys, time
from bot.store.repository import Store
store = Store.open(sys.argv[1])
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.001)
store.sync_feeds([(f"https://f{i}.example/feed.xml", None, None, None, True) for i in range(300)])
print("synced")
"""


def test_processes_syncing_the_same_config_at_once_store_each_feed_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'radar.db'}"
    Store.open(url).close()  # an existing, migrated database
    for _round in range(3):
        start = time.time() + 1.5  # all three wait for the same moment, after their imports
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", SYNC, url, str(start)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        outcomes = [proc.communicate(timeout=60) for proc in procs]
        for proc, (out, err) in zip(procs, outcomes, strict=True):
            assert proc.returncode == 0 and out.strip() == "synced", err[-2000:]
    store = Store.open(url)
    try:
        urls = [feed.url for feed in store.list_feeds(include_disabled=True)]
    finally:
        store.close()
    assert len(urls) == 300 and len(set(urls)) == 300
