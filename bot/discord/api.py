"""Where discord.py sends its REST calls (Discord itself or a local stand-in), and webhook URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import discord.gateway
import discord.http
import discord.webhook.async_

DEFAULT_API_BASE = "https://discord.com/api/v10"
_DISCORD_GATEWAY = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY

_WEBHOOK_PATH = r"/webhooks/(?P<id>[0-9]{17,20})/(?P<token>[A-Za-z0-9._-]{20,})/?"
_DISCORD_WEBHOOK = re.compile(
    r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api(?:/v[0-9]+)?" + _WEBHOOK_PATH
)
_HELP = (
    "expected https://discord.com/api/webhooks/<id>/<token> "
    "(Server settings → Integrations → Webhooks → Copy Webhook URL)"
)


def configure_api_base(base_url: str | None) -> str:
    """Point every discord.py REST call of this process at `base_url`; None restores Discord's.

    discord.py builds each request URL from the class attribute Route.BASE, which the webhook
    module shares with the HTTP client, so this is process-wide and applies to the next request."""
    base = DEFAULT_API_BASE if base_url is None else base_url.rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"Discord API base {base_url!r} is not an http(s) URL")
    # One class today; setting each module's name keeps working if discord.py ever splits them.
    webhook_route = getattr(discord.webhook.async_, "Route", discord.http.Route)
    for route in {discord.http.Route, webhook_route}:
        route.BASE = base
    return base


def current_api_base() -> str:
    return discord.http.Route.BASE


async def use_the_apis_gateway(http: discord.http.HTTPClient) -> None:
    """Behind another API base (a proxy, a test stand-in), open the gateway that API names
    (GET /gateway/bot) rather than discord.py's built-in wss://gateway.discord.gg; raises
    discord.GatewayNotFound when it names none. Process-wide, like configure_api_base."""
    base = current_api_base()
    gateway = _DISCORD_GATEWAY
    if base != DEFAULT_API_BASE:
        _, url, _ = await http.get_bot_gateway()
        gateway = type(_DISCORD_GATEWAY)(url)  # the URL class discord.py uses (yarl's)
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """A webhook's id and secret token, and its URL under the configured API base."""

    id: int
    token: str = field(repr=False)
    url: str = field(repr=False)


def webhook_url_for(url: str, base: str | None = None) -> WebhookTarget:
    """Parse a Discord webhook URL and rewrite it under `base` (default: the configured base).

    Accepts discord.com, discordapp.com, ptb./canary. hosts, with or without /v<N>, and URLs
    already under `base`. The error message never repeats the URL: it holds a secret token."""
    base = (base or current_api_base()).rstrip("/")
    text = url.strip()
    match = _DISCORD_WEBHOOK.fullmatch(text)
    if match is None and text.startswith(base + "/webhooks/"):
        match = re.fullmatch(re.escape(base) + _WEBHOOK_PATH, text)
    if match is None:
        raise ValueError(f"not a Discord webhook URL: {_HELP}")
    webhook_id, token = int(match["id"]), match["token"]
    return WebhookTarget(webhook_id, token, f"{base}/webhooks/{webhook_id}/{token}")
