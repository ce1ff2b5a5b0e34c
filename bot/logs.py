"""Logging set-up: rich, readable lines on a terminal; plain timestamped lines otherwise."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.logging import RichHandler


def setup_logging(verbosity: int = 0) -> None:
    level = {-1: logging.WARNING, 0: logging.INFO, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler: logging.Handler
    if sys.stderr.isatty():
        handler = RichHandler(
            show_path=False, markup=False, rich_tracebacks=False, log_time_format="[%X]"
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S"
            )
        )
    handler.addFilter(Redact.from_env())
    if verbosity < 2:
        handler.addFilter(drop_library_noise)
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries speak only when something is wrong, unless the user asks for debug output.
    for name in (
        "apscheduler",
        "aiohttp",
        "sqlalchemy",
        "alembic",
        "asyncio",
        "discord",
        "slack_sdk",
        "slack_bolt",
        "radar.slack.bolt",
    ):
        logging.getLogger(name).setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)


SECRET_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "DISCORD_TOKEN",
    "RADAR_LLM_API_KEY",
)
# Secrets that libraries may print in debug output: a webhook URL's token (discord.py logs the
# URL), Slack tokens, Discord bot tokens (three dot-separated base64 parts).
_PATTERNS = (
    (re.compile(r"(/webhooks/\d+/)[\w.-]+"), r"\1(redacted)"),
    (re.compile(r"\bx(?:ox[abpre]|app)-[\w-]+"), "(redacted token)"),
    (re.compile(r"\b[\w-]{23,28}\.[\w-]{6,7}\.[\w-]{27,}"), "(redacted token)"),
)


class Redact(logging.Filter):
    """Removes secrets from every log line, whoever logs it (Radar or a library at debug level)."""

    def __init__(self, values: list[str]) -> None:
        super().__init__()
        self.values = [v for v in values if len(v) >= 8]  # a short value would redact words

    @classmethod
    def from_env(cls) -> Redact:
        """The secrets as the environment gives them, directly or through NAME_FILE paths (read
        here without the settings module: logging is set up before anything else loads)."""
        values = []
        for name in SECRET_VARIABLES:
            value = os.environ.get(name, "")
            path = os.environ.get(f"{name}_FILE")
            if not value and path and os.path.isfile(path):
                try:
                    # Regular files only, and capped: /dev/zero or a FIFO must not hang start-up
                    # here; the settings then refuse them in one line.
                    with open(path, "rb") as fh:
                        value = fh.read(64 * 1024).decode("utf-8", "replace")
                except (OSError, ValueError):
                    value = ""  # the settings report an unreadable file, in one line
            values.append(value.strip())
        return cls(values)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = message
        for value in self.values:
            clean = clean.replace(value, "(redacted)")
        for pattern, replacement in _PATTERNS:
            clean = pattern.sub(replacement, clean)
        if clean != message:
            record.msg, record.args = clean, None
        return True


# Library warnings that say nothing the user can act on: Radar has no voice features, asks
# Discord for no intents on purpose (interactions need none), and hands Bolt a ready client.
LIBRARY_NOISE = (
    ("discord", "voice will NOT be supported"),
    ("discord", "Guilds intent seems to be disabled"),
    ("discord", "Privileged message content intent is missing"),
    ("", "`token` will be unused"),
)


def drop_library_noise(record: logging.LogRecord) -> bool:
    message = record.getMessage()
    return not any(
        record.name.startswith(prefix) and words in message for prefix, words in LIBRARY_NOISE
    )


def _not_a_feed_failure(record: logging.LogRecord) -> bool:
    return not (record.name == "radar.cycle" and str(record.msg).startswith("feed %s failed"))


@contextmanager
def feed_failures_held() -> Iterator[None]:
    """While a command prints its own list of failed feeds, keep the cycle's log line for each
    out of the way, so that every failure is reported once."""
    cycle = logging.getLogger("radar.cycle")
    cycle.addFilter(_not_a_feed_failure)
    try:
        yield
    finally:
        cycle.removeFilter(_not_a_feed_failure)
