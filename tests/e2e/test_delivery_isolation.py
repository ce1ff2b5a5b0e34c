"""The delivery loop isolates each output: whatever one raises is a counted, retried attempt in
one log line, and the outputs after it still get their alerts (a fake of Radar's Output port)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.chat.replies import Coverage
from bot.core.models import Alert, Destination
from tests.conftest import read_alerts
from tests.feeds import ARC, META_HIRE, Item, recent, rss
from tests.feedserver import FeedServer


class Broken:
    """An output with a bug: every send raises something that is not a DeliveryError."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.sends = 0

    @property
    def destination(self) -> Destination:
        return Destination("broken", frozenset({"talent_war", "agi"}))

    async def send(self, alert: Alert) -> str | None:
        self.sends += 1
        raise self.error

    async def send_followup(
        self, alert: Alert, parent_ref: str, coverage: Coverage | None
    ) -> str | None:
        raise self.error

    async def aclose(self) -> None:
        return None


def rows(tmp_path: Path, destination: str) -> list[dict[str, Any]]:
    with sqlite3.connect(tmp_path / "radar.db") as db:
        db.row_factory = sqlite3.Row
        found = db.execute(
            "SELECT status, attempts, last_error FROM deliveries WHERE destination = ?",
            (destination,),
        ).fetchall()
    return [dict(r) for r in found]


@pytest.mark.parametrize(
    "error",
    [
        AttributeError("'str' object has no attribute 'get'"),
        ValueError("two\nlines"),
        KeyError("ts"),
    ],
)
async def test_an_output_that_raises_anything_costs_only_its_own_alerts(
    feed_server: FeedServer,
    radar_factory: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    error: BaseException,
) -> None:
    items = [Item(i.title, i.link, i.description, published=recent()) for i in (META_HIRE, ARC)]
    feed_server.add("/wire.xml", body=rss(items))
    radar = radar_factory([feed_server.url("/wire.xml")])
    broken = Broken(error)
    # The broken output comes first, so its rows are tried before the JSONL file's.
    radar.outputs = {"broken": broken, **radar.outputs}
    await radar.poll()

    assert await radar.deliver() == 2
    assert broken.sends == 2
    assert len(read_alerts(tmp_path / "alerts.jsonl")) == 2
    for row in rows(tmp_path, "broken"):
        assert (row["status"], row["attempts"]) == ("pending", 1)  # counted, retried later
        assert row["last_error"].startswith(type(error).__name__)
        assert "\n" not in row["last_error"]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2 and not any(r.exc_info for r in warnings)  # one line per attempt


async def test_cancelling_a_delivery_still_cancels_it(
    feed_server: FeedServer, radar_factory: Any
) -> None:
    """Isolation catches errors, not cancellation: a stopping service must be able to stop."""
    items = [Item(META_HIRE.title, META_HIRE.link, META_HIRE.description, published=recent())]
    feed_server.add("/wire.xml", body=rss(items))
    radar = radar_factory([feed_server.url("/wire.xml")])
    radar.outputs = {"broken": Broken(asyncio.CancelledError()), **radar.outputs}
    await radar.poll()
    with pytest.raises(asyncio.CancelledError):
        await radar.deliver()
