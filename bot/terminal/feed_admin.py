"""`radar feeds add|remove|import|export`: an operator moves the reading list in and out of the store.

Feeds added here are the operator's, trusted like the config file (fetched from any address, as
configured feeds are), and kept in the database like feeds added from chat: the config file is
never rewritten. Configured feeds stay the config file's to add, disable and remove.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console
from rich.markup import escape

from bot.errors import FeedError, InputError
from bot.runtime.cycle import Radar
from bot.sources.opml import OpmlFeed, parse_opml, render_opml
from bot.sources.parse import parse_feed
from bot.store.repository import REMOVED_BY_OPERATOR, Store

OPERATOR = "operator"  # the feeds table's origin for feeds added with this command


def is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


async def add_feed(console: Console, radar: Radar, url: str, name: str | None, check: bool) -> None:
    """Fetch and parse the feed once (unless check is off), then store it for polling."""
    store = radar.store
    if not is_web_url(url):
        raise InputError(f"{url}: give an http:// or https:// feed address")
    known = store.feed_by_url(url)
    if known is not None and known.disabled_reason is None:
        console.print(f"{escape(url)} is already polled")
        return
    if known is not None and known.origin == "config":
        raise InputError(f"{url} is disabled in the config file; enable it there")
    title = ""
    if check:
        async with radar.fetcher() as fetcher:
            result = await fetcher.fetch(url)
        problem = result.error if result.status != "ok" else None
        if problem is None:
            try:
                title = parse_feed(result.body, result.content_type, url).title
            except FeedError as exc:
                problem = f"not a feed: {exc}"
        if problem is not None:
            raise InputError(f"{url}: {problem}; not added (--no-check adds it anyway)")
    if known is None:
        store.add_feed(url, OPERATOR, name=(name or title)[:200] or None)
    else:
        store.enable_feed(url)
    console.print(
        f"[green]added[/green] {escape(name or title or url)}: a running `radar run` picks it up "
        "within a minute"
    )


def remove_feed(console: Console, store: Store, url: str) -> None:
    known = store.feed_by_url(url)
    if known is None or known.disabled_reason is not None:
        raise InputError(f"{url} is not polled (see `radar feeds list`)")
    if known.origin == "config":
        raise InputError(f"{url} comes from the config file; remove it there")
    store.remove_feed(url, origins=("chat", OPERATOR), reason=REMOVED_BY_OPERATOR)
    console.print(f"[green]removed[/green] {escape(url)}: no longer polled (its stories are kept)")


def import_opml(console: Console, store: Store, path: Path) -> None:
    """Add every feed of an OPML file that is not polled yet; one summary line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    listed = parse_opml(data, str(path))
    if not listed:
        raise InputError(f"{path}: no feeds in it (no outline has an xmlUrl)")
    added = already = 0
    skipped: list[str] = []
    for feed in listed:
        known = store.feed_by_url(feed.url)
        if not is_web_url(feed.url):
            skipped.append(f"{feed.url}: not an http(s) address")
        elif known is None:
            store.add_feed(feed.url, OPERATOR, name=(feed.title or "")[:200] or None)
            added += 1
        elif known.disabled_reason is None:
            already += 1
        elif known.origin == "config":
            skipped.append(f"{feed.url}: disabled in the config file")
        else:
            store.enable_feed(feed.url)
            added += 1
    console.print(
        f"imported {escape(str(path))}: {added} added, {already} already polled, "
        f"{len(skipped)} skipped"
    )
    for line in skipped[:20]:
        console.print(f"[yellow]skipped[/yellow] {escape(line)}")
    if len(skipped) > 20:
        console.print(f"… and {len(skipped) - 20} more skipped")


def export_opml(store: Store, target: Path | None) -> None:
    """Every polled feed (configured, from chat, added here) as OPML 2.0, to a file or stdout."""
    feeds = [OpmlFeed(f.url, f.name, f.language) for f in store.list_feeds(include_disabled=False)]
    data = render_opml(feeds, datetime.now(UTC))
    if target is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise InputError(f"{target}: cannot write: {exc.strerror or exc}") from None
