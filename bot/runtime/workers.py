"""CPU-bound stages (parsing, understanding) in worker processes, so a cold cycle uses every core.

Parsing and classifying are pure functions of their input, so they move to a process pool as they
are; fetching and the database stay in the main process. Small cycles run inline: a pool only pays
for itself when there is enough work to spread.
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
from pathlib import Path

from bot.core.classify import Classifier, LinearModel
from bot.core.models import Entry, ParsedFeed, Understanding
from bot.core.understand import Understander
from bot.runtime import metrics
from bot.sources.parse import parse_feed

MIN_FEEDS_FOR_POOL = 16
log = logging.getLogger("radar.workers")
_worker: Understander | None = None

NewOnly = Callable[[Sequence[Entry]], list[Entry]]


def _init(model_path: str | None, thresholds: dict[str, float | None]) -> None:
    global _worker
    model = LinearModel.load(Path(model_path)) if model_path else LinearModel.load()
    _worker = Understander(Classifier(model, thresholds))


def understand_all(
    understander: Understander, entries: Sequence[Entry], language: str | None
) -> list[Understanding]:
    return [
        understander.understand(
            e.title, e.text, language or e.language, summary="flagged", published=e.published
        )
        for e in entries
    ]


def _parse_and_understand(
    body: bytes, content_type: str | None, url: str, language: str | None
) -> tuple[ParsedFeed, list[Understanding]]:
    assert _worker is not None, "worker not initialised"
    parsed = parse_feed(body, content_type, url, language)
    return parsed, understand_all(_worker, parsed.entries, language)


class CpuStages:
    """Parse a feed and understand its new entries, in a process pool when one is open."""

    def __init__(
        self,
        understander: Understander,
        model_path: Path | None,
        thresholds: dict[str, float | None],
    ) -> None:
        self.understander = understander
        self.model_path = model_path
        self.thresholds = thresholds
        self._pool: ProcessPoolExecutor | None = None

    def open(self, feeds: int) -> None:
        cores = os.cpu_count() or 1
        if cores < 2 or feeds < MIN_FEEDS_FOR_POOL or self._pool is not None:
            return
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["bot.runtime.workers"])
        self._pool = ProcessPoolExecutor(
            max_workers=cores,
            mp_context=context,
            initializer=_init,
            initargs=(str(self.model_path) if self.model_path else None, self.thresholds),
        )

    def close(self) -> None:
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
    ) -> tuple[ParsedFeed, list[Entry], list[Understanding]]:
        """The parsed feed, its entries not seen before, and what those entries are about.

        In the pool a worker understands every entry of the feed in the same trip as the parse:
        shipping the entries back and forth to skip known ones costs the main process more than
        the worker spends on them. Inline, known entries are skipped before understanding."""
        if self._pool is not None:
            try:
                loop = asyncio.get_running_loop()
                parsed, understood = await loop.run_in_executor(
                    self._pool, _parse_and_understand, body, content_type, url, language
                )
            except BrokenProcessPool:
                self._broken()
            else:
                by_entry = {id(e): u for e, u in zip(parsed.entries, understood, strict=True)}
                fresh = new_only(parsed.entries)
                return parsed, fresh, [by_entry[id(e)] for e in fresh]
        parsed = parse_feed(body, content_type, url, language)
        fresh = new_only(parsed.entries)
        started = time.perf_counter()
        understood = understand_all(self.understander, fresh, language)
        metrics.classified(started)  # here only: a pool worker's registry is never scraped
        return parsed, fresh, understood

    def _broken(self) -> None:
        # A worker died (out of memory, killed): finish the cycle in this process, fail no feed.
        if self._pool is not None:
            log.warning("worker pool broke; continuing in the main process")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
