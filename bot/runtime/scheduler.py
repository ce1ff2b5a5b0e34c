"""The only APScheduler import: one job per feed at the next poll the store holds for it, batched into
poll cycles.

The store's next_poll_at (set by the cycle: an interval plus jitter after the poll was due) is the
one schedule. Each feed's job is a one-off at that time, planned again after every cycle, so the job
and the "is it due?" check never disagree: a trigger with its own cadence fired a few milliseconds
before the stored time, found the feed not yet due and left it to the next firing, a whole interval
later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.runtime.cycle import Radar
from bot.runtime.digests import post_digest
from bot.settings import DigestSchedule

log = logging.getLogger("radar.scheduler")
BATCH_WINDOW = 1.0  # seconds to gather feeds whose jobs fire together into one cycle
RETRY_EVERY = 30.0  # seconds between outbox sweeps for deliveries waiting on a retry


class FeedScheduler:
    """Feeds become due on their own schedule; due feeds are polled together, then alerts delivered."""

    def __init__(self, radar: Radar) -> None:
        self.radar = radar
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._queued: set[int] = set()
        self._running: set[int] = set()  # the feeds of the cycle in progress
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        """Poll every due feed at once, then hand the feeds to APScheduler."""
        await self.cycle(None)
        self.sync_jobs()
        self.scheduler.add_job(
            self._deliver_job, IntervalTrigger(seconds=RETRY_EVERY), id="outbox", coalesce=True
        )
        self.scheduler.add_job(
            self.sync_jobs, IntervalTrigger(seconds=60), id="sync-feeds", coalesce=True
        )
        self.add_digest_jobs()
        self.scheduler.start()
        self._worker = asyncio.create_task(self._run_batches(), name="radar-poll-batches")

    def sync_jobs(self) -> None:
        """One job per enabled feed; feeds added or removed since the last sync are picked up."""
        wanted = {
            f"feed-{feed.id}": feed for feed in self.radar.store.list_feeds(include_disabled=False)
        }
        for job in self.scheduler.get_jobs():
            if job.id.startswith("feed-") and job.id not in wanted:
                job.remove()
        for job_id, feed in wanted.items():
            busy = feed.id in self._queued or feed.id in self._running
            if self.scheduler.get_job(job_id) is None and not busy:
                self._plan(feed.id, feed.next_poll_at)

    def _replan(self, feed_ids: Iterable[int]) -> None:
        """After a cycle: each feed it was about gets a job at its newly stored next poll."""
        ids = set(feed_ids)
        if not ids:
            return
        rows = {f.id: f for f in self.radar.store.list_feeds(include_disabled=False)}
        for feed_id in ids:
            feed = rows.get(feed_id)
            if feed is not None:
                self._plan(feed_id, feed.next_poll_at)
            elif (job := self.scheduler.get_job(f"feed-{feed_id}")) is not None:
                job.remove()

    def _plan(self, feed_id: int, when: datetime | None) -> None:
        self.scheduler.add_job(
            self._feed_job,
            DateTrigger(run_date=when or self.radar.clock()),
            args=[feed_id],
            id=f"feed-{feed_id}",
            replace_existing=True,
            misfire_grace_time=None,  # a time missed while the loop was busy still polls
        )

    def add_digest_jobs(self) -> None:
        """A cron job per chat output with a [outputs.digest] schedule, in its own time zone."""
        for spec in self.radar.settings.outputs:
            schedule: DigestSchedule | None = getattr(spec, "digest", None)
            if schedule is None or spec.key not in self.radar.outputs:
                continue
            trigger = CronTrigger(
                day_of_week=schedule.day if schedule.every == "weekly" else "*",
                hour=schedule.hour,
                minute=schedule.minute,
                timezone=ZoneInfo(schedule.timezone),
            )
            self.scheduler.add_job(
                post_digest,
                trigger,
                args=[self.radar, spec.key, schedule],
                id=f"digest-{spec.key}",
                coalesce=True,
                misfire_grace_time=3600,  # a service restarted within the hour still posts it
            )
            log.info(
                "digest for %s: %s at %s %s",
                spec.key,
                schedule.every,
                schedule.at,
                schedule.timezone,
            )

    async def _feed_job(self, feed_id: int) -> None:
        self._queued.add(feed_id)
        self._wake.set()

    async def _deliver_job(self) -> None:
        await self.radar.deliver()

    async def _run_batches(self) -> None:
        while not self._closing:
            await self._wake.wait()
            await asyncio.sleep(BATCH_WINDOW)
            self._wake.clear()
            queued, self._queued = self._queued, set()
            self._running = queued
            try:
                await self.cycle(queued)
            except Exception:  # one bad cycle must not stop the service; the next job retries
                log.exception("poll cycle failed")
            try:
                self._replan(queued)
            except Exception:  # the store is unreachable: the periodic sync plans them again
                log.exception("could not plan the next polls")
            self._running = set()

    async def cycle(self, feed_ids: set[int] | None) -> None:
        now = self.radar.clock()
        feeds = [f for f in self.radar.store.due_feeds(now) if feed_ids is None or f.id in feed_ids]
        if feeds:
            report = await self.radar.poll(feeds)
            log.info(
                "polled %d feeds: %d fetched, %d not modified, %d failed; %d new items, %d alerts queued",
                len(feeds),
                report.polled,
                report.not_modified,
                report.failed,
                report.new_items,
                report.alerts,
            )
        sent = await self.radar.deliver()
        if sent:
            log.info("delivered %d alerts", sent)

    async def shutdown(self) -> None:
        self._closing = True
        if self.scheduler.running:  # not yet, when a signal came during the first cycle
            self.scheduler.shutdown(wait=False)
        if self._worker is not None:
            self._wake.set()
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        # Let a cycle or delivery in flight finish: what it stored is then consistent and sent once.
        await self.radar.wait_idle()
