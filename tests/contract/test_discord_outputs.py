"""The Discord outputs driving the real discord.py against a local stand-in of Discord's REST API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import discord
import discord.http
import discord.webhook.async_
import pytest

from bot.chat.actions import Action
from bot.chat.replies import Coverage
from bot.core.models import Alert, Destination, Move
from bot.discord.api import DEFAULT_API_BASE, configure_api_base, webhook_url_for
from bot.discord.bot_output import DiscordBotOutput
from bot.discord.render import alert_components, alert_embed
from bot.discord.views import install_actions
from bot.discord.webhook import DiscordWebhookOutput
from bot.outputs.base import ADMIN_RETRY, DeliveryError
from tests.discordapi import DiscordAPI

DESTINATION = Destination("discord-test", frozenset({"talent_war", "agi"}))
COVERAGE = Coverage("Meta's hiring spree widens", "https://third.example/meta", "Third Outlet")


def make_alert(**changes: Any) -> Alert:
    fields: dict[str, Any] = {
        "story_id": 42,
        "url": "https://techwire.example/meta-hires",
        "title": "Meta hires OpenAI's Jason Wei @everyone",
        "topics": ("talent_war",),
        "scores": {"talent_war": 0.97},
        "reasons": {"talent_war": ["move verb + AI lab + named person"]},
        "summary": "Meta has hired OpenAI researcher Jason Wei.",
        "source": "TechWire",
        "published": datetime(2025, 6, 30, 14, 5, tzinfo=UTC),
        "language": "en",
        "also": ("https://labwatch.example/meta",),
        "move": Move(("Jason Wei",), "OpenAI", "Meta", None, "hire"),
        "sources_count": 2,
    }
    fields.update(changes)
    return Alert(**fields)


def sources_field(message: dict[str, Any]) -> str:
    fields = message["embeds"][0]["fields"]
    return str(next(f["value"] for f in fields if f["name"] == "Sources"))


@pytest.fixture
def api() -> Iterator[DiscordAPI]:
    server = DiscordAPI().start()
    configure_api_base(server.base_url)
    try:
        yield server
    finally:
        configure_api_base(None)
        server.stop()


@pytest.fixture
async def client(api: DiscordAPI) -> AsyncIterator[discord.Client]:
    # REST only, as the delivery worker runs it: login() and no gateway connection.
    bot = discord.Client(intents=discord.Intents.none(), max_ratelimit_timeout=30.0)
    try:
        await bot.login(api.bot_token)
        yield bot
    finally:
        await bot.close()


# -- webhook -------------------------------------------------------------------------------------


async def test_webhook_send_posts_one_embed_without_components(api: DiscordAPI) -> None:
    hook = api.add_webhook()
    output = DiscordWebhookOutput(DESTINATION, api.webhook_url(hook))
    try:
        ref = await output.send(make_alert())
    finally:
        await output.aclose()

    [stored] = api.webhook_messages(hook.id)
    assert ref == stored["id"]
    [call] = api.calls_to("POST", f"/webhooks/{hook.id}/")
    assert call.query.get("wait") in ("1", "true")  # discord.py sends wait=1
    assert call.json["allowed_mentions"] == {"parse": []}
    assert "components" not in call.json
    assert len(call.json["embeds"]) == 1
    # discord.py adds "type": "rich" and "flags": 0; everything we rendered must arrive intact.
    sent = {k: v for k, v in call.json["embeds"][0].items() if k not in ("type", "flags")}
    assert sent == alert_embed(make_alert())
    assert "@everyone" not in call.json["embeds"][0]["title"]


async def test_webhook_followup_edits_the_alert(api: DiscordAPI) -> None:
    hook = api.add_webhook()
    output = DiscordWebhookOutput(DESTINATION, api.webhook_url(hook))
    try:
        ref = await output.send(make_alert())
        assert ref is not None
        assert "+1 source" in sources_field(api.message(hook.channel_id, int(ref)))
        assert await output.send_followup(make_alert(), ref, COVERAGE) == ref
    finally:
        await output.aclose()

    [patch] = api.calls_to("PATCH", f"/webhooks/{hook.id}/{hook.token}/messages/{ref}")
    assert patch.json["allowed_mentions"] == {"parse": []}
    edited = api.message(hook.channel_id, int(ref))
    assert edited["edited_timestamp"] is not None
    assert "+2 sources" in sources_field(edited)
    assert "(https://third.example/meta)" in sources_field(edited)
    assert len(api.webhook_messages(hook.id)) == 1


async def test_followup_on_a_deleted_alert_is_permanent(api: DiscordAPI) -> None:
    hook = api.add_webhook()
    output = DiscordWebhookOutput(DESTINATION, api.webhook_url(hook))
    try:
        with pytest.raises(DeliveryError) as gone:
            await output.send_followup(make_alert(), "1300000000000009999", COVERAGE)
        with pytest.raises(DeliveryError) as garbled:
            await output.send_followup(make_alert(), "not-an-id", COVERAGE)
    finally:
        await output.aclose()
    assert gone.value.permanent and "alert message is gone" in str(gone.value)
    assert garbled.value.permanent
    assert len(api.calls_to("PATCH", "/webhooks/")) == 1


async def test_webhook_short_429_is_retried_by_discord_py(api: DiscordAPI) -> None:
    hook = api.add_webhook()
    api.fail_next("POST", f"/webhooks/{hook.id}/", status=429, retry_after=0.5)
    output = DiscordWebhookOutput(DESTINATION, api.webhook_url(hook))
    try:
        ref = await output.send(make_alert())
    finally:
        await output.aclose()
    assert [c.status for c in api.calls_to("POST", f"/webhooks/{hook.id}/")] == [429, 200]
    assert ref == api.webhook_messages(hook.id)[0]["id"]


async def test_webhook_long_429_is_handed_back_with_its_delay(api: DiscordAPI) -> None:
    hook = api.add_webhook()
    api.fail_next("POST", f"/webhooks/{hook.id}/", status=429, retry_after=120.0)
    output = DiscordWebhookOutput(DESTINATION, api.webhook_url(hook))
    try:
        # The bound only keeps a regression from hanging the suite for two minutes.
        async with asyncio.timeout(60):
            with pytest.raises(DeliveryError) as caught:
                await output.send(make_alert())
    finally:
        await output.aclose()
    assert caught.value.retry_after == 120.0
    assert not caught.value.permanent
    assert len(api.calls_to("POST", f"/webhooks/{hook.id}/")) == 1
    assert api.webhook_messages(hook.id) == []


async def test_unknown_webhook_is_permanent(api: DiscordAPI) -> None:
    hook = api.add_webhook()
    api.fail_next("POST", f"/webhooks/{hook.id}/", status=404, code=10015)
    output = DiscordWebhookOutput(DESTINATION, api.webhook_url(hook))
    try:
        with pytest.raises(DeliveryError) as caught:
            await output.send(make_alert())
    finally:
        await output.aclose()
    assert caught.value.permanent
    message = str(caught.value)
    assert "no longer exists" in message and "\n" not in message
    assert hook.token not in message


async def test_api_base_given_to_the_output_points_discord_py_there(api: DiscordAPI) -> None:
    configure_api_base(None)
    hook = api.add_webhook()
    output = DiscordWebhookOutput(DESTINATION, api.webhook_url(hook), api_base=api.base_url)
    try:
        await output.send(make_alert())
    finally:
        await output.aclose()
    assert len(api.webhook_messages(hook.id)) == 1


# -- bot -----------------------------------------------------------------------------------------


async def test_bot_send_posts_embed_and_buttons(api: DiscordAPI, client: discord.Client) -> None:
    channel = api.add_channel()
    ref = await DiscordBotOutput(DESTINATION, channel, client).send(make_alert())

    [stored] = api.messages(channel)
    assert ref == stored["id"]
    [call] = api.calls_to("POST", f"/channels/{channel}/messages")
    assert call.headers["Authorization"] == f"Bot {api.bot_token}"
    assert call.json["allowed_mentions"] == {"parse": []}
    assert len(call.json["embeds"]) == 1
    buttons = call.json["components"][0]["components"]
    assert [b["custom_id"] for b in buttons] == ["radar:up:42", "radar:down:42", "radar:mute:42"]
    expected = alert_components(42)[0]["components"]
    assert [(b["label"], b["style"]) for b in buttons] == [
        (b["label"], b["style"]) for b in expected
    ]


async def test_bot_followup_threads_the_coverage_and_edits_the_alert(
    api: DiscordAPI, client: discord.Client
) -> None:
    channel = api.add_channel()
    output = DiscordBotOutput(DESTINATION, channel, client)
    ref = await output.send(make_alert())
    assert ref is not None

    first = await output.send_followup(make_alert(), ref, COVERAGE)
    later = Coverage("And one more", "https://fourth.example/x", "Fourth")
    second = await output.send_followup(
        make_alert(also=(*make_alert().also, COVERAGE.url)), ref, later
    )

    assert list(api.threads) == [int(ref)]  # one thread, reused (Discord answers 160004)
    statuses = [
        c.status for c in api.calls_to("POST", f"/channels/{channel}/messages/{ref}/threads")
    ]
    assert statuses == [201, 400]
    in_thread = api.messages(int(ref))
    assert [m["id"] for m in in_thread] == [first, second]
    assert in_thread[0]["embeds"][0]["url"] == COVERAGE.url
    parent = api.message(channel, int(ref))
    assert "+3 sources" in sources_field(parent)
    assert "fourth.example" in sources_field(parent)
    buttons = [b["custom_id"] for b in parent["components"][0]["components"]]
    assert buttons == ["radar:up:42", "radar:down:42", "radar:mute:42"]  # the edit kept them


async def test_bot_missing_permissions_waits_for_an_admin_and_is_logged_once(
    api: DiscordAPI, client: discord.Client, caplog: pytest.LogCaptureFixture
) -> None:
    channel = api.add_channel()
    api.fail_next("POST", f"/channels/{channel}/messages", status=403, code=50013, times=2)
    output = DiscordBotOutput(DESTINATION, channel, client)
    with caplog.at_level(logging.INFO, logger="radar.discord"):
        for _ in range(2):
            with pytest.raises(DeliveryError) as caught:
                await output.send(make_alert())
            # Kept in the outbox for after the admin grants the permission, not dropped.
            assert not caught.value.permanent and caught.value.retry_after == ADMIN_RETRY
            assert caught.value.already_logged
            assert "missing permissions" in str(caught.value)
        assert api.messages(channel) == []
        await output.send(make_alert())  # the permission was granted
    lines = [r.getMessage() for r in caplog.records]
    assert sum("missing permissions" in line for line in lines) == 1  # once, not per alert
    assert any("works again" in line for line in lines)


async def test_bot_unknown_channel_waits_for_an_admin(
    api: DiscordAPI, client: discord.Client
) -> None:
    with pytest.raises(DeliveryError) as caught:
        await DiscordBotOutput(DESTINATION, 1234567890123456789, client).send(make_alert())
    assert not caught.value.permanent and caught.value.retry_after == ADMIN_RETRY
    assert "unknown channel" in str(caught.value)


async def test_bot_long_429_is_handed_back_with_its_delay(
    api: DiscordAPI, client: discord.Client
) -> None:
    channel = api.add_channel()
    api.fail_next("POST", f"/channels/{channel}/messages", status=429, retry_after=90.0)
    async with asyncio.timeout(60):
        with pytest.raises(DeliveryError) as caught:
            await DiscordBotOutput(DESTINATION, channel, client).send(make_alert())
    assert caught.value.retry_after == 90.0
    assert not caught.value.permanent


async def test_wrong_bot_token_is_refused(api: DiscordAPI) -> None:
    bot = discord.Client(intents=discord.Intents.none())
    try:
        with pytest.raises(discord.LoginFailure):
            await bot.login("not-the-token")
    finally:
        await bot.close()


async def test_button_click_reaches_the_action_handler(
    api: DiscordAPI, client: discord.Client
) -> None:
    clicked: asyncio.Queue[Action] = asyncio.Queue()

    async def on_action(interaction: discord.Interaction[Any], action: Action) -> None:
        await interaction.response.send_message("Noted", ephemeral=True)
        await clicked.put(action)

    install_actions(client, on_action)
    channel = api.add_channel()
    ref = await DiscordBotOutput(DESTINATION, channel, client).send(make_alert())
    assert ref is not None
    event = api.component_interaction(channel, int(ref), "radar:down:42")
    # What the gateway does with an INTERACTION_CREATE event.
    client._connection.parse_interaction_create(event)  # type: ignore[arg-type]

    async with asyncio.timeout(10):
        action = await clicked.get()
    assert action == Action("down", 42)
    [callback] = api.interaction_callbacks
    assert callback["type"] == 4 and callback["data"]["flags"] == 64


# -- API base and webhook URLs -------------------------------------------------------------------


def test_configure_api_base_moves_both_rest_clients() -> None:
    try:
        configure_api_base("http://127.0.0.1:9/api/v10/")
        assert discord.http.Route.BASE == "http://127.0.0.1:9/api/v10"
        route = discord.http.Route("GET", "/users/@me")
        assert route.url == "http://127.0.0.1:9/api/v10/users/@me"
        hook = discord.webhook.async_.Route("POST", "/webhooks/{webhook_id}", webhook_id=1)
        assert hook.url == "http://127.0.0.1:9/api/v10/webhooks/1"
    finally:
        configure_api_base(None)
    assert discord.http.Route.BASE == DEFAULT_API_BASE
    with pytest.raises(ValueError):
        configure_api_base("ftp://example.com")


TOKEN = "aBcD-ef_gh.ij" + "k" * 55
WEBHOOK_ID = 1234567890123456789


@pytest.mark.parametrize(
    "url",
    [
        f"https://discord.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}",
        f"https://discordapp.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}",
        f"https://discord.com/api/v10/webhooks/{WEBHOOK_ID}/{TOKEN}",
        f"https://canary.discord.com/api/v9/webhooks/{WEBHOOK_ID}/{TOKEN}/",
        f"  https://ptb.discord.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}\n",
        f"http://127.0.0.1:5000/api/v10/webhooks/{WEBHOOK_ID}/{TOKEN}",
    ],
)
def test_webhook_url_is_rewritten_under_the_base(url: str) -> None:
    target = webhook_url_for(url, "http://127.0.0.1:5000/api/v10")
    assert target.id == WEBHOOK_ID
    assert target.token == TOKEN
    assert target.url == f"http://127.0.0.1:5000/api/v10/webhooks/{WEBHOOK_ID}/{TOKEN}"
    assert TOKEN not in repr(target)


def test_webhook_url_defaults_to_the_configured_base() -> None:
    target = webhook_url_for(f"https://discord.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}")
    assert target.url == f"{DEFAULT_API_BASE}/webhooks/{WEBHOOK_ID}/{TOKEN}"


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/T000/B000/XXXX",
        f"http://discord.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}",
        f"https://discord.com/api/webhooks/{WEBHOOK_ID}",
        f"https://discord.com/api/webhooks/12345/{TOKEN}",
        f"https://evil.example/discord.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}",
        f"https://discord.com.evil.example/api/webhooks/{WEBHOOK_ID}/{TOKEN}",
        f"https://discord.com/api/webhooks/{WEBHOOK_ID}/{TOKEN}?wait=true",
        "",
    ],
)
def test_non_webhook_urls_are_refused_in_one_line(url: str) -> None:
    with pytest.raises(ValueError) as caught:
        webhook_url_for(url)
    message = str(caught.value)
    assert "\n" not in message and "https://discord.com/api/webhooks/<id>/<token>" in message
    assert TOKEN not in message
