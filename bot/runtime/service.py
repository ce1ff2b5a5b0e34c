"""`radar run`: one event loop for the scheduler (and later the chat apps), stopped by SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.app import build
from bot.runtime.scheduler import FeedScheduler
from bot.settings import Settings

log = logging.getLogger("radar.service")


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    radar = build(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(
            NotImplementedError, RuntimeError
        ):  # not the main thread, or not POSIX
            loop.add_signal_handler(sig, stop.set)
    feeds = radar.store.list_feeds(include_disabled=False)
    outputs = ", ".join(radar.outputs) or "none"
    log.info("Radar starting: %d feeds, outputs: %s", len(feeds), outputs)
    scheduler = FeedScheduler(radar)
    try:
        start = asyncio.create_task(scheduler.start())
        done, _ = await asyncio.wait(
            {start, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED
        )
        if start in done:
            start.result()
            log.info(
                "Radar running; polling every %ss by default. Ctrl-C to stop.",
                int(settings.poll.interval),
            )
            await stop.wait()
        else:
            start.cancel()
        log.info("Radar stopping…")
    finally:
        await scheduler.shutdown()
        await radar.aclose()
        radar.store.close()
        log.info("Radar stopped")
