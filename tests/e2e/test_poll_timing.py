"""A real `radar run` polls each feed at its interval, cycle after cycle, whatever the batching."""

from __future__ import annotations

import itertools
import signal
import statistics
import time
from pathlib import Path

from tests.e2e.test_cli import popen, serve_news, stop, wait_for, write_config
from tests.feedserver import FeedServer

INTERVAL = 2.0
FEEDS = ("/a.xml", "/b.xml", "/c.xml")
WATCH = 11.0  # seconds of polling watched after every feed's first fetch


def test_run_fetches_every_feed_at_its_interval(feed_server: FeedServer, tmp_path: Path) -> None:
    server = feed_server
    routes = [serve_news(server, path) for path in FEEDS]
    # ETags: most polls are 304s, as in real life; a poll's outcome must not change its cadence.
    write_config(tmp_path, server, *FEEDS, extra='[poll]\ninterval = "2s"\njitter = "0s"')
    log = tmp_path / "run.log"
    proc = popen(tmp_path, "run", "-c", "radar.toml", log=log)
    try:
        wait_for(lambda: all(r.times for r in routes), 60, "the first poll of `radar run`")
        time.sleep(WATCH)
        watched_until = time.monotonic()
        assert proc.poll() is None, log.read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, log.read_text()
    finally:
        stop(proc)
    for path, route in zip(FEEDS, routes, strict=True):
        times = route.times
        gaps = [b - a for a, b in itertools.pairwise(times)]
        shown = f"{path}: gaps {[round(g, 2) for g in gaps]}"
        # One fetch per interval: a feed polled every other firing would show gaps of 4 s. The
        # first gap holds the batch window, and a fetch due as the watch ended may not be in yet.
        expected = int((watched_until - times[0]) / INTERVAL)
        assert len(times) >= expected - 1 and len(times) >= WATCH / INTERVAL - 1, shown
        assert statistics.median(gaps) <= INTERVAL + 0.6, shown
        # The first gap also holds the batch window; after it, none may skip a turn.
        assert max(gaps[1:]) < 2 * INTERVAL - 0.3, shown
        assert min(gaps) > INTERVAL - 0.5, shown  # and never early
