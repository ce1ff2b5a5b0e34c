"""Deliver alerts to a Discord channel through an incoming webhook (no bot account needed)."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import aiohttp
import discord

from bot.chat.replies import Coverage, Reply
from bot.core.models import Alert, Destination
from bot.discord.api import configure_api_base, webhook_url_for
from bot.discord.errors import RateLimitTooLong, delivery_error, message_id
from bot.discord.render import alert_embed, alert_with_coverage, reply_payload
from bot.outputs.base import ProblemLog

# discord.py's webhook client sleeps out every 429 however long; past this we reschedule instead.
MAX_RATELIMIT_WAIT = 10.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)

log = logging.getLogger("radar.discord")


class DiscordWebhookOutput:
    """Posts one embed per alert; later coverage edits that message ('+N sources').

    A webhook cannot start threads or carry buttons unless an application owns it, so this
    output has neither. `api_base`, when given, re-points discord.py for the whole process."""

    def __init__(
        self,
        destination: Destination,
        url: str,
        api_base: str | None = None,
        *,
        max_ratelimit_wait: float = MAX_RATELIMIT_WAIT,
    ) -> None:
        if api_base is not None:
            configure_api_base(api_base)
        self._target = webhook_url_for(url, api_base)  # a bad URL fails at start-up, not at send
        self._destination = destination
        self._max_wait = max_ratelimit_wait
        self._where = f"Discord webhook {self._target.id}"
        self.problems = ProblemLog(self._where, log)
        self._session: aiohttp.ClientSession | None = None
        self._webhook: discord.Webhook | None = None

    @property
    def destination(self) -> Destination:
        return self._destination

    def _hook(self) -> discord.Webhook:
        if self._webhook is None:
            self._session = aiohttp.ClientSession(
                timeout=REQUEST_TIMEOUT, middlewares=(self._refuse_long_waits,)
            )
            self._webhook = discord.Webhook.partial(
                self._target.id, self._target.token, session=self._session
            )
        return self._webhook

    async def _refuse_long_waits(
        self, request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        response = await handler(request)
        if response.status == 429:
            wait = await _retry_after(response)
            if wait > self._max_wait:
                response.release()
                raise RateLimitTooLong(wait)
        return response

    async def send(self, alert: Alert) -> str | None:
        embed = discord.Embed.from_dict(alert_embed(alert))
        try:
            message = await self._hook().send(
                embed=embed, wait=True, allowed_mentions=discord.AllowedMentions.none()
            )
        except Exception as exc:
            raise self.problems.failed(delivery_error(exc, self._where, webhook=True)) from exc
        self.problems.succeeded()
        return str(message.id)

    async def send_followup(
        self, alert: Alert, parent_ref: str, coverage: Coverage | None
    ) -> str | None:
        target = message_id(parent_ref, self._where)
        embed = discord.Embed.from_dict(alert_embed(alert_with_coverage(alert, coverage)))
        try:
            await self._hook().edit_message(
                target, embed=embed, allowed_mentions=discord.AllowedMentions.none()
            )
        except Exception as exc:
            raise self.problems.failed(delivery_error(exc, self._where, webhook=True)) from exc
        self.problems.succeeded()
        return parent_ref

    async def post_reply(self, reply: Reply) -> str | None:
        """A scheduled digest, posted like an alert."""
        payload = reply_payload(reply)
        embeds = [discord.Embed.from_dict(e) for e in payload.get("embeds", [])]
        try:
            message = await self._hook().send(
                content=payload.get("content") or discord.utils.MISSING,
                embeds=embeds,
                files=[discord.File(io.BytesIO(reply.image.data), filename=reply.image.filename)]
                if reply.image is not None
                else discord.utils.MISSING,
                wait=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except Exception as exc:
            raise self.problems.failed(delivery_error(exc, self._where, webhook=True)) from exc
        self.problems.succeeded()
        return str(message.id)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None
        self._webhook = None


async def _retry_after(response: aiohttp.ClientResponse) -> float:
    """Seconds Discord asks us to wait: the body's precise value, else the rounded header."""
    try:
        body: Any = json.loads(await response.read())
        return float(body["retry_after"])
    except (ValueError, KeyError, TypeError):
        pass
    try:
        return float(response.headers.get("Retry-After", "inf"))
    except ValueError:
        return float("inf")
