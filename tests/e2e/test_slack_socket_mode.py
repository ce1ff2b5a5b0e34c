"""Slack in Socket Mode end to end: the real slack-bolt AsyncSocketModeHandler and slack_sdk
SocketModeClient open a connection through the stand-in's apps.connections.open, get envelopes
down a real websocket and acknowledge them; no signing secret is configured."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import build
from bot.chat.handlers import Handlers
from bot.errors import ConfigError
from bot.runtime.cycle import Radar
from bot.store.schema import feedback, stories
from tests.conftest import make_settings, running
from tests.feeds import META_HIRE, Item, recent, rss
from tests.feedserver import FeedServer
from tests.payloads import strings, until
from tests.slackapi import SlackAPI

APP_TOKEN = "xapp-1-A0RADAR-socket-test"


@pytest.fixture
def slack() -> Iterator[SlackAPI]:
    api = SlackAPI(channels={"ai-news": "C0AINEWS"}, app_token=APP_TOKEN).start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
async def radar(tmp_path: Path, feed_server: FeedServer, slack: SlackAPI) -> AsyncIterator[Radar]:
    item = Item(META_HIRE.title, META_HIRE.link, META_HIRE.description, published=recent())
    feed_server.add("/wire.xml", body=rss([item], title="AI Wire"))
    settings = make_settings(
        tmp_path,
        [feed_server.url("/wire.xml")],
        outputs=[{"type": "slack", "channel": "#ai-news", "topics": ["talent_war", "agi"]}],
        slack={"per_channel_interval": "0s"},
    )
    env = {
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": slack.base_url,
    }
    async with running(settings, env) as built:
        yield built


async def connected(radar: Radar, slack: SlackAPI) -> Any:
    platform = radar.chat.slack
    await platform.start(Handlers(radar, radar.stages.understander))
    assert platform.port is None  # no HTTP listener in Socket Mode
    await until(lambda: slack.socket_connected)
    return platform


def envelope(kind: str, payload: dict[str, Any], *, accepts_response: bool) -> dict[str, Any]:
    return {
        "envelope_id": str(uuid.uuid4()),
        "type": kind,
        "payload": payload,
        "accepts_response_payload": accepts_response,
    }


async def test_socket_mode_opens_with_the_app_token(radar: Radar, slack: SlackAPI) -> None:
    await connected(radar, slack)
    [auth] = slack.calls_to("auth.test")
    assert auth.token == slack.token
    [opened] = slack.calls_to("apps.connections.open")
    assert opened.token == APP_TOKEN and opened.response["ok"] is True
    assert opened.response["url"].startswith(f"ws://127.0.0.1:{slack.port}/socket?ticket=")
    [socket] = slack.calls_to("socket")
    assert socket.params["ticket"] in opened.response["url"]


async def test_slash_command_is_answered_in_the_ack(radar: Radar, slack: SlackAPI) -> None:
    await connected(radar, slack)
    sent = envelope(
        "slash_commands",
        {
            "token": "legacy",
            "team_id": slack.team_id,
            "team_domain": "radar-test",
            "channel_id": "C0AINEWS",
            "channel_name": "ai-news",
            "user_id": "U1",
            "user_name": "ada",
            "command": "/radar",
            "text": "help",
            "api_app_id": slack.app_id,
            "is_enterprise_install": "false",
            "response_url": slack.response_url("r1"),
            "trigger_id": "t1",
        },
        accepts_response=True,
    )
    slack.socket_send(sent)
    ack = await until(lambda: slack.socket_ack(sent["envelope_id"]))
    assert ack["payload"]["response_type"] == "ephemeral"
    assert any("/radar digest" in s for s in strings(ack["payload"]))
    assert slack.responses == {}  # a fast command is answered in the ack, not the response_url


async def test_button_press_stores_the_vote(radar: Radar, slack: SlackAPI) -> None:
    await connected(radar, slack)
    await radar.poll()
    with radar.store.engine.connect() as conn:
        [story_id] = [row.id for row in conn.execute(stories.select())]
    sent = envelope(
        "interactive",
        {
            "type": "block_actions",
            "api_app_id": slack.app_id,
            "team": {"id": slack.team_id, "domain": "radar-test"},
            "user": {"id": "U1", "username": "ada", "team_id": slack.team_id},
            "channel": {"id": "C0AINEWS", "name": "ai-news"},
            "container": {"type": "message", "message_ts": "1700000001.000100"},
            "trigger_id": "t2",
            "response_url": slack.response_url("b1"),
            "actions": [
                {
                    "action_id": f"radar:up:{story_id}",
                    "block_id": "radar-actions",
                    "type": "button",
                    "value": str(story_id),
                    "action_ts": "1700000002.000200",
                }
            ],
        },
        accepts_response=False,
    )
    slack.socket_send(sent)
    ack = await until(lambda: slack.socket_ack(sent["envelope_id"]))
    assert not ack.get("payload")  # buttons get a bare ack
    await until(lambda: slack.ephemerals)  # the confirmation, after the vote is stored
    with radar.store.engine.connect() as conn:
        votes = [(r.story_id, r.user, r.vote) for r in conn.execute(feedback.select())]
    assert votes == [(story_id, "U1", 1)]
    [confirmation] = slack.ephemerals
    assert (confirmation["channel"], confirmation["user"]) == ("C0AINEWS", "U1")


async def test_app_home_event_is_acked_and_published(radar: Radar, slack: SlackAPI) -> None:
    await connected(radar, slack)
    await radar.poll()
    sent = envelope(
        "events_api",
        {
            "type": "event_callback",
            "team_id": slack.team_id,
            "api_app_id": slack.app_id,
            "event": {"type": "app_home_opened", "user": "U7", "tab": "home", "channel": "D1"},
            "event_id": "Ev1",
            "event_time": int(time.time()),
        },
        accepts_response=False,
    )
    slack.socket_send(sent)
    await until(lambda: slack.socket_ack(sent["envelope_id"]))
    view = await until(lambda: slack.views.get("U7"))
    assert any("Jason Wei" in s for s in strings(view))


async def test_a_bot_token_cannot_open_a_socket(slack: SlackAPI) -> None:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    for token, error in ((slack.token, "not_allowed_token_type"), ("xapp-wrong", "invalid_auth")):
        with pytest.raises(SlackApiError) as refused:
            await AsyncWebClient(base_url=slack.base_url).apps_connections_open(app_token=token)
        assert refused.value.response["error"] == error


async def test_a_refused_app_token_is_one_clear_error(
    tmp_path: Path, feed_server: FeedServer, slack: SlackAPI
) -> None:
    settings = make_settings(tmp_path, [])
    env = {
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_APP_TOKEN": "xapp-wrong",
        "SLACK_API_URL": slack.base_url,
    }
    built = build(settings, env=env)
    try:
        with pytest.raises(ConfigError, match=r"apps.connections.open failed \(invalid_auth\)"):
            await built.chat.slack.start(Handlers(built, built.stages.understander))
        assert slack.calls_to("socket") == []  # no retry loop against the socket
    finally:
        await built.aclose()
        built.store.close()
