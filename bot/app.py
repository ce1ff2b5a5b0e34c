"""The one wiring point: build the store, the understanding stage, the outputs and the service from settings."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import IO, TYPE_CHECKING

from bot.core.classify import Classifier, LinearModel
from bot.core.models import Destination
from bot.core.understand import Understander
from bot.errors import ConfigError
from bot.outputs.base import Output
from bot.outputs.console import ConsoleOutput
from bot.outputs.jsonl import JsonlOutput
from bot.runtime.cycle import Clock, Radar, utcnow
from bot.runtime.workers import CpuStages
from bot.settings import ChatEnvironment, Secrets, Settings
from bot.settings import ConsoleOutput as ConsoleSettings
from bot.settings import DiscordOutput as DiscordSettings
from bot.settings import DiscordWebhookOutput as WebhookSettings
from bot.settings import JsonlOutput as JsonlSettings
from bot.settings import SlackOutput as SlackSettings
from bot.store.repository import Store

if TYPE_CHECKING:  # the SDKs load only when a token asks for them
    from bot.discord.app import DiscordPlatform
    from bot.slack.app import SlackPlatform

log = logging.getLogger("radar.app")


def build_understander(settings: Settings) -> Understander:
    path = settings.classifier.model
    try:
        model = LinearModel.load(path) if path else LinearModel.load()
    except (OSError, ValueError, KeyError) as exc:
        where = f"{settings.source_path}: " if settings.source_path else ""
        raise ConfigError(f"{where}classifier.model: cannot load {path}: {exc}") from None
    return Understander(Classifier(model, _thresholds(settings)))


def _thresholds(settings: Settings) -> dict[str, float | None]:
    return {"talent_war": settings.classifier.talent_war, "agi": settings.classifier.agi}


class Chat:
    """The chat platforms this process can reach: those whose tokens are set."""

    def __init__(self, settings: Settings, secrets: Secrets, env: ChatEnvironment) -> None:
        self.secrets = secrets
        self.env = env
        self.slack: SlackPlatform | None = None
        self.discord: DiscordPlatform | None = None
        # Each SDK loads only when its token is set: most commands never need them.
        if secrets.slack_bot_token is not None:
            from bot.slack.app import SlackPlatform

            self.slack = SlackPlatform(settings.slack, secrets, env)
        if secrets.discord_token is not None:
            from bot.discord.app import DiscordPlatform

            self.discord = DiscordPlatform(settings.discord, secrets, env)

    def attach(self, radar: Radar) -> None:
        if self.slack is not None:
            radar.attach_platform("slack", self.slack.output)
        if self.discord is not None:
            radar.attach_platform("discord", self.discord.output)

    async def aclose(self) -> None:
        if self.slack is not None:
            await self.slack.aclose()
        if self.discord is not None:
            await self.discord.aclose()


def build_outputs(
    settings: Settings, stream: IO[str] | None = None, chat: Chat | None = None
) -> dict[str, Output]:
    outputs: dict[str, Output] = {}
    for spec in settings.outputs:
        dest = Destination(key=spec.key, topics=frozenset(spec.topics), min_score=spec.min_score)
        if isinstance(spec, ConsoleSettings):
            outputs[spec.key] = ConsoleOutput(dest, stream=stream, color=spec.color)
        elif isinstance(spec, JsonlSettings):
            outputs[spec.key] = JsonlOutput(dest, Path(spec.path))
        elif isinstance(spec, SlackSettings):
            if chat is None or chat.slack is None:
                log.warning("output %s skipped: SLACK_BOT_TOKEN is not set", spec.key)
                continue
            threaded = Destination(dest.key, dest.topics, dest.min_score, followups=True)
            outputs[spec.key] = chat.slack.output(threaded, spec.channel)
        elif isinstance(spec, DiscordSettings):
            if chat is None or chat.discord is None:
                log.warning("output %s skipped: DISCORD_TOKEN is not set", spec.key)
                continue
            threaded = Destination(dest.key, dest.topics, dest.min_score, followups=True)
            outputs[spec.key] = chat.discord.output(threaded, str(spec.channel))
        elif isinstance(spec, WebhookSettings):
            from bot.discord.webhook import DiscordWebhookOutput

            edits = Destination(dest.key, dest.topics, dest.min_score, followups=True)
            base = chat.env.discord_api_base_url if chat is not None else None
            try:
                outputs[spec.key] = DiscordWebhookOutput(edits, spec.resolved_url(), base)
            except ValueError as exc:
                where = f"{settings.source_path}: " if settings.source_path else ""
                raise ConfigError(f"{where}outputs ({spec.key}): {exc}") from None
    if settings.outputs and not outputs:
        log.warning("no configured output can run here; alerts go to the terminal")
        outputs["console"] = ConsoleOutput(
            Destination("console", frozenset(("talent_war", "agi"))), stream=stream
        )
    return outputs


def open_store(settings: Settings) -> Store:
    return Store.open(settings.storage.url)


def build(
    settings: Settings,
    stream: IO[str] | None = None,
    clock: Clock = utcnow,
    env: dict[str, str] | None = None,
) -> Radar:
    chat = Chat(settings, Secrets.from_env(env), ChatEnvironment.from_env(env))
    outputs = build_outputs(settings, stream, chat)
    store = open_store(settings)
    store.sync_feeds((f.url, f.name, f.language, f.interval, f.enabled) for f in settings.feeds)
    radar = Radar(
        settings,
        store,
        CpuStages(build_understander(settings), settings.classifier.model, _thresholds(settings)),
        outputs,
        clock=clock,
        closers=[chat.aclose],
    )
    chat.attach(radar)
    radar.chat = chat
    return radar
