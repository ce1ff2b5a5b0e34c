"""Parsing untrusted bodies off the event loop: results come back, slow work meets a time limit."""

from __future__ import annotations

import threading
import time

import pytest

from bot.errors import FeedError
from bot.sources.offload import off_loop


async def test_the_work_runs_in_another_thread_and_returns_its_result() -> None:
    loop_thread = threading.get_ident()
    assert await off_loop(threading.get_ident) != loop_thread
    assert await off_loop(int, "42") == 42


async def test_a_parse_over_its_time_limit_is_a_feed_error() -> None:
    with pytest.raises(FeedError, match=r"reading the page took longer than 0\.05 s"):
        await off_loop(time.sleep, 2, limit=0.05, what="reading the page")


async def test_errors_of_the_work_reach_the_caller() -> None:
    def refuse() -> None:
        raise FeedError("not a feed")

    with pytest.raises(FeedError, match="not a feed"):
        await off_loop(refuse)
