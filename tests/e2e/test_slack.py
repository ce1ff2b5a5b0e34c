"""Slack end to end: the real slack-bolt and slack_sdk against a Slack Web API stand-in on 127.0.0.1,
with feeds served by a real HTTP server and a real SQLite file."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.app import build
from bot.chat.handlers import Handlers
from bot.runtime.cycle import Radar
from bot.store.schema import feedback, mutes
from tests.conftest import make_settings, running
from tests.feeds import ARC, META_HIRE, Item, recent, rss
from tests.feedserver import FeedServer
from tests.payloads import strings, until
from tests.slackapi import SlackAPI

SECRET = "test-signing-secret"
ALT_HEADLINE = "OpenAI researchers Jason Wei and Hyung Won Chung depart for Meta"


def slack_env(api: SlackAPI) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": api.token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api.base_url,
    }


def meta_feed(link: str = META_HIRE.link, title: str = META_HIRE.title) -> bytes:
    item = Item(title, link, META_HIRE.description, published=recent())
    return rss([item], title="AI Wire")


@pytest.fixture
async def radar(tmp_path: Path, feed_server: FeedServer, slack: SlackAPI) -> AsyncIterator[Radar]:
    feed_server.add("/wire.xml", body=meta_feed())
    settings = make_settings(
        tmp_path,
        [feed_server.url("/wire.xml")],
        outputs=[{"type": "slack", "channel": "#ai-news", "topics": ["talent_war", "agi"]}],
        slack={"port": 0, "host": "127.0.0.1", "per_channel_interval": "0s"},
    )
    async with running(settings, slack_env(slack)) as built:
        yield built


def signed(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def command_body(api: SlackAPI, text: str, channel: str = "C0AINEWS", user: str = "U1") -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": api.team_id,
            "channel_id": channel,
            "user_id": user,
            "command": "/radar",
            "text": text,
            "response_url": api.response_url("r1"),
            "trigger_id": "t1",
        }
    )


async def started(radar: Radar, public_only: bool = True) -> Any:
    slack = radar.chat.slack
    handlers = Handlers(radar, radar.stages.understander, public_only=public_only)
    await slack.start(handlers)
    return slack


async def post(port: int, body: str, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{port}/slack/events"
        async with session.post(url, data=body.encode(), headers=headers) as resp:
            return resp.status, await resp.text()


async def test_alert_then_thread_and_sources_count(
    radar: Radar, slack: SlackAPI, feed_server: FeedServer
) -> None:
    await radar.poll()
    assert await radar.deliver() == 1
    [message] = slack.messages("C0AINEWS")
    assert any(b["type"] == "header" for b in message["blocks"])
    assert any("Jason Wei" in s for s in strings(message["blocks"]))
    assert {b["type"] for b in message["blocks"]} >= {"header", "section", "actions"}
    assert "Meta" in message["text"]  # notification fallback

    # A second outlet covers the same move: a thread reply, and the parent shows "+1 source".
    other = "https://other.example/wei-chung-leave-openai"
    feed_server.add("/other.xml", body=rss([Item(ALT_HEADLINE, other, published=recent())]))
    radar.store.add_feed(feed_server.url("/other.xml"), "config", name="Other Outlet")
    await radar.poll()
    await radar.deliver()
    assert len(slack.messages("C0AINEWS")) == 1  # never a second top-level alert
    [reply] = slack.thread("C0AINEWS", message["ts"])
    assert any(other in s for s in strings(reply))
    assert any("Other Outlet" in s for s in strings(reply))
    updated = slack.message("C0AINEWS", message["ts"])
    assert updated is not None
    assert any("+1 source" in s for s in strings(updated["blocks"]))

    await radar.poll(radar.store.list_feeds())  # both feeds again, nothing new
    await radar.deliver()
    assert len(slack.calls_to("chat.postMessage")) == 2


async def test_hostile_feed_text_cannot_ping_or_disguise_links(
    radar: Radar, slack: SlackAPI, feed_server: FeedServer
) -> None:
    hostile = Item(
        "<!channel> Meta hires OpenAI's Jason Wei <@U0BOSS> for its Superintelligence Lab @here",
        "https://news.example/hostile",
        "<!everyone> read <https://evil.example|openai.com> now. &lt;!here&gt; <#C0GENERAL>",
        published=recent(),
    )
    feed_server.add("/wire.xml", body=rss([hostile], title="<!here> Wire"))
    await radar.poll()
    await radar.deliver()
    [message] = slack.messages("C0AINEWS")
    for text in [*strings(message["blocks"]), message["text"]]:
        for bad in ("<!channel", "<!here", "<!everyone", "<@U0BOSS", "<#C0GENERAL", "|openai.com>"):
            assert bad not in text
        assert "@here" not in text  # defused with an invisible joiner
    assert any("https://news.example/hostile" in s for s in strings(message["blocks"]))


async def test_rate_limit_is_retried_after_retry_after(radar: Radar, slack: SlackAPI) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    await radar.poll()
    assert await radar.deliver() == 1
    calls = slack.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert len(slack.messages("C0AINEWS")) == 1


async def test_not_in_channel_keeps_the_alert_and_shows_in_status(
    radar: Radar, slack: SlackAPI, caplog: pytest.LogCaptureFixture
) -> None:
    slack.add_channel("ai-news", "C0AINEWS", member=False)
    await radar.poll()
    with caplog.at_level(logging.WARNING):
        assert await radar.deliver() == 0
    errors = [r for r in caplog.records if "not_in_channel" in r.getMessage()]
    assert len(errors) == 1 and "invite" in errors[0].getMessage()
    assert radar.store.delivery_counts() == {"pending": 1}  # kept for after the invite

    handlers = Handlers(radar, radar.stages.understander)
    from bot.chat.commands import parse_command
    from bot.chat.replies import Caller

    status = await handlers.execute(Caller("slack", "T", "C0AINEWS", "U1"), parse_command("status"))
    assert any("not_in_channel" in value for _, value in status.fields)


async def test_http_mode_signatures(radar: Radar, slack: SlackAPI) -> None:
    platform = await started(radar)
    body = command_body(slack, "help")
    status, text = await post(platform.port, body, signed(body))
    assert status == 200
    answer = json.loads(text)
    assert answer["response_type"] == "ephemeral"
    assert any("/radar digest" in s for s in strings(answer))

    assert (await post(platform.port, body, {"Content-Type": "application/x-www-form-urlencoded"}))[
        0
    ] == 401
    stale = signed(body, timestamp=int(time.time()) - 10 * 60)
    assert (await post(platform.port, body, stale))[0] == 401
    assert (await post(platform.port, body, signed(body, secret="wrong")))[0] == 401
    tampered = signed(body)
    assert (await post(platform.port, body.replace("help", "status"), tampered))[0] == 401


async def test_bad_input_gets_private_usage(radar: Radar, slack: SlackAPI) -> None:
    platform = await started(radar)
    body = command_body(slack, "digest yesterday")
    status, text = await post(platform.port, body, signed(body))
    answer = json.loads(text)
    assert status == 200 and answer["response_type"] == "ephemeral"
    assert any("Usage: /radar digest" in s for s in strings(answer))


async def test_subscribe_routes_later_alerts_to_the_channel(
    radar: Radar, slack: SlackAPI, feed_server: FeedServer
) -> None:
    platform = await started(radar)
    body = command_body(slack, "subscribe agi 0.5", channel="C0GENERAL")
    status, text = await post(platform.port, body, signed(body))
    assert status == 200 and json.loads(text)["response_type"] == "in_channel"
    [row] = radar.store.subscriptions("slack")
    assert row["channel"] == "C0GENERAL" and row["topics"] == ["agi"]

    feed_server.add(
        "/wire.xml", body=rss([Item(ARC.title, ARC.link, ARC.description, published=recent())])
    )
    await radar.poll()
    await radar.deliver()
    [agi] = slack.messages("C0GENERAL")
    assert any("ARC-AGI-2" in s for s in strings(agi["blocks"]))
    # The configured channel gets it too (it takes both topics); the talent-only story would not
    # have gone to the AGI subscription.
    assert len(slack.messages("C0AINEWS")) == 1


async def test_buttons_store_votes_and_mute_the_source(
    radar: Radar, slack: SlackAPI, feed_server: FeedServer
) -> None:
    platform = await started(radar)
    await radar.poll()
    await radar.deliver()
    [message] = slack.messages("C0AINEWS")
    actions = next(b for b in message["blocks"] if b["type"] == "actions")
    ids = [e["action_id"] for e in actions["elements"]]

    async def click(action_id: str, user: str) -> int:
        payload = {
            "type": "block_actions",
            "team": {"id": slack.team_id},
            "user": {"id": user},
            "channel": {"id": "C0AINEWS"},
            "container": {"type": "message", "message_ts": message["ts"]},
            "trigger_id": "t",
            "response_url": slack.response_url("b1"),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": actions["block_id"],
                    "type": "button",
                    "value": "x",
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)})
        return (await post(platform.port, body, signed(body)))[0]

    up, down, mute = ids
    assert await click(up, "U1") == 200
    assert await click(down, "U2") == 200
    await until(lambda: len(slack.ephemerals) >= 2)
    with radar.store.engine.connect() as conn:
        votes = sorted((r.user, r.vote) for r in conn.execute(feedback.select()))
    assert votes == [("U1", 1), ("U2", -1)]

    assert await click(mute, "U1") == 200
    await until(lambda: len(slack.ephemerals) >= 3)
    with radar.store.engine.connect() as conn:
        [muted] = list(conn.execute(mutes.select()))
    assert (muted.platform, muted.channel, muted.source) == ("slack", "C0AINEWS", "AI Wire")

    # The next story from that source is not posted in this channel.
    feed_server.add(
        "/wire.xml",
        body=rss([Item(ARC.title, ARC.link, ARC.description, published=recent())], title="AI Wire"),
    )
    report = await radar.poll(radar.store.list_feeds())
    assert report.alerts == 1  # flagged and queued…
    await radar.deliver()
    assert len(slack.messages("C0AINEWS")) == 1  # …but not posted
    assert radar.store.delivery_counts() == {"sent": 1, "skipped": 1}


async def test_slow_summary_is_acknowledged_first_then_answered(
    radar: Radar, slack: SlackAPI, feed_server: FeedServer
) -> None:
    article = (
        "<html><head><title>Meta hires OpenAI researchers</title></head><body><article>"
        f"<h1>{META_HIRE.title}</h1><p>{META_HIRE.description} The two researchers worked on "
        "reasoning models and will report to the lab's chief scientist.</p></article></body></html>"
    )
    page = feed_server.add("/article", body=article.encode(), headers={"Content-Type": "text/html"})
    page.delay = 4.0  # longer than the 3 s Slack allows before a command must be acknowledged
    platform = await started(radar, public_only=False)  # the article server is on 127.0.0.1
    body = command_body(slack, f"summary {feed_server.url('/article')}")
    status, text = await post(platform.port, body, signed(body))
    assert status == 200
    assert "Working on" in text
    assert slack.responses.get("r1") is None  # the answer had not come yet when Slack got the ack
    await until(lambda: bool(slack.responses.get("r1")), within=20)
    [answer] = slack.responses["r1"]
    assert any("Jason Wei" in s for s in strings(answer))
    assert any("Talent war" in s for s in strings(answer))


async def test_summary_refuses_private_addresses(radar: Radar, slack: SlackAPI) -> None:
    platform = await started(radar)
    for url in (
        "http://127.0.0.1:9/x",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.7/",
    ):
        body = command_body(slack, f"summary {url}")
        status, _ = await post(platform.port, body, signed(body))
        assert status == 200
        await until(lambda: bool(slack.responses.get("r1")))
        answer = slack.responses.pop("r1")[0]
        assert answer["response_type"] == "ephemeral"
        assert any("not a public address" in s for s in strings(answer)), answer


async def test_feeds_add_needs_an_admin(radar: Radar, slack: SlackAPI) -> None:
    platform = await started(radar)
    slack.add_user("U1", is_admin=False)
    body = command_body(slack, "feeds add https://feeds.example/new.xml", user="U1")
    await post(platform.port, body, signed(body))
    await until(lambda: bool(slack.responses.get("r1")))
    [answer] = slack.responses["r1"]
    assert any("Only workspace admins" in s for s in strings(answer))
    assert radar.store.feed_by_url("https://feeds.example/new.xml") is None


async def test_app_home_lists_stories_subscriptions_and_feeds(
    radar: Radar, slack: SlackAPI
) -> None:
    platform = await started(radar)
    await radar.poll()
    radar.store.subscribe("slack", slack.team_id, "C0GENERAL", ["agi"], 0.0)
    event = {
        "type": "event_callback",
        "team_id": slack.team_id,
        "api_app_id": slack.app_id,
        "event": {"type": "app_home_opened", "user": "U7", "tab": "home", "channel": "D1"},
        "event_id": "Ev1",
        "event_time": int(time.time()),
    }
    body = json.dumps(event)
    headers = signed(body) | {"Content-Type": "application/json"}
    assert (await post(platform.port, body, headers))[0] == 200
    await until(lambda: "U7" in slack.views)
    view = slack.views["U7"]
    assert view["type"] == "home"
    shown = strings(view)
    assert any("Jason Wei" in s for s in shown)
    assert any("C0GENERAL" in s for s in shown)
    assert any("AI Wire" in s for s in shown)


async def test_subscribing_a_configured_channel_never_doubles_its_alerts(
    radar: Radar, slack: SlackAPI, feed_server: FeedServer
) -> None:
    await radar.poll()
    await radar.deliver()  # the '#ai-news' output learns its channel ID, C0AINEWS
    radar.store.subscribe("slack", slack.team_id, "C0AINEWS", ["agi"], 0.0)
    keys = [d.key for d in radar.destinations()]
    assert keys.count("slack:#ai-news") == 1 and "slack:C0AINEWS" not in keys
    feed_server.add(
        "/wire.xml", body=rss([Item(ARC.title, ARC.link, ARC.description, published=recent())])
    )
    await radar.poll(radar.store.list_feeds())  # the feed is not due yet: poll it anyway
    await radar.deliver()
    assert len(slack.messages("C0AINEWS")) == 2  # the Meta story and ARC, each once


async def test_an_unsubscribed_channel_gets_no_queued_alert(radar: Radar, slack: SlackAPI) -> None:
    radar.store.subscribe("slack", slack.team_id, "C0GENERAL", ["talent_war"], 0.0)
    await radar.poll()  # queued for #ai-news and for the subscription
    radar.store.unsubscribe("slack", "C0GENERAL")
    await radar.deliver()
    assert slack.messages("C0GENERAL") == []
    assert len(slack.messages("C0AINEWS")) == 1


async def test_messages_to_one_channel_are_paced(slack: SlackAPI) -> None:
    from bot.slack.output import ChannelPacer

    pacer = ChannelPacer(0.3)
    stamps: list[float] = []
    for channel in ("C1", "C1", "C2", "C1"):
        await pacer.wait(channel)
        stamps.append(time.monotonic())
    assert stamps[1] - stamps[0] >= 0.3  # same channel: spaced
    assert stamps[2] - stamps[1] < 0.3  # another channel: not held back
    assert stamps[3] - stamps[1] >= 0.3


async def test_scheduled_digest_job_fires_at_local_time(tmp_path: Path, slack: SlackAPI) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.runtime.scheduler import FeedScheduler

    settings = make_settings(
        tmp_path,
        [],
        outputs=[
            {
                "type": "slack",
                "channel": "C0AINEWS",
                "digest": {
                    "every": "weekly",
                    "day": "fri",
                    "at": "08:30",
                    "timezone": "Asia/Tokyo",
                },
            }
        ],
    )
    built = build(settings, env=slack_env(slack))
    try:
        scheduler = FeedScheduler(built)
        scheduler.add_digest_jobs()
        scheduler.scheduler.start(paused=True)
        [job] = [j for j in scheduler.scheduler.get_jobs() if j.id.startswith("digest-")]
        fire = job.trigger.get_next_fire_time(None, datetime.now(ZoneInfo("Asia/Tokyo")))
        assert (fire.weekday(), fire.hour, fire.minute) == (4, 8, 30)
        assert str(fire.tzinfo) == "Asia/Tokyo"
        scheduler.scheduler.shutdown(wait=False)
        await job.func(*job.args)  # what the job runs: one digest message in the channel
        [digest] = slack.messages("C0AINEWS")
        assert any("Radar digest, last 7d" in s for s in strings(digest["blocks"]))
    finally:
        await built.aclose()
        built.store.close()


async def test_workspace_admins_pass_the_feeds_check(radar: Radar, slack: SlackAPI) -> None:
    platform = await started(radar)
    slack.add_user("U2", is_admin=True)
    body = command_body(slack, "feeds add http://127.0.0.1:9/feed.xml", user="U2")
    await post(platform.port, body, signed(body))
    await until(lambda: bool(slack.responses.get("r1")))
    [answer] = slack.responses["r1"]
    # Past the admin check, the link itself is refused: loopback is not public.
    assert any("not a public address" in s for s in strings(answer))
    assert [c.params["user"] for c in slack.calls_to("users.info")] == ["U2"]


async def test_a_process_without_the_token_leaves_slack_alerts_to_one_that_has_it(
    radar: Radar, slack: SlackAPI
) -> None:
    radar.store.subscribe("slack", slack.team_id, "C0GENERAL", ["talent_war"], 0.0)
    await radar.poll()  # queued for '#ai-news' and for the subscribed channel
    tokenless = build(radar.settings, env={})  # `radar poll --once` from a shell without tokens
    try:
        assert await tokenless.deliver() == 0
    finally:
        await tokenless.aclose()
        tokenless.store.close()
    assert radar.store.delivery_counts() == {"pending": 2}  # neither failed nor lost
    assert await radar.deliver() == 2
    assert len(slack.messages("C0AINEWS")) == 1 and len(slack.messages("C0GENERAL")) == 1
