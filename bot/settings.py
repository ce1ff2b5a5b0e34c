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


OutputSettings = Annotated[ConsoleOutput | JsonlOutput, Field(discriminator="type")]


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


class Settings(_Strict):
    storage: StorageSettings = StorageSettings()
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
        elif part in ("console", "jsonl") and out.endswith("]"):
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
