"""Ingest on a real SQLite file, as the database grows and as processes share it: index-backed
queries, idempotent concurrent ingest, and a story index that stays right across cycles."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from bot.core.models import Destination, Entry
from bot.core.stories import StoryIndex
from bot.store.repository import FeedIngest, FeedSuccess, Store
from bot.store.schema import deliveries, items, stories
from tests.contract.test_store import (
    ALL,
    NOW,
    WINDOW,
    count,
    entry,
    ingest,
    new_feed,
    rows,
    scored,
    story_of,
)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/r.db"


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    opened = Store.open(db)
    try:
        yield opened
    finally:
        opened.close()


def _success() -> FeedSuccess:
    return FeedSuccess(
        now=NOW, next_poll=NOW, etag='"v2"', last_modified=None, fetch_url=None, feed_title="F"
    )


def test_two_processes_storing_the_same_items_store_them_once(store: Store, db: str) -> None:
    """Two `radar run` on one database poll the same feed: the second finds the items stored."""
    other = Store.open(db)
    try:
        feed_id = new_feed(store)
        batch = [
            scored(entry("Lab hires a research chief from a rival", "https://n.example/hire"), 0.9),
            scored(entry("A plain product update", "https://n.example/plain")),
        ]
        entries = [n.entry for n in batch]
        # Both processes found the items new before either stored them.
        assert store.new_entries(feed_id, entries) == entries
        assert other.new_entries(feed_id, entries) == entries
        first = store.ingest(feed_id, "S", batch, (ALL,), StoryIndex(WINDOW), NOW, _success())
        second = other.ingest(feed_id, "S", batch, (ALL,), StoryIndex(WINDOW), NOW, _success())
    finally:
        other.close()
    assert (first.new_items, first.new_stories, first.alerts_queued) == (2, 1, 1)
    assert (second.new_items, second.new_stories, second.alerts_queued) == (0, 0, 0)
    assert (count(store, items), count(store, stories), count(store, deliveries)) == (2, 1, 1)
    feed = store.feed_by_url("https://feeds.example/a.xml")
    assert feed is not None and feed.etag == '"v2"' and feed.error_count == 0


def _plans(store: Store, statements: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    """SQLite's plan for each statement that reads or updates items, with the parameters it ran."""
    raw = sqlite3.connect(str(store.engine.url.database))
    out = []
    try:
        for sql, params in statements:
            if sql.lstrip().upper().startswith("INSERT"):
                continue
            if isinstance(params, list):
                params = params[0]
            plan = raw.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
            out.append((sql, " / ".join(str(step[-1]) for step in plan)))
    finally:
        raw.close()
    return out


def test_ingest_reads_items_by_their_link_indexes_never_by_the_story_less_pile(
    store: Store,
) -> None:
    """The update that lets earlier unflagged items join a new story must not walk every
    story-less item: with "story_id IS NULL" in its WHERE, SQLite chose the story_id index."""
    digest, wire = new_feed(store, "https://d.example/f.xml"), new_feed(store)
    pile = [scored(entry(f"Unflagged item {n}", f"https://n.example/{n}")) for n in range(300)]
    ingest(store, digest, pile)
    url = "https://n.example/7"  # an earlier unflagged item carries the new story's link
    # A story alerted already, in a threading destination: its coverage queues follow-ups.
    threaded = Destination("chat", frozenset({"talent_war", "agi"}), followups=True)
    hire = entry("Lab hires a research chief from a rival", "https://n.example/hire")
    ingest(store, wire, [scored(hire, 0.9)], (ALL, threaded))

    statements: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        statements.append((sql, params))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        ingest(store, wire, [scored(entry("AGI lab names a new chief scientist", url), 0.9)])
        coverage = entry("More on the hire", "https://other.example/x", guid=hire.url)
        ingest(store, digest, [scored(coverage, 0.9)], (ALL, threaded))
    finally:
        event.remove(store.engine, "before_cursor_execute", record)

    story_id = story_of(store, url)
    assert {r.story_id for r in rows(store, items, items.c.url == url)} == {story_id}
    plans = _plans(store, statements)
    assert plans, statements
    for sql, plan in plans:
        assert "SCAN" not in plan, (sql, plan)  # no table read whole, items, stories or outbox
        assert "ix_items_story (story_id=?)" not in plan or "story_id IS NULL" not in sql, (
            sql,
            plan,
        )


def test_a_rolled_back_ingest_leaves_no_story_in_the_kept_index(store: Store) -> None:
    feed_id = new_feed(store)
    index = StoryIndex(WINDOW)
    untitled: Any = None
    broken = Entry("g2", "https://n.example/untitled", None, untitled, "", NOW, "en")
    batch = [scored(entry("Lab hires a research chief from a rival", "https://n.example/a"), 0.9)]
    with pytest.raises(IntegrityError):
        store.ingest(feed_id, "S", [*batch, scored(broken)], (ALL,), index, NOW)
    assert len(index) == 0, "a story that was rolled back must not be joined later"
    # The retry, with the same index, creates the story and the index knows it.
    result = store.ingest(feed_id, "S", batch, (ALL,), index, NOW)
    assert result.new_stories == 1 and story_of(store, "https://n.example/a") in index


def test_reloading_the_story_index_reads_only_recent_stories_by_index(store: Store) -> None:
    """Each cycle refreshes the kept index with the stories seen since the last one: by the
    (flagged, last_seen_at) index, never a scan of every story."""
    feed_id = new_feed(store)
    ingest(
        store, feed_id, [scored(entry("Lab hires a research chief", "https://n.example/a"), 0.9)]
    )
    statements: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        statements.append((sql, params))

    index = StoryIndex(WINDOW)
    event.listen(store.engine, "before_cursor_execute", record)
    try:
        store.load_story_index(index, NOW)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    assert len(index) == 1
    raw = sqlite3.connect(str(store.engine.url.database))
    try:
        [(sql, params)] = statements
        plan = " / ".join(str(s[-1]) for s in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    finally:
        raw.close()
    assert "ix_stories_flagged_seen" in plan and "SCAN" not in plan, plan


def test_feeds_stored_together_share_one_commit_and_a_broken_one_fails_alone(
    store: Store,
) -> None:
    feeds = [new_feed(store, f"https://{n}.example/feed.xml") for n in "abc"]

    def job(feed_id: int, *new: Any) -> FeedIngest:
        return FeedIngest(feed_id, "S", tuple(new), NOW, _success())

    good = [
        job(feeds[0], scored(entry("Lab hires a research chief", "https://n.example/a"), 0.9)),
        job(feeds[1], scored(entry("A plain product update", "https://n.example/b"))),
    ]
    commits: list[object] = []

    def committed(conn: Any) -> None:
        commits.append(conn)

    event.listen(store.engine, "commit", committed)
    try:
        outcomes = store.ingest_many(good, (ALL,), StoryIndex(WINDOW))
    finally:
        event.remove(store.engine, "commit", committed)
    assert len(commits) == 1
    assert [o.new_items for o in outcomes if not isinstance(o, Exception)] == [1, 1]

    untitled: Any = None
    broken = Entry("g2", "https://n.example/untitled", None, untitled, "", NOW, "en")
    index = StoryIndex(WINDOW)
    first, bad, last = store.ingest_many(
        [
            job(
                feeds[0], scored(entry("Rival lab loses its AGI lead", "https://n.example/c"), 0.9)
            ),
            job(feeds[1], scored(broken)),
            job(feeds[2], scored(entry("Another plain update", "https://n.example/d"))),
        ],
        (ALL,),
        index,
    )
    assert isinstance(bad, IntegrityError)
    assert not isinstance(first, Exception) and first.new_stories == 1
    assert not isinstance(last, Exception) and last.new_items == 1
    assert count(store, items) == 4 and count(store, stories) == 2
    assert story_of(store, "https://n.example/c") in index
