"""The /radar handlers through the neutral layer, as Slack and Discord both call them: a real
store, a real feed server on 127.0.0.1, replies checked as data (no platform rendering)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.chat.actions import Action, parse_action
from bot.chat.commands import parse_command
from bot.chat.handlers import Handlers
from bot.chat.replies import Caller, Reply
from bot.runtime.cycle import Radar
from bot.runtime.digests import post_digest, slot
from bot.settings import DigestSchedule
from tests.feeds import ARC, FOOTBALL, META_HIRE, Item, recent, rss
from tests.feedserver import FeedServer

USER = Caller("slack", "T1", "C1", "U1")
ADMIN = Caller("discord", "G1", "42", "U9", may_manage_feeds=True)


def words(reply: Reply) -> str:
    parts = [reply.title, *reply.paragraphs, reply.footer or ""]
    parts += [f"{k} {v}" for k, v in reply.fields]
    parts += [f"{s.title} {s.url} {s.move or ''}" for s in reply.stories]
    if reply.alert is not None:
        parts += [
            reply.alert.title,
            reply.alert.summary,
            reply.alert.move.line() if reply.alert.move else "",
        ]
    return "\n".join(parts)


@pytest.fixture
async def polled(radar_factory: Any, feed_server: FeedServer) -> Radar:
    items = [
        Item(i.title, i.link, i.description, published=recent()) for i in (META_HIRE, ARC, FOOTBALL)
    ]
    feed_server.add("/wire.xml", body=rss(items, title="AI Wire"))
    radar: Radar = radar_factory([{"url": feed_server.url("/wire.xml"), "name": "AI Wire"}])
    await radar.poll()
    return radar


async def run(handlers: Handlers, text: str, caller: Caller = USER) -> Reply:
    return await handlers.execute(caller, parse_command(text))


def test_parse_command_unwraps_slack_links_and_defaults_to_help() -> None:
    assert parse_command("").name == "help"
    cmd = parse_command("  Summary  <https://x.example/a|x.example/a> ")
    assert (cmd.name, cmd.args, cmd.slow) == ("summary", ("https://x.example/a",), True)
    assert parse_action("radar:up:12") == Action("up", 12)
    for bad in ("radar:up:", "radar:boom:1", "other:up:1", "radar:up:1:2"):
        assert parse_action(bad) is None


async def test_help_and_unknown_commands_are_private(polled: Radar) -> None:
    handlers = Handlers(polled, polled.stages.understander)
    help_reply = await run(handlers, "help")
    assert help_reply.ephemeral and "/radar digest" in words(help_reply)
    unknown = await run(handlers, "dance")
    assert unknown.ephemeral and unknown.error and "Unknown command 'dance'" in words(unknown)


async def test_digest_and_search(polled: Radar) -> None:
    handlers = Handlers(polled, polled.stages.understander)
    digest = await run(handlers, "digest 7d")
    titles = [s.title for s in digest.stories]
    assert set(titles) == {META_HIRE.title, ARC.title}  # the football transfer is not news here
    talent = await run(handlers, "digest talent 24h")
    assert [s.title for s in talent.stories] == [META_HIRE.title]
    assert talent.stories[0].move is not None and "OpenAI → Meta" in talent.stories[0].move
    bad = await run(handlers, "digest yesterday")
    assert bad.ephemeral and bad.error and "Usage: /radar digest" in words(bad)

    found = await run(handlers, "search hyung chung")
    assert [s.title for s in found.stories] == [META_HIRE.title]
    assert (await run(handlers, "search 100%_")).stories == ()  # LIKE wildcards are literal
    assert "Usage" in words(await run(handlers, "search"))


async def test_subscribe_unsubscribe_and_routing(polled: Radar) -> None:
    handlers = Handlers(polled, polled.stages.understander)
    assert "Usage" in words(await run(handlers, "subscribe everything"))
    assert "from 0 to 1" in words(await run(handlers, "subscribe agi 7"))
    ok = await run(handlers, "subscribe agi 0.4")
    assert not ok.ephemeral and "AGI race" in words(ok)
    again = await run(handlers, "subscribe all")
    assert "Talent war + AGI race" in words(again)
    [row] = polled.store.subscriptions("slack")  # replaced, not added
    assert (row["channel"], sorted(row["topics"]), row["min_score"]) == (
        "C1",
        ["agi", "talent_war"],
        0.0,
    )

    # Only platforms running in this process route to their subscriptions.
    assert "slack:C1" not in {d.key for d in polled.destinations()}
    polled.attach_platform("slack", lambda dest, channel: None)  # type: ignore[arg-type,return-value]
    [sub] = [d for d in polled.destinations() if d.key == "slack:C1"]
    assert sub.topics == {"agi", "talent_war"} and sub.followups

    refused = await run(
        handlers, "subscribe agi", Caller("discord", "G", "7", "U", may_subscribe=False)
    )
    assert refused.error and "admins" in words(refused)
    assert "no more alerts" in words(await run(handlers, "unsubscribe"))
    assert "had no subscription" in words(await run(handlers, "unsubscribe"))


async def test_feeds_add_remove_and_refusals(polled: Radar, feed_server: FeedServer) -> None:
    feed_server.add("/new.xml", body=rss([Item(ARC.title, "https://n.example/1")], title="New One"))
    feed_server.add(
        "/page.html", body=b"<html><p>hello</p></html>", headers={"Content-Type": "text/html"}
    )
    guarded = Handlers(polled, polled.stages.understander)
    url = feed_server.url("/new.xml")

    assert "Only workspace admins" in words(await run(guarded, f"feeds add {url}"))
    refused = await run(guarded, f"feeds add {url}", ADMIN)
    assert "127.0.0.1 is not a public address" in words(refused)
    for private in (
        "http://169.254.169.254/latest",
        "http://[::ffff:10.0.0.1]/",
        "file:///etc/passwd",
    ):
        assert polled.store.feed_by_url(private) is None
        assert (await run(guarded, f"feeds add {private}", ADMIN)).error

    # The product never turns the guard off; this handler does, to reach the local feed server.
    local = Handlers(polled, polled.stages.understander, public_only=False)
    not_feed = await run(local, f"feeds add {feed_server.url('/page.html')}", ADMIN)
    assert not_feed.error and "not a feed" in words(not_feed)
    added = await run(local, f"feeds add {url}", ADMIN)
    assert "New One" in words(added)
    feed = polled.store.feed_by_url(url)
    assert feed is not None and feed.origin == "chat" and feed.name == "New One"
    assert "already polled" in words(await run(local, f"feeds add {url}", ADMIN))
    listing = await run(local, "feeds list")
    assert any(name == "New One" for name, _ in listing.fields)

    config_feed = feed_server.url("/wire.xml")
    assert "config file" in words(await run(local, f"feeds remove {config_feed}", ADMIN))
    assert "no longer polled" in words(await run(local, f"feeds remove {url}", ADMIN))
    assert all(f.url != url for f in polled.store.due_feeds(datetime.now(UTC) + timedelta(days=1)))
    assert "Feed added" in words(await run(local, f"feeds add {url}", ADMIN))  # brought back


async def test_chat_feeds_are_polled_only_from_public_addresses(
    polled: Radar, feed_server: FeedServer
) -> None:
    """A feed added from chat whose name later points inside the network is refused at poll time."""
    route = feed_server.add("/chat.xml", body=rss([Item(ARC.title, "https://c.example/1")]))
    feed = polled.store.add_feed(feed_server.url("/chat.xml"), "chat")
    report = await polled.poll([feed])
    assert report.failed == 1 and "not a public address" in report.errors[feed.url]
    assert route.hits == 0


async def test_status_and_why(polled: Radar) -> None:
    handlers = Handlers(polled, polled.stages.understander)
    status = await run(handlers, "status")
    fields = dict(status.fields)
    assert fields["Feeds"] == "1 healthy, 0 failing"
    assert fields["Last poll"] != "never"
    assert "Usage" in words(await run(handlers, "status now"))

    # A row a sender claimed (or left in doubt when it died) still waits in the outbox.
    waiting = int(fields["Waiting in the outbox"])
    now = datetime.now(UTC)
    [row, *_] = polled.store.pending_deliveries(now + timedelta(days=1))
    assert waiting >= 1 and polled.store.claim(
        row.id, "a-sender-that-died", now, timedelta(hours=1)
    )
    again = dict((await run(handlers, "status")).fields)
    assert int(again["Waiting in the outbox"]) == waiting

    why = await run(handlers, f"why {META_HIRE.link}")
    text = words(why)
    assert "Talent war" in text and "flagged" in text and "OpenAI → Meta" in text
    assert "No story" in words(await run(handlers, "why https://nowhere.example/x"))


async def test_buttons_vote_and_mute(polled: Radar) -> None:
    handlers = Handlers(polled, polled.stages.understander)
    story = polled.store.story_by_link(META_HIRE.link)
    assert story is not None
    assert "saved" in words(await handlers.act(USER, Action("up", story.id)))
    await handlers.act(USER, Action("down", story.id))  # a change of mind replaces the vote
    await handlers.act(Caller("slack", "T1", "C1", "U2"), Action("down", story.id))
    [(voted, total)] = polled.store.feedback_examples()
    assert voted.id == story.id and total == -2
    muted = await handlers.act(USER, Action("mute", story.id))
    assert "AI Wire" in words(muted)
    assert polled.store.muted_sources("slack", "C1") == {"AI Wire"}
    assert "gone" in words(await handlers.act(USER, Action("up", 999_999)))


async def test_summary_of_a_local_article(polled: Radar, feed_server: FeedServer) -> None:
    page = (
        "<html lang='en'><head><meta property='og:title' content=\"" + META_HIRE.title + '">'
        "<script>alert('x')</script></head><body><nav>Home | News</nav><article><p>"
        + META_HIRE.description
        + " Both worked on reasoning models at OpenAI before the move.</p><p>Short.</p></article>"
        "<footer>Cookie settings and a long footer nobody reads at all, ever.</footer></body></html>"
    )
    feed_server.add(
        "/a.html", body=page.encode(), headers={"Content-Type": "text/html; charset=utf-8"}
    )
    local = Handlers(polled, polled.stages.understander, public_only=False)
    reply = await run(local, f"summary {feed_server.url('/a.html')}")
    assert reply.alert is not None and reply.alert.title == META_HIRE.title
    assert "talent_war" in reply.alert.topics
    assert "Cookie" not in reply.alert.summary and "alert(" not in reply.alert.summary
    assert reply.alert.move is not None and reply.alert.move.to_org == "Meta"
    guarded = Handlers(polled, polled.stages.understander)
    refused = await run(guarded, f"summary {feed_server.url('/a.html')}")
    assert refused.ephemeral and "not a public address" in words(refused)
    assert "http:// or https://" in words(await run(guarded, "summary ftp://x.example/a"))


async def test_scheduled_digest_posts_once_per_slot(polled: Radar) -> None:
    posted: list[Reply] = []

    class Channel:
        async def post_reply(self, reply: Reply) -> None:
            posted.append(reply)

    polled.outputs["slack:C1"] = Channel()  # type: ignore[assignment]
    schedule = DigestSchedule(
        every="daily", at="09:00", timezone="Europe/Paris", topics=["talent_war"]
    )
    assert await post_digest(polled, "slack:C1", schedule)
    assert not await post_digest(polled, "slack:C1", schedule)  # same local day: never twice
    [digest] = posted
    assert [s.title for s in digest.stories] == [META_HIRE.title]

    late = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # already the 30th in Paris
    assert slot(schedule, late) == "2026-11-30"
    weekly = DigestSchedule(every="weekly", day="mon", timezone="UTC")
    assert slot(weekly, late) == "2026-W48"


def test_digest_schedule_validation(tmp_path: Path) -> None:
    from bot.errors import ConfigError
    from tests.conftest import make_settings

    for bad, fragment in (
        ({"at": "25:00"}, "is not a time"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
    ):
        with pytest.raises(ConfigError) as err:
            make_settings(tmp_path, [], outputs=[{"type": "slack", "channel": "C1", "digest": bad}])
        assert fragment in str(err.value) and "outputs[0].digest" in str(err.value)


async def test_chat_leaves_an_operators_feeds_to_the_operator(
    polled: Radar, feed_server: FeedServer
) -> None:
    feed_server.add("/op.xml", body=rss([Item(ARC.title, "https://o.example/1")], title="Op"))
    url = feed_server.url("/op.xml")
    polled.store.add_feed(url, "operator")
    local = Handlers(polled, polled.stages.understander, public_only=False)
    kept = await run(local, f"feeds remove {url}", ADMIN)
    assert "added by an operator" in words(kept)
    assert polled.store.feed_by_url(url).disabled_reason is None  # type: ignore[union-attr]
    assert polled.store.remove_feed(url, ("operator",), "removed by an operator")
    refused = await run(local, f"feeds add {url}", ADMIN)
    assert "removed by an operator" in words(refused)
    assert polled.store.feed_by_url(url).disabled_reason == "removed by an operator"  # type: ignore[union-attr]
