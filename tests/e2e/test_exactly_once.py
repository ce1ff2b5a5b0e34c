"""Exactly once where the platform allows a check: a delivery a dead sender left in doubt is looked
up on Slack (message metadata) or deduplicated by Discord (nonce) before it is sent again.

The dead sender is a real one: a process that has exited owns the claim, and the message it
posted before dying is posted through the same output with the real slack_sdk / discord.py."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.outputs.base import Output
from bot.outputs.once import EVENT_TYPE
from bot.runtime.cycle import CLAIM_LEASE, Radar, story_alert
from bot.store.repository import DeliveryRow
from tests.conftest import make_settings, running
from tests.discordapi import DiscordAPI
from tests.e2e.test_slack import ALT_HEADLINE, meta_feed, slack_env
from tests.feeds import Item, recent, rss
from tests.feedserver import FeedServer
from tests.slackapi import SlackAPI

OTHER_LINK = "https://other.example/wei-chung-depart"


def dead_sender() -> str:
    """A claim owner whose process has exited, on this host: what a SIGKILL leaves behind."""
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return f"{socket.gethostname()}:{proc.stdout.strip()}"


def only_row(radar: Radar, kind: str = "alert") -> DeliveryRow:
    [row] = [r for r in radar.store.pending_deliveries(radar.clock()) if r.kind == kind]
    return row


async def crash_after_send(radar: Radar, row: DeliveryRow) -> str | None:
    """A sender claims the row, posts, and dies before it can mark the row sent."""
    assert radar.store.claim(row.id, dead_sender(), radar.clock(), CLAIM_LEASE)
    output: Output | None = radar.output_for(row.destination)
    assert output is not None
    story = radar.store.story(row.story_id)
    assert story is not None
    alert = story_alert(story)
    if row.kind == "alert":
        return await output.send(alert)
    coverage = radar.store.coverage(row.item_id) if row.item_id else None
    return await output.send_followup(alert, row.parent_ref or "", coverage)


def crash_before_send(radar: Radar, row: DeliveryRow) -> None:
    assert radar.store.claim(row.id, dead_sender(), radar.clock(), CLAIM_LEASE)


def status(radar: Radar, delivery_id: int) -> tuple[str, str | None, int]:
    from sqlalchemy import select

    from bot.store.schema import deliveries

    with radar.store.engine.connect() as conn:
        found = conn.execute(
            select(deliveries.c.status, deliveries.c.message_ref, deliveries.c.attempts).where(
                deliveries.c.id == delivery_id
            )
        ).one()
    return str(found[0]), found[1], int(found[2])


# -- Slack ---------------------------------------------------------------------------------------


@pytest.fixture
async def radar(tmp_path: Path, feed_server: FeedServer, slack: SlackAPI) -> AsyncIterator[Radar]:
    feed_server.add("/wire.xml", body=meta_feed())
    settings = make_settings(
        tmp_path,
        [feed_server.url("/wire.xml")],
        # By name: the check must find the channel's ID before it can read its history.
        outputs=[{"type": "slack", "channel": "#ai-news", "topics": ["talent_war", "agi"]}],
        slack={"port": 0, "host": "127.0.0.1", "per_channel_interval": "0s"},
    )
    async with running(settings, slack_env(slack)) as built:
        yield built


async def test_every_slack_alert_and_reply_carries_its_delivery_in_metadata(
    radar: Radar, slack: SlackAPI, feed_server: FeedServer
) -> None:
    await radar.poll()
    assert await radar.deliver() == 1
    [alert] = slack.messages("C0AINEWS")
    story = alert["metadata"]["event_payload"]["delivery"]
    assert alert["metadata"]["event_type"] == EVENT_TYPE and story.isdigit()

    feed_server.add("/other.xml", body=rss([Item(ALT_HEADLINE, OTHER_LINK, published=recent())]))
    radar.store.add_feed(feed_server.url("/other.xml"), "config", name="Other Outlet")
    await radar.poll()
    assert await radar.deliver() == 1
    [reply] = slack.thread("C0AINEWS", alert["ts"])
    assert reply["metadata"]["event_type"] == EVENT_TYPE
    assert reply["metadata"]["event_payload"]["delivery"].startswith(f"{story}/")
    # The "+N sources" edit keeps the alert's key.
    edited = slack.message("C0AINEWS", alert["ts"])
    assert edited is not None and edited["metadata"] == alert["metadata"]
    # Nothing was in doubt: no history was read.
    assert not slack.calls_to("conversations.history")


async def test_an_alert_posted_by_a_sender_that_died_is_adopted_not_posted_again(
    radar: Radar, slack: SlackAPI
) -> None:
    await radar.poll()
    row = only_row(radar)
    ref = await crash_after_send(radar, row)
    assert len(slack.messages("C0AINEWS")) == 1

    assert await radar.deliver() == 1
    assert len(slack.messages("C0AINEWS")) == 1  # not posted a second time
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert status(radar, row.id)[:2] == ("sent", ref)  # the earlier message is the alert's
    [look] = slack.calls_to("conversations.history")
    assert look.params["channel"] == "C0AINEWS"
    assert str(look.params["include_all_metadata"]).lower() in ("1", "true")
    assert float(look.params["oldest"]) > 0  # bounded: back to when the row was queued


async def test_an_alert_a_sender_died_before_posting_is_posted_once(
    radar: Radar, slack: SlackAPI
) -> None:
    await radar.poll()
    row = only_row(radar)
    crash_before_send(radar, row)
    slack.add_channel("other", "C0OTHER")
    # A message of another delivery in the channel (metadata of another story) is not a match.
    slack.posted.append(
        {
            "type": "message",
            "channel": "C0AINEWS",
            "ts": "1800000000.000100",
            "text": "older",
            "metadata": {"event_type": EVENT_TYPE, "event_payload": {"delivery": "999999"}},
        }
    )
    assert await radar.deliver() == 1
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert slack.calls_to("conversations.history")
    assert status(radar, row.id)[0] == "sent"


async def test_a_thread_reply_posted_by_a_sender_that_died_is_adopted(
    radar: Radar, slack: SlackAPI, feed_server: FeedServer
) -> None:
    await radar.poll()
    assert await radar.deliver() == 1
    [alert] = slack.messages("C0AINEWS")
    feed_server.add("/other.xml", body=rss([Item(ALT_HEADLINE, OTHER_LINK, published=recent())]))
    radar.store.add_feed(feed_server.url("/other.xml"), "config", name="Other Outlet")
    await radar.poll()
    row = only_row(radar, "followup")
    ref = await crash_after_send(radar, row)
    posts = len(slack.calls_to("chat.postMessage"))

    assert await radar.deliver() == 1
    assert len(slack.thread("C0AINEWS", alert["ts"])) == 1
    assert len(slack.calls_to("chat.postMessage")) == posts
    assert status(radar, row.id)[:2] == ("sent", ref)
    [look] = slack.calls_to("conversations.replies")
    assert look.params["ts"] == alert["ts"]


async def test_without_the_history_scope_the_alert_is_sent_rather_than_lost(
    radar: Radar, slack: SlackAPI, caplog: pytest.LogCaptureFixture
) -> None:
    await radar.poll()
    row = only_row(radar)
    crash_before_send(radar, row)
    slack.fail_next("conversations.list", error="missing_scope")
    with caplog.at_level(logging.WARNING):
        assert await radar.deliver() == 1
    assert len(slack.messages("C0AINEWS")) == 1
    assert "channels:history" in caplog.text


async def test_when_history_cannot_be_read_now_the_alert_waits(
    radar: Radar, slack: SlackAPI
) -> None:
    await radar.poll()
    row = only_row(radar)
    ref = await crash_after_send(radar, row)
    slack.fail_next("conversations.history", error="internal_error")
    assert await radar.deliver() == 0
    assert status(radar, row.id)[0] == "pending"  # retried later, still in doubt
    later = radar.clock() + CLAIM_LEASE  # past the retry delay
    [again] = radar.store.pending_deliveries(later)
    assert again.in_doubt
    radar.clock = lambda: later
    assert await radar.deliver() == 1
    assert len(slack.messages("C0AINEWS")) == 1
    assert status(radar, row.id)[:2] == ("sent", ref)


# -- Discord bot mode ----------------------------------------------------------------------------


@pytest.fixture
async def bot_radar(
    tmp_path: Path, feed_server: FeedServer, discord_api: DiscordAPI
) -> AsyncIterator[Radar]:
    feed_server.add("/wire.xml", body=meta_feed())
    channel = discord_api.add_channel()
    settings = make_settings(
        tmp_path,
        [feed_server.url("/wire.xml")],
        outputs=[{"type": "discord", "channel": channel, "topics": ["talent_war", "agi"]}],
    )
    async with running(settings, discord_api.bot_env()) as built:
        built.test_channel = channel  # type: ignore[attr-defined]
        yield built


def nonces(api: DiscordAPI, path: str) -> list[Any]:
    return [(c.json.get("nonce"), c.json.get("enforce_nonce")) for c in api.calls_to("POST", path)]


async def test_a_discord_alert_posted_by_a_sender_that_died_comes_back_by_its_nonce(
    bot_radar: Radar, discord_api: DiscordAPI, feed_server: FeedServer
) -> None:
    """Without Read Message History the nonce is the only check: Discord returns the first
    message for a nonce it saw in the last few minutes."""
    channel = bot_radar.test_channel  # type: ignore[attr-defined]
    discord_api.fail_next("GET", "/channels/", status=403, code=50001, times=100)
    await bot_radar.poll()
    row = only_row(bot_radar)
    ref = await crash_after_send(bot_radar, row)
    assert await bot_radar.deliver() == 1
    assert len(discord_api.messages(channel)) == 1
    assert status(bot_radar, row.id)[:2] == ("sent", ref)
    [(nonce, enforced), again] = nonces(discord_api, f"/channels/{channel}/messages")
    assert again == (nonce, enforced) and enforced is True
    assert isinstance(nonce, str) and 0 < len(nonce) <= 25

    # The thread reply of later coverage is deduplicated the same way.
    feed_server.add("/other.xml", body=rss([Item(ALT_HEADLINE, OTHER_LINK, published=recent())]))
    bot_radar.store.add_feed(feed_server.url("/other.xml"), "config", name="Other Outlet")
    await bot_radar.poll()
    reply = only_row(bot_radar, "followup")
    reply_ref = await crash_after_send(bot_radar, reply)
    assert await bot_radar.deliver() == 1
    thread = int(ref or 0)  # a thread started from a message takes that message's id
    assert len(discord_api.messages(thread)) == 1
    assert status(bot_radar, reply.id)[:2] == ("sent", reply_ref)
    [first, second] = nonces(discord_api, f"/channels/{thread}/messages")
    assert first == second and first[0] != nonce


async def test_past_discords_nonce_window_the_history_finds_the_earlier_post(
    bot_radar: Radar, discord_api: DiscordAPI, feed_server: FeedServer
) -> None:
    discord_api.nonce_window = 0.0  # the dead sender's lease ran out on another host: minutes
    channel = bot_radar.test_channel  # type: ignore[attr-defined]
    await bot_radar.poll()
    row = only_row(bot_radar)
    ref = await crash_after_send(bot_radar, row)
    assert await bot_radar.deliver() == 1
    assert len(discord_api.messages(channel)) == 1
    assert status(bot_radar, row.id)[:2] == ("sent", ref)
    [look] = discord_api.calls_to("GET", f"/channels/{channel}/messages")
    assert int(look.query["after"]) > 0  # bounded: back to when the row was queued

    feed_server.add("/other.xml", body=rss([Item(ALT_HEADLINE, OTHER_LINK, published=recent())]))
    bot_radar.store.add_feed(feed_server.url("/other.xml"), "config", name="Other Outlet")
    await bot_radar.poll()
    reply = only_row(bot_radar, "followup")
    reply_ref = await crash_after_send(bot_radar, reply)
    assert await bot_radar.deliver() == 1
    assert len(discord_api.messages(int(ref or 0))) == 1
    assert status(bot_radar, reply.id)[:2] == ("sent", reply_ref)


async def test_a_discord_alert_a_sender_died_before_posting_is_posted_once(
    bot_radar: Radar, discord_api: DiscordAPI
) -> None:
    channel = bot_radar.test_channel  # type: ignore[attr-defined]
    await bot_radar.poll()
    row = only_row(bot_radar)
    crash_before_send(bot_radar, row)
    assert await bot_radar.deliver() == 1
    assert len(discord_api.messages(channel)) == 1
    assert discord_api.calls_to("GET", f"/channels/{channel}/messages")


# -- the stand-ins play by the platforms' rules --------------------------------------------------


async def test_the_discord_standin_honours_an_enforced_nonce_within_its_window(
    discord_api: DiscordAPI,
) -> None:
    import aiohttp

    channel = discord_api.add_channel()
    url = f"{discord_api.base_url}/channels/{channel}/messages"
    headers = {"Authorization": f"Bot {discord_api.bot_token}"}

    async def post(session: aiohttp.ClientSession, **body: Any) -> str:
        async with session.post(url, json={"content": "x", **body}, headers=headers) as resp:
            assert resp.status == 200
            return str((await resp.json())["id"])

    async with aiohttp.ClientSession() as session:
        first = await post(session, nonce="n1", enforce_nonce=True)
        assert await post(session, nonce="n1", enforce_nonce=True) == first
        assert await post(session, nonce="n1") != first  # not enforced: a new message
        discord_api.nonce_window = 0.0
        assert await post(session, nonce="n1", enforce_nonce=True) != first
    assert len(discord_api.messages(channel)) == 3


async def test_the_slack_standin_shows_metadata_only_when_asked(slack: SlackAPI) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    web = AsyncWebClient(token=slack.token, base_url=slack.base_url)
    meta = {"event_type": EVENT_TYPE, "event_payload": {"delivery": "7"}}
    for n in range(3):
        await web.chat_postMessage(channel="C0AINEWS", text=f"m{n}", metadata=meta)
    plain = await web.conversations_history(channel="C0AINEWS")
    assert [m["text"] for m in plain["messages"]] == ["m2", "m1", "m0"]  # newest first
    assert all("metadata" not in m for m in plain["messages"])
    page = await web.conversations_history(channel="C0AINEWS", include_all_metadata=True, limit=2)
    assert [m["metadata"] for m in page["messages"]] == [meta, meta]
    rest = await web.conversations_history(
        channel="C0AINEWS", limit=2, cursor=page["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["m0"]
    newest = plain["messages"][0]["ts"]
    after = await web.conversations_history(channel="C0AINEWS", oldest=newest)
    assert after["messages"] == []
