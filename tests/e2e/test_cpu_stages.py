"""Parsing and understanding off the event loop: item caps, a worker that dies, a feed that takes
too long. Real worker processes, real feed bytes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.models import Entry
from bot.core.understand import Understander
from bot.errors import FeedError
from bot.runtime.workers import MIN_FEEDS_FOR_POOL, CpuStages, newest
from tests.feeds import Item, rss

START = datetime(2026, 11, 1, tzinfo=UTC)
TEXT = "The company said the change would take effect next quarter, analysts said. " * 4


def big_feed(count: int) -> bytes:
    # Oldest first, as some feeds list them: the cap must keep the newest wherever they are.
    return rss(
        [
            Item(
                f"Item {n} about a retailer",
                f"https://n.example/{n}",
                TEXT,
                None,
                START + timedelta(minutes=n),
            )
            for n in range(count)
        ]
    )


def all_new(entries: Sequence[Entry]) -> list[Entry]:
    return list(entries)


class Heartbeat:
    """The longest the event loop went without running a 5 ms timer."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now

    def __enter__(self) -> Heartbeat:
        self._task = asyncio.get_running_loop().create_task(self._beat())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


@pytest.fixture
async def pooled() -> AsyncIterator[CpuStages]:
    stages = CpuStages(Understander(), None, {}, time_limit=30)
    stages.open(MIN_FEEDS_FOR_POOL)
    try:
        yield stages
    finally:
        stages.close()


def test_the_cap_keeps_the_newest_entries_in_feed_order() -> None:
    entries = [
        Entry(None, f"https://n.example/{n}", None, f"t{n}", "", when, None)
        for n, when in enumerate(
            [START, None, START + timedelta(days=2), START + timedelta(days=1)]
        )
    ]
    assert [e.title for e in newest(entries, 2)] == ["t2", "t3"]
    assert [e.title for e in newest(entries, 3)] == ["t0", "t2", "t3"]
    assert newest(entries, 9) == tuple(entries)
    undated = [Entry(None, None, None, f"u{n}", "", None, None) for n in range(4)]
    assert [e.title for e in newest(undated, 2)] == ["u0", "u1"]


async def test_a_huge_feed_is_cut_to_the_cap_in_a_worker_and_in_a_thread(pooled: CpuStages) -> None:
    body = big_feed(3000)
    threaded = CpuStages(Understander(), None, {})
    for stages in (pooled, threaded):
        with Heartbeat() as beat:
            parsed, fresh, understood = await stages.process(body, None, "", "en", all_new, 100)
        assert len(parsed.entries) == len(fresh) == len(understood) == 100
        assert {e.title for e in fresh} == {f"Item {n} about a retailer" for n in range(2900, 3000)}
        assert beat.longest < 0.5, f"the event loop stalled {beat.longest:.2f} s"


async def test_a_dead_worker_costs_a_retry_in_new_processes_not_the_event_loop(
    pooled: CpuStages,
) -> None:
    body = big_feed(4000)
    pool = pooled._pool
    assert pool is not None
    with Heartbeat() as beat:
        job = asyncio.create_task(pooled.process(body, None, "", "en", all_new, 4000))
        await asyncio.sleep(0.4)  # the workers are parsing and classifying
        for process in list(pool._processes.values()):
            process.kill()  # as the out-of-memory killer would
        parsed, fresh, understood = await job
    assert len(parsed.entries) == len(fresh) == len(understood) == 4000
    assert pooled._pool is not None and pooled._pool is not pool, "a fresh pool took over"
    assert beat.longest < 0.5, f"the event loop stalled {beat.longest:.2f} s"

    # A feed that kills the fresh workers too is the cause: it fails, alone.
    async def kill_workers_twice() -> None:
        for _ in range(2):
            await asyncio.sleep(0.4)
            current = pooled._pool
            assert current is not None
            for process in list(current._processes.values()):
                process.kill()

    killer = asyncio.create_task(kill_workers_twice())
    with pytest.raises(FeedError, match="parser process died"):
        await pooled.process(body, None, "", "en", all_new, 4000)
    await killer
    parsed, _, _ = await pooled.process(big_feed(5), None, "", "en", all_new)
    assert len(parsed.entries) == 5


async def test_a_feed_past_the_time_limit_fails_and_the_next_one_goes_through(
    tmp_path: Path,
) -> None:
    stages = CpuStages(Understander(), None, {}, time_limit=0.3)
    stages.open(MIN_FEEDS_FOR_POOL)
    try:
        with pytest.raises(FeedError, match="longer than"):
            await stages.process(big_feed(6000), None, "", "en", all_new, 6000)
        stages.time_limit = 60  # the fresh processes' start-up is not what is timed here
        parsed, fresh, _ = await stages.process(big_feed(5), None, "", "en", all_new)
        assert len(parsed.entries) == len(fresh) == 5
    finally:
        stages.close()
    # Without a pool (a small cycle), the thread's answer is not waited for past the limit either.
    threaded = CpuStages(Understander(), None, {}, time_limit=0.3)
    with pytest.raises(FeedError, match="longer than"):
        await threaded.process(big_feed(6000), None, "", "en", all_new, 6000)


async def test_poll_stores_at_most_max_items_of_a_feed(feed_server, radar_factory) -> None:
    feed_server.add("/huge.xml", body=big_feed(400))
    radar = radar_factory([feed_server.url("/huge.xml")], poll={"max_items": 50})
    report = await radar.poll()
    assert (report.polled, report.new_items, report.failed) == (1, 50, 0)
