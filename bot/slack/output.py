"""Post alerts to one Slack channel through the Web API: Block Kit message, thread replies, edits."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.replies import Coverage, Reply
from bot.core.models import Alert, Destination
from bot.outputs.base import DeliveryError, ProblemLog, needs_admin
from bot.outputs.once import EVENT_TYPE, DeliveryKey
from bot.slack.render import alert_message, followup_message, reply_message

log = logging.getLogger("radar.slack")
HISTORY_PAGE = 200  # messages per conversations.history / .replies call
HISTORY_PAGES = 5  # at most this many calls per check: a bounded look back
LIST_PAGE, LIST_PAGES = 1000, 10  # conversations.list, to find a channel configured by name
# How far before a delivery was queued its message is looked for: covers a clock that runs ahead.
CLOCK_MARGIN = timedelta(minutes=5)

# Errors an admin fixes in Slack (invite the bot, reinstall the app): the alert stays in the
# outbox and is tried again later, instead of being dropped or retried in a tight loop.
NEEDS_ADMIN = {
    "channel_not_found": "channel not found (check the ID or name, and that the bot can see it)",
    "not_in_channel": "the bot is not in the channel (invite it with /invite @Radar)",
    "is_archived": "the channel is archived",
    "invalid_auth": "SLACK_BOT_TOKEN is not valid",
    "not_authed": "SLACK_BOT_TOKEN is missing",
    "account_inactive": "the bot's token was revoked or the app uninstalled",
    "token_revoked": "the bot's token was revoked",
    "missing_scope": "the app lacks a scope (reinstall it from the manifest)",
    "restricted_action": "the workspace does not let the bot post there",
}


class ChannelPacer:
    """At most one message per channel per interval (Slack's posting limit is about 1/s)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    async def wait(self, channel: str) -> None:
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            delay = self._last.get(channel, 0.0) + self.interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._last[channel] = time.monotonic()


class SlackChannelOutput:
    """The Output port for one Slack channel (configured, or subscribed with /radar subscribe)."""

    def __init__(
        self, destination: Destination, channel: str, client: AsyncWebClient, pacer: ChannelPacer
    ) -> None:
        self._destination = destination
        self.channel = channel
        self.client = client
        self.pacer = pacer
        # The channel ID Slack answered with: buttons and mutes report IDs, configs may use names.
        self.chat_channel: str | None = channel if not channel.startswith("#") else None
        self.problems = ProblemLog(f"Slack channel {channel}", log)
        self._unchecked_logged = False

    @property
    def destination(self) -> Destination:
        return self._destination

    async def send(self, alert: Alert) -> str | None:
        response = await self._call(
            "chat_postMessage", channel=self.channel, metadata=_metadata(alert), **_post(alert)
        )
        channel = str(response.get("channel") or self.channel)
        self.chat_channel = channel
        return f"{channel}:{response['ts']}"

    async def send_followup(
        self, alert: Alert, parent_ref: str, coverage: Coverage | None
    ) -> str | None:
        channel, _, ts = parent_ref.partition(":")
        if not ts:
            raise DeliveryError("the alert's Slack message reference is missing", permanent=True)
        ref = parent_ref
        if coverage is not None:
            reply = await self._call(
                "chat_postMessage",
                channel=channel,
                thread_ts=ts,
                unfurl_links=False,
                unfurl_media=False,
                metadata=_metadata(alert, coverage),
                **followup_message(coverage),
            )
            ref = f"{channel}:{reply['ts']}"
        await self._update_parent(alert, channel, ts)
        return ref

    async def _update_parent(self, alert: Alert, channel: str, ts: str) -> None:
        # The parent shows how many outlets covered the story ("+N sources"); its metadata is
        # restated, so that the edit never leaves the alert without its delivery key.
        await self._call(
            "chat_update", channel=channel, ts=ts, metadata=_metadata(alert), **alert_message(alert)
        )

    async def find_earlier(
        self, alert: Alert, parent_ref: str | None, coverage: Coverage | None, since: datetime
    ) -> str | None:
        """This delivery's message, if an earlier attempt posted it: the channel's recent history
        (an alert) or the alert's thread (a reply), searched for the delivery key in the
        messages' metadata, back to a little before the delivery was queued."""
        key = DeliveryKey.of(alert, coverage)
        oldest = f"{(since - CLOCK_MARGIN).timestamp():.6f}"
        if key.is_alert:
            channel = await self._channel_id()
            if channel is None:
                return None
            found = await self._search("conversations_history", channel, key, oldest=oldest)
            return None if found is None else f"{channel}:{found}"
        channel, _, parent_ts = (parent_ref or "").partition(":")
        if not parent_ts:
            return None
        found = await self._search(
            "conversations_replies", channel, key, ts=parent_ts, oldest=oldest
        )
        if found is None:
            return None
        await self._update_parent(alert, channel, parent_ts)  # the step that follows the reply
        return f"{channel}:{found}"

    async def _channel_id(self) -> str | None:
        """The channel's ID (Slack's history takes no names): a configured "#name" is looked up
        in the channel list, a bounded number of pages; None when it cannot be found."""
        if self.chat_channel is not None:
            return self.chat_channel
        name = self.channel.removeprefix("#")
        pages = self._pages(
            "conversations_list",
            LIST_PAGES,
            types="public_channel,private_channel",
            exclude_archived=True,
            limit=LIST_PAGE,
        )
        async for page in pages:
            for channel in page.get("channels") or []:
                if channel.get("name") == name:
                    self.chat_channel = str(channel["id"])
                    return self.chat_channel
        return None

    async def _search(
        self, method: str, channel: str, key: DeliveryKey, **kwargs: Any
    ) -> str | None:
        """The ts of the message carrying `key`, within a bounded number of history pages."""
        pages = self._pages(
            method,
            HISTORY_PAGES,
            channel=channel,
            include_all_metadata=True,
            limit=HISTORY_PAGE,
            **kwargs,
        )
        async for page in pages:
            for message in page.get("messages") or []:
                metadata = message.get("metadata") or {}
                if metadata.get("event_type") == EVENT_TYPE and key.matches(
                    metadata.get("event_payload")
                ):
                    return str(message["ts"])
        return None

    async def _pages(self, method: str, most: int, **kwargs: Any) -> AsyncIterator[Any]:
        """At most `most` pages of a paginated Web API method. A refused scope ends the walk
        after one warning: without channels:history (or :read) nothing can be checked, and
        better twice than never."""
        cursor: str | None = None
        for _ in range(most):
            try:
                page = await getattr(self.client, method)(cursor=cursor, **kwargs)
            except SlackApiError as exc:
                if _refused_for_scope(exc):
                    self._warn_unchecked()
                    return
                raise self.problems.failed(self._error(exc)) from None
            yield page
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return

    def _warn_unchecked(self) -> None:
        if not self._unchecked_logged:
            self._unchecked_logged = True
            log.warning(
                "Slack %s: the app lacks the channels:history/groups:history or channels:read/"
                "groups:read scope, so an alert a crash interrupted may be posted twice; "
                "reinstall the app from config/slack-manifest.yaml",
                self.channel,
            )

    async def post_reply(self, reply: Reply) -> str | None:
        response = await self._call(
            "chat_postMessage",
            channel=self.channel,
            unfurl_links=False,
            unfurl_media=False,
            **reply_message(reply),
        )
        channel = response.get("channel") or self.channel
        if reply.image is not None:  # a talent-flow digest's chart, as a file in the channel
            image = reply.image
            await self._call(
                "files_upload_v2",
                channel=channel,
                file=image.data,
                filename=image.filename,
                title=image.title,
            )
        return f"{channel}:{response['ts']}"

    async def aclose(self) -> None:
        return None  # the Web API client belongs to the platform, which closes it

    async def _call(self, method: str, **kwargs: Any) -> Any:
        await self.pacer.wait(str(kwargs.get("channel", self.channel)))
        try:
            response = await getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            raise self.problems.failed(self._error(exc)) from None
        except AttributeError:
            # slack_sdk's check of a text/plain answer (a proxy's 503 page) fails this way.
            raise DeliveryError(f"Slack answered {method} with a body that is not JSON") from None
        self.problems.succeeded()
        return response

    def _error(self, exc: SlackApiError) -> DeliveryError:
        code = error_code(exc)
        if code is None:  # a 5xx page or a cut-off answer: passing trouble, retried
            return DeliveryError(f"Slack answered {_status(exc)} with a body that is not JSON")
        if code == "ratelimited":  # still limited after slack_sdk's own retries
            retry = exc.response.headers.get("Retry-After") or exc.response.headers.get(
                "retry-after"
            )
            seconds = float(retry) if retry and str(retry).isdigit() else 30.0
            return DeliveryError(f"Slack rate limit ({code})", retry_after=seconds)
        if code in NEEDS_ADMIN:
            return needs_admin(f"Slack {self.channel}: {code}: {NEEDS_ADMIN[code]}")
        if code in ("msg_too_long", "invalid_blocks", "invalid_arguments", "message_not_found"):
            return DeliveryError(f"Slack refused the message: {code}", permanent=True)
        return DeliveryError(f"Slack error: {code}")


def error_code(exc: SlackApiError) -> str | None:
    """Slack's error code ("channel_not_found"); None when the answer was not Slack's JSON.

    slack_sdk hands over an aiohttp response, or a response whose data is text, when the body
    is not JSON (a proxy's 503 page, a cut-off answer)."""
    data = getattr(exc.response, "data", None)
    if not isinstance(data, dict):
        return None
    return str(data.get("error") or "unknown_error")


def _status(exc: SlackApiError) -> str:
    status = getattr(exc.response, "status_code", None) or getattr(exc.response, "status", None)
    return f"HTTP {status}" if isinstance(status, int) else "an unreadable answer"


def _refused_for_scope(exc: SlackApiError) -> bool:
    """Slack said missing_scope (a 5xx may carry no JSON body at all: then it did not)."""
    return error_code(exc) == "missing_scope"


def _metadata(alert: Alert, coverage: Coverage | None = None) -> dict[str, Any]:
    """Slack message metadata naming the delivery, which find_earlier looks for."""
    return {"event_type": EVENT_TYPE, "event_payload": DeliveryKey.of(alert, coverage).payload()}


def _post(alert: Alert) -> dict[str, Any]:
    return {"unfurl_links": False, "unfurl_media": False, **alert_message(alert)}
