"""Discord end to end: the real discord.py against a Discord REST stand-in on 127.0.0.1, feeds
from a real HTTP server, a real SQLite file. Interactions are fed to the client as the gateway
would deliver them (no gateway connection)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.chat.handlers import Handlers
from bot.runtime.cycle import Radar
from bot.store.schema import feedback
from tests.conftest import make_settings, running
from tests.discordapi import DiscordAPI
from tests.feeds import ARC, FOOTBALL, META_HIRE, Item, recent, rss
from tests.feedserver import FeedServer
from tests.payloads import strings

ALT_HEADLINE = "OpenAI researchers Jason Wei and Hyung Won Chung depart for Meta"
HOSTILE = Item(
    "@everyone Google DeepMind chief Demis Hassabis says AGI could arrive within five years <@&1234>",
    "https://news.example/hostile",
    "@here see [openai.com](https://evil.example) <@930000000000000009> **now**",
)


def fresh(*items: Item) -> list[Item]:
    return [Item(i.title, i.link, i.description, published=recent()) for i in items]


# -- webhook mode: the "done when", as a real process -------------------------------------


def poll_once(cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "poll", "--once", "-c", "radar.toml"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_poll_once_posts_one_embed_per_flagged_story_through_a_webhook(
    tmp_path: Path, feed_server: FeedServer, discord_api: DiscordAPI
) -> None:
    feed_server.add(
        "/wire.xml", body=rss(fresh(META_HIRE, ARC, FOOTBALL, HOSTILE), title="AI Wire")
    )
    hook = discord_api.add_webhook()
    (tmp_path / "radar.toml").write_text(
        f"""
[storage]
url = "sqlite:///radar.db"
[[feeds]]
url = "{feed_server.url("/wire.xml")}"
[[outputs]]
type = "discord_webhook"
url_env = "RADAR_TEST_WEBHOOK"
topics = ["talent_war", "agi"]
""",
        encoding="utf-8",
    )
    env = dict(os.environ)
    for name in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "RADAR_CONFIG"):
        env.pop(name, None)
    env.update(
        DISCORD_API_BASE_URL=discord_api.base_url,
        # The discord.com form: posted to the same path under DISCORD_API_BASE_URL.
        RADAR_TEST_WEBHOOK=discord_api.webhook_url(hook),
        COLUMNS="200",
    )
    proc = poll_once(tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert hook.token not in proc.stderr + proc.stdout  # the webhook's token is never logged
    posts = discord_api.calls_to("POST", f"/webhooks/{hook.id}")
    assert len(posts) == 3  # Meta hire, ARC-AGI, the hostile AGI story; not the football transfer
    for call in posts:
        assert call.json["allowed_mentions"] == {"parse": []}
        assert len(call.json["embeds"]) == 1
        assert call.query.get("wait") in ("1", "true")  # the message id comes back
    titles = [call.json["embeds"][0]["title"] for call in posts]
    assert not any("Arsenal" in t for t in titles)
    for text in (s for call in posts for s in strings(call.json)):
        assert "@everyone" not in text and "@here" not in text
        assert "<@&1234>" not in text and "<@930000000000000009>" not in text
        assert not re.search(r"(?<!\\)\]\(https://evil", text)  # no live masked link

    again = poll_once(tmp_path, env)
    assert again.returncode == 0, again.stderr
    assert len(discord_api.calls_to("POST", f"/webhooks/{hook.id}")) == 3  # nothing twice


# -- bot mode -------------------------------------------------------------------------------------


@pytest.fixture
async def radar(
    tmp_path: Path, feed_server: FeedServer, discord_api: DiscordAPI
) -> AsyncIterator[Radar]:
    feed_server.add("/wire.xml", body=rss(fresh(META_HIRE), title="AI Wire"))
    channel = discord_api.add_channel()
    settings = make_settings(
        tmp_path,
        [feed_server.url("/wire.xml")],
        outputs=[{"type": "discord", "channel": channel, "topics": ["talent_war", "agi"]}],
    )
    async with running(settings, discord_api.bot_env()) as built:
        built.test_channel = channel  # type: ignore[attr-defined]
        yield built


async def ready(radar: Radar) -> Any:
    """The platform as `radar run` starts it, minus the gateway connection."""
    platform = radar.chat.discord
    platform.build(Handlers(radar, radar.stages.understander))
    await platform.login()
    return platform


async def callbacks(api: DiscordAPI, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15
    while len(api.interaction_callbacks) < count:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{len(api.interaction_callbacks)} interaction answers, not {count}"
            )
        await asyncio.sleep(0.05)
    return api.interaction_callbacks


async def test_bot_posts_embed_with_buttons_and_threads_followups(
    radar: Radar, discord_api: DiscordAPI, feed_server: FeedServer
) -> None:
    channel = radar.test_channel  # type: ignore[attr-defined]
    await radar.poll()
    assert await radar.deliver() == 1
    [alert] = discord_api.messages(channel)
    assert alert["embeds"][0]["title"].startswith("Meta hires OpenAI")
    ids = [c["custom_id"] for row in alert["components"] for c in row["components"]]
    assert [i.split(":")[1] for i in ids] == ["up", "down", "mute"]
    [post] = discord_api.calls_to("POST", f"/channels/{channel}/messages")
    assert post.json["allowed_mentions"] == {"parse": []}

    other = "https://other.example/wei-chung"
    feed_server.add("/other.xml", body=rss([Item(ALT_HEADLINE, other, published=recent())]))
    radar.store.add_feed(feed_server.url("/other.xml"), "config", name="Other Outlet")
    await radar.poll()
    await radar.deliver()
    assert len(discord_api.messages(channel)) == 1  # never a second top-level alert
    thread = discord_api.threads[int(alert["id"])]
    [reply] = discord_api.messages(thread.id)
    assert any(other in s for s in strings(reply))
    edited = discord_api.message(channel, int(alert["id"]))
    assert any("+1 source" in s for s in strings(edited["embeds"]))


async def test_app_command_tree_payload_is_synced_to_the_guild(
    radar: Radar, discord_api: DiscordAPI
) -> None:
    platform = await ready(radar)
    await platform.sync()
    [radar_cmd] = discord_api.commands[str(discord_api.guild_id)]
    assert radar_cmd["name"] == "radar" and radar_cmd.get("type", 1) == 1
    subs = {o["name"]: o for o in radar_cmd["options"]}
    assert set(subs) == {
        "help",
        "digest",
        "summary",
        "search",
        "subscribe",
        "unsubscribe",
        "feeds",
        "status",
        "why",
        "moves",
        "who",
        "org",
        "fix-move",
    }
    assert all(o["type"] == 1 for o in subs.values())  # subcommands
    digest = {o["name"]: o for o in subs["digest"]["options"]}
    assert [c["value"] for c in digest["period"]["choices"]] == ["24h", "7d", "30d"]
    assert not digest["period"].get("required", False)
    subscribe = {o["name"]: o for o in subs["subscribe"]["options"]}
    assert subscribe["topics"]["required"] is True
    assert (subscribe["min_score"]["min_value"], subscribe["min_score"]["max_value"]) == (0.0, 1.0)
    assert {o["name"] for o in subs["summary"]["options"]} == {"url"}


async def test_slash_commands_answer_through_the_shared_handlers(
    radar: Radar, discord_api: DiscordAPI
) -> None:
    platform = await ready(radar)
    channel = radar.test_channel  # type: ignore[attr-defined]
    state = platform.client._connection
    await radar.poll()

    state.parse_interaction_create(discord_api.command_interaction(channel, "help", []))
    [help_answer] = await callbacks(discord_api, 1)
    assert help_answer["type"] == 4 and help_answer["data"]["flags"] & 64  # only the caller
    assert help_answer["data"]["allowed_mentions"] == {"parse": []}
    assert any("/radar digest" in s for s in strings(help_answer["data"]["embeds"]))

    digest = [
        {"name": "period", "type": 3, "value": "7d"},
        {"name": "topic", "type": 3, "value": "talent"},
    ]
    state.parse_interaction_create(discord_api.command_interaction(channel, "digest", digest))
    answer = (await callbacks(discord_api, 2))[1]
    assert any("Jason Wei" in s for s in strings(answer["data"]["embeds"]))
    assert not (answer["data"].get("flags") or 0) & 64  # digests are for the channel

    # subscribe needs Manage Server (permission bit 0x20).
    topics = [{"name": "topics", "type": 3, "value": "agi"}]
    state.parse_interaction_create(discord_api.command_interaction(channel, "subscribe", topics))
    refused = (await callbacks(discord_api, 3))[2]
    assert any("admins" in s for s in strings(refused["data"]))
    assert radar.store.subscriptions("discord") == []
    state.parse_interaction_create(
        discord_api.command_interaction(channel, "subscribe", topics, permissions=0x20)
    )
    await callbacks(discord_api, 4)
    [row] = radar.store.subscriptions("discord")
    assert (row["channel"], row["topics"]) == (str(channel), ["agi"])

    # summary is slow: deferred at once ("thinking"), answered by a follow-up.
    url = [{"name": "url", "type": 3, "value": "http://127.0.0.1:9/private"}]
    state.parse_interaction_create(discord_api.command_interaction(channel, "summary", url))
    answers = await callbacks(discord_api, 6)
    assert answers[4]["type"] == 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    assert any("not a public address" in s for s in strings(answers[5]))


async def test_button_clicks_vote_after_a_restart(radar: Radar, discord_api: DiscordAPI) -> None:
    channel = radar.test_channel  # type: ignore[attr-defined]
    await radar.poll()
    await radar.deliver()
    [alert] = discord_api.messages(channel)
    up = alert["components"][0]["components"][0]["custom_id"]
    # A fresh platform, as after a restart: the persistent buttons still reach the handlers.
    from bot.discord.app import DiscordPlatform
    from bot.settings import ChatEnvironment, DiscordSettings, Secrets

    secrets = Secrets.from_env({"DISCORD_TOKEN": discord_api.bot_token})
    env = ChatEnvironment.from_env({"DISCORD_API_BASE_URL": discord_api.base_url})
    restarted = DiscordPlatform(DiscordSettings(), secrets, env)
    try:
        restarted.build(Handlers(radar, radar.stages.understander))
        await restarted.login()
        click = discord_api.component_interaction(channel, int(alert["id"]), up)
        restarted.client._connection.parse_interaction_create(click)
        [answer] = await callbacks(discord_api, 1)
        assert answer["data"]["flags"] & 64 and any("saved" in s for s in strings(answer["data"]))
        with radar.store.engine.connect() as conn:
            [vote] = list(conn.execute(feedback.select()))
        assert (vote.platform, vote.user, vote.vote) == ("discord", "930000000000000001", 1)
    finally:
        await restarted.aclose()


async def test_a_button_naming_no_possible_story_gets_a_polite_answer(
    radar: Radar, discord_api: DiscordAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """A forged id past SQLite's integers was an OverflowError after the click: unanswered."""
    platform = await ready(radar)
    channel = radar.test_channel  # type: ignore[attr-defined]
    await radar.poll()
    await radar.deliver()
    [alert] = discord_api.messages(channel)
    for story_id in ("1" * 23, str(2**63), "9" * 5000):
        forged = f"radar:up:{story_id}"
        click = discord_api.component_interaction(channel, int(alert["id"]), forged)
        # Discord only sends clicks on buttons the message has: this one carries the forged id.
        click["message"]["components"][0]["components"][0]["custom_id"] = forged
        platform.client._connection.parse_interaction_create(click)
    answers = await callbacks(discord_api, 3)
    for answer in answers:
        assert answer["data"]["flags"] & 64  # only the clicker sees it
        assert any("no longer works" in s for s in strings(answer["data"]))
    assert not [r for r in caplog.records if r.exc_info]
    with radar.store.engine.connect() as conn:
        assert list(conn.execute(feedback.select())) == []
