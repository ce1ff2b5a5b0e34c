"""Talent flow in chat: /radar moves, who, org and moves fix through the shared handlers, the chart
uploaded to the Slack stand-in (files.uploadV2) and attached on the Discord stand-in, as real PNGs."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage

from bot.app import build
from bot.chat.commands import parse_command
from bot.chat.handlers import Handlers
from bot.chat.replies import Caller, Reply
from bot.errors import ConfigError
from bot.runtime.cycle import Radar
from bot.runtime.digests import post_digest
from bot.settings import DigestSchedule
from tests.conftest import make_settings, running
from tests.discordapi import DiscordAPI
from tests.e2e.test_discord import callbacks
from tests.e2e.test_slack import SECRET, command_body, post, signed
from tests.feeds import META_HIRE, Item, recent, rss
from tests.feedserver import FeedServer
from tests.payloads import strings, until
from tests.slackapi import SlackAPI

PNG = b"\x89PNG\r\n\x1a\n"
ALT_HEADLINE = "OpenAI researchers Jason Wei and Hyung Won Chung depart for Meta"
USER = Caller("slack", "T1", "C1", "U1")
ADMIN = Caller("discord", "G1", "42", "U9", may_manage_feeds=True)


def serve_two_outlets(feed_server: FeedServer) -> list[dict[str, str]]:
    wire = Item(META_HIRE.title, META_HIRE.link, META_HIRE.description, published=recent())
    other = Item(ALT_HEADLINE, "https://other.example/wei-chung", published=recent())
    feed_server.add("/wire.xml", body=rss([wire], title="AI Wire"))
    feed_server.add("/other.xml", body=rss([other], title="Other Outlet"))
    return [
        {"url": feed_server.url("/wire.xml"), "name": "AI Wire"},
        {"url": feed_server.url("/other.xml"), "name": "Other Outlet"},
    ]


def assert_png(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG, data[:16]
    image = PILImage.open(io.BytesIO(data))
    image.load()  # decodes every row: a truncated or corrupt file raises here
    assert image.size[0] >= 600 and image.size[1] >= 600, image.size
    return image.size


def words(reply: Reply) -> str:
    return "\n".join(
        [reply.title, *reply.paragraphs, reply.footer or ""] + [f"{k} {v}" for k, v in reply.fields]
    )


@pytest.fixture
async def polled(radar_factory: Any, feed_server: FeedServer) -> Radar:
    radar: Radar = radar_factory(serve_two_outlets(feed_server))
    await radar.poll()
    return radar


async def run(radar: Radar, text: str, caller: Caller = USER) -> Reply:
    handlers = Handlers(radar, radar.stages.understander)
    return await handlers.execute(caller, parse_command(text))


async def test_moves_answers_with_the_flow_and_a_chart(polled: Radar) -> None:
    reply = await run(polled, "moves 30d")
    assert reply.title == "Talent flow, last 30d" and not reply.ephemeral
    assert ("Meta", "+2 (2 in, 0 out)") in reply.fields
    assert ("OpenAI", "-2 (0 in, 2 out)") in reply.fields
    text = words(reply)
    assert "Jason Wei: OpenAI → Meta (hire) · AI Wire, Other Outlet" in text
    assert "Hyung Won Chung: OpenAI → Meta" in text
    assert reply.image is not None and reply.image.filename.endswith(".png")
    assert_png(reply.image.data)

    by_unit = await run(polled, "moves 90d Meta Superintelligence Labs")
    assert by_unit.title == "Talent flow, last 90d: Meta Superintelligence Labs"
    assert ("Meta", "+2 (2 in, 0 out)") in by_unit.fields
    elsewhere = await run(polled, "moves 7d Anthropic")
    assert elsewhere.paragraphs == ("No moves in this period.",) and elsewhere.image is None
    bad = await run(polled, "moves 12y")
    assert bad.ephemeral and bad.error and "Usage: /radar moves" in words(bad)


async def test_who_and_org_pages(polled: Radar) -> None:
    who = await run(polled, "who Dr Jason Wei")
    assert who.title == "Jason Wei"
    [(when, detail)] = who.fields
    assert when.endswith(": OpenAI → Meta (hire)") and "AI Wire, Other Outlet" in detail
    nobody = await run(polled, "who Jane Nobody")
    assert nobody.ephemeral and "no moves of Jane Nobody" in words(nobody)
    assert (await run(polled, "who")).error

    org = await run(polled, "org FAIR")
    assert org.title == "Meta: talent flow, last 12 months"
    fields = dict(org.fields)
    assert fields["Arrivals"] == "2" and fields["Departures"] == "0"
    assert fields["Top origins"] == "OpenAI (2)" and fields["Top destinations"] == "—"
    openai = dict((await run(polled, "org OpenAI")).fields)
    assert openai["Departures"] == "2" and openai["Top destinations"] == "Meta (2)"


async def test_moves_fix_is_for_admins_and_corrects_the_ledger(polled: Radar) -> None:
    move = polled.store.ledger.moves(polled.clock().replace(year=2000))[0]
    refused = await run(polled, f"moves fix {move.id} kind=acquihire")
    assert refused.error and "Only workspace admins" in words(refused)
    assert polled.store.ledger.move(move.id).kind == "hire"  # type: ignore[union-attr]

    fixed = await run(polled, f"moves fix {move.id} kind=acquihire from=Google Brain", ADMIN)
    assert fixed.title == "Move corrected", words(fixed)
    after = polled.store.ledger.move(move.id)
    assert after is not None and (after.kind, after.from_org) == ("acquihire", "Google DeepMind")
    for bad, problem in (
        ("moves fix", "move's number"),
        (f"moves fix {move.id}", "Say what to correct"),
        (f"moves fix {move.id} boss=Me", "not a correction"),
        (f"moves fix {move.id} kind=pay", "kind must be one of"),
        ("moves fix 99999 kind=hire", "no move #99999"),
    ):
        reply = await run(polled, bad, ADMIN)
        assert reply.error and problem in words(reply), (bad, words(reply))


# -- Slack: the chart as a file upload --------------------------------------------------------------


@pytest.fixture
async def slack_radar(
    tmp_path: Path, feed_server: FeedServer, slack: SlackAPI
) -> AsyncIterator[Radar]:
    settings = make_settings(
        tmp_path,
        serve_two_outlets(feed_server),
        outputs=[{"type": "slack", "channel": "#ai-news", "topics": ["talent_war", "agi"]}],
        slack={"port": 0, "host": "127.0.0.1", "per_channel_interval": "0s"},
    )
    env = {
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.base_url,
    }
    async with running(settings, env) as built:
        yield built


async def test_slack_moves_posts_the_chart_as_an_uploaded_png(
    slack_radar: Radar, slack: SlackAPI
) -> None:
    await slack_radar.poll()
    platform = slack_radar.chat.slack  # type: ignore[union-attr]
    await platform.start(Handlers(slack_radar, slack_radar.stages.understander))
    body = command_body(slack, "moves 30d")
    status, ack = await post(platform.port, body, signed(body))
    assert status == 200 and "Working on" in ack
    await until(lambda: bool(slack.uploads) and bool(slack.responses.get("r1")), within=20)
    [answer] = slack.responses["r1"]
    assert answer["response_type"] == "in_channel"
    assert any("Jason Wei: OpenAI → Meta" in s for s in strings(answer))
    [upload] = slack.uploads
    assert upload["channel"] == "C0AINEWS" and upload["title"] == "Talent flow, last 30d"
    assert upload["name"] == "talent-flow.png"
    assert_png(upload["data"])
    steps = [c.method for c in slack.calls if c.method.startswith(("files.", "upload"))]
    assert steps == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


async def test_a_refused_upload_still_answers_and_says_why_in_the_log(
    slack_radar: Radar, slack: SlackAPI, caplog: pytest.LogCaptureFixture
) -> None:
    await slack_radar.poll()
    platform = slack_radar.chat.slack  # type: ignore[union-attr]
    await platform.start(Handlers(slack_radar, slack_radar.stages.understander))
    slack.fail_next("files.getUploadURLExternal", error="missing_scope")
    body = command_body(slack, "moves 30d")
    await post(platform.port, body, signed(body))
    await until(lambda: bool(slack.responses.get("r1")), within=20)
    await until(lambda: "could not upload" in caplog.text, within=10)
    assert any("Jason Wei: OpenAI → Meta" in s for s in strings(slack.responses["r1"][0]))
    assert slack.uploads == []
    assert "missing_scope" in caplog.text


# -- Discord: the chart as an attachment --------------------------------------------------------------


async def test_discord_moves_attaches_the_chart_as_a_png(
    tmp_path: Path, feed_server: FeedServer, discord_api: DiscordAPI
) -> None:
    channel = discord_api.add_channel()
    settings = make_settings(
        tmp_path,
        serve_two_outlets(feed_server),
        outputs=[{"type": "discord", "channel": channel, "topics": ["talent_war", "agi"]}],
    )
    radar = build(settings, env=discord_api.bot_env())
    try:
        await radar.poll()
        platform = radar.chat.discord  # type: ignore[union-attr]
        platform.build(Handlers(radar, radar.stages.understander))
        await platform.login()
        state = platform.client._connection
        period = [{"name": "period", "type": 3, "value": "30d"}]
        state.parse_interaction_create(discord_api.command_interaction(channel, "moves", period))
        deferred, followup = await callbacks(discord_api, 2)
        assert deferred["type"] == 5  # drawing may take longer than Discord's 3 s
        assert any("Jason Wei: OpenAI → Meta" in s for s in strings(followup.get("embeds")))
        [attached] = followup["_files"]
        assert attached["filename"] == "talent-flow.png"
        assert_png(attached["data"])

        who = [{"name": "name", "type": 3, "value": "Hyung Won Chung"}]
        state.parse_interaction_create(discord_api.command_interaction(channel, "who", who))
        answer = (await callbacks(discord_api, 3))[2]
        assert any("OpenAI → Meta" in s for s in strings(answer["data"]["embeds"]))

        # fix-move needs Manage Server (0x20); its options become `moves fix <id> key=value…`.
        move = radar.store.ledger.person_moves("Hyung Won Chung")[1][0]  # type: ignore[index]
        fix = [
            {"name": "move_id", "type": 4, "value": move.id},
            {"name": "to_org", "type": 3, "value": "Meta Superintelligence Labs"},
            {"name": "kind", "type": 3, "value": "acquihire"},
        ]
        state.parse_interaction_create(discord_api.command_interaction(channel, "fix-move", fix))
        refused = (await callbacks(discord_api, 5))[4]  # deferred first: `moves` may draw
        assert any("Only workspace admins" in s for s in strings(refused))
        state.parse_interaction_create(
            discord_api.command_interaction(channel, "fix-move", fix, permissions=0x20)
        )
        done = (await callbacks(discord_api, 7))[6]
        assert any("Move corrected" in s for s in strings(done)), done
        fixed = radar.store.ledger.move(move.id)
        assert fixed is not None and (fixed.kind, fixed.to_org) == ("acquihire", "Meta")
    finally:
        await radar.aclose()
        radar.store.close()


# -- the weekly talent-flow digest -------------------------------------------------------------------


async def test_a_weekly_talent_digest_posts_the_flow_and_uploads_the_chart(
    slack_radar: Radar, slack: SlackAPI
) -> None:
    await slack_radar.poll()
    key = slack_radar.settings.outputs[0].key
    schedule = DigestSchedule(every="weekly", day="mon", kind="talent")
    assert await post_digest(slack_radar, key, schedule)
    assert not await post_digest(slack_radar, key, schedule), "one digest per ISO week"
    [message] = slack.messages("C0AINEWS")
    texts = strings(message)
    assert any("Weekly talent flow, last 7d" in s for s in texts), texts
    assert any("Jason Wei: OpenAI → Meta" in s for s in texts), texts
    [upload] = slack.uploads
    assert upload["channel"] == "C0AINEWS" and upload["title"] == "Weekly talent flow, last 7d"
    assert_png(upload["data"])


async def test_a_talent_digest_on_a_discord_webhook_attaches_the_chart(
    tmp_path: Path, feed_server: FeedServer, discord_api: DiscordAPI
) -> None:
    hook = discord_api.add_webhook()
    digest = {"every": "daily", "kind": "talent"}
    settings = make_settings(
        tmp_path,
        serve_two_outlets(feed_server),
        outputs=[
            {"type": "discord_webhook", "url": discord_api.webhook_url(hook), "digest": digest}
        ],
    )
    radar = build(settings, env={"DISCORD_API_BASE_URL": discord_api.base_url})
    try:
        await radar.poll()
        spec = settings.outputs[0]
        assert spec.digest is not None and spec.digest.kind == "talent"
        assert await post_digest(radar, spec.key, spec.digest)
        [posted] = discord_api.webhook_messages(hook.id)
        assert any("Daily talent flow, last 24h" in s for s in strings(posted["embeds"]))
        [attachment] = posted["attachments"]
        assert attachment["filename"] == "talent-flow.png" and attachment["size"] > 10_000
        [call] = [c for c in discord_api.calls if c.path.startswith("/webhooks/")]
        [sent] = call.json["_files"]
        assert_png(sent["data"])
    finally:
        await radar.aclose()
        radar.store.close()


def test_a_digest_kind_is_stories_or_talent(tmp_path: Path) -> None:
    assert DigestSchedule().kind == "stories"
    with pytest.raises(ConfigError) as err:
        make_settings(
            tmp_path, [], outputs=[{"type": "slack", "channel": "C1", "digest": {"kind": "gossip"}}]
        )
    assert "outputs[0].digest.kind" in str(err.value)
