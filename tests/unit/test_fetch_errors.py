"""What a failed fetch tells the user: plain words, never an aiohttp class name."""

from __future__ import annotations

import pytest

from bot.sources.fetch import Fetcher


@pytest.mark.parametrize("url", ["http://[::1", "http:///feed.xml", "http://host:99999/feed.xml"])
async def test_a_url_aiohttp_refuses_is_named_as_a_bad_url(url: str) -> None:
    async with Fetcher(user_agent="radar-test") as fetcher:
        result = await fetcher.fetch(url, None, None)
    assert result.status == "error"
    assert result.error == f"bad URL: {url}"
    assert "Error" not in (result.error or "")
