"""Hostile feeds through the real poll cycle and the real /radar feeds add handler.

A feed that cannot be read is a clean, recorded FeedError on that feed (never "internal error"), and
parsing a body from chat never holds up the event loop that answers every other command.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.chat.commands import parse_command
from bot.chat.handlers import Handlers
from bot.chat.replies import Caller, Reply
from bot.runtime.cycle import Radar
from bot.sources.parse import parse_feed
from tests.feeds import ARC, Item, recent, rss
from tests.feedserver import FeedServer

ADMIN = Caller("discord", "G1", "42", "U9", may_manage_feeds=True)
DEEP_JSON = b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 100_000
LONG_ID = (
    b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": ' + b"7" * 4_301 + b"}]}"
)
BLOW_UP = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e "' + b"A" * 1000 + b'">]>'
    b'<rss version="2.0"><channel><title>Boom</title><item><title>x</title>'
    b"<link>https://a.example/1</link><description>" + b"&e;" * 1_000_000 + b"</description>"
    b"</item></channel></rss>"
)


def text_of(reply: Reply) -> str:
    return "\n".join([reply.title, *reply.paragraphs])


async def test_hostile_feeds_fail_cleanly_in_a_poll(
    radar_factory: Any, feed_server: FeedServer
) -> None:
    json_type = {"Content-Type": "application/feed+json"}
    feed_server.add("/deep.json", body=DEEP_JSON, headers=json_type)
    feed_server.add("/long.json", body=LONG_ID, headers=json_type)
    feed_server.add("/boom.xml", body=BLOW_UP)
    feed_server.add("/good.xml", body=rss([Item(ARC.title, ARC.link, published=recent())]))
    urls = {name: feed_server.url(f"/{name}") for name in ("deep.json", "long.json", "boom.xml")}
    radar: Radar = radar_factory([*urls.values(), feed_server.url("/good.xml")])

    report = await radar.poll()

    assert (report.polled, report.failed) == (1, 3)
    assert report.errors == {
        urls["deep.json"]: "invalid JSON Feed: nested too deeply to read",
        urls["long.json"]: "invalid JSON Feed: a number too long to read",
        urls["boom.xml"]: "the feed's XML entities expand to more than 1024 KiB; "
        "Radar refuses entity blow-ups",
    }
    for url, error in report.errors.items():
        feed = radar.store.feed_by_url(url)
        assert feed is not None and (feed.last_error, feed.error_count) == (error, 1)


async def test_feeds_add_answers_why_a_hostile_feed_is_refused(
    radar_factory: Any, feed_server: FeedServer
) -> None:
    feed_server.add("/deep.json", body=DEEP_JSON, headers={"Content-Type": "application/json"})
    feed_server.add("/boom.xml", body=BLOW_UP)
    radar: Radar = radar_factory([])
    handlers = Handlers(radar, radar.stages.understander, public_only=False)

    deep = await handlers.execute(
        ADMIN, parse_command(f"feeds add {feed_server.url('/deep.json')}")
    )
    assert deep.error and "Something went wrong" not in text_of(deep)
    assert "not a feed: invalid JSON Feed: nested too deeply to read" in text_of(deep)
    boom = await handlers.execute(ADMIN, parse_command(f"feeds add {feed_server.url('/boom.xml')}"))
    assert boom.error and "entities expand to more than 1024 KiB" in text_of(boom)
    assert radar.store.list_feeds() == []


async def test_a_slow_parse_from_chat_does_not_hold_up_the_event_loop(
    radar_factory: Any, feed_server: FeedServer
) -> None:
    """A 1.3 MB feed with a (harmless) undefined entity goes to feedparser, which needs a second or
    more for it; meanwhile the loop keeps ticking, so a /radar help would be answered at once."""
    items = b"".join(
        b"<item><title>Story %d &nbsp; about things</title><link>https://a.example/%d</link>"
        b"<description>Some words &amp; more words to read</description></item>" % (i, i)
        for i in range(8_000)
    )
    body = b'<rss version="2.0"><channel><title>Slow &nbsp;</title>' + items + b"</channel></rss>"
    feed_server.add("/slow.xml", body=body)
    radar: Radar = radar_factory([])
    handlers = Handlers(radar, radar.stages.understander, public_only=False)
    gaps: list[float] = []

    async def heartbeat() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    started = time.perf_counter()
    parse_feed(body)  # how long this parse takes on this machine, on the loop, as it was before
    inline = time.perf_counter() - started
    ticker = asyncio.create_task(heartbeat())
    added = await handlers.execute(
        ADMIN, parse_command(f"feeds add {feed_server.url('/slow.xml')}")
    )
    ticker.cancel()

    assert added.title == "Feed added", text_of(added)
    # Inline, the longest loop turn was the whole parse; off the loop no turn comes close.
    assert inline > 0.3
    assert max(gaps) < inline / 2, f"longest stall {max(gaps):.2f} s, parse {inline:.2f} s"
