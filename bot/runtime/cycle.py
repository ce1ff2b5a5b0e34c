"""The service layer: poll due feeds (fetch → parse → understand → store) and drain the outbox."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.chat.replies import Coverage
from bot.core.models import Alert, CycleReport, Destination
from bot.core.schedule import next_after_failure, next_on_schedule
from bot.core.stories import StoryIndex
from bot.errors import FeedError
from bot.outputs.base import DeliveryError, Output, isolated
from bot.outputs.once import FindsEarlierSends
from bot.runtime import metrics
from bot.runtime.workers import CpuStages
from bot.settings import Settings
from bot.sources.fetch import Fetcher, FetchResult
from bot.store.repository import (
    DeliveryRow,
    FeedIngest,
    FeedRow,
    FeedSuccess,
    IngestResult,
    NewItem,
    NotModified,
    Store,
    StoryRow,
)

if TYPE_CHECKING:
    from bot.app import Chat

log = logging.getLogger("radar.cycle")
MAX_DELIVERY_ATTEMPTS = 8
CLAIM_LEASE = timedelta(minutes=5)
CHAT_PLATFORMS = frozenset(
    {"slack", "discord"}
)  # their outputs need a token this process may lack  # longer than any send, with its timeouts and retries
SENDER = f"{socket.gethostname()}:{os.getpid()}"
INDEX_RELOAD_MARGIN = timedelta(minutes=5)
WRITE_GATHER = 0.02  # seconds a stored poll waits for others to share its transaction
WRITE_BATCH = 8  # feeds per transaction at most: one write holds the event loop about 50 ms


def sender_is_gone(owner: str) -> bool:
    """Whether the process that claimed a delivery has died (only knowable on this host)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


Clock = Callable[[], datetime]
Progress = Callable[[FeedRow, str], None]
# Builds the Output for a chat channel that subscribed with /radar subscribe: (destination, channel).
ChannelOutputs = Callable[[Destination, str], Output]


def utcnow() -> datetime:
    return datetime.now(UTC)


def story_alert(story: StoryRow) -> Alert:
    url = story.url or (story.links[0] if story.links else "")
    return Alert(
        story_id=story.id,
        url=url,
        title=story.title,
        topics=tuple(story.topics),
        scores=story.scores,
        reasons=story.reasons,
        summary=story.summary,
        source=story.source or "",
        published=story.published_at
        or story.first_seen_at,  # first seen when the feed gave no date
        language=story.language or "en",
        also=tuple(link for link in story.links if link != url),
        move=story.move,
        sources_count=max(story.item_count, len(story.links)),
    )


class Radar:
    """One instance per process; the CLI, the scheduler and chat commands all go through it."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        stages: CpuStages,
        outputs: Mapping[str, Output],
        clock: Clock = utcnow,
        rng: random.Random | None = None,
        closers: Sequence[Callable[[], Awaitable[None]]] = (),
    ) -> None:
        self.settings = settings
        self.store = store
        self.stages = stages
        self.outputs = dict(outputs)
        self.clock = clock
        self.rng = rng or random.Random()
        self._cycle_lock = asyncio.Lock()
        self._deliver_lock = asyncio.Lock()
        self.last_cycle: tuple[datetime, CycleReport] | None = None
        self._not_modified: list[NotModified] = []
        self._platforms: dict[str, ChannelOutputs] = {}
        self._channel_outputs: dict[str, Output] = {}  # outputs of subscribed chat channels
        self._closers = list(closers)
        self.chat: Chat | None = None  # the chat platforms app.build attached
        self._index: StoryIndex | None = None
        self._to_store: list[tuple[FeedIngest, asyncio.Future[IngestResult | Exception]]] = []
        self._index_synced = datetime.min.replace(tzinfo=UTC)

    def attach_platform(self, platform: str, channel_outputs: ChannelOutputs) -> None:
        """Let channels of a running chat platform subscribe: their alerts go through it."""
        self._platforms[platform] = channel_outputs

    def destinations(self) -> list[Destination]:
        """Configured outputs, then chat subscriptions of the platforms running in this process.

        A subscription in a channel that the config already posts to adds its topics to that
        output instead of becoming a second destination (one alert per story and channel)."""
        merged = {key: out.destination for key, out in self.outputs.items()}
        # Configured chat outputs named by channel name answer to their ID once they posted.
        by_channel = {
            f"{key.partition(':')[0]}:{channel}": key
            for key, out in self.outputs.items()
            if isinstance(channel := getattr(out, "chat_channel", None), str)
        }
        if self._platforms:
            for row in self.store.subscriptions():
                if row["platform"] not in self._platforms:
                    continue
                key = f"{row['platform']}:{row['channel']}"
                key = by_channel.get(key, key)
                found = merged.get(key)
                topics = frozenset(row["topics"])
                if found is None:
                    merged[key] = Destination(key, topics, float(row["min_score"]), followups=True)
                else:
                    merged[key] = Destination(
                        key,
                        found.topics | topics,
                        min(found.min_score, float(row["min_score"])),
                        found.followups,
                    )
        return list(merged.values())

    def output_for(self, key: str) -> Output | None:
        output = self.outputs.get(key)
        if output is not None:
            return output
        output = self._channel_outputs.get(key)
        if output is not None:
            return output
        platform, _, channel = key.partition(":")
        make = self._platforms.get(platform)
        if make is None or not channel:
            return None
        dest = Destination(key, frozenset(), followups=True)
        self._channel_outputs[key] = output = make(dest, channel)
        return output

    def _interval(self, feed: FeedRow) -> float:
        return feed.interval_s or self.settings.poll.interval

    def _story_index(self, now: datetime) -> StoryIndex:
        """The recent flagged stories, kept from cycle to cycle: loaded whole once, then only the
        stories created or updated since the last cycle (by this process or another one on the
        same database), so a cycle costs nothing that grows with the stories kept."""
        if self._index is None:
            self._index = StoryIndex(timedelta(seconds=self.settings.stories.window))
            since = now - self._index.window
        else:
            # A margin for transactions that were still open (another process's) at the last load.
            since = max(now - self._index.window, self._index_synced - INDEX_RELOAD_MARGIN)
        self.store.load_story_index(self._index, since)
        self._index_synced = now
        self._index.expire(now)
        return self._index

    def fetcher(self, public_only: bool = False) -> Fetcher:
        return Fetcher.from_settings(self.settings.poll, public_only)

    # -- polling ------------------------------------------------------------------------------

    async def poll(
        self, feeds: Sequence[FeedRow] | None = None, progress: Progress | None = None
    ) -> CycleReport:
        """Poll the given feeds (default: every due feed). A failing feed never stops the others."""
        async with self._cycle_lock:
            now = self.clock()
            todo = list(feeds) if feeds is not None else self.store.due_feeds(now)
            report = CycleReport()
            index = self._story_index(now)
            destinations = self.destinations()
            self.stages.open(len(todo))
            # Bounds the feeds between fetch and storage, so bodies do not pile up in memory while
            # the parsers catch up with the network.
            in_flight = asyncio.Semaphore(self.settings.poll.concurrency)
            self._not_modified = []
            try:
                # Feeds added from chat are untrusted: they are fetched only from public addresses,
                # on every poll, since what a name resolves to can change after it was added.
                async with self.fetcher() as fetcher, self.fetcher(public_only=True) as guarded:

                    async def one(feed: FeedRow) -> None:
                        async with in_flight:
                            await process(feed)

                    async def process(feed: FeedRow) -> None:
                        use = guarded if feed.origin == "chat" else fetcher
                        result = await use.fetch(feed.fetch_url, feed.etag, feed.last_modified)
                        try:
                            outcome = await self._handle(feed, result, report, index, destinations)
                        except Exception as exc:  # one feed's surprise must not cost the others
                            log.exception("unexpected error on feed %s", feed.url)
                            error = f"internal error: {type(exc).__name__}"
                            outcome = self._fail(feed, self.clock(), error, report, result)
                        if progress is not None:
                            progress(feed, outcome)

                    await asyncio.gather(*(one(f) for f in todo))
            finally:
                self.stages.close()
                self.store.record_not_modified(self._not_modified)
                self._not_modified = []
            self.last_cycle = (self.clock(), report)
            metrics.cycle_done(report, self.last_cycle[0] - now)
            return report

    async def _handle(
        self,
        feed: FeedRow,
        result: FetchResult,
        report: CycleReport,
        index: StoryIndex,
        destinations: Sequence[Destination],
    ) -> str:
        interval = self._interval(feed)
        jitter = self.settings.poll.jitter
        if result.status == "not_modified":
            now = self.clock()
            report.not_modified += 1
            next_poll = next_on_schedule(feed.next_poll_at, now, interval, jitter, self.rng)
            self._not_modified.append(NotModified(feed.id, now, next_poll, result.moved_to))
            if len(self._not_modified) >= 200:  # written in batches: one transaction, not 200
                self.store.record_not_modified(self._not_modified)
                self._not_modified = []
            return "not modified"
        if result.status in ("gone", "error"):
            return self._fail(feed, self.clock(), result.error or "unknown error", report, result)
        try:
            parsed, fresh, understood = await self.stages.process(
                result.body,
                result.content_type,
                feed.fetch_url,
                feed.language,
                lambda entries: self.store.new_entries(feed.id, entries, feed.last_ok_at is None),
                self.settings.poll.max_items,
            )
        except FeedError as exc:
            return self._fail(feed, self.clock(), str(exc), report, result)
        now = self.clock()
        first_poll = feed.last_ok_at is None
        horizon = now - timedelta(seconds=self.settings.poll.first_poll_window)
        # A new feed's backlog must not flood channels: on its first poll only recent items alert.
        new_items = [
            NewItem(
                entry=entry,
                understanding=und,
                alertable=not first_poll
                or (entry.published is not None and entry.published >= horizon),
            )
            for entry, und in zip(fresh, understood, strict=True)
        ]
        source = feed.name or parsed.title or feed.url
        success = FeedSuccess(
            now=now,
            next_poll=next_on_schedule(feed.next_poll_at, now, interval, jitter, self.rng),
            etag=result.etag,
            last_modified=result.last_modified,
            fetch_url=result.moved_to,
            feed_title=parsed.title,
            warning="feed is malformed; items were recovered" if parsed.recovered else None,
        )
        ingest = await self._store(
            FeedIngest(feed.id, source, tuple(new_items), now, success), index, destinations
        )
        metrics.ingested((n.understanding for n in new_items), ingest)
        if result.moved_to:
            log.info("feed %s moved permanently to %s", feed.url, result.moved_to)
        report.polled += 1
        report.new_items += ingest.new_items
        report.alerts += ingest.alerts_queued
        return f"{ingest.new_items} new"

    async def _store(
        self, job: FeedIngest, index: StoryIndex, destinations: Sequence[Destination]
    ) -> IngestResult:
        """Store a feed's poll together with the other feeds ready at the same moment: one
        transaction (and one commit) per batch instead of one per feed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[IngestResult | Exception] = loop.create_future()
        self._to_store.append((job, future))
        if len(self._to_store) == 1:
            # A moment's wait lets the feeds whose parse ends meanwhile share the commit.
            loop.call_later(WRITE_GATHER, self._write_batch, index, destinations)
        outcome = await future
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _write_batch(self, index: StoryIndex, destinations: Sequence[Destination]) -> None:
        batch, self._to_store = self._to_store[:WRITE_BATCH], self._to_store[WRITE_BATCH:]
        if self._to_store:
            asyncio.get_running_loop().call_soon(self._write_batch, index, destinations)
        try:
            outcomes = self.store.ingest_many([job for job, _ in batch], destinations, index)
        except Exception as exc:  # the database is unreachable: every feed of the batch failed
            outcomes = [exc] * len(batch)
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if not future.done():
                future.set_result(outcome)

    def _fail(
        self, feed: FeedRow, now: datetime, error: str, report: CycleReport, result: FetchResult
    ) -> str:
        report.failed += 1
        report.errors[feed.url] = error
        disable = error if result.status == "gone" else None
        retry = next_after_failure(
            now,
            feed.error_count + 1,
            self._interval(feed),
            self.settings.poll.max_backoff,
            result.retry_after,
        )
        self.store.record_failure(feed.id, now, error, retry, disable)
        level = logging.WARNING if disable or feed.error_count == 0 else logging.INFO
        log.log(
            level,
            "feed %s failed: %s%s",
            feed.display_name,
            error,
            " (disabled)" if disable else "",
        )
        return "disabled" if disable else "failed"

    # -- delivery -----------------------------------------------------------------------------

    async def deliver(self) -> int:
        """Send what the outbox holds; returns how many sends succeeded."""
        async with self._deliver_lock:
            sent = 0
            now = self.clock()
            cache: dict[int, Alert | None] = {}
            self.store.release_dead_claims(sender_is_gone, now)
            seen: set[int] = set()
            muted: dict[str, set[str]] = {}
            live = {d.key for d in self.destinations()}
            while batch := [r for r in self.store.pending_deliveries(now) if r.id not in seen]:
                for row in batch:
                    seen.add(row.id)
                    if row.kind == "followup" and row.parent_status != "sent":
                        if row.parent_status not in ("pending", "sending"):
                            self.store.mark_retry(
                                row.id, "the alert it follows was not delivered", now, True
                            )
                        continue  # a thread reply waits for the message it hangs under
                    platform = row.destination.partition(":")[0]
                    if (
                        row.destination not in self.outputs
                        and platform in CHAT_PLATFORMS
                        and platform not in self._platforms
                    ):
                        continue  # for a process that has this platform's token (`radar run`)
                    # Claim first: another Radar process on the same database (`radar run` and a
                    # manual `radar poll`) must never send the same alert a second time.
                    if not self.store.claim(row.id, SENDER, now, CLAIM_LEASE):
                        continue
                    # A channel that unsubscribed gets nothing more, queued alerts included.
                    output = self.output_for(row.destination) if row.destination in live else None
                    if output is None:
                        self.store.mark_retry(
                            row.id, "destination is no longer configured", now, give_up=True
                        )
                        continue
                    if row.story_id not in cache:
                        story = self.store.story(row.story_id)
                        cache[row.story_id] = story_alert(story) if story else None
                    alert = cache[row.story_id]
                    if alert is None:
                        self.store.mark_retry(row.id, "story vanished", now, give_up=True)
                        continue
                    coverage = self.store.coverage(row.item_id) if row.item_id else None
                    if row.destination not in muted:
                        muted[row.destination] = self._muted(row.destination, output)
                    source = coverage.source if coverage else alert.source
                    if source in muted[row.destination]:
                        self.store.mark_skipped(row.id, f"source {source!r} is muted", now)
                        continue
                    try:
                        ref = await isolated(
                            self._send(output, row, alert, coverage), row.destination
                        )
                    except DeliveryError as exc:
                        self._delivery_failed(
                            row.id,
                            row.attempts,
                            row.destination,
                            str(exc),
                            exc.permanent,
                            exc.retry_after,
                            exc.already_logged,
                        )
                        continue
                    self.store.mark_sent(row.id, ref, self.clock())
                    sent += 1
            return sent

    async def _send(
        self, output: Output, row: DeliveryRow, alert: Alert, coverage: Coverage | None
    ) -> str | None:
        """Send one delivery. One an earlier attempt may have posted is first looked for on the
        platform, where it allows a check: found, its message is adopted instead of sent again."""
        if row.in_doubt and row.created_at is not None and isinstance(output, FindsEarlierSends):
            earlier = await output.find_earlier(alert, row.parent_ref, coverage, row.created_at)
            if earlier is not None:
                log.info(
                    "delivery %s to %s was already posted; not sent again", row.id, row.destination
                )
                return earlier
        if row.kind == "alert":
            return await output.send(alert)
        return await output.send_followup(alert, row.parent_ref or "", coverage)

    def _muted(self, key: str, output: Output) -> set[str]:
        """Sources muted in the destination's channel. Chat outputs configured by channel name
        expose the channel id they resolved (`chat_channel`), which is what buttons report."""
        platform, _, channel = key.partition(":")
        if platform not in self._platforms or not channel:
            return set()
        resolved = getattr(output, "chat_channel", None)
        channels = {channel, resolved} if isinstance(resolved, str) else {channel}
        return set().union(*(self.store.muted_sources(platform, c) for c in channels))

    def _delivery_failed(
        self,
        delivery_id: int,
        attempts: int,
        destination: str,
        error: str,
        permanent: bool,
        retry_after: float | None,
        quiet: bool = False,
    ) -> None:
        give_up = permanent or attempts + 1 >= MAX_DELIVERY_ATTEMPTS
        delay = retry_after if retry_after is not None else min(3600.0, 15.0 * 2**attempts)
        self.store.mark_retry(delivery_id, error, self.clock() + timedelta(seconds=delay), give_up)
        log.log(
            logging.DEBUG if quiet else logging.WARNING,  # quiet: the output logged why
            "delivery to %s failed%s: %s",
            destination,
            " for good" if give_up else ", will retry",
            error,
        )

    async def wait_idle(self) -> None:
        """Return once no poll cycle or delivery is running."""
        async with self._cycle_lock, self._deliver_lock:
            return

    async def aclose(self) -> None:
        for output in [*self.outputs.values(), *self._channel_outputs.values()]:
            await output.aclose()
        for close in self._closers:
            await close()
