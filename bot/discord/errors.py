"""What a failed Discord call means for delivery: retry soon, retry after N seconds, or give up."""

from __future__ import annotations

import aiohttp
import discord

from bot.errors import ConfigError
from bot.outputs.base import DeliveryError, needs_admin

# Discord error codes that no retry can fix: the channel, webhook or message is gone or shut.
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
UNKNOWN_WEBHOOK = 10015
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
THREAD_ALREADY_CREATED = 160004
PERMANENT_CODES = frozenset(
    {UNKNOWN_CHANNEL, UNKNOWN_MESSAGE, UNKNOWN_WEBHOOK, MISSING_ACCESS, MISSING_PERMISSIONS}
)

_PERMISSIONS_HINT = (
    "give the bot View Channel, Send Messages, Embed Links, "
    "Create Public Threads and Send Messages in Threads there"
)


class TokenRefused(ConfigError):
    """Discord refused DISCORD_TOKEN. It comes from the environment, so it stays refused until a
    restart; the platform logs it once, whoever meets it next (start-up, delivery) stays quiet."""

    already_logged = True


class RateLimitTooLong(Exception):
    """Discord asked us to wait longer than a delivery should block; the caller reschedules."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after:.1f} s")
        self.retry_after = retry_after


def _retry_after(exc: discord.HTTPException) -> float | None:
    headers = getattr(exc.response, "headers", None) or {}
    for name in ("Retry-After", "X-RateLimit-Reset-After"):
        try:
            return float(headers[name])
        except (KeyError, TypeError, ValueError):
            continue
    return None


def message_id(ref: str, where: str) -> int:
    """The Discord message id a stored reference names; a bad reference will never work."""
    if not ref.isdigit():
        raise DeliveryError(f"{where}: {ref!r} is not a Discord message id", permanent=True)
    return int(ref)


def delivery_error(exc: BaseException, where: str, *, webhook: bool = False) -> DeliveryError:
    """One clear line for a failure at `where` (e.g. "Discord channel 123"), classified."""
    if isinstance(exc, RateLimitTooLong | discord.RateLimited):
        return DeliveryError(
            f"{where}: rate limited by Discord, retry in {exc.retry_after:.0f} s",
            retry_after=exc.retry_after,
        )
    if isinstance(exc, discord.HTTPException):
        return _http_error(exc, where, webhook)
    if isinstance(exc, TimeoutError):
        return DeliveryError(f"{where}: Discord did not answer in time")
    if isinstance(exc, aiohttp.ClientError | OSError):
        return DeliveryError(f"{where}: cannot reach Discord ({type(exc).__name__}: {exc})")
    return DeliveryError(f"{where}: {type(exc).__name__}: {exc}")


def _http_error(exc: discord.HTTPException, where: str, webhook: bool) -> DeliveryError:
    status, code = exc.status, exc.code
    said = f"{status} {exc.text.splitlines()[0] if exc.text else ''}".strip()

    def permanent(why: str) -> DeliveryError:
        return DeliveryError(f"{where}: {why}", permanent=True)

    if status == 429:
        # discord.py only raises this when it would not retry (e.g. a Cloudflare ban).
        return DeliveryError(
            f"{where}: rate limited by Discord ({said})", retry_after=_retry_after(exc)
        )
    # What an admin can fix (a token, a permission, the bot's membership) keeps the alert in the
    # outbox to be tried again; what cannot work again (a deleted webhook or message) ends it.
    if status == 401:
        if webhook:
            return permanent(f"Discord rejected the webhook ({said}); check the webhook URL")
        return needs_admin(f"{where}: Discord rejected the bot token ({said}); check DISCORD_TOKEN")
    if code == UNKNOWN_MESSAGE:
        return permanent(f"the alert message is gone ({said}); it was probably deleted")
    if code == UNKNOWN_WEBHOOK or (webhook and status == 404):
        return permanent(f"the webhook no longer exists ({said}); create one and update the URL")
    if code == UNKNOWN_CHANNEL:
        return needs_admin(
            f"{where}: unknown channel ({said}); check the channel id and that the bot is in "
            "that server"
        )
    if code in (MISSING_ACCESS, MISSING_PERMISSIONS) or status == 403:
        if webhook:
            return permanent(f"missing permissions ({said}); check the webhook's channel settings")
        return needs_admin(f"{where}: missing permissions ({said}); {_PERMISSIONS_HINT}")
    if status in (400, 404) or code in PERMANENT_CODES:
        # A rejected payload fails the same way on every retry.
        return permanent(f"Discord refused the request ({said})")
    return DeliveryError(f"{where}: Discord answered {said}")
