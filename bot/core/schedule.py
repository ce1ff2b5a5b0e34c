"""When a feed is next due: its interval with jitter, exponential back-off, or the server's Retry-After."""

from __future__ import annotations

import random
from datetime import datetime, timedelta


def next_after_success(
    now: datetime, interval: float, jitter: float, rng: random.Random
) -> datetime:
    return now + timedelta(seconds=interval + rng.uniform(0, jitter))


def next_on_schedule(
    due: datetime | None, now: datetime, interval: float, jitter: float, rng: random.Random
) -> datetime:
    """The next poll after a successful one: an interval (plus jitter) after this poll was DUE.

    Counting from when the poll finished instead would add the batching delay and the poll's own
    duration to every interval, so a feed would slip past its next turn and wait a whole extra one.
    A poll far behind its schedule (after downtime) or ahead of it (a manual poll) starts afresh."""
    on_time = due is not None and now - timedelta(seconds=interval) < due <= now
    base = due if on_time and due is not None else now
    return base + timedelta(seconds=interval + rng.uniform(0, jitter))


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
