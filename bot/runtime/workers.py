"""CPU-bound stages (parsing, understanding) off the event loop: in worker processes on a cold cycle,
in a thread otherwise, each bounded in time and in the items it keeps.

Parsing and classifying are pure functions of their input, so they move to a process pool as they
are; fetching and the database stay in the main process. Small cycles run in a thread: a pool only
pays for itself when there is enough work to spread, and the event loop (chat commands, Slack's
3-second acknowledgement) must never wait on a feed's parse.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.classify import Classifier, LinearModel
from bot.core.models import Entry, Move, ParsedFeed, TopicVerdict, Understanding
from bot.core.understand import Understander
from bot.errors import FeedError
from bot.runtime import metrics
from bot.sources.parse import parse_feed

MIN_FEEDS_FOR_POOL = 16
TIME_LIMIT = 60.0  # seconds for one feed's parse and understanding, whatever it holds
log = logging.getLogger("radar.workers")
_worker: Understander | None = None

NewOnly = Callable[[Sequence[Entry]], list[Entry]]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _init(model_path: str | None, thresholds: dict[str, float | None]) -> None:
    global _worker
    model = LinearModel.load(Path(model_path)) if model_path else LinearModel.load()
    _worker = Understander(Classifier(model, thresholds))


def newest(entries: Sequence[Entry], limit: int) -> tuple[Entry, ...]:
    """At most `limit` entries: the most recently published, in the feed's own order (undated
    entries count as oldest; a feed without dates keeps its first ones, as feeds list newest first).

    A feed of 90,000 items would otherwise hold the main process for seconds while it is stored."""
    if len(entries) <= limit:
        return tuple(entries)
    ranked = sorted(
        range(len(entries)),
        key=lambda i: (entries[i].published is not None, entries[i].published or _EPOCH, -i),
        reverse=True,
    )
    keep = sorted(ranked[:limit])
    return tuple(entries[i] for i in keep)


def understand_all(
    understander: Understander, entries: Sequence[Entry], language: str | None
) -> list[Understanding]:
    return [
        understander.understand(
            e.title, e.text, language or e.language, summary="flagged", published=e.published
        )
        for e in entries
    ]


# -- what a worker sends back: plain tuples, several times cheaper to unpickle than dataclasses ----

Packed = tuple[Any, ...]


def _pack_entry(e: Entry) -> Packed:
    published = None if e.published is None else (e.published - _EPOCH) // _MICROSECOND
    return (e.guid, e.url, e.link, e.title, e.text, published, e.language)


def _unpack_entry(row: Packed) -> Entry:
    guid, url, link, title, text, published, language = row
    when = None if published is None else _EPOCH + published * _MICROSECOND
    return Entry(guid, url, link, title, text, when, language)


def _pack_understanding(u: Understanding) -> Packed:
    verdicts = tuple((v.topic, v.score, v.flagged, v.reasons) for v in u.verdicts.values())
    move = u.move
    moved = (
        None if move is None else (move.people, move.from_org, move.to_org, move.role, move.kind)
    )
    return (verdicts, moved, u.summary, u.language)


def _unpack_understanding(row: Packed) -> Understanding:
    verdicts, moved, summary, language = row
    return Understanding(
        verdicts={
            t: TopicVerdict(t, score, flagged, reasons) for t, score, flagged, reasons in verdicts
        },
        move=None if moved is None else Move(*moved),
        summary=summary,
        language=language,
    )


def _parse_and_understand(
    body: bytes, content_type: str | None, url: str, language: str | None, limit: int
) -> tuple[str, str | None, bool, list[Packed], list[Packed]]:
    assert _worker is not None, "worker not initialised"
    parsed = parse_feed(body, content_type, url, language)
    entries = newest(parsed.entries, limit)
    understood = understand_all(_worker, entries, language)
    return (
        parsed.title,
        parsed.language,
        parsed.recovered,
        [_pack_entry(e) for e in entries],
        [_pack_understanding(u) for u in understood],
    )


def _parse_capped(
    body: bytes, content_type: str | None, url: str, language: str | None, limit: int
) -> ParsedFeed:
    parsed = parse_feed(body, content_type, url, language)
    entries = newest(parsed.entries, limit)
    if len(entries) == len(parsed.entries):
        return parsed
    return ParsedFeed(parsed.title, parsed.language, entries, parsed.recovered)


class CpuStages:
    """Parse a feed and understand its new entries, in a process pool when one is open."""

    def __init__(
        self,
        understander: Understander,
        model_path: Path | None,
        thresholds: dict[str, float | None],
        time_limit: float = TIME_LIMIT,
    ) -> None:
        self.understander = understander
        self.model_path = model_path
        self.thresholds = thresholds
        self.time_limit = time_limit
        self._pool: ProcessPoolExecutor | None = None
        self._wanted = False  # this cycle is big enough for a pool

    def open(self, feeds: int) -> None:
        cores = os.cpu_count() or 1
        self._wanted = cores >= 2 and feeds >= MIN_FEEDS_FOR_POOL
        if self._wanted and self._pool is None:
            self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["bot.runtime.workers"])
        return ProcessPoolExecutor(
            max_workers=os.cpu_count() or 1,
            mp_context=context,
            initializer=_init,
            initargs=(str(self.model_path) if self.model_path else None, self.thresholds),
        )

    def close(self) -> None:
        self._wanted = False
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    async def process(
        self,
        body: bytes,
        content_type: str | None,
        url: str,
        language: str | None,
        new_only: NewOnly,
        limit: int = 1_000_000,
    ) -> tuple[ParsedFeed, list[Entry], list[Understanding]]:
        """The parsed feed (at most `limit` entries), the entries to offer the store (those not
        seen before, or all of them), and what they are about. Raises FeedError when the feed
        cannot be read within the time limit. The store skips entries it already holds.

        In the pool a worker understands every entry of the feed in the same trip as the parse:
        shipping the entries back and forth to skip known ones costs the main process more than
        the worker spends on them. In a thread, known entries are skipped before understanding."""
        for attempt in (1, 2):
            pool = self._pool
            if pool is None:
                break
            try:
                title, lang, recovered, packed, verdicts = await self._in_pool(
                    pool, body, content_type, url, language, limit
                )
            except BrokenProcessPool:
                # A worker died (out of memory, killed), failing every feed it had in hand. Each
                # gets one more try in a fresh pool; a feed that breaks that one too is the cause.
                self._replace(pool, "a parser worker died")
                if attempt == 2:
                    raise FeedError("the parser process died on this feed") from None
                continue
            # Every entry goes on: the store keeps those it does not hold yet, in the same
            # transaction that writes them, which saves the main process a look-up per feed.
            entries = [_unpack_entry(row) for row in packed]
            understood = [_unpack_understanding(row) for row in verdicts]
            return ParsedFeed(title, lang, tuple(entries), recovered), entries, understood
        return await self._in_thread(body, content_type, url, language, new_only, limit)

    async def _in_pool(
        self,
        pool: ProcessPoolExecutor,
        body: bytes,
        content_type: str | None,
        url: str,
        language: str | None,
        limit: int,
    ) -> tuple[str, str | None, bool, list[Packed], list[Packed]]:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(
            pool, _parse_and_understand, body, content_type, url, language, limit
        )
        try:
            return await asyncio.wait_for(future, self.time_limit)
        except TimeoutError:
            # The worker is still busy with it and cannot be interrupted: end that pool.
            self._replace(pool, f"a feed took longer than {self.time_limit:.0f} s to parse")
            raise FeedError(
                f"parsing took longer than {self.time_limit:.0f} s; the feed was skipped"
            ) from None

    async def _in_thread(
        self,
        body: bytes,
        content_type: str | None,
        url: str,
        language: str | None,
        new_only: NewOnly,
        limit: int,
    ) -> tuple[ParsedFeed, list[Entry], list[Understanding]]:
        # A thread cannot be stopped: past the limit the feed is recorded as failed and the
        # thread's result dropped. The parser bounds its own work on hostile input.
        try:
            parsed = await asyncio.wait_for(
                asyncio.to_thread(_parse_capped, body, content_type, url, language, limit),
                self.time_limit,
            )
            fresh = new_only(parsed.entries)
            started = time.perf_counter()
            understood = await asyncio.wait_for(
                asyncio.to_thread(understand_all, self.understander, fresh, language),
                self.time_limit,
            )
            metrics.classified(started)  # here only: a pool worker's registry is never scraped
        except TimeoutError:
            raise FeedError(
                f"parsing took longer than {self.time_limit:.0f} s; the feed was skipped"
            ) from None
        return parsed, fresh, understood

    def _replace(self, pool: ProcessPoolExecutor, why: str) -> None:
        """Swap a broken or stuck pool for a fresh one (once, whichever feed notices first)."""
        if self._pool is not pool:
            return
        log.warning("%s; starting new parser processes", why)
        # A stuck worker ignores shutdown: end its processes, then the pool.
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool() if self._wanted else None
