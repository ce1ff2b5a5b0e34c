"""Local feeds (paths and file:// URLs) are read only from regular files, under the body cap."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.sources.fetch import Fetcher

CAP = 4096


async def fetch(url: str) -> tuple[str, str | None, int]:
    async with Fetcher(user_agent="radar-test", max_body=CAP) as fetcher:
        result = await fetcher.fetch(url)
    return result.status, result.error, len(result.body)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
async def test_dev_zero_is_refused_not_read() -> None:
    for url in ("file:///dev/zero", "/dev/zero"):
        status, error, size = await fetch(url)
        assert (status, size) == ("error", 0)
        assert error == "/dev/zero is not a regular file"


async def test_fifo_folder_and_symlink_to_a_device_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "feed.fifo"
    os.mkfifo(fifo)  # no writer: a blocking open would hang this test
    folder = tmp_path / "folder"
    folder.mkdir()
    link = tmp_path / "link.xml"
    link.symlink_to("/dev/zero")
    for path in (fifo, link, folder):
        assert await fetch(f"file://{path}") == ("error", f"{path} is not a regular file", 0)


async def test_the_body_cap_applies_to_local_files(tmp_path: Path) -> None:
    small = tmp_path / "small.xml"
    small.write_bytes(b"x" * CAP)
    assert await fetch(str(small)) == ("ok", None, CAP)
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * (CAP + 1))
    assert await fetch(f"file://{big}") == ("error", f"file larger than {CAP} bytes", 0)
    assert (await fetch(str(tmp_path / "missing.xml")))[0] == "error"
