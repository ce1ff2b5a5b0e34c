"""Helpers for looking into JSON payloads that chat stand-ins recorded, and for waiting on them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


def strings(payload: Any) -> list[str]:
    """Every string in a JSON payload, however deeply nested."""
    if isinstance(payload, str):
        return [payload]
    if isinstance(payload, dict):
        return [s for v in payload.values() for s in strings(v)]
    if isinstance(payload, list):
        return [s for v in payload for s in strings(v)]
    return []


async def until(check: Callable[[], Any], within: float = 10.0) -> Any:
    """Wait for a background answer (a response_url post, an ack): polls against a deadline."""
    deadline = time.monotonic() + within
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
    return result
