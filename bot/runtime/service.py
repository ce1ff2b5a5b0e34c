"""`radar run`: one event loop for the scheduler and the chat apps, stopped by SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from bot.app import build
from bot.errors import ConfigError
from bot.runtime.cycle import Radar
from bot.runtime.ops_server import OpsServer, start_ops
from bot.runtime.scheduler import FeedScheduler
from bot.settings import Settings

log = logging.getLogger("radar.service")

# A chat platform that cannot be reached at start (a 5xx, a network fault) is tried again after
# these many seconds, doubling up to the ceiling, while polling and the other outputs run.
CHAT_RETRY_FIRST = 2.0
CHAT_RETRY_MOST = 300.0
# How long a signal waits for the cycle in flight and for the outputs to close: past it, Radar
# stops anyway (the outbox lease and the next start make an interrupted delivery whole).
SHUTDOWN_GRACE = 10.0


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
    # Chat connections start in the background: polling and the other outputs never wait on
    # them, and a signal stops the service even while one is still connecting.
    chat = start_chat(radar)
    ops: OpsServer | None = None
    try:
        ops = await start_ops(
            settings.metrics, radar.store, lambda: scheduler.scheduler.running, radar.clock
        )
        start = asyncio.create_task(scheduler.start())
        stopping = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({start, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if start in done:
            start.result()
            log.info(
                "Radar running; polling every %ss by default. Ctrl-C to stop.",
                int(settings.poll.interval),
            )
            await stopping
        else:
            start.cancel()
            stopping.cancel()
        log.info("Radar stopping…")
    finally:
        for task in chat:
            task.cancel()
        await asyncio.gather(*chat, return_exceptions=True)
        if ops is not None:
            await ops.aclose()
        deadline = loop.time() + SHUTDOWN_GRACE  # one grace for the whole shutdown
        await _within(scheduler.shutdown(), deadline, "the poll cycle in flight")
        await _within(radar.aclose(), deadline, "the outputs to close")
        radar.store.close()
        log.info("Radar stopped")


async def _within(step: Awaitable[None], deadline: float, what: str) -> None:
    try:
        await asyncio.wait_for(step, max(0.1, deadline - asyncio.get_running_loop().time()))
    except TimeoutError:
        log.warning("stopping without waiting longer for %s", what)


def start_chat(radar: Radar) -> list[asyncio.Task[None]]:
    """Start the interactive chat apps whose tokens are set, each in a task of its own. A
    platform that cannot start is logged in one line: a refused token once (its alerts wait in
    the outbox), a passing fault on each retry. Polling and the other outputs keep running."""
    chat = radar.chat
    if chat is None:
        return []
    from bot.chat.handlers import Handlers

    handlers = Handlers(radar, radar.stages.understander)
    tasks: list[asyncio.Task[None]] = []
    slack, discord = chat.slack, chat.discord
    if slack is not None:
        secrets = chat.secrets
        if secrets.slack_signing_secret is None and secrets.slack_app_token is None:
            log.warning(
                "Slack: posting alerts only; set SLACK_SIGNING_SECRET (HTTP mode) or "
                "SLACK_APP_TOKEN (Socket Mode) for /radar commands"
            )
        else:
            start = keep_starting("Slack app", lambda: slack.start(handlers))
            tasks.append(asyncio.create_task(start, name="radar-slack-start"))
    if discord is not None:
        start = keep_starting("Discord bot", lambda: discord.start(handlers))
        tasks.append(asyncio.create_task(start, name="radar-discord-start"))
    return tasks


async def keep_starting(
    name: str,
    start: Callable[[], Awaitable[None]],
    first: float = CHAT_RETRY_FIRST,
    most: float = CHAT_RETRY_MOST,
) -> None:
    """Run `start` until it works; a ConfigError (a refused token) ends the attempts."""
    delay = first
    while True:
        try:
            await start()
            return
        except ConfigError as exc:
            if not getattr(exc, "already_logged", False):  # e.g. Discord's refused token
                log.error("%s not started: %s", name, exc)
            return
        except Exception as exc:  # a 5xx, a network fault, a library's surprise: try later
            said = " ".join(str(exc).split())[:200] or type(exc).__name__
            log.warning("%s not started yet: %s; trying again in %.0f s", name, said, delay)
            await asyncio.sleep(delay)
            delay = min(most, delay * 2)
