"""Fixtures of the end-to-end tests: the Slack and Discord Web API stand-ins on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.discord.api import configure_api_base
from tests.discordapi import DiscordAPI
from tests.slackapi import SlackAPI


@pytest.fixture
def slack() -> Iterator[SlackAPI]:
    """The Slack Web API stand-in with two channels (tests that need Socket Mode override it)."""
    api = SlackAPI(channels={"ai-news": "C0AINEWS", "general": "C0GENERAL"}).start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def discord_api() -> Iterator[DiscordAPI]:
    api = DiscordAPI().start()
    try:
        yield api
    finally:
        configure_api_base(None)  # discord.py keeps its API base in a global
        api.stop()
