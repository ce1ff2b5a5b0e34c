"""The Slack stand-in answers the way the real slack_sdk AsyncWebClient expects: posts, threads,
updates, a 429 retried by the SDK's own handler, and errors raised as SlackApiError."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.slackapi import SlackAPI

TOKEN = "xoxb-contract-token"


@pytest.fixture
def api() -> Iterator[SlackAPI]:
    server = SlackAPI(
        TOKEN, channels={"general": "C0GENERAL", "ai-news": "C0AINEWS", "quiet": "C0QUIET"}
    )
    server.add_channel("quiet", "C0QUIET", member=False)
    server.add_user("U0ADMIN", "ada", is_admin=True)
    server.add_user("U0PLAIN", "bob")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def client(api: SlackAPI, token: str = TOKEN) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=api.base_url)


async def test_auth_test_names_the_bot(api: SlackAPI) -> None:
    answer = await client(api).auth_test()
    assert answer["ok"] and answer["user_id"] == "U0RADAR" and answer["team_id"] == "T0RADAR"
    assert answer["bot_id"] == "B0RADAR"
    assert api.calls[0].method == "auth.test"
    assert api.calls[0].headers["Authorization"] == f"Bearer {TOKEN}"


async def test_post_by_name_then_reply_in_thread(api: SlackAPI) -> None:
    web = client(api)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}}]
    first = await web.chat_postMessage(channel="#ai-news", text="hello", blocks=blocks)
    assert first["channel"] == "C0AINEWS"
    assert first["message"]["blocks"] == blocks
    reply = await web.chat_postMessage(channel="C0AINEWS", text="more", thread_ts=first["ts"])
    assert float(reply["ts"]) > float(first["ts"])
    assert re.fullmatch(r"\d{10}\.\d{6}", reply["ts"])  # Slack's seconds.microseconds

    assert [m["text"] for m in api.messages("ai-news")] == ["hello"]
    assert [m["text"] for m in api.thread("C0AINEWS", first["ts"])] == ["more"]
    post = api.calls_to("chat.postMessage")[0]
    assert post.params["channel"] == "#ai-news" and post.params["blocks"] == blocks


async def test_update_edits_the_stored_message(api: SlackAPI) -> None:
    web = client(api)
    posted = await web.chat_postMessage(channel="general", text="v1")
    updated = await web.chat_update(channel=posted["channel"], ts=posted["ts"], text="v2")
    assert updated["ts"] == posted["ts"] and updated["text"] == "v2"
    assert [m["text"] for m in api.messages("C0GENERAL")] == ["v2"]

    with pytest.raises(SlackApiError) as missing:
        await web.chat_update(channel="C0GENERAL", ts="1.000100", text="v3")
    assert missing.value.response["error"] == "message_not_found"
    with pytest.raises(SlackApiError) as by_name:
        await web.chat_update(channel="general", ts=posted["ts"], text="v3")
    assert by_name.value.response["error"] == "channel_not_found"


async def test_a_429_is_retried_by_the_sdk_handler(api: SlackAPI) -> None:
    web = client(api)
    web.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    api.fail_next("chat.postMessage", retry_after=0)
    started = time.monotonic()
    answer = await web.chat_postMessage(channel="general", text="after a pause")
    assert answer["ok"]
    assert time.monotonic() - started < 3
    attempts = api.calls_to("chat.postMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[0].response == {"ok": False, "error": "ratelimited"}
    assert len(api.messages("general")) == 1


async def test_a_429_without_a_retry_handler_raises_ratelimited(api: SlackAPI) -> None:
    api.fail_next("chat.postMessage", retry_after=1)
    with pytest.raises(SlackApiError) as limited:
        await client(api).chat_postMessage(channel="general", text="x")
    assert limited.value.response.status_code == 429
    assert limited.value.response["error"] == "ratelimited"
    assert limited.value.response.headers["Retry-After"] == "1"


async def test_invalid_auth(api: SlackAPI) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client(api, "xoxb-wrong").chat_postMessage(channel="general", text="x")
    assert refused.value.response.status_code == 200
    assert refused.value.response["error"] == "invalid_auth"
    assert api.messages("general") == []


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("#nowhere", "channel_not_found"),
        ("C0MISSING", "channel_not_found"),
        ("quiet", "not_in_channel"),
    ],
)
async def test_channel_errors(api: SlackAPI, channel: str, error: str) -> None:
    with pytest.raises(SlackApiError) as refused:
        await client(api).chat_postMessage(channel=channel, text="x")
    assert refused.value.response["error"] == error


async def test_injected_error_then_recovery(api: SlackAPI) -> None:
    web = client(api)
    api.fail_next("chat.postMessage", error="not_in_channel", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as refused:
            await web.chat_postMessage(channel="general", text="x")
        assert refused.value.response.status_code == 200
        assert refused.value.response["error"] == "not_in_channel"
    assert (await web.chat_postMessage(channel="general", text="x"))["ok"]


async def test_oversized_blocks_are_refused_like_slack(api: SlackAPI) -> None:
    blocks = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError) as refused:
        await client(api).chat_postMessage(channel="general", text="x", blocks=blocks)
    assert refused.value.response["error"] == "invalid_blocks"


async def test_ephemeral_home_and_lookups(api: SlackAPI) -> None:
    web = client(api)
    ephemeral = await web.chat_postEphemeral(channel="C0GENERAL", user="U0PLAIN", text="only you")
    assert ephemeral["message_ts"]
    assert api.ephemerals[0]["user"] == "U0PLAIN" and api.messages("general") == []

    view = {"type": "home", "blocks": [{"type": "divider"}]}
    published = await web.views_publish(user_id="U0ADMIN", view=view)
    assert published["view"]["type"] == "home" and api.views["U0ADMIN"] == view

    info = await web.conversations_info(channel="C0QUIET")
    assert info["channel"]["name"] == "quiet" and info["channel"]["is_member"] is False
    admin = await web.users_info(user="U0ADMIN")
    assert admin["user"]["is_admin"] is True and admin["user"]["is_owner"] is False
    with pytest.raises(SlackApiError) as unknown:
        await web.users_info(user="U0NOBODY")
    assert unknown.value.response["error"] == "user_not_found"


async def test_form_encoded_calls_are_read_too(api: SlackAPI) -> None:
    # Bolt and older callers send form bodies, with blocks as a JSON string.
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            api.base_url + "chat.postMessage",
            data={"channel": "general", "text": "form", "blocks": '[{"type": "divider"}]'},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as res,
    ):
        body = await res.json()
    assert body["ok"] and body["message"]["blocks"] == [{"type": "divider"}]
    assert api.calls[-1].params["text"] == "form"


async def test_response_url_posts_are_recorded(api: SlackAPI) -> None:
    hook = AsyncWebhookClient(api.response_url("abc"))
    answer = await hook.send(text="done", response_type="ephemeral")
    assert answer.status_code == 200 and answer.body == "ok"
    assert api.responses["abc"] == [{"text": "done", "response_type": "ephemeral"}]


async def test_delay_knob_slows_one_method(api: SlackAPI) -> None:
    api.delays["auth.test"] = 0.2
    started = time.monotonic()
    await client(api).auth_test()
    assert time.monotonic() - started >= 0.2
