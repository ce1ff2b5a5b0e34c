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
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bot.core.classify import Classifier, LinearModel
from bot.core.models import Entry, ParsedFeed, Understanding
from bot.core.understand import Understander
from bot.sources.parse import parse_feed

MIN_FEEDS_FOR_POOL = 16
log = logging.getLogger("radar.workers")
_worker: Understander | None = None


def _init(model_path: str | None, thresholds: dict[str, float | None]) -> None:
    global _worker
    model = LinearModel.load(Path(model_path)) if model_path else LinearModel.load()
    _worker = Understander(Classifier(model, thresholds))


def _understand_all(
    understander: Understander, entries: Sequence[Entry], language: str | None
) -> list[Understanding]:
    return [understander.understand(e.title, e.text, language or e.language) for e in entries]


def _understand_in_worker(entries: Sequence[Entry], language: str | None) -> list[Understanding]:
    assert _worker is not None, "worker not initialised"
    return _understand_all(_worker, entries, language)


class CpuStages:
    """parse() and understand() run in a process pool when one is open, inline otherwise."""

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

    async def parse(
        self, body: bytes, content_type: str | None, url: str, language: str | None
    ) -> ParsedFeed:
        if self._pool is None:
            return parse_feed(body, content_type, url, language)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, parse_feed, body, content_type, url, language)

    async def understand(
        self, entries: Sequence[Entry], language: str | None
    ) -> list[Understanding]:
        if self._pool is None or len(entries) < 4:
            return _understand_all(self.understander, entries, language)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, _understand_in_worker, list(entries), language
        )
