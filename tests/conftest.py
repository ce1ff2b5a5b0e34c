"""Shared fixtures: a real feed server on 127.0.0.1, settings on a real SQLite file, a built Radar."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.app import build
from bot.runtime.cycle import Radar
from bot.settings import Settings, settings_from_dict
from tests.feedserver import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()


def make_settings(tmp_path: Path, feeds: list[str | dict[str, Any]], **sections: Any) -> Settings:
    data: dict[str, Any] = {
        "storage": {"url": f"sqlite:///{tmp_path / 'radar.db'}"},
        "feeds": [f if isinstance(f, dict) else {"url": f} for f in feeds],
        "outputs": [
            {
                "type": "jsonl",
                "path": str(tmp_path / "alerts.jsonl"),
                "topics": ["talent_war", "agi"],
            }
        ],
    }
    data.update(sections)
    return settings_from_dict(data)


@asynccontextmanager
async def running(settings: Settings, env: dict[str, str] | None = None) -> AsyncIterator[Radar]:
    """A built Radar, its chat clients closed and its store released afterwards."""
    built = build(settings, env=env)
    try:
        yield built
    finally:
        await built.aclose()  # closes chat clients: their tasks, sockets and sessions
        built.store.close()


@pytest.fixture
def radar_factory(tmp_path: Path) -> Iterator[Any]:
    built: list[Radar] = []

    def factory(feeds: list[str | dict[str, Any]], **sections: Any) -> Radar:
        radar = build(make_settings(tmp_path, feeds, **sections))
        built.append(radar)
        return radar

    yield factory
    for radar in built:
        radar.store.close()


def read_alerts(path: Path) -> list[dict[str, Any]]:
    import json

    if not path.exists():
        return []
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
