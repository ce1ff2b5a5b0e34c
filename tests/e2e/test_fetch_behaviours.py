"""End to end over real HTTP and real SQLite: how Radar fetches feeds and what each behaviour leaves behind.

Every test serves feeds from the real FeedServer (or local files), runs the real Radar.poll() and
Radar.deliver(), and checks both the JSONL alerts and the database rows.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.runtime.cycle import Radar
from bot.store.repository import FeedRow
from bot.store.schema import deliveries, items, stories, verdicts
from tests.conftest import read_alerts
from tests.feeds import ARC, FOOTBALL, META_HIRE, Item, recent, rss
from tests.feedserver import FeedServer

LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"
ALT_HEADLINE = "OpenAI researchers Jason Wei and Hyung Won Chung depart for Meta"


# -- helpers --------------------------------------------------------------------------------------


def fresh(item: Item, hours: float = 1.0, **changes: Any) -> Item:
    """A copy of a sample item, published `hours` ago (recent enough to alert on a first poll)."""
    return replace(item, published=recent(hours), **changes)


def atom(entries: list[Item], title: str = "Atom test feed", lang: str = "en") -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{lang}">',
        f"<title>{escape(title)}</title><id>urn:test:atom</id>",
        f"<updated>{datetime.now(UTC).isoformat()}</updated>",
    ]
    for entry in entries:
        parts.append("<entry>")
        parts.append(f"<title>{escape(entry.title)}</title>")
        parts.append(f'<link rel="alternate" href={quoteattr(entry.link)}/>')
        parts.append(f"<id>{escape(entry.guid or entry.link)}</id>")
        if entry.description:
            parts.append(f"<summary>{escape(entry.description)}</summary>")
        if entry.published:
            parts.append(f"<published>{entry.published.isoformat()}</published>")
        parts.append("</entry>")
    parts.append("</feed>")
    return "\n".join(parts).encode("utf-8")


def feed_of(radar: Radar, url: str) -> FeedRow:
    row = radar.store.feed_by_url(url)
    assert row is not None, f"no feed row for {url}"
    return row


def alert_titles(tmp_path: Path) -> list[str]:
    return [a["title"] for a in read_alerts(tmp_path / "alerts.jsonl")]


def item_rows(radar: Radar, feed_id: int | None = None) -> list[Any]:
    query = select(items).order_by(items.c.id)
    if feed_id is not None:
        query = query.where(items.c.feed_id == feed_id)
    with radar.store.engine.connect() as conn:
        return list(conn.execute(query))


def count(radar: Radar, table: Any) -> int:
    with radar.store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def near(actual: datetime | None, expected: datetime, slack: float = 5.0) -> bool:
    assert actual is not None
    return abs((actual - expected).total_seconds()) <= slack


class StreamingFeedServer(FeedServer):
    """The FeedServer, plus paths answered with chunked transfer encoding (no Content-Length)."""

    def __init__(self) -> None:
        super().__init__()
        self.chunked: set[str] = set()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        route = self.routes.get(request.path)
        if route is None or request.path not in self.chunked:
            return await super()._handle(request)
        route.hits += 1
        route.user_agents.append(request.headers.get("User-Agent", ""))
        resp = web.StreamResponse(
            status=200, headers={"Content-Type": "application/rss+xml; charset=utf-8"}
        )
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        try:
            for start in range(0, len(route.body), 4096):
                await resp.write(route.body[start : start + 4096])
            await resp.write_eof()
        except (ConnectionError, RuntimeError):
            pass  # the client hung up once it had seen enough
        return resp


@pytest.fixture
def streaming_server() -> Iterator[StreamingFeedServer]:
    server = StreamingFeedServer().start()
    try:
        yield server
    finally:
        server.stop()


# -- 1. conditional GET -----------------------------------------------------------------------


@pytest.mark.parametrize("validator", ["etag", "last_modified"])
async def test_conditional_get_gets_304_and_stores_nothing_new(
    validator: str, feed_server: FeedServer, radar_factory: Any, tmp_path: Path
) -> None:
    validators = {"etag": '"v1"'} if validator == "etag" else {"last_modified": LAST_MODIFIED}
    route = feed_server.add(
        "/cond.xml", body=rss([fresh(META_HIRE), fresh(FOOTBALL)]), **validators
    )
    url = feed_server.url("/cond.xml")
    radar = radar_factory([url])

    first = await radar.poll()
    assert await radar.deliver() == 1
    assert (first.polled, first.new_items, first.not_modified, first.failed) == (1, 2, 0, 0)
    assert route.conditional_hits == 0
    feed = feed_of(radar, url)
    if validator == "etag":
        assert (feed.etag, feed.last_modified) == ('"v1"', None)
    else:
        assert (feed.etag, feed.last_modified) == (None, LAST_MODIFIED)

    second = await radar.poll(radar.store.list_feeds())
    assert await radar.deliver() == 0

    # The server only answers 304 when the exact validator came back in the right header.
    assert (route.hits, route.conditional_hits) == (2, 1)
    assert second.not_modified == 1
    assert (second.polled, second.new_items, second.alerts, second.failed) == (0, 0, 0, 0)
    assert alert_titles(tmp_path) == [META_HIRE.title]
    assert count(radar, items) == 2
    assert count(radar, deliveries) == 1
    after = feed_of(radar, url)
    assert after.error_count == 0 and after.last_error is None
    assert (after.etag, after.last_modified) == (feed.etag, feed.last_modified)
    assert after.last_ok_at is not None and feed.last_ok_at is not None
    assert after.last_ok_at > feed.last_ok_at


# -- 2. gzip ------------------------------------------------------------------------------------


async def test_gzip_encoded_body_is_accepted(
    feed_server: FeedServer, radar_factory: Any, tmp_path: Path
) -> None:
    # Compressed on request (Accept-Encoding: gzip) and compressed whatever the request said.
    negotiated = feed_server.add("/gz.xml", body=rss([fresh(META_HIRE)]), gzip=True)
    always = feed_server.add(
        "/always-gz.xml",
        body=gzip.compress(rss([fresh(ARC)])),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"},
    )
    urls = [feed_server.url("/gz.xml"), feed_server.url("/always-gz.xml")]
    radar = radar_factory(urls)

    report = await radar.poll()
    await radar.deliver()

    assert (report.polled, report.failed, report.new_items) == (2, 0, 2)
    assert negotiated.hits == always.hits == 1
    assert sorted(alert_titles(tmp_path)) == sorted([META_HIRE.title, ARC.title])
    assert [r.title for r in item_rows(radar, feed_of(radar, urls[0]).id)] == [META_HIRE.title]
    assert [r.title for r in item_rows(radar, feed_of(radar, urls[1]).id)] == [ARC.title]
    for url in urls:
        assert feed_of(radar, url).last_error is None


# -- 3. redirects -------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "permanent"), [(301, True), (308, True), (302, False)])
async def test_redirects_update_fetch_url_only_when_permanent(
    status: int, permanent: bool, feed_server: FeedServer, radar_factory: Any, tmp_path: Path
) -> None:
    old_url, new_url = feed_server.url("/old.xml"), feed_server.url("/new.xml")
    old = feed_server.add("/old.xml", status=status, location=new_url)
    new = feed_server.add("/new.xml", body=rss([fresh(META_HIRE)]))
    radar = radar_factory([old_url])

    report = await radar.poll()
    await radar.deliver()

    assert (report.polled, report.failed, report.new_items) == (1, 0, 1)
    assert alert_titles(tmp_path) == [META_HIRE.title]
    assert (old.hits, new.hits) == (1, 1)
    feed = feed_of(radar, old_url)
    assert feed.url == old_url  # the feed's identity never changes
    assert feed.fetch_url == (new_url if permanent else old_url)

    second = await radar.poll(radar.store.list_feeds())
    assert (second.polled, second.failed, second.new_items) == (1, 0, 0)
    if permanent:
        assert (old.hits, new.hits) == (1, 2)  # straight to the new address
    else:
        assert (old.hits, new.hits) == (2, 2)  # a temporary redirect is asked again each time
    assert feed_of(radar, old_url).fetch_url == (new_url if permanent else old_url)
    assert await radar.deliver() == 0
    assert count(radar, items) == 1


# -- 4. 410 Gone --------------------------------------------------------------------------------


async def test_410_disables_the_feed_with_a_visible_reason(
    feed_server: FeedServer, radar_factory: Any, tmp_path: Path
) -> None:
    gone = feed_server.add("/gone.xml", status=410, body=b"gone")
    feed_server.add("/alive.xml", body=rss([fresh(ARC)]))
    gone_url, alive_url = feed_server.url("/gone.xml"), feed_server.url("/alive.xml")
    radar = radar_factory([gone_url, alive_url])

    report = await radar.poll()
    await radar.deliver()

    assert (report.polled, report.failed) == (1, 1)
    assert gone_url in report.errors
    feed = feed_of(radar, gone_url)
    assert feed.disabled_reason is not None and "410" in feed.disabled_reason
    assert feed.error_count == 1
    assert alert_titles(tmp_path) == [ARC.title]
    far_future = datetime.now(UTC) + timedelta(days=3650)
    due = [f.url for f in radar.store.due_feeds(far_future)]
    assert due == [alive_url]
    assert [f.url for f in radar.store.list_feeds(include_disabled=False)] == [alive_url]

    await radar.poll()  # a default (due-only) cycle no longer asks the dead feed
    assert gone.hits == 1


# -- 5. Retry-After ------------------------------------------------------------------------------


async def test_retry_after_is_honoured_for_that_feed_alone(
    feed_server: FeedServer, radar_factory: Any, tmp_path: Path
) -> None:
    retry_at = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    feed_server.add("/busy.xml", status=429, headers={"Retry-After": "7200"})
    feed_server.add(
        "/down.xml", status=503, headers={"Retry-After": format_datetime(retry_at, usegmt=True)}
    )
    feed_server.add("/fine.xml", body=rss([fresh(META_HIRE)]))
    busy, down, fine = (feed_server.url(p) for p in ("/busy.xml", "/down.xml", "/fine.xml"))
    radar = radar_factory([busy, down, fine])

    before = datetime.now(UTC)
    report = await radar.poll()
    after = datetime.now(UTC)
    await radar.deliver()

    assert (report.polled, report.failed) == (1, 2)
    throttled = feed_of(radar, busy)
    assert throttled.error_count == 1
    assert throttled.last_error is not None and "429" in throttled.last_error
    assert throttled.next_poll_at is not None
    assert before + timedelta(seconds=7200 - 5) <= throttled.next_poll_at
    assert throttled.next_poll_at <= after + timedelta(seconds=7200 + 5)

    unavailable = feed_of(radar, down)
    assert unavailable.error_count == 1
    assert unavailable.last_error is not None and "503" in unavailable.last_error
    assert near(unavailable.next_poll_at, retry_at)

    ok = feed_of(radar, fine)
    assert (ok.error_count, ok.last_error) == (0, None)
    assert ok.next_poll_at is not None and ok.next_poll_at < before + timedelta(hours=1)
    assert alert_titles(tmp_path) == [META_HIRE.title]


# -- 6. exponential back-off ---------------------------------------------------------------------


async def test_failing_feed_backs_off_exponentially(
    feed_server: FeedServer, radar_factory: Any
) -> None:
    route = feed_server.add("/broken.xml", status=500, body=b"internal error")
    url = feed_server.url("/broken.xml")
    radar = radar_factory([url], poll={"interval": "60s", "jitter": "0s"})

    gaps = []
    for cycle in (1, 2, 3):
        report = await radar.poll(radar.store.list_feeds())
        assert report.failed == 1
        feed = feed_of(radar, url)
        assert feed.error_count == cycle
        assert feed.last_error is not None and "500" in feed.last_error
        assert feed.next_poll_at is not None and feed.last_polled_at is not None
        gaps.append((feed.next_poll_at - feed.last_polled_at).total_seconds())
    assert route.hits == 3
    assert gaps[0] < gaps[1] < gaps[2]
    assert gaps == pytest.approx([60, 120, 240], abs=1)

    # Once it answers again, the count and the pace return to normal.
    route.status, route.body = 200, rss([fresh(FOOTBALL)])
    await radar.poll(radar.store.list_feeds())
    healed = feed_of(radar, url)
    assert (healed.error_count, healed.last_error) == (0, None)
    assert healed.next_poll_at is not None and healed.last_polled_at is not None
    assert (healed.next_poll_at - healed.last_polled_at).total_seconds() == pytest.approx(60, abs=1)


# -- 7. timeouts --------------------------------------------------------------------------------


async def test_slow_feed_times_out_without_holding_up_the_others(
    feed_server: FeedServer, radar_factory: Any, tmp_path: Path
) -> None:
    feed_server.add("/slow.xml", body=rss([fresh(ARC)]), delay=3)
    feed_server.add("/fast.xml", body=rss([fresh(META_HIRE)]))
    slow, fast = feed_server.url("/slow.xml"), feed_server.url("/fast.xml")
    radar = radar_factory([slow, fast], poll={"timeout": "1s"})

    started = time.monotonic()
    report = await radar.poll()
    elapsed = time.monotonic() - started
    await radar.deliver()

    assert elapsed < 2.5, f"the cycle waited {elapsed:.1f}s for a feed with a 1s timeout"
    assert (report.polled, report.failed) == (1, 1)
    timed_out = feed_of(radar, slow)
    assert timed_out.error_count == 1
    assert timed_out.last_error is not None and "timed out" in timed_out.last_error
    assert item_rows(radar, timed_out.id) == []
    assert feed_of(radar, fast).error_count == 0
    assert alert_titles(tmp_path) == [META_HIRE.title]


# -- 8. body size limit -------------------------------------------------------------------------


def big_feed() -> bytes:
    filler = [
        Item(
            f"Regional council minutes, session {n}",
            f"https://minutes.example/{n}",
            "The council approved the budget lines for parks, roads and libraries. " * 6,
            published=recent(2),
        )
        for n in range(120)
    ]
    body = rss([fresh(META_HIRE), *filler])
    assert len(body) > 50 * 1024
    return body


@pytest.mark.parametrize("framing", ["content-length", "chunked", "gzip"])
async def test_oversized_body_is_refused_as_that_feeds_error(
    framing: str, streaming_server: StreamingFeedServer, radar_factory: Any, tmp_path: Path
) -> None:
    body = big_feed()
    if framing == "gzip":  # a small Content-Length that inflates past the limit
        assert len(gzip.compress(body)) < 10 * 1024
    streaming_server.add("/huge.xml", body=body, gzip=framing == "gzip")
    if framing == "chunked":
        streaming_server.chunked.add("/huge.xml")
    streaming_server.add("/small.xml", body=rss([fresh(ARC)]))
    huge, small = streaming_server.url("/huge.xml"), streaming_server.url("/small.xml")
    radar = radar_factory([huge, small], poll={"max_body": "10KB"})

    report = await radar.poll()
    await radar.deliver()

    assert (report.polled, report.failed) == (1, 1)
    refused = feed_of(radar, huge)
    assert refused.error_count == 1
    assert refused.last_error is not None and "larger than" in refused.last_error
    assert item_rows(radar, refused.id) == []
    assert feed_of(radar, small).error_count == 0
    assert alert_titles(tmp_path) == [ARC.title]


# -- 9. malformed XML and non-feeds ---------------------------------------------------------------


def sloppy_rss() -> bytes:
    """RSS a careless CMS writes: a bare ampersand and an unclosed tag; feedparser can recover it."""
    meta, arc = fresh(META_HIRE), fresh(ARC)
    assert meta.published is not None and arc.published is not None
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Sloppy News & Views</title><language>en</language>
<item><title>{meta.title}</title><link>{meta.link}</link>
<description>{meta.description} <b>Exclusive</description>
<pubDate>{format_datetime(meta.published)}</pubDate></item>
<item><title>{arc.title}</title><link>{arc.link}</link>
<description>{arc.description} Research & development continues.</description>
<pubDate>{format_datetime(arc.published)}</pubDate></item>
</channel></rss>""".encode()


async def test_malformed_xml_is_recovered_and_non_feeds_fail_alone(
    feed_server: FeedServer, radar_factory: Any, tmp_path: Path
) -> None:
    feed_server.add("/sloppy.xml", body=sloppy_rss())
    feed_server.add(
        "/page.html",
        body=b"<html><body>hello</body></html>",
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    feed_server.add(
        "/noise.bin",
        body=bytes(range(1, 256)) * 8,
        headers={"Content-Type": "application/octet-stream"},
    )
    feed_server.add("/clean.xml", body=rss([fresh(FOOTBALL)]))
    sloppy, page, noise, clean = (
        feed_server.url(p) for p in ("/sloppy.xml", "/page.html", "/noise.bin", "/clean.xml")
    )
    radar = radar_factory([sloppy, page, noise, clean])

    report = await radar.poll()
    await radar.deliver()

    assert (report.polled, report.failed) == (2, 2)
    assert set(report.errors) == {page, noise}
    recovered = feed_of(radar, sloppy)
    assert recovered.error_count == 0
    assert recovered.last_error is not None and "malformed" in recovered.last_error  # a warning
    titles = [r.title for r in item_rows(radar, recovered.id)]
    assert titles == [META_HIRE.title, ARC.title]
    assert sorted(alert_titles(tmp_path)) == sorted([META_HIRE.title, ARC.title])
    for url in (page, noise):
        broken = feed_of(radar, url)
        assert broken.error_count == 1
        assert broken.last_error
        assert broken.disabled_reason is None
        assert item_rows(radar, broken.id) == []
    healthy = feed_of(radar, clean)
    assert (healthy.error_count, healthy.last_error) == (0, None)
    assert [r.title for r in item_rows(radar, healthy.id)] == [FOOTBALL.title]


# -- 10. ISO-8859-1 -----------------------------------------------------------------------------

FR_DECLARED = Item(
    title="Mistral AI recrute à Paris : l'équipe française reçoit un chercheur de renom",
    link="https://numerique.example/mistral-recrute",
    description="Le laboratoire français a embauché un scientifique réputé, déjà très sollicité.",
    guid="fr-declared-1",
)
FR_HTTP = Item(
    title="Leçons d'été : à quoi ressemblera l'IA générale, selon les chercheurs français",
    link="https://numerique.example/lecons-ete",
    description="Ça progresse : les modèles déçoivent moins qu'en début d'année.",
    guid="fr-http-1",
)


async def test_latin1_feeds_decode_correctly(feed_server: FeedServer, radar_factory: Any) -> None:
    declared = rss([fresh(FR_DECLARED)], title="Numérique", language="fr", encoding="ISO-8859-1")
    assert b"\xe0 Paris" in declared  # real latin-1 bytes, not UTF-8
    feed_server.add("/declared.xml", body=declared, headers={"Content-Type": "application/rss+xml"})
    http_only = rss([fresh(FR_HTTP)], title="Numérique", language="fr", encoding="ISO-8859-1")
    http_only = http_only.replace(
        b'<?xml version="1.0" encoding="ISO-8859-1"?>', b'<?xml version="1.0"?>'
    )
    assert b"encoding=" not in http_only and b"\xe7" in http_only
    feed_server.add(
        "/http-charset.xml",
        body=http_only,
        headers={"Content-Type": "application/rss+xml; charset=ISO-8859-1"},
    )
    urls = [feed_server.url("/declared.xml"), feed_server.url("/http-charset.xml")]
    radar = radar_factory(urls)

    report = await radar.poll()

    assert (report.polled, report.failed) == (2, 0)
    for url, expected in zip(urls, (FR_DECLARED, FR_HTTP), strict=True):
        feed = feed_of(radar, url)
        [row] = item_rows(radar, feed.id)
        assert row.title == expected.title
        assert row.text == expected.description
        assert feed.name == "Numérique"


# -- 11. the same story from several outlets -------------------------------------------------------


async def test_aggregator_copy_and_other_outlet_join_one_story(
    feed_server: FeedServer, radar_factory: Any, tmp_path: Path
) -> None:
    original = fresh(META_HIRE, link="https://news.example/x", guid="news-example-x")
    copy = fresh(
        META_HIRE,
        link="https://news.example/x?utm_source=agg&utm_medium=rss&fbclid=123#top",
        guid="aggregator-item-98765",
    )
    other = fresh(
        Item(
            ALT_HEADLINE,
            "https://other.example/2026/wei-chung-meta",
            "The two researchers are leaving OpenAI to join Meta Superintelligence Labs.",
        )
    )
    feed_server.add("/outlet.xml", body=rss([original], title="News Example"))
    feed_server.add("/aggregator.xml", body=rss([copy], title="Aggregator"))
    other_route = feed_server.add("/other.xml", body=rss([], title="Other Outlet"))
    urls = [feed_server.url(p) for p in ("/outlet.xml", "/aggregator.xml", "/other.xml")]
    radar = radar_factory(urls)

    first = await radar.poll()
    await radar.deliver()

    assert (first.polled, first.new_items) == (3, 2)
    assert alert_titles(tmp_path) == [META_HIRE.title]
    flagged = select(stories).where(stories.c.flagged.is_(True))
    with radar.store.engine.connect() as conn:
        [story] = list(conn.execute(flagged))
    assert story.item_count == 2
    assert {r.story_id for r in item_rows(radar)} == {story.id}

    # Next cycle: another outlet covers the same move under another headline.
    other_route.body = rss([other], title="Other Outlet")
    second = await radar.poll(radar.store.list_feeds())
    await radar.deliver()

    assert second.new_items == 1
    assert len(read_alerts(tmp_path / "alerts.jsonl")) == 1
    assert count(radar, deliveries) == 1
    with radar.store.engine.connect() as conn:
        assert len(list(conn.execute(flagged))) == 1
    joined = radar.store.story(story.id)
    assert joined is not None
    assert joined.item_count == 3
    assert "https://news.example/x" in joined.links
    assert "https://other.example/2026/wei-chung-meta" in joined.links
    assert {r.story_id for r in item_rows(radar)} == {story.id}


# -- 12. GUIDs already seen ----------------------------------------------------------------------


async def test_known_guids_do_not_alert_again(
    feed_server: FeedServer, radar_factory: Any, tmp_path: Path
) -> None:
    meta = fresh(META_HIRE, guid="post-1")
    football = fresh(FOOTBALL, guid="post-2")
    arc = fresh(ARC, guid="post-3")
    route = feed_server.add("/blog.xml", body=rss([meta, football]))  # no ETag, no Last-Modified
    url = feed_server.url("/blog.xml")
    radar = radar_factory([url])

    first = await radar.poll()
    await radar.deliver()
    assert first.new_items == 2
    assert alert_titles(tmp_path) == [META_HIRE.title]

    route.body = rss([arc, football, meta])  # newest first now, plus one new post
    second = await radar.poll(radar.store.list_feeds())
    await radar.deliver()

    assert route.hits == 2 and route.conditional_hits == 0
    assert (second.polled, second.new_items) == (1, 1)
    assert alert_titles(tmp_path) == [META_HIRE.title, ARC.title]
    assert [r.guid for r in item_rows(radar)] == ["post-1", "post-2", "post-3"]
    assert count(radar, deliveries) == 2


# -- 13. first-poll backlog -----------------------------------------------------------------------


@pytest.mark.parametrize("window", [None, "7d"])
async def test_first_poll_backlog_only_alerts_recent_items(
    window: str | None, feed_server: FeedServer, radar_factory: Any, tmp_path: Path
) -> None:
    old = fresh(META_HIRE, hours=72)
    new = fresh(ARC, hours=1)
    feed_server.add("/backlog.xml", body=rss([old, new]))
    url = feed_server.url("/backlog.xml")
    radar = radar_factory([url], poll={"first_poll_window": window} if window else {})

    report = await radar.poll()
    await radar.deliver()

    assert report.new_items == 2
    expected = {ARC.title} if window is None else {META_HIRE.title, ARC.title}
    assert set(alert_titles(tmp_path)) == expected
    # The old item is stored and judged either way; only its alert depends on the window.
    [old_row] = [r for r in item_rows(radar) if r.title == META_HIRE.title]
    with radar.store.engine.connect() as conn:
        judged = {
            v.topic: v.flagged
            for v in conn.execute(select(verdicts).where(verdicts.c.item_id == old_row.id))
        }
        story = conn.execute(select(stories).where(stories.c.id == old_row.story_id)).one()
    assert judged.get("talent_war") is True
    assert story.flagged
    assert bool(story.alertable) is (window is not None)


# -- 14. local files ------------------------------------------------------------------------------


async def test_local_file_sources_are_polled(radar_factory: Any, tmp_path: Path) -> None:
    plain = tmp_path / "feeds" / "local.xml"
    plain.parent.mkdir()
    plain.write_bytes(rss([fresh(META_HIRE)]))
    as_url = tmp_path / "feeds" / "local.atom"
    as_url.write_bytes(atom([fresh(ARC)]))
    urls = [str(plain), as_url.as_uri()]
    assert urls[1].startswith("file://")
    radar = radar_factory(urls)

    report = await radar.poll()
    await radar.deliver()

    assert (report.polled, report.failed, report.new_items) == (2, 0, 2)
    assert sorted(alert_titles(tmp_path)) == sorted([META_HIRE.title, ARC.title])
    for url in urls:
        feed = feed_of(radar, url)
        assert feed.last_ok_at is not None
        assert (feed.error_count, feed.last_error) == (0, None)
        assert len(item_rows(radar, feed.id)) == 1


# -- 15. User-Agent -------------------------------------------------------------------------------


async def test_user_agent_is_descriptive(feed_server: FeedServer, radar_factory: Any) -> None:
    route = feed_server.add("/ua.xml", body=rss([fresh(FOOTBALL)]))
    radar = radar_factory([feed_server.url("/ua.xml")])

    await radar.poll()

    assert route.user_agents, "the feed was never requested"
    agent = route.user_agents[0]
    assert agent.startswith("Radar/")
    assert "aiohttp" not in agent.lower() and "python" not in agent.lower()
