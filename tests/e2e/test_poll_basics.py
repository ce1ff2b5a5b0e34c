"""End to end over real HTTP: flagged stories become one JSONL alert each; a second poll gets 304s."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.store.schema import deliveries, feeds, items, stories
from tests.conftest import read_alerts
from tests.feeds import AGI_TAX, ARC, FOOTBALL, META_HIRE, PRODUCT, Item, recent, rss


async def test_flagged_stories_alert_once_and_304_after(
    feed_server, radar_factory, tmp_path: Path
) -> None:
    items_ = [
        Item(i.title, i.link, i.description, published=recent())
        for i in (META_HIRE, FOOTBALL, AGI_TAX, PRODUCT, ARC)
    ]
    route = feed_server.add("/en-0.xml", body=rss(items_), etag='"v1"')
    radar = radar_factory([feed_server.url("/en-0.xml")])

    report = await radar.poll()
    sent = await radar.deliver()

    assert (report.polled, report.new_items, report.failed) == (1, 5, 0)
    alerts = read_alerts(tmp_path / "alerts.jsonl")
    titles = {a["title"]: a for a in alerts}
    assert set(titles) == {META_HIRE.title, ARC.title}
    assert sent == 2
    meta = titles[META_HIRE.title]
    assert set(meta["topics"]) == {"talent_war", "agi"}
    assert meta["move"]["people"] == ["Jason Wei", "Hyung Won Chung"]
    assert (meta["move"]["from"], meta["move"]["to"]) == ("OpenAI", "Meta")
    for key in (
        "story_id",
        "url",
        "title",
        "topics",
        "scores",
        "summary",
        "source",
        "published",
        "language",
        "also",
    ):
        assert key in meta
    assert len(meta["summary"]) <= 280
    assert "Radar/" in route.user_agents[0]

    # Second poll: a conditional request, a 304, nothing new anywhere.
    radar.store.engine.dispose()
    feed = radar.store.list_feeds()[0]
    assert feed.etag == '"v1"'
    report2 = await radar.poll(radar.store.list_feeds())
    assert await radar.deliver() == 0
    assert (report2.not_modified, report2.new_items) == (1, 0)
    assert route.conditional_hits == 1
    assert len(read_alerts(tmp_path / "alerts.jsonl")) == 2
    with radar.store.engine.connect() as conn:
        assert conn.execute(select(items.c.id)).all().__len__() == 5
        assert len(conn.execute(select(deliveries.c.id)).all()) == 2
        assert len(conn.execute(select(stories.c.id).where(stories.c.flagged.is_(True))).all()) == 2
        assert conn.execute(select(feeds.c.error_count)).scalar_one() == 0


async def test_the_kept_story_index_learns_stories_another_process_created(
    feed_server, radar_factory, tmp_path: Path
) -> None:
    """`radar run` keeps its story index across cycles; a story a manual `radar poll` (another
    process on the database) created meanwhile must still absorb the same news."""
    quiet = feed_server.add("/quiet.xml", body=rss([Item(FOOTBALL.title, FOOTBALL.link)]))
    first = feed_server.add(
        "/a.xml", body=rss([Item(META_HIRE.title, META_HIRE.link, published=recent())])
    )
    same = Item(
        "OpenAI's Jason Wei and Hyung Won Chung join Meta's Superintelligence Lab",
        "https://elsewhere.example/wei-chung",
        published=recent(),
    )
    second = feed_server.add("/b.xml", body=rss([same]))
    urls = [feed_server.url(p) for p in ("/quiet.xml", "/a.xml", "/b.xml")]
    service, manual = radar_factory(urls), radar_factory(urls)
    by_url = {f.url: f for f in service.store.list_feeds()}

    await service.poll([by_url[urls[0]]])  # the service's index is loaded, still empty
    await manual.poll([by_url[urls[1]]])  # the other process creates the story
    await service.poll([by_url[urls[2]]])  # the same news from another outlet

    assert quiet.hits and first.hits and second.hits
    with service.store.engine.connect() as conn:
        flagged = conn.execute(select(stories.c.id, stories.c.item_count)).all()
        story_ids = set(conn.execute(select(items.c.story_id)).scalars()) - {None}
    assert len(flagged) == 1 and flagged[0].item_count == 2, flagged
    assert story_ids == {flagged[0].id}
