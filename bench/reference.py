"""The reference loop Radar's poll cycle is compared with: fetch, parse, store, nothing else.

Usage: python bench/reference.py CONFIG.toml DB_PATH
Reads the [[feeds]] of a Radar config and polls each once, as `radar poll --once` would: aiohttp
with conditional GET (ETags kept in its own SQLite file), Radar's fast lxml parser, one bulk insert
of the feed's new items per feed. No classification, stories, routing or outbox. One process, one
event loop: the floor a poll cycle cannot beat on this machine by much.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.sources.parse import parse_feed

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (url TEXT PRIMARY KEY, etag TEXT, polled_at TEXT);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY, feed TEXT NOT NULL, key TEXT NOT NULL, url TEXT, title TEXT NOT NULL,
    text TEXT NOT NULL, published TEXT, seen TEXT NOT NULL, UNIQUE (feed, key)
);
CREATE INDEX IF NOT EXISTS ix_items_url ON items (url);
"""


async def poll(urls: list[str], db: sqlite3.Connection, concurrency: int) -> dict[str, int]:
    etags = dict(db.execute("SELECT url, etag FROM feeds").fetchall())
    counts = {"fetched": 0, "not_modified": 0, "failed": 0, "new_items": 0}
    limit = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> None:
            headers = {"If-None-Match": etags[url]} if etags.get(url) else {}
            async with limit:
                try:
                    async with session.get(url, headers=headers) as response:
                        body = await response.read()
                        status, etag = response.status, response.headers.get("ETag")
                        content_type = response.headers.get("Content-Type")
                except aiohttp.ClientError:
                    counts["failed"] += 1
                    return
            now = datetime.now(UTC).isoformat()
            if status == 304:
                counts["not_modified"] += 1
                db.execute("UPDATE feeds SET polled_at = ? WHERE url = ?", (now, url))
                return
            parsed = parse_feed(body, content_type, url)
            rows = [
                (
                    url,
                    e.guid or e.url or e.title,
                    e.url,
                    e.title,
                    e.text[:8000],
                    e.published.isoformat() if e.published else None,
                    now,
                )
                for e in parsed.entries
            ]
            with db:
                before = db.total_changes
                db.executemany(
                    "INSERT OR IGNORE INTO items (feed, key, url, title, text, published, seen)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                counts["new_items"] += db.total_changes - before
                db.execute(
                    "INSERT INTO feeds (url, etag, polled_at) VALUES (?, ?, ?) ON CONFLICT (url)"
                    " DO UPDATE SET etag = excluded.etag, polled_at = excluded.polled_at",
                    (url, etag, now),
                )
            counts["fetched"] += 1

        await asyncio.gather(*(one(url) for url in urls))
    db.commit()
    return counts


def main() -> None:
    config = tomllib.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    urls = [feed["url"] for feed in config.get("feeds", [])]
    concurrency = int(config.get("poll", {}).get("concurrency", 50))
    db = sqlite3.connect(sys.argv[2])
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    counts = asyncio.run(poll(urls, db, concurrency))
    db.close()
    print(" ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
