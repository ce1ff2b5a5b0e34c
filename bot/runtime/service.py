"""`radar run`: one event loop for the scheduler (and later the chat apps), stopped by SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.app import build
from bot.errors import ConfigError
from bot.runtime.cycle import Radar
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
        await start_chat(radar)
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


async def start_chat(radar: Radar) -> None:
    """Start the interactive chat apps whose tokens are set. A platform that cannot start (a bad
    token) is logged once and left out: polling and the other outputs keep running, and its
    alerts wait in the outbox."""
    chat = radar.chat
    if chat is None:
        return
    from bot.chat.handlers import Handlers

    handlers = Handlers(radar, radar.stages.understander)
    if chat.slack is not None:
        secrets = chat.secrets
        if secrets.slack_signing_secret is None and secrets.slack_app_token is None:
            log.warning(
                "Slack: posting alerts only; set SLACK_SIGNING_SECRET (HTTP mode) or "
                "SLACK_APP_TOKEN (Socket Mode) for /radar commands"
            )
        else:
            try:
                await chat.slack.start(handlers)
            except (ConfigError, OSError) as exc:
                log.error("Slack app not started: %s", exc)
    if chat.discord is not None:
        try:
            await chat.discord.start(handlers)
        except (ConfigError, OSError) as exc:
            log.error("Discord bot not started: %s", exc)
        except Exception as exc:  # discord.HTTPException and kin: one line, the service runs on
            log.error("Discord bot not started: %s: %s", type(exc).__name__, exc)
