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
