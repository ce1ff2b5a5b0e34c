"""Deliver alerts to a Discord channel as the bot: an embed with buttons, coverage in a thread."""

from __future__ import annotations

import logging
from typing import Final, Literal

import discord

from bot.chat.replies import Coverage
from bot.core.models import Alert, Destination
from bot.core.text import shorten, strip_controls
from bot.discord.errors import THREAD_ALREADY_CREATED, delivery_error, message_id
from bot.discord.render import alert_embed, alert_with_coverage, followup_payload
from bot.discord.views import AlertView
from bot.outputs.base import ProblemLog
from bot.outputs.once import DeliveryKey

THREAD_ARCHIVE_MINUTES: Final[Literal[4320]] = (
    4320  # three days: most follow-up coverage lands within that
)
THREAD_NAME_MAX = 100

log = logging.getLogger("radar.discord")


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
