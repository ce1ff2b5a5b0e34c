"""Load and validate the TOML configuration (plus environment secrets) into frozen settings."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.core.durations import parse_duration, parse_size
from bot.core.models import TOPICS
from bot.errors import ConfigError

Seconds = Annotated[float, BeforeValidator(parse_duration)]
Bytes = Annotated[int, BeforeValidator(parse_size)]
TopicName = Literal["talent_war", "agi"]

DEFAULT_USER_AGENT = "Radar/0.1 (+https://github.com/radar-bot/radar; AI news watcher)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def missing_sqlite_folder(url: str) -> Path | None:
    """The folder a sqlite:/// URL's file would live in, when that folder does not exist."""
    database = url.split(":///", 1)[1].split("?", 1)[0] if ":///" in url else ""
    if not database or database == ":memory:":
        return None
    folder = Path(database).expanduser().resolve().parent
    return None if folder.is_dir() else folder


class StorageSettings(_Strict):
    url: str = "sqlite:///radar.db"

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith("sqlite"):
            raise ValueError("only sqlite:/// URLs are supported for now")
        folder = missing_sqlite_folder(value)
        if folder is not None:
            raise ValueError(f"folder {folder} does not exist; create it or change the path")
        return value


class FeedSettings(_Strict):
    url: str
    name: str | None = None
    language: Literal["en", "fr"] | None = None
    interval: Seconds | None = None
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _has_scheme_or_path(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        if "://" in value and not value.startswith(("http://", "https://", "file://")):
            raise ValueError("must be an http(s):// or file:// URL, or a local path")
        return value


class PollSettings(_Strict):
    interval: Seconds = 600.0
    jitter: Seconds = 60.0
    concurrency: int = Field(50, ge=1, le=1000)
    per_host: int = Field(4, ge=1, le=100)
    connect_timeout: Seconds = 10.0
    timeout: Seconds = 30.0
    max_body: Bytes = 5 * 1024 * 1024
    max_backoff: Seconds = 6 * 3600.0
    first_poll_window: Seconds = 24 * 3600.0
    max_items: int = Field(500, ge=1, le=100_000)  # items read from one feed per poll
    user_agent: str = DEFAULT_USER_AGENT


class ClassifierSettings(_Strict):
    talent_war: float | None = Field(None, ge=0.0, le=1.0)  # None: the model's own threshold
    agi: float | None = Field(None, ge=0.0, le=1.0)
    model: Path | None = None  # None: the model shipped in the package


class StoriesSettings(_Strict):
    window: Seconds = 72 * 3600.0


class ConsoleOutput(_Strict):
    type: Literal["console"]
    topics: list[TopicName] = Field(default_factory=lambda: list(TOPICS))
    min_score: float = Field(0.0, ge=0.0, le=1.0)
    color: bool | None = None

    @property
    def key(self) -> str:
        return "console"


class JsonlOutput(_Strict):
    type: Literal["jsonl"]
    path: Path
    topics: list[TopicName] = Field(default_factory=lambda: list(TOPICS))
    min_score: float = Field(0.0, ge=0.0, le=1.0)

    @property
    def key(self) -> str:
        return f"jsonl:{self.path}"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DigestSchedule(_Strict):
    """A digest posted to a chat output at a local time, daily or weekly."""

    every: Literal["daily", "weekly"] = "daily"
    at: str = "09:00"  # 24-hour local time
    timezone: str = "UTC"  # an IANA name, e.g. "Europe/Paris"
    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"  # weekly digests
    topics: list[TopicName] = Field(default_factory=lambda: list(TOPICS))

    @field_validator("at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        hour, _, minute = value.partition(":")
        if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
            raise ValueError(f"{value!r} is not a time like 09:00")
        return f"{int(hour):02d}:{int(minute):02d}"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name like Europe/Paris") from None
        return value

    @property
    def hour(self) -> int:
        return int(self.at[:2])

    @property
    def minute(self) -> int:
        return int(self.at[3:])


class SlackOutput(_Strict):
    type: Literal["slack"]
    channel: str  # a channel ID (C0123…) or #name; the bot must be invited to it
    topics: list[TopicName] = Field(default_factory=lambda: list(TOPICS))
    min_score: float = Field(0.0, ge=0.0, le=1.0)
    digest: DigestSchedule | None = None

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        value = value.strip()
        if not value or value == "#" or any(c.isspace() for c in value):
            raise ValueError("give a channel ID like C0123ABC or a name like #ai-news")
        return value

    @property
    def key(self) -> str:
        return f"slack:{self.channel}"


class DiscordOutput(_Strict):
    type: Literal["discord"]
    channel: int = Field(gt=0)  # the channel ID (Developer Mode → right-click → Copy Channel ID)
    topics: list[TopicName] = Field(default_factory=lambda: list(TOPICS))
    min_score: float = Field(0.0, ge=0.0, le=1.0)
    digest: DigestSchedule | None = None

    @property
    def key(self) -> str:
        return f"discord:{self.channel}"


class DiscordWebhookOutput(_Strict):
    type: Literal["discord_webhook"]
    # The webhook URL holds a token: prefer url_env (the name of an environment variable holding
    # the URL) to keep it out of this file.
    url: SecretStr | None = None
    url_env: str | None = None
    topics: list[TopicName] = Field(default_factory=lambda: list(TOPICS))
    min_score: float = Field(0.0, ge=0.0, le=1.0)
    digest: DigestSchedule | None = None

    @model_validator(mode="after")
    def _one_url(self) -> DiscordWebhookOutput:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give either url or url_env (an environment variable's name)")
        if self.url is not None:
            _webhook_id(self.url.get_secret_value())
        return self

    def resolved_url(self, env: dict[str, str] | None = None) -> str:
        if self.url is not None:
            return self.url.get_secret_value()
        assert self.url_env is not None
        value = (os.environ if env is None else env).get(self.url_env, "").strip()
        if not value:
            raise ConfigError(f"environment: {self.url_env} (a Discord webhook URL) is not set")
        _webhook_id(value)
        return value

    @property
    def key(self) -> str:
        # Never the URL: keys are logged and stored, and the URL carries the webhook's token.
        ident = _webhook_id(self.url.get_secret_value()) if self.url else f"${self.url_env}"
        return f"discord_webhook:{ident}"


def _webhook_id(url: str) -> str:
    """The id in https://discord.com/api/webhooks/<id>/<token>; one-line error otherwise."""
    parts = url.strip().split("?", 1)[0].rstrip("/").split("/")
    if not url.startswith(("https://", "http://")) or "webhooks" not in parts:
        raise ValueError("must look like https://discord.com/api/webhooks/<id>/<token>")
    at = parts.index("webhooks")
    if len(parts) != at + 3 or not parts[at + 1].isdigit() or not parts[at + 2]:
        raise ValueError("must look like https://discord.com/api/webhooks/<id>/<token>")
    return parts[at + 1]


OutputSettings = Annotated[
    ConsoleOutput | JsonlOutput | SlackOutput | DiscordOutput | DiscordWebhookOutput,
    Field(discriminator="type"),
]
ChatOutput = SlackOutput | DiscordOutput | DiscordWebhookOutput


class SlackSettings(_Strict):
    host: str = "0.0.0.0"  # HTTP mode only: where POST /slack/events listens
    port: int = Field(3000, ge=0, le=65535)  # 0: any free port (tests)
    admins: list[str] = Field(default_factory=list)  # user IDs allowed `feeds add|remove`
    per_channel_interval: Seconds = 1.0  # at most one message per channel this often


class DiscordSettings(_Strict):
    guild_id: int | None = None  # sync commands to this server only (instant); DISCORD_GUILD_ID too


class Secrets(BaseModel):
    """Secrets, read only from the environment (or NAME_FILE paths); never logged."""

    model_config = ConfigDict(frozen=True)

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    discord_token: SecretStr | None = None
    llm_api_key: SecretStr | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Secrets:
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            key = f"RADAR_{name.upper()}" if name == "llm_api_key" else name.upper()
            raw = env.get(key)
            file_path = env.get(f"{key}_FILE")
            if raw is None and file_path:
                try:
                    raw = Path(file_path).read_text(encoding="utf-8").strip()
                except OSError as exc:
                    raise ConfigError(
                        f"environment: {key}_FILE: cannot read {file_path}: {exc.strerror}"
                    ) from None
            if raw:
                values[name] = SecretStr(raw)
        return cls(**values)


class ChatEnvironment(BaseModel):
    """Where chat APIs live, from the environment: for GovSlack, proxies, compatible servers and
    tests. Not secret, but not config either: the same config file serves every environment."""

    model_config = ConfigDict(frozen=True)

    slack_api_url: str | None = None  # e.g. https://slack.com/api/
    discord_api_base_url: str | None = None  # e.g. https://discord.com/api/v10
    discord_guild_id: int | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ChatEnvironment:
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for name in ("slack_api_url", "discord_api_base_url"):
            raw = env.get(name.upper(), "").strip()
            if raw:
                if not raw.startswith(("http://", "https://")):
                    raise ConfigError(f"environment: {name.upper()} must be an http(s):// URL")
                values[name] = raw
        guild = env.get("DISCORD_GUILD_ID", "").strip()
        if guild:
            if not guild.isdigit():
                raise ConfigError("environment: DISCORD_GUILD_ID must be a server ID (digits)")
            values["discord_guild_id"] = int(guild)
        return cls(**values)


class Settings(_Strict):
    storage: StorageSettings = StorageSettings()
    slack: SlackSettings = SlackSettings()
    discord: DiscordSettings = DiscordSettings()
    poll: PollSettings = PollSettings()
    classifier: ClassifierSettings = ClassifierSettings()
    stories: StoriesSettings = StoriesSettings()
    feeds: list[FeedSettings] = Field(default_factory=list)
    outputs: list[OutputSettings] = Field(default_factory=list)
    source_path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _unique(self) -> Settings:
        seen: set[str] = set()
        for i, feed in enumerate(self.feeds):
            if feed.url in seen:
                raise ValueError(f"feeds[{i}].url: {feed.url} is listed twice")
            seen.add(feed.url)
        keys: set[str] = set()
        for i, out in enumerate(self.outputs):
            if out.key in keys:
                raise ValueError(f"outputs[{i}]: a second {out.type} output with the same target")
            keys.add(out.key)
        return self


DEFAULT_CONFIG = Path("config/radar.toml")


def resolve_config_path(explicit: str | Path | None) -> Path:
    """--config, then RADAR_CONFIG, then ./config/radar.toml."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("RADAR_CONFIG")
    if env:
        return Path(env)
    return DEFAULT_CONFIG


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("console", "jsonl", "slack", "discord", "discord_webhook") and out.endswith(
            "]"
        ):
            continue  # the discriminator's branch name adds nothing for the user
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def load_settings(path: str | Path | None = None) -> Settings:
    """Read and validate one TOML file; every problem becomes a one-line ConfigError."""
    config_path = resolve_config_path(path)
    try:
        raw = config_path.read_bytes()
    except FileNotFoundError:
        hint = " (pass --config PATH or set RADAR_CONFIG)" if path is None else ""
        raise ConfigError(f"{config_path}: file not found{hint}") from None
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{config_path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: invalid TOML: {exc}") from None
    return settings_from_dict(data, source=config_path)


def settings_from_dict(data: dict[str, Any], source: Path | None = None) -> Settings:
    label = str(source) if source else "settings"
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling against config/radar.toml)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{label}: {_format_loc(tuple(first['loc']))}: {msg}{more}") from None
    return settings.model_copy(update={"source_path": source})
