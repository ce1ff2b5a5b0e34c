"""Load and validate the TOML configuration (plus environment secrets) into frozen settings."""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.core.durations import format_duration, parse_duration, parse_size
from bot.core.models import TOPICS
from bot.errors import ConfigError


def _within(low: float, high: float) -> Callable[[float], float]:
    """A duration bound, worded in the units the user writes ('at least 2s', 'at most 365d')."""

    def check(value: float) -> float:
        if value < low:
            raise ValueError(
                f"{format_duration(value)} is too short: use at least {format_duration(low)}"
            )
        if value > high:
            raise ValueError(
                f"{format_duration(value)} is too long: use at most {format_duration(high)}"
            )
        return value

    return check


DAY = 86400.0
Seconds = Annotated[float, BeforeValidator(parse_duration)]
# The scheduler polls in whole seconds and adds intervals to dates: below 2 s it spins (or fails),
# and far beyond a year the date arithmetic overflows.
Interval = Annotated[
    float, BeforeValidator(parse_duration), AfterValidator(_within(2.0, 365 * DAY))
]
# 0 would turn the timeout off (aiohttp's meaning); a feed that answers after ten minutes is dead.
Timeout = Annotated[float, BeforeValidator(parse_duration), AfterValidator(_within(0.1, 600.0))]
Bytes = Annotated[int, BeforeValidator(parse_size), Field(ge=1, le=1024**3)]


def _path_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL byte")
    return value


LocalPath = Annotated[Path, BeforeValidator(lambda v: _path_text(v) if isinstance(v, str) else v)]


def _file_kind_problem(path: Path, special_ok: bool = False) -> str | None:
    """Why an existing path cannot be read or written as an ordinary file; None if it can (or is
    missing). special_ok lets devices and pipes through: the service copes with those (reads are
    capped, a failed write is one output's failure), so only `check-config` refuses them."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return f"{nearest_existing(path)} is a file, not a folder"
    except OSError as exc:
        return f"{path}: {exc.strerror}"
    if stat.S_ISDIR(mode):
        return f"{path} is a folder, not a file"
    if not stat.S_ISREG(mode) and not special_ok:
        # /dev/zero, /dev/full, a FIFO: reads never end or writes always fail.
        return f"{path} is not a regular file (a device, pipe or socket)"
    return None


def nearest_existing(path: Path) -> Path:
    """Path itself or its nearest ancestor that exists (to name a file standing where a folder should)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return path


def folder_problem(path: Path) -> str | None:
    """Why the folder that would hold `path` cannot; None when it exists as a folder."""
    folder = path.expanduser().absolute().parent
    if folder.is_dir():
        return None
    existing = nearest_existing(folder)
    if existing.exists() and not existing.is_dir():
        return f"{existing} is a file, not a folder"
    return f"folder {folder} does not exist; create it or change the path"


TopicName = Literal["talent_war", "agi"]

DEFAULT_USER_AGENT = "Radar/0.1 (+https://github.com/radar-bot/radar; AI news watcher)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def sqlite_file(url: str) -> Path | None:
    """The file a sqlite:/// URL names; None for an in-memory database."""
    database = url.split(":///", 1)[1].split("?", 1)[0] if ":///" in url else ""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database).expanduser()


def sqlite_url_problem(url: str) -> str | None:
    """What makes a sqlite:/// URL unusable before any connection is tried; None if nothing."""
    if "\x00" in url:
        return "contains a NUL byte"
    database = sqlite_file(url)
    if database is None:
        return None
    return folder_problem(database) or _file_kind_problem(database)


class StorageSettings(_Strict):
    url: str = "sqlite:///radar.db"

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith("sqlite:///") and value != "sqlite://":
            raise ValueError("only sqlite:/// URLs are supported for now")
        problem = sqlite_url_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


def local_feed_path(url: str) -> Path | None:
    """The file a feed URL names (a file:// URL or a plain path); None for http(s) URLs."""
    if url.startswith(("http://", "https://")):
        return None
    if url.startswith("file://"):
        return Path(unquote(urlsplit(url).path))
    return Path(url).expanduser()


class FeedSettings(_Strict):
    url: str
    name: str | None = None
    language: Literal["en", "fr"] | None = None
    interval: Interval | None = None
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _has_scheme_or_path(cls, value: str) -> str:
        value = _path_text(value.strip())
        if not value:
            raise ValueError("must not be empty")
        if "://" in value and not value.startswith(("http://", "https://", "file://")):
            raise ValueError("must be an http(s):// or file:// URL, or a local path")
        if value.startswith(("http://", "https://")):
            problem = _http_url_problem(value)
            if problem:
                raise ValueError(f"{value!r} {problem}")
            return value
        path = local_feed_path(value)
        problem = _file_kind_problem(path, special_ok=True) if path is not None else None
        if problem:
            raise ValueError(problem)
        return value


def _http_url_problem(url: str) -> str | None:
    if any(c.isspace() for c in url):
        return "contains spaces (write them as %20)"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if not parts.hostname:
        return "has no host name"
    return None


class PollSettings(_Strict):
    interval: Interval = 600.0
    jitter: Annotated[Seconds, AfterValidator(_within(0.0, DAY))] = 60.0
    concurrency: int = Field(50, ge=1, le=1000)
    per_host: int = Field(4, ge=1, le=100)
    connect_timeout: Timeout = 10.0
    timeout: Timeout = 30.0
    max_body: Bytes = 5 * 1024 * 1024
    max_backoff: Annotated[Seconds, AfterValidator(_within(1.0, 30 * DAY))] = 6 * 3600.0
    first_poll_window: Annotated[Seconds, AfterValidator(_within(0.0, 3653 * DAY))] = 24 * 3600.0
    max_items: int = Field(500, ge=1, le=100_000)  # items read from one feed per poll
    user_agent: str = DEFAULT_USER_AGENT


class ClassifierSettings(_Strict):
    talent_war: float | None = Field(None, ge=0.0, le=1.0)  # None: the model's own threshold
    agi: float | None = Field(None, ge=0.0, le=1.0)
    model: LocalPath | None = None  # None: the model shipped in the package

    @field_validator("model")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        problem = _file_kind_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value


class StoriesSettings(_Strict):
    window: Annotated[Seconds, AfterValidator(_within(60.0, 365 * DAY))] = 72 * 3600.0


class MetricsSettings(_Strict):
    """The operations endpoint of `radar run`: /metrics, /healthz and /readyz. Off without a port."""

    port: int | None = Field(None, ge=1, le=65535)
    host: str = "127.0.0.1"
    outbox_stuck_after: Seconds = 900.0  # /readyz fails when a due alert waited this long


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
    path: LocalPath
    topics: list[TopicName] = Field(default_factory=lambda: list(TOPICS))
    min_score: float = Field(0.0, ge=0.0, le=1.0)

    @field_validator("path")
    @classmethod
    def _writable_file(cls, value: Path) -> Path:
        problem = _file_kind_problem(value, special_ok=True)
        if problem is None and not value.exists():
            existing = nearest_existing(value.absolute())
            if existing.exists() and not existing.is_dir():
                problem = f"{existing} is a file, not a folder"
        if problem:
            raise ValueError(problem)
        return value

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
    kind: Literal["stories", "talent"] = "stories"  # talent: the talent-flow chart and moves

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
    # at most one message per channel this often
    per_channel_interval: Annotated[Seconds, AfterValidator(_within(0.0, 60.0))] = 1.0


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
                raw = _read_secret_file(f"{key}_FILE", Path(file_path))
            if raw:
                values[name] = SecretStr(raw)
        return cls(**values)


MAX_SECRET_BYTES = 64 * 1024  # tokens are short; a bigger file is the wrong file


def _read_secret_file(variable: str, path: Path) -> str:
    """A secret from a NAME_FILE path: a regular UTF-8 file, read with a cap (never /dev/zero
    for ever)."""
    problem = _file_kind_problem(path)
    if problem is not None:
        raise ConfigError(f"environment: {variable}: {problem}")
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SECRET_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"environment: {variable}: cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_SECRET_BYTES:
        raise ConfigError(f"environment: {variable}: {path} is too large to hold a secret")
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"environment: {variable}: {path} is not UTF-8 text") from None


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
    metrics: MetricsSettings = MetricsSettings()
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
    problem = _file_kind_problem(config_path)
    if problem is not None:
        raise ConfigError(problem)  # e.g. --config /dev/zero would be read for ever
    try:
        with config_path.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        hint = " (pass --config PATH or set RADAR_CONFIG)" if path is None else ""
        raise ConfigError(f"{config_path}: file not found{hint}") from None
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{config_path}: larger than {MAX_CONFIG_BYTES // 1024**2} MB; not a config file"
        )
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{config_path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(
            f"{config_path}: invalid TOML: arrays or tables nested too deeply"
        ) from None
    return settings_from_dict(data, source=config_path)


MAX_CONFIG_BYTES = 4 * 1024**2
MAX_REPORTED = 10  # problems named in the one error line


def settings_from_dict(data: dict[str, Any], source: Path | None = None) -> Settings:
    """Validate settings; every problem found is named, all of them on one line."""
    label = str(source) if source else "settings"
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            msg = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling against config/radar.toml)"
            problems.append(f"{_format_loc(tuple(error['loc']))}: {msg}")
        if len(problems) > MAX_REPORTED:
            problems[MAX_REPORTED:] = [f"and {len(problems) - MAX_REPORTED} more"]
        raise ConfigError(f"{label}: " + "; ".join(problems)) from None
    except RecursionError:
        raise ConfigError(f"{label}: values nested too deeply") from None
    return settings.model_copy(update={"source_path": source})


def environment_problems(settings: Settings) -> list[str]:
    """What `check-config` finds on this machine beyond the file's own validity: local feed files
    that are missing, output folders that cannot be written. Each problem is one line."""
    where = f"{settings.source_path}: " if settings.source_path else ""
    problems: list[str] = []
    for i, feed in enumerate(settings.feeds):
        path = local_feed_path(feed.url)
        if path is None or not feed.enabled:
            continue
        if not path.exists():
            problems.append(
                f"{where}feeds[{i}].url: {feed.url!r} is neither an http(s):// URL nor an existing file"
            )
        elif problem := _file_kind_problem(path):
            problems.append(f"{where}feeds[{i}].url: {problem}")
    for i, out in enumerate(settings.outputs):
        if isinstance(out, JsonlOutput):
            if problem := _file_kind_problem(out.path):
                problems.append(f"{where}outputs[{i}].path: {problem}")
                continue
            existing = nearest_existing(out.path.absolute())
            target = out.path if out.path.exists() else existing
            if not os.access(target, os.W_OK):
                problems.append(f"{where}outputs[{i}].path: {target} is not writable by this user")
    return problems
