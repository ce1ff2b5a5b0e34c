"""Run a parser of untrusted bytes off the event loop, within a time limit.

Chat commands fetch and parse bodies anyone can publish; parsing one on the event loop made every
other command (and Slack's 3-second acknowledgements) wait behind it. A thread cannot be stopped,
so the limit bounds how long the caller waits, while the parsers' own caps (bot/sources/dtd.py,
the item and text bounds in parse.py) bound how long the thread runs. Two threads at most: a burst
of slow bodies queues here, inside the same time limit, instead of taking every core.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from bot.errors import FeedError

PARSE_TIMEOUT = 15.0  # seconds; chat answers slow commands later, so this is not the 3 s ack
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="radar-parse")
T = TypeVar("T")


async def off_loop(
    fn: Callable[..., T], *args: object, limit: float = PARSE_TIMEOUT, what: str = "parsing"
) -> T:
    """fn(*args) in a worker thread; FeedError when it takes longer than `limit` seconds."""
    loop = asyncio.get_running_loop()
    work = loop.run_in_executor(_POOL, functools.partial(fn, *args))
    try:
        return await asyncio.wait_for(work, limit)
    except TimeoutError:
        raise FeedError(f"{what} took longer than {limit:g} s; Radar gave up") from None
