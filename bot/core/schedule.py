"""When a feed is next due: its interval with jitter, exponential back-off, or the server's Retry-After."""

from __future__ import annotations

import random
from datetime import datetime, timedelta


def next_after_success(
    now: datetime, interval: float, jitter: float, rng: random.Random
) -> datetime:
    return now + timedelta(seconds=interval + rng.uniform(0, jitter))


def backoff_delay(error_count: int, interval: float, max_backoff: float) -> float:
    """interval × 2^(n-1), capped: 1 failure waits one interval, 2 wait two, 3 wait four…"""
    exponent = max(0, min(error_count - 1, 16))
    return float(min(interval * (2**exponent), max(max_backoff, interval)))


def next_after_failure(
    now: datetime, error_count: int, interval: float, max_backoff: float, retry_after: float | None
) -> datetime:
    delay = backoff_delay(error_count, interval, max_backoff)
    if retry_after is not None:
        # The server said when; honour it, but never hammer faster than our own back-off floor.
        delay = max(retry_after, min(delay, interval))
    return now + timedelta(seconds=delay)


def is_due(next_poll_at: datetime | None, now: datetime) -> bool:
    return next_poll_at is None or next_poll_at <= now
