"""Chat API metrics through the real slack_sdk against the Slack stand-in: send latency, sends and
failures by platform, and a 429 that outlives the SDK's own retries counted as a rate limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from bot.runtime.cycle import Radar
from tests.conftest import make_settings, running
from tests.feeds import META_HIRE, Item, recent, rss
from tests.feedserver import FeedServer
from tests.slackapi import SlackAPI


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def radar(tmp_path: Path, feed_server: FeedServer, slack: SlackAPI) -> AsyncIterator[Radar]:
    item = Item(META_HIRE.title, META_HIRE.link, META_HIRE.description, published=recent())
    feed_server.add("/wire.xml", body=rss([item], title="AI Wire"))
    settings = make_settings(
        tmp_path,
        [feed_server.url("/wire.xml")],
        outputs=[{"type": "slack", "channel": "#ai-news", "topics": ["talent_war", "agi"]}],
        slack={"port": 0, "host": "127.0.0.1", "per_channel_interval": "0s"},
    )
    env = {"SLACK_BOT_TOKEN": slack.token, "SLACK_API_URL": slack.base_url}
    async with running(settings, env) as built:
        yield built


async def test_a_lasting_429_counts_as_a_failed_rate_limited_send_then_the_retry_as_sent(
    radar: Radar, slack: SlackAPI
) -> None:
    before = {
        "failed": metric("radar_alerts_failed_total", platform="slack"),
        "limited": metric("radar_rate_limited_total", platform="slack"),
        "sent": metric("radar_alerts_sent_total", platform="slack"),
        "timed": metric("radar_send_seconds_count", platform="slack"),
    }
    slack.fail_next("chat.postMessage", status=429, retry_after=1, times=3)  # > the SDK's 2 retries
    await radar.poll()
    assert await radar.deliver() == 0
    assert metric("radar_alerts_failed_total", platform="slack") == before["failed"] + 1
    assert metric("radar_rate_limited_total", platform="slack") == before["limited"] + 1
    assert metric("radar_alerts_sent_total", platform="slack") == before["sent"]

    await asyncio.sleep(1.1)  # the platform's retry-after
    assert await radar.deliver() == 1
    assert metric("radar_alerts_sent_total", platform="slack") == before["sent"] + 1
    assert metric("radar_rate_limited_total", platform="slack") == before["limited"] + 1
    assert metric("radar_send_seconds_count", platform="slack") == before["timed"] + 2
    assert metric("radar_send_seconds_sum", platform="slack") > 0


async def test_a_problem_for_an_admin_is_a_failure_but_no_rate_limit(
    radar: Radar, slack: SlackAPI
) -> None:
    limited = metric("radar_rate_limited_total", platform="slack")
    failed = metric("radar_alerts_failed_total", platform="slack")
    slack.add_channel("ai-news", "C0AINEWS", member=False)  # not_in_channel: an admin must invite
    await radar.poll()
    assert await radar.deliver() == 0
    assert metric("radar_alerts_failed_total", platform="slack") == failed + 1
    assert metric("radar_rate_limited_total", platform="slack") == limited
