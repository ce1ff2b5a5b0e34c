"""Deliver alerts to a Discord channel as the bot: an embed with buttons, coverage in a thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import discord

from bot.chat.replies import Coverage
from bot.core.models import Alert, Destination
from bot.core.text import shorten, strip_controls
from bot.discord.errors import THREAD_ALREADY_CREATED, delivery_error, message_id
from bot.discord.render import (
    alert_components,
    alert_embed,
    alert_with_coverage,
    followup_payload,
)
from bot.discord.views import AlertView
from bot.outputs.base import ProblemLog
from bot.outputs.once import DeliveryKey

THREAD_ARCHIVE_MINUTES: Final[Literal[4320]] = (
    4320  # three days: most follow-up coverage lands within that
)
THREAD_NAME_MAX = 100
HISTORY_PAGE = 100  # messages per GET /channels/{id}/messages, Discord's most
HISTORY_PAGES = 2  # at most this many per check: a bounded look back
CLOCK_MARGIN = timedelta(minutes=5)  # looked back before the delivery was queued

log = logging.getLogger("radar.discord")


def _has_button(custom_id: str) -> Callable[[dict[str, Any]], bool]:
    def check(message: dict[str, Any]) -> bool:
        return any(
            part.get("custom_id") == custom_id
            for row in message.get("components") or []
            for part in row.get("components") or []
        )

    return check


def _links_to(url: str) -> Callable[[dict[str, Any]], bool]:
    def check(message: dict[str, Any]) -> bool:
        return any(embed.get("url") == url for embed in message.get("embeds") or [])

    return check


def thread_name(alert: Alert) -> str:
    name = shorten(" ".join(strip_controls(alert.title).split()), THREAD_NAME_MAX)
    return name or "Coverage"


class DiscordBotOutput:
    """Posts through `client`'s REST API only: a client that has just awaited login() will do,
    no gateway connection or channel cache is needed. The client belongs to the caller."""

    def __init__(self, destination: Destination, channel_id: int, client: discord.Client) -> None:
        self._destination = destination
        self._channel_id = channel_id
        self._client = client
        self._where = f"Discord channel {channel_id}"
        self.problems = ProblemLog(self._where, log)
        self._unchecked_logged = False

    @property
    def destination(self) -> Destination:
        return self._destination

    def _channel(self) -> discord.PartialMessageable:
        return self._client.get_partial_messageable(self._channel_id)

    async def send(self, alert: Alert) -> str | None:
        embed = discord.Embed.from_dict(alert_embed(alert))
        try:
            message = await self._channel().send(
                embed=embed,
                view=AlertView(alert.story_id),
                allowed_mentions=discord.AllowedMentions.none(),
                # discord.py sends a nonce with enforce_nonce: a retry within Discord's few minutes
                # gets the first message back instead of posting a second one.
                nonce=DeliveryKey.of(alert).nonce(str(self._channel_id)),
            )
        except Exception as exc:
            raise self.problems.failed(delivery_error(exc, self._where)) from exc
        self.problems.succeeded()
        return str(message.id)

    async def send_followup(
        self, alert: Alert, parent_ref: str, coverage: Coverage | None
    ) -> str | None:
        """Edit the alert ('+N sources'), then post the coverage in the alert's thread.

        Idempotent steps first: if the post fails, a retry redoes the edit harmlessly and the
        thread is reused; the thread post carries the delivery's nonce, like the alert."""
        alert_id = message_id(parent_ref, self._where)
        embed = discord.Embed.from_dict(alert_embed(alert_with_coverage(alert, coverage)))
        try:
            await (
                self._channel()
                .get_partial_message(alert_id)
                .edit(embed=embed, allowed_mentions=discord.AllowedMentions.none())
            )
            if coverage is None:
                return parent_ref
            thread_id = await self._thread_for(alert_id, alert)
            card = discord.Embed.from_dict(followup_payload(coverage)["embeds"][0])
            posted = await self._client.get_partial_messageable(thread_id).send(
                embed=card,
                allowed_mentions=discord.AllowedMentions.none(),
                nonce=DeliveryKey.of(alert, coverage).nonce(str(thread_id)),
            )
        except Exception as exc:
            raise self.problems.failed(delivery_error(exc, self._where)) from exc
        self.problems.succeeded()
        return str(posted.id)

    async def find_earlier(
        self, alert: Alert, parent_ref: str | None, coverage: Coverage | None, since: datetime
    ) -> str | None:
        """This delivery's message, if an earlier attempt posted it. Discord hands back a message
        sent with the same nonce only for a few minutes, so the recent history is read too:
        the channel's for an alert (its buttons carry the story id), the alert's thread for a
        reply (its embed links the article). Without Read Message History, the nonce is all."""
        after = discord.utils.time_snowflake(since - CLOCK_MARGIN)
        try:
            if coverage is None:
                button = alert_components(alert.story_id)[0]["components"][0]
                return await self._search(self._channel_id, after, _has_button(button["custom_id"]))
            if parent_ref is None:
                return None
            # The '+N sources' edit comes before the thread post: a post found means it is done.
            thread_id = message_id(parent_ref, self._where)  # a message's thread takes its id
            return await self._search(thread_id, after, _links_to(coverage.url))
        except discord.Forbidden:
            if not self._unchecked_logged:
                self._unchecked_logged = True
                log.warning(
                    "%s: the bot lacks Read Message History, so an alert a crash interrupted is "
                    "checked by its nonce only (a few minutes) before it is sent again",
                    self._where,
                )
            return None
        except discord.NotFound:
            return None  # no thread yet: nothing was posted in it
        except Exception as exc:
            raise self.problems.failed(delivery_error(exc, self._where)) from exc

    async def _search(
        self, channel_id: int, after: int, matches: Callable[[dict[str, Any]], bool]
    ) -> str | None:
        """The id of the bot's message in the channel, after `after`, that `matches`; bounded."""
        me = self._client.user.id if self._client.user is not None else None
        for _ in range(HISTORY_PAGES):
            page = await self._client.http.logs_from(channel_id, HISTORY_PAGE, after=after)
            for message in page:
                mine = me is None or str(message.get("author", {}).get("id")) == str(me)
                if mine and matches(dict(message)):
                    return str(message["id"])
            if len(page) < HISTORY_PAGE:
                return None
            after = max(int(m["id"]) for m in page)
        return None

    async def _thread_for(self, parent_id: int, alert: Alert) -> int:
        try:
            data = await self._client.http.start_thread_with_message(
                self._channel_id,
                parent_id,
                name=thread_name(alert),
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
        except discord.HTTPException as exc:
            if exc.code == THREAD_ALREADY_CREATED:
                return parent_id  # a thread started from a message takes that message's id
            raise
        return int(data["id"])

    async def aclose(self) -> None:
        """Nothing to release: whoever built the client closes it."""
