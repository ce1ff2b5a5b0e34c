"""The Discord bot: a discord.py client in the service's event loop, the /radar app commands and
the alert buttons, all answered by the platform-neutral handlers."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal

import discord
from discord import app_commands

from bot.chat.actions import Action, stale_button_reply
from bot.chat.commands import Command
from bot.chat.handlers import Handlers
from bot.chat.replies import Caller, Coverage, Reply
from bot.core.models import Alert, Destination
from bot.discord.api import configure_api_base, use_the_apis_gateway
from bot.discord.bot_output import DiscordBotOutput
from bot.discord.errors import TokenRefused, delivery_error
from bot.discord.render import reply_payload
from bot.discord.views import install_actions
from bot.errors import ConfigError
from bot.outputs.base import needs_admin
from bot.settings import ChatEnvironment, DiscordSettings, Secrets

log = logging.getLogger("radar.discord")
RunCommand = Callable[[discord.Interaction[Any], Command], Awaitable[None]]
# discord.py's minimum: a longer 429 becomes a DeliveryError with retry_after (the outbox waits)
# instead of holding the delivery loop.
MAX_RATELIMIT_WAIT = 30.0
REFUSED = "Discord refused DISCORD_TOKEN (401): check the bot token"


def build_tree(tree: app_commands.CommandTree[Any], run: RunCommand) -> app_commands.Group:
    """One /radar group whose subcommands mirror the Slack ones; each becomes a neutral Command."""
    radar = app_commands.Group(name="radar", description="AI talent war and AGI race news")

    @radar.command(name="help", description="What Radar can do")
    async def help_(interaction: discord.Interaction[Any]) -> None:
        await run(interaction, Command("help"))

    @radar.command(description="The top stories of a period")
    @app_commands.describe(period="How far back", topic="One topic only")
    async def digest(
        interaction: discord.Interaction[Any],
        period: Literal["24h", "7d", "30d"] = "24h",
        topic: Literal["talent", "agi"] | None = None,
    ) -> None:
        await run(interaction, Command("digest", (period,) + ((topic,) if topic else ())))

    @radar.command(description="Read an article and summarise it")
    @app_commands.describe(url="The article's link (public addresses only)")
    async def summary(interaction: discord.Interaction[Any], url: str) -> None:
        await run(interaction, Command("summary", (url,)))

    @radar.command(description="Stories whose title or summary has these words")
    async def search(interaction: discord.Interaction[Any], words: str) -> None:
        await run(interaction, Command("search", tuple(words.split())))

    @radar.command(description="Send alerts to this channel (Manage Server)")
    @app_commands.describe(topics="Which stories", min_score="An extra bar, from 0 to 1")
    async def subscribe(
        interaction: discord.Interaction[Any],
        topics: Literal["talent", "agi", "all"],
        min_score: app_commands.Range[float, 0.0, 1.0] | None = None,
    ) -> None:
        extra = (str(min_score),) if min_score is not None else ()
        await run(interaction, Command("subscribe", (topics, *extra)))

    @radar.command(description="Stop alerts in this channel (Manage Server)")
    async def unsubscribe(interaction: discord.Interaction[Any]) -> None:
        await run(interaction, Command("unsubscribe"))

    @radar.command(description="The polled feeds; add and remove need Manage Server")
    @app_commands.describe(action="list, add or remove", url="The feed's link, to add or remove")
    async def feeds(
        interaction: discord.Interaction[Any],
        action: Literal["list", "add", "remove"] = "list",
        url: str | None = None,
    ) -> None:
        await run(interaction, Command("feeds", (action,) + ((url,) if url else ())))

    @radar.command(description="Feed health, the last poll, alerts today")
    async def status(interaction: discord.Interaction[Any]) -> None:
        await run(interaction, Command("status"))

    @radar.command(description="The reasons behind a verdict")
    async def why(interaction: discord.Interaction[Any], link: str) -> None:
        await run(interaction, Command("why", (link,)))

    @radar.command(description="Who moved where, with a chart")
    @app_commands.describe(period="How far back", org="One organisation only")
    async def moves(
        interaction: discord.Interaction[Any],
        period: Literal["7d", "30d", "90d"] = "30d",
        org: str | None = None,
    ) -> None:
        await run(interaction, Command("moves", (period, *(org.split() if org else ()))))

    @radar.command(description="A person's moves, with dates and sources")
    async def who(interaction: discord.Interaction[Any], name: str) -> None:
        await run(interaction, Command("who", tuple(name.split())))

    @radar.command(description="An organisation's arrivals and departures")
    async def org(interaction: discord.Interaction[Any], name: str) -> None:
        await run(interaction, Command("org", tuple(name.split())))

    @radar.command(name="fix-move", description="Correct a move in the ledger (Manage Server)")
    @app_commands.describe(
        move_id="The move's number, from /radar moves",
        person="The right person",
        from_org="The right origin",
        to_org="The right destination",
        kind="The right kind",
    )
    async def fix_move(
        interaction: discord.Interaction[Any],
        move_id: app_commands.Range[int, 1],
        person: str | None = None,
        from_org: str | None = None,
        to_org: str | None = None,
        kind: Literal["hire", "departure", "acquihire", "founding"] | None = None,
    ) -> None:
        parts = [("person", person), ("from", from_org), ("to", to_org), ("kind", kind)]
        fixes = tuple(f"{key}={value}" for key, value in parts if value)
        await run(interaction, Command("moves", ("fix", str(move_id), *fixes)))

    tree.add_command(radar)
    return radar


def message_kwargs(reply: Reply) -> dict[str, Any]:
    """A neutral reply as discord.py send() arguments; mentions are always off."""
    payload = reply_payload(reply)
    kwargs: dict[str, Any] = {
        "content": payload.get("content") or None,
        "embeds": [discord.Embed.from_dict(e) for e in payload.get("embeds", [])],
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    if reply.image is not None:  # a chart: an attachment of the same message
        image = reply.image
        kwargs["files"] = [discord.File(io.BytesIO(image.data), filename=image.filename)]
    return kwargs


class DiscordPlatform:
    """Everything Discord in one process: channel outputs, /radar, the buttons."""

    def __init__(self, settings: DiscordSettings, secrets: Secrets, env: ChatEnvironment) -> None:
        if secrets.discord_token is None:
            raise ConfigError("environment: DISCORD_TOKEN is not set")
        if env.discord_api_base_url:
            configure_api_base(env.discord_api_base_url)
        self.token = secrets.discord_token.get_secret_value()
        self.guild_id = env.discord_guild_id or settings.guild_id
        # No privileged intents: interactions reach a bot without any.
        self.client = discord.Client(
            intents=discord.Intents.none(), max_ratelimit_timeout=MAX_RATELIMIT_WAIT
        )
        self.tree: app_commands.CommandTree[Any] = app_commands.CommandTree(self.client)
        self.handlers: Handlers | None = None
        self._login_lock = asyncio.Lock()
        self._logged_in = False
        self._refused = False
        self._gateway: asyncio.Task[None] | None = None

    def output(self, destination: Destination, channel: str) -> ChannelOutput:
        return ChannelOutput(self, DiscordBotOutput(destination, int(channel), self.client))

    async def login(self) -> None:
        """REST only: enough to post alerts (radar poll --once); the gateway is for commands."""
        async with self._login_lock:
            if self._logged_in:
                return
            if self._refused:  # the token comes from the environment: it stays refused
                raise TokenRefused(REFUSED)
            try:
                await self.client.login(self.token)
            except discord.LoginFailure:
                self._refused = True
                await self._drop_session()
                log.error("%s; Discord alerts wait in the outbox, /radar is off there", REFUSED)
                raise TokenRefused(REFUSED) from None
            except BaseException:  # a 5xx or a network fault: the next attempt starts afresh
                await self._drop_session()
                raise
            self._logged_in = True

    async def _drop_session(self) -> None:
        # Each login opens an HTTP session (and its connector); close the failed one, so retries
        # do not leak sessions, and let the next login build both anew.
        await self.client.http.close()
        self.client.http.connector = discord.utils.MISSING

    def build(self, handlers: Handlers) -> None:
        self.handlers = handlers
        build_tree(self.tree, self._run)
        install_actions(self.client, self._on_action)

    async def start(self, handlers: Handlers) -> None:
        """Log in, sync /radar (to DISCORD_GUILD_ID at once, else globally), open the gateway.

        Safe to call again after a failure (the service retries a Discord it could not reach)."""
        if self.handlers is None:
            self.build(handlers)
        await self.login()
        await self.sync()
        self._gateway = asyncio.create_task(self._connect(), name="discord-gateway")

    async def sync(self) -> list[dict[str, Any]]:
        if self.guild_id is not None:
            guild = discord.Object(id=self.guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        where = f"server {self.guild_id}" if self.guild_id else "globally (may take an hour)"
        log.info("Discord: /radar synced %s", where)
        return [dict(c.to_dict()) for c in synced]

    async def _connect(self) -> None:
        try:
            await use_the_apis_gateway(self.client.http)
            await self.client.connect(reconnect=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a gateway that cannot open must not stop alerts or Slack
            log.error("Discord gateway closed: %s; /radar commands are unavailable", exc)

    async def aclose(self) -> None:
        if self._gateway is not None:
            self._gateway.cancel()
        await self.client.close()
        if self._gateway is not None:
            await asyncio.gather(self._gateway, return_exceptions=True)

    # -- interactions -------------------------------------------------------------------------

    @staticmethod
    def caller(interaction: discord.Interaction[Any]) -> Caller:
        # Manage Server guards subscriptions and feeds; in a DM the user owns the channel.
        allowed = interaction.guild_id is None or interaction.permissions.manage_guild
        return Caller(
            "discord",
            str(interaction.guild_id or ""),
            str(interaction.channel_id or ""),
            str(interaction.user.id),
            may_manage_feeds=allowed,
            may_subscribe=allowed,
        )

    async def _run(self, interaction: discord.Interaction[Any], command: Command) -> None:
        assert self.handlers is not None
        caller = self.caller(interaction)
        if command.slow:
            # Discord needs an answer within 3 s: show "thinking", then follow up.
            await interaction.response.defer(thinking=True, ephemeral=command.name == "feeds")
            reply = await self.handlers.execute(caller, command)
            await interaction.followup.send(**message_kwargs(reply), ephemeral=reply.ephemeral)
            return
        reply = await self.handlers.execute(caller, command)
        await interaction.response.send_message(**message_kwargs(reply), ephemeral=reply.ephemeral)

    async def _on_action(
        self, interaction: discord.Interaction[Any], action: Action | None
    ) -> None:
        assert self.handlers is not None
        if action is None:
            reply = stale_button_reply()
        else:
            reply = await self.handlers.act(self.caller(interaction), action)
        await interaction.response.send_message(**message_kwargs(reply), ephemeral=True)


class ChannelOutput:
    """A bot channel output that logs in on first use, so `radar poll --once` can post too."""

    def __init__(self, platform: DiscordPlatform, inner: DiscordBotOutput) -> None:
        self.platform = platform
        self.inner = inner
        self.chat_channel = str(inner._channel_id)

    @property
    def destination(self) -> Destination:
        return self.inner.destination

    async def send(self, alert: Alert) -> str | None:
        await self._login()
        return await self.inner.send(alert)

    async def send_followup(
        self, alert: Alert, parent_ref: str, coverage: Coverage | None
    ) -> str | None:
        await self._login()
        return await self.inner.send_followup(alert, parent_ref, coverage)

    async def _login(self) -> None:
        """A refused DISCORD_TOKEN is an admin's fix: one log line, alerts wait in the outbox."""
        try:
            await self.platform.login()
        except TokenRefused as exc:
            error = needs_admin(str(exc))
            error.already_logged = True  # the platform said it once for every channel
            raise error from None
        except Exception as exc:  # Discord unreachable or answering 5xx: retried later
            raise delivery_error(exc, f"Discord channel {self.chat_channel}") from None

    async def find_earlier(
        self, alert: Alert, parent_ref: str | None, coverage: Coverage | None, since: datetime
    ) -> str | None:
        await self._login()
        return await self.inner.find_earlier(alert, parent_ref, coverage, since)

    async def post_reply(self, reply: Reply) -> str | None:
        await self._login()
        channel = self.platform.client.get_partial_messageable(int(self.chat_channel))
        try:
            message = await channel.send(**message_kwargs(reply))
        except Exception as exc:
            raise delivery_error(exc, f"Discord channel {self.chat_channel}") from exc
        return str(message.id)

    async def aclose(self) -> None:
        await self.inner.aclose()
