"""Hostile requests at Slack HTTP mode's POST /slack/events, through the real slack-bolt app and a
real aiohttp listener: every one gets a clean 4xx or a polite answer, never a 500 or a traceback,
and a signed request from a workspace or app other than the installed one is refused."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.chat.handlers import Handlers
from bot.errors import ConfigError
from bot.runtime.cycle import Radar
from bot.slack.app import SlackUnavailable
from tests.conftest import make_settings, running
from tests.e2e.test_slack import command_body, post, signed, slack_env, started
from tests.feedserver import FeedServer
from tests.payloads import strings, until
from tests.slackapi import SlackAPI


@pytest.fixture
async def radar(tmp_path: Path, feed_server: FeedServer, slack: SlackAPI) -> AsyncIterator[Radar]:
    settings = make_settings(
        tmp_path,
        [],
        outputs=[{"type": "slack", "channel": "#ai-news", "topics": ["talent_war", "agi"]}],
        slack={"port": 0, "host": "127.0.0.1", "per_channel_interval": "0s"},
    )
    async with running(settings, slack_env(slack)) as built:
        yield built


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log records at WARNING or above that carry a traceback (what a user must never see)."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.exc_info]


def click_body(slack: SlackAPI, action_id: str, **extra: Any) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": slack.team_id},
        "api_app_id": slack.app_id,
        "user": {"id": "U1"},
        "channel": {"id": "C0AINEWS"},
        "container": {"type": "message", "message_ts": "1700000001.000100"},
        "trigger_id": "t",
        "response_url": slack.response_url("b1"),
        "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": "x"}],
        **extra,
    }
    return urlencode({"payload": json.dumps(payload)})


async def test_a_timestamp_that_is_not_a_number_is_refused_before_anything_else(
    radar: Radar, slack: SlackAPI, caplog: pytest.LogCaptureFixture
) -> None:
    platform = await started(radar)
    body = command_body(slack, "help")
    for stamp in ("abc", "", "1e9", "9" * 400, "-5"):
        headers = {**signed(body), "X-Slack-Request-Timestamp": stamp}
        status, _ = await post(platform.port, body, headers)
        assert status == 401, stamp
    assert tracebacks(caplog) == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=not-json", "application/x-www-form-urlencoded"),
        ("payload=%7B%22type%22%3A", "application/x-www-form-urlencoded"),  # cut-off JSON
        ("payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),  # a list, not an object
        ('payload={"type": "block_actions", "actions": 7}', "application/x-www-form-urlencoded"),
        ("{", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('{"type": "event_callback", "event": "x"}', "application/json"),
        ("command=%2Fradar&text=%FF%FE", "application/x-www-form-urlencoded"),
    ],
)
async def test_signed_but_malformed_bodies_get_a_clean_answer(
    radar: Radar,
    slack: SlackAPI,
    caplog: pytest.LogCaptureFixture,
    body: str,
    content_type: str,
) -> None:
    platform = await started(radar)
    headers = {**signed(body), "Content-Type": content_type}
    status, _ = await post(platform.port, body, headers)
    assert status < 500
    assert tracebacks(caplog) == []


async def test_a_button_with_a_story_id_too_big_for_the_database_gets_a_polite_reply(
    radar: Radar, slack: SlackAPI, caplog: pytest.LogCaptureFixture
) -> None:
    platform = await started(radar)
    for story_id in ("1" * 23, str(2**63), "9" * 5000):
        body = click_body(slack, f"radar:up:{story_id}")
        status, _ = await post(platform.port, body, signed(body))
        assert status == 200  # acknowledged: Slack shows no error to the user
    await until(lambda: len(slack.ephemerals) >= 3)
    assert all(
        any("no longer" in s for s in strings(e.get("blocks") or e["text"]))
        for e in slack.ephemerals
    )
    assert tracebacks(caplog) == []


async def test_a_slash_command_from_another_workspace_is_refused(
    radar: Radar, slack: SlackAPI
) -> None:
    platform = await started(radar)
    foreign = command_body(slack, "help").replace(slack.team_id, "T0ELSEWHERE")
    status, text = await post(platform.port, foreign, signed(foreign))
    assert status == 403
    assert "/radar subscribe" not in text

    other_app = command_body(slack, "help") + "&api_app_id=A0OTHERAPP"
    status, text = await post(platform.port, other_app, signed(other_app))
    assert status == 403

    mine = command_body(slack, "help") + f"&api_app_id={slack.app_id}"
    status, text = await post(platform.port, mine, signed(mine))
    assert status == 200
    assert any("/radar subscribe" in s for s in strings(json.loads(text)))


async def test_a_button_from_another_workspace_does_nothing(radar: Radar, slack: SlackAPI) -> None:
    platform = await started(radar)
    body = click_body(slack, "radar:up:1", team={"id": "T0ELSEWHERE"})
    status, _ = await post(platform.port, body, signed(body))
    assert status == 403
    assert slack.ephemerals == []


async def test_a_bad_token_or_a_taken_port_is_a_config_error_and_a_5xx_is_not(
    radar: Radar, slack: SlackAPI
) -> None:
    """What the service gives up on (ConfigError) versus what it tries again later."""
    platform = radar.chat.slack
    handlers = Handlers(radar, radar.stages.understander)
    slack.fail_next("auth.test", status=503, raw="<h1>Bad gateway</h1>")
    with pytest.raises(SlackUnavailable, match="not JSON"):
        await platform.start(handlers)
    slack.fail_next("auth.test", error="invalid_auth")
    with pytest.raises(ConfigError, match=r"auth.test failed \(invalid_auth\)"):
        await platform.start(handlers)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        platform.settings = platform.settings.model_copy(update={"port": taken.getsockname()[1]})
        with pytest.raises(ConfigError, match=r"cannot listen on 127.0.0.1:\d+"):
            await platform.start(handlers)
