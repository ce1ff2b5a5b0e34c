"""The only APScheduler import: one interval job per feed (with jitter), batched into poll cycles."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.runtime.cycle import Radar
from bot.runtime.digests import post_digest
from bot.settings import DigestSchedule

log = logging.getLogger("radar.scheduler")
BATCH_WINDOW = 1.0  # seconds to gather feeds whose jobs fire together into one cycle
RETRY_EVERY = 30.0  # seconds between outbox sweeps for deliveries waiting on a retry


class FeedScheduler:
    """Feeds become due on their own interval; due feeds are polled together, then alerts delivered."""

    def __init__(self, radar: Radar) -> None:
        self.radar = radar
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._queued: set[int] = set()
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
        settings = self.radar.settings.poll
        now = self.radar.clock()
        wanted = {}
        for feed in self.radar.store.list_feeds(include_disabled=False):
            wanted[f"feed-{feed.id}"] = feed
        for job in self.scheduler.get_jobs():
            if job.id.startswith("feed-") and job.id not in wanted:
                job.remove()
        for job_id, feed in wanted.items():
            if self.scheduler.get_job(job_id) is not None:
                continue
            interval = feed.interval_s or settings.interval
            first = (
                feed.next_poll_at
                if feed.next_poll_at and feed.next_poll_at > now
                else now + timedelta(seconds=interval)
            )
            self.scheduler.add_job(
                self._feed_job,
                IntervalTrigger(
                    seconds=interval, jitter=int(settings.jitter) or None, start_date=first
                ),
                args=[feed.id],
                id=job_id,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=int(interval),
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
            try:
                await self.cycle(queued)
            except Exception:  # one bad cycle must not stop the service; the next job retries
                log.exception("poll cycle failed")

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
