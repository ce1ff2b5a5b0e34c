"""The one place that reads and writes the database; everything else sees plain rows and values."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError

from bot.chat.replies import Coverage
from bot.core.models import Destination, Entry, Move, Understanding
from bot.core.routing import route
from bot.core.stories import StoryIndex, StoryRef, StoryState, person_keys, title_words
from bot.errors import ConfigError
from bot.settings import sqlite_url_problem
from bot.store import ledger as moves_ledger
from bot.store import migrate
from bot.store.dialect import insert_ignore
from bot.store.health import storage_message
from bot.store.schema import (
    deliveries,
    digest_runs,
    feedback,
    feeds,
    items,
    mutes,
    stories,
    subscriptions,
    verdicts,
)

MODEL_NAME = "radar-linear-1"
# Why a feed added from chat or by `radar feeds add` stopped being polled; either may come back.
REMOVED_BY_OPERATOR = "removed by an operator"
REMOVED = ("removed from chat", REMOVED_BY_OPERATOR)


@dataclass(frozen=True, slots=True)
class FeedRow:
    id: int
    url: str
    fetch_url: str
    name: str | None
    language: str | None
    origin: str
    interval_s: float | None
    etag: str | None
    last_modified: str | None
    next_poll_at: datetime | None
    last_polled_at: datetime | None
    last_ok_at: datetime | None
    error_count: int
    last_error: str | None
    disabled_reason: str | None

    @property
    def display_name(self) -> str:
        return self.name or self.url


@dataclass(frozen=True, slots=True)
class NotModified:
    """A poll answered 304: nothing new, the feed is healthy, next poll scheduled."""

    feed_id: int
    now: datetime
    next_poll: datetime
    moved_to: str | None = None


@dataclass(frozen=True, slots=True)
class FeedSuccess:
    """What a successful poll records on its feed."""

    now: datetime
    next_poll: datetime
    etag: str | None
    last_modified: str | None
    fetch_url: str | None  # set when a permanent redirect moved the feed
    feed_title: str | None
    warning: str | None = None


def _bound(column: Any) -> Any:
    return bindparam(f"b_{column.name}", type_=column.type)


# One statement for every successful poll (built once: a cold cycle runs it per feed).
_FEED_SUCCESS = (
    update(feeds)
    .where(feeds.c.id == bindparam("b_id"))
    .values(
        last_polled_at=_bound(feeds.c.last_polled_at),
        last_ok_at=_bound(feeds.c.last_polled_at),
        next_poll_at=_bound(feeds.c.next_poll_at),
        etag=_bound(feeds.c.etag),
        last_modified=_bound(feeds.c.last_modified),
        error_count=0,
        last_error=_bound(feeds.c.last_error),
        fetch_url=func.coalesce(_bound(feeds.c.fetch_url), feeds.c.fetch_url),
        name=func.coalesce(feeds.c.name, _bound(feeds.c.name)),
    )
)


def _apply_success(conn: Connection, feed_id: int, success: FeedSuccess) -> None:
    conn.execute(
        _FEED_SUCCESS,
        {
            "b_id": feed_id,
            "b_last_polled_at": success.now,
            "b_next_poll_at": success.next_poll,
            "b_etag": success.etag,
            "b_last_modified": success.last_modified,
            "b_last_error": success.warning,
            "b_fetch_url": success.fetch_url or None,
            "b_name": success.feed_title[:200] if success.feed_title else None,
        },
    )


@dataclass(frozen=True, slots=True)
class NewItem:
    """An entry that is new to its feed, with what the understanding stage made of it."""

    entry: Entry
    understanding: Understanding
    alertable: bool


@dataclass(frozen=True, slots=True)
class FeedIngest:
    """One feed's successful poll, ready to store."""

    feed_id: int
    source: str
    new: tuple[NewItem, ...]
    now: datetime
    success: FeedSuccess | None = None


@dataclass(slots=True)
class IngestResult:
    new_items: int = 0
    new_stories: int = 0
    alerts_queued: int = 0
    followups_queued: int = 0


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    story_id: int
    destination: str
    kind: str
    item_id: int | None
    attempts: int
    parent_ref: str | None
    parent_status: str | None = None  # a follow-up waits until its alert is sent
    # An earlier attempt may have reached the platform: a sender died holding the row ('sending'),
    # or a try failed in a way that does not prove nothing was posted. Looked up before a re-send.
    in_doubt: bool = False
    created_at: datetime | None = None  # no earlier send of the row can be older than this


@dataclass(frozen=True, slots=True)
class StoryRow:
    id: int
    title: str
    url: str | None
    source: str | None
    language: str | None
    summary: str
    topics: list[str]
    scores: dict[str, float]
    reasons: dict[str, list[str]]
    move: Move | None
    published_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    item_count: int
    links: list[str]


def item_key(entry: Entry) -> str:
    return entry.guid or entry.url or content_hash(entry)


def content_hash(entry: Entry) -> str:
    return hashlib.sha1(f"{entry.title}\n{entry.text}".encode(), usedforsecurity=False).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # The busy timeout first: switching a new file to WAL needs a lock that another process
    # starting at the same moment may hold.
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Store:
    """SQL repository over SQLAlchemy Core; SQLite (WAL) by default."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect, migrate under a lock, and make sure this process may write; any problem is
        one ConfigError line naming the file and what to do."""
        problem = sqlite_url_problem(url) if url.startswith("sqlite") else None
        if problem is not None:
            raise ConfigError(f"storage.url: {problem}")
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        try:
            migrate.upgrade(engine)
            with engine.connect() as conn:
                # A write that changes nothing, rolled back: SQLite refuses a read-only file
                # only when a statement would write, and this way it does so before any work
                # starts rather than in the middle of the first poll.
                conn.exec_driver_sql("DELETE FROM alembic_version WHERE 1 = 0")
                conn.rollback()
        except DBAPIError as exc:
            engine.dispose()
            raise ConfigError(storage_message(url, str(exc.orig))) from None
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def ledger(self) -> moves_ledger.Ledger:
        """The moves ledger, on the same database."""
        return moves_ledger.Ledger(self.engine)

    # -- feeds --------------------------------------------------------------------------------

    def sync_feeds(
        self, configured: Iterable[tuple[str, str | None, str | None, float | None, bool]]
    ) -> None:
        """Make the feeds table match the config: add new feeds, update names, disable removed ones."""
        now = _now()
        wanted = {
            url: (name, lang, interval, enabled)
            for url, name, lang, interval, enabled in configured
        }
        with self.engine.begin() as conn:
            rows = list(conn.execute(select(feeds)))
            existing = {r.url: r for r in rows if r.origin == "config"}
            elsewhere = {r.url for r in rows if r.origin != "config"}  # added from chat first
            added = [
                {
                    "url": url,
                    "fetch_url": url,
                    "name": name,
                    "language": lang,
                    "origin": "config",
                    "interval_s": interval,
                    "error_count": 0,
                    "created_at": now,
                    "disabled_reason": None if enabled else "disabled in config",
                }
                for url, (name, lang, interval, enabled) in wanted.items()
                if url not in existing and url not in elsewhere
            ]
            # Another Radar starting on this database may add the same feeds at the same moment.
            insert_ignore(conn, feeds, added)
            for url, (name, lang, interval, enabled) in wanted.items():
                reason = None if enabled else "disabled in config"
                row = existing.get(url)
                if row is None:
                    continue
                # A feed without a configured name keeps the title its own feed gave it.
                values: dict[str, Any] = {"language": lang, "interval_s": interval}
                if name is not None:
                    values["name"] = name
                if row.disabled_reason in ("removed from config", "disabled in config") or reason:
                    values["disabled_reason"] = reason
                if any(getattr(row, key) != value for key, value in values.items()):
                    conn.execute(update(feeds).where(feeds.c.id == row.id).values(**values))
            for url, row in existing.items():
                if url not in wanted and row.disabled_reason is None:
                    conn.execute(
                        update(feeds)
                        .where(feeds.c.id == row.id)
                        .values(disabled_reason="removed from config")
                    )

    def add_feed(self, url: str, origin: str, name: str | None = None) -> FeedRow:
        with self.engine.begin() as conn:
            conn.execute(
                insert(feeds).values(
                    url=url,
                    fetch_url=url,
                    name=name,
                    origin=origin,
                    error_count=0,
                    created_at=_now(),
                )
            )
        feed = self.feed_by_url(url)
        assert feed is not None
        return feed

    def feed_by_url(self, url: str) -> FeedRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(feeds).where(feeds.c.url == url)).first()
        return self._feed(row) if row else None

    def list_feeds(self, include_disabled: bool = True) -> list[FeedRow]:
        query = select(feeds).order_by(feeds.c.id)
        if not include_disabled:
            query = query.where(feeds.c.disabled_reason.is_(None))
        with self.engine.connect() as conn:
            return [self._feed(r) for r in conn.execute(query)]

    def due_feeds(self, now: datetime) -> list[FeedRow]:
        query = (
            select(feeds)
            .where(feeds.c.disabled_reason.is_(None))
            .where(or_(feeds.c.next_poll_at.is_(None), feeds.c.next_poll_at <= now))
            .order_by(feeds.c.id)
        )
        with self.engine.connect() as conn:
            return [self._feed(r) for r in conn.execute(query)]

    @staticmethod
    def _feed(row: Any) -> FeedRow:
        return FeedRow(**{f: getattr(row, f) for f in FeedRow.__dataclass_fields__})

    def record_not_modified(self, polls: Sequence[NotModified]) -> None:
        """Record many 304 answers in one transaction (most polls end in one)."""
        if not polls:
            return
        stmt = (
            update(feeds)
            .where(feeds.c.id == bindparam("feed_id"))
            .values(
                last_polled_at=bindparam("now"),
                last_ok_at=bindparam("now"),
                next_poll_at=bindparam("next_poll"),
                error_count=0,
                last_error=None,
                fetch_url=func.coalesce(bindparam("moved_to", type_=Text), feeds.c.fetch_url),
            )
        )
        rows = [
            {"feed_id": p.feed_id, "now": p.now, "next_poll": p.next_poll, "moved_to": p.moved_to}
            for p in polls
        ]
        with self.engine.begin() as conn:
            conn.execute(stmt, rows)

    def record_failure(
        self,
        feed_id: int,
        now: datetime,
        error: str,
        next_poll: datetime,
        disable: str | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "last_polled_at": now,
            "next_poll_at": next_poll,
            "error_count": feeds.c.error_count + 1,
            "last_error": error[:500],
        }
        if disable:
            values["disabled_reason"] = disable
        with self.engine.begin() as conn:
            conn.execute(update(feeds).where(feeds.c.id == feed_id).values(**values))

    def record_success(self, feed_id: int, success: FeedSuccess) -> None:
        with self.engine.begin() as conn:
            _apply_success(conn, feed_id, success)

    # -- ingest -------------------------------------------------------------------------------

    def new_entries(
        self, feed_id: int, entries: Sequence[Entry], never_stored: bool = False
    ) -> list[Entry]:
        """The entries this feed has not given before (first occurrence of each key wins).

        never_stored: the feed has never had a successful poll, so it has no items to look up."""
        keys = {item_key(e): e for e in reversed(entries)}
        known: set[str] = set()
        key_list = [] if never_stored else list(keys)
        with self.engine.connect() as conn:
            for start in range(0, len(key_list), 500):
                chunk = key_list[start : start + 500]
                known.update(
                    key
                    for _id, key in conn.execute(_ITEM_IDS, {"b_feed": feed_id, "b_keys": chunk})
                )
        seen: set[str] = set()
        fresh: list[Entry] = []
        for entry in entries:
            key = item_key(entry)
            if key in known or key in seen:
                continue
            seen.add(key)
            fresh.append(entry)
        return fresh

    def load_story_index(self, index: StoryIndex, since: datetime) -> None:
        query = select(
            stories.c.id,
            stories.c.title_key,
            stories.c.people,
            stories.c.move,
            stories.c.last_seen_at,
            stories.c.language,
        ).where(stories.c.flagged.is_(True), stories.c.last_seen_at >= since)
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                to_org = (row.move or {}).get("to") if row.move else None
                index.add(
                    StoryRef(
                        story_id=row.id,
                        words=frozenset((row.title_key or "").split()),
                        people=frozenset(p for p in (row.people or "").split("|") if p),
                        to_org=to_org,
                        seen_at=row.last_seen_at,
                        language=row.language,
                    )
                )

    def ingest(
        self,
        feed_id: int,
        source: str,
        new: Sequence[NewItem],
        destinations: Sequence[Destination],
        index: StoryIndex,
        now: datetime,
        success: FeedSuccess | None = None,
    ) -> IngestResult:
        """Store new items, their verdicts and stories, queue deliveries and record the feed's
        poll, all in one transaction: an alert is in the outbox exactly when its story is in the
        database, and a feed's validators (ETag…) move on exactly when its items are stored."""
        [outcome] = self.ingest_many(
            [FeedIngest(feed_id, source, tuple(new), now, success)], destinations, index
        )
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def ingest_many(
        self,
        batch: Sequence[FeedIngest],
        destinations: Sequence[Destination],
        index: StoryIndex,
    ) -> list[IngestResult | Exception]:
        """Ingest several feeds' polls in one transaction (each as `ingest` would), so a cold
        cycle pays one commit per batch instead of one per feed. If the batch fails, each feed is
        retried in a transaction of its own: one feed's fault is that feed's alone, returned in
        its place; the others are stored."""
        try:
            return list(self._ingest_together(batch, destinations, index))
        except Exception as exc:
            if len(batch) == 1:
                return [exc]
        outcomes: list[IngestResult | Exception] = []
        for one in batch:
            try:
                outcomes.extend(self._ingest_together([one], destinations, index))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes

    def _ingest_together(
        self, batch: Sequence[FeedIngest], destinations: Sequence[Destination], index: StoryIndex
    ) -> list[IngestResult]:
        results = [IngestResult() for _ in batch]
        added: list[int] = []  # story ids put in the index, forgotten again if this rolls back
        try:
            with self.engine.begin() as conn:
                for one, result in zip(batch, results, strict=True):
                    if one.success is not None:
                        _apply_success(conn, one.feed_id, one.success)
                    if not one.new:
                        continue
                    # Another process on the database may have stored some of these items since
                    # they were found new: after a write this transaction holds SQLite's write
                    # lock, so what it reads now is final, and storing them again would break the
                    # unique key.
                    new = self._not_stored(conn, one.feed_id, one.new)
                    if new:
                        self._ingest(
                            conn,
                            one.feed_id,
                            one.source,
                            new,
                            destinations,
                            index,
                            one.now,
                            result,
                            added,
                        )
        except BaseException:
            index.discard(added)
            raise
        return results

    def _ingest(
        self,
        conn: Connection,
        feed_id: int,
        source: str,
        new: Sequence[NewItem],
        destinations: Sequence[Destination],
        index: StoryIndex,
        now: datetime,
        result: IngestResult,
        added: list[int],
    ) -> None:
        by_link = self._stories_by_link(conn, new)
        # Only flagged news becomes a story (stories are what alerts, digests and threads are
        # about); an unflagged item joins a story when it carries a known link. Negative ids are
        # stories this batch creates.
        assigned: list[int | None] = []
        fresh: dict[int, list[NewItem]] = {}
        for item in new:
            entry, und = item.entry, item.understanding
            story_id = by_link.get(entry.url or "") or by_link.get(entry.guid or "")
            if story_id is None and und.labels:
                words, people, to_org = _cluster_key(entry, und)
                story_id = index.find(words, people, to_org, now, und.language)
                if story_id is None:
                    story_id = -(len(fresh) + 1)
                    index.add(StoryRef(story_id, words, people, to_org, now, und.language))
                    added.append(story_id)
            if story_id is not None:
                if story_id < 0:
                    fresh.setdefault(story_id, []).append(item)
                for link in (entry.url, entry.guid):
                    if link:
                        by_link[link] = story_id
            assigned.append(story_id)
        real_ids = self._insert_new_stories(conn, feed_id, fresh, source, now)
        index.rename(real_ids)
        added.extend(real_ids.values())
        story_ids = [real_ids.get(sid, sid) if sid is not None else None for sid in assigned]
        item_ids = self._insert_items(conn, feed_id, new, story_ids, now)
        self._adopt_earlier_items(conn, {real_ids[t]: group for t, group in fresh.items()})
        result.new_items = len(item_ids)
        result.new_stories = len(real_ids)

        to_route: list[tuple[int, StoryState]] = []
        for temp_id, real_id in real_ids.items():
            state = StoryState()
            for item in fresh[temp_id]:
                state = state.merge(item.understanding, item.alertable)
            to_route.append((real_id, state))
        # Stories that name who moved: the ones the moves ledger hears about.
        movers = [sid for sid, state in to_route if state.move and state.move.people]
        created = set(real_ids.values())
        old: dict[int, list[tuple[int, NewItem]]] = {}
        for sid, iid, item in zip(story_ids, item_ids, new, strict=True):
            if sid is not None and sid not in created:
                old.setdefault(sid, []).append((iid, item))
        for story_id, joined in old.items():
            before, state = self._update_story(conn, story_id, joined, now, source)
            if state.move and state.move.people:
                movers.append(story_id)
            if state.topics != before.topics or state.alertable != before.alertable:
                to_route.append((story_id, state))  # newly flagged or newly alertable
            result.followups_queued += self._queue_followups(
                conn, story_id, joined, destinations, now
            )
        for story_id, state in to_route:
            result.alerts_queued += self._queue_alerts(conn, story_id, state, destinations, now)
        added_to: dict[int, list[int]] = {}
        for sid, iid in zip(story_ids, item_ids, strict=True):
            if sid is not None:
                added_to.setdefault(sid, []).append(iid)
        moves_ledger.record_stories(conn, {s: added_to.get(s, []) for s in movers}, now)

    @staticmethod
    def _not_stored(conn: Connection, feed_id: int, new: Sequence[NewItem]) -> list[NewItem]:
        """The items not stored yet, each key once (its first occurrence in the feed)."""
        keys = [item_key(n.entry) for n in new]
        seen = set(_item_ids(conn, feed_id, keys))
        out = []
        for n, key in zip(new, keys, strict=True):
            if key not in seen:
                seen.add(key)
                out.append(n)
        return out

    @staticmethod
    def _stories_by_link(conn: Connection, new: Sequence[NewItem]) -> dict[str, int]:
        links = list(
            {n.entry.url for n in new if n.entry.url} | {n.entry.guid for n in new if n.entry.guid}
        )
        found: dict[str, int] = {}
        for start in range(0, len(links), 400):
            chunk = links[start : start + 400]
            wanted = set(chunk)
            for url, guid, story_id in conn.execute(_STORIES_BY_LINK, {"b_links": chunk}):
                for link in (url, guid):
                    if link in wanted:
                        found.setdefault(link, story_id)
        return found

    @staticmethod
    def _adopt_earlier_items(conn: Connection, groups: dict[int, list[NewItem]]) -> None:
        """Items seen before without a story (they were not flagged) that carry the links of the
        stories this feed's items created, in one pass per feed.

        Looked up by the url and guid indexes alone: with "story_id IS NULL" in the same WHERE,
        SQLite walks the story_id index instead, which holds every story-less item ever stored."""
        story_of: dict[str, int] = {}
        for story_id, group in groups.items():
            for n in group:
                for link in (n.entry.url, n.entry.guid):
                    if link:
                        story_of.setdefault(link, story_id)
        if not story_of:
            return
        links = list(story_of)
        adopt: dict[int, int] = {}
        for query in _ITEMS_BY_URL, _ITEMS_BY_GUID:
            for start in range(0, len(links), 400):
                chunk = links[start : start + 400]
                for item_id, link, story_id in conn.execute(query, {"b_links": chunk}):
                    if story_id is None:
                        adopt.setdefault(item_id, story_of[link])
        if not adopt:
            return
        conn.execute(
            _ADOPT_ITEM,
            [{"b_item": item_id, "b_story": story_id} for item_id, story_id in adopt.items()],
        )
        counts: dict[int, int] = {}
        for story_id in adopt.values():
            counts[story_id] = counts.get(story_id, 0) + 1
        conn.execute(_COUNT_ADOPTED, [{"b_story": sid, "b_count": n} for sid, n in counts.items()])

    @staticmethod
    def _insert_new_stories(
        conn: Connection, feed_id: int, fresh: dict[int, list[NewItem]], source: str, now: datetime
    ) -> dict[int, int]:
        if not fresh:
            return {}
        temp_ids = list(fresh)
        rows = []
        for temp_id in temp_ids:
            group = fresh[temp_id]
            state = StoryState()
            for item in group:
                state = state.merge(item.understanding, item.alertable)
            first = group[0].entry
            values = _story_values(first, state, len(group), source, now)
            values["origin_key"] = f"{feed_id}|{item_key(first)}"
            rows.append(values)
        # executemany and a look-up by the natural key: RETURNING with ordered rows would make
        # SQLAlchemy send one INSERT per row, which dominated a cold cycle.
        conn.execute(insert(stories), rows)
        by_key = _ids_by(conn, stories.c.id, stories.c.origin_key, [r["origin_key"] for r in rows])
        return {temp: by_key[row["origin_key"]] for temp, row in zip(temp_ids, rows, strict=True)}

    @staticmethod
    def _insert_items(
        conn: Connection,
        feed_id: int,
        new: Sequence[NewItem],
        story_ids: Sequence[int | None],
        now: datetime,
    ) -> list[int]:
        keys = [item_key(n.entry) for n in new]
        rows = [
            {
                "feed_id": feed_id,
                "item_key": key,
                "guid": n.entry.guid,
                "url": n.entry.url,
                "link": n.entry.link,
                "title": n.entry.title,
                "text": n.entry.text[:8000],
                "published_at": n.entry.published,
                "first_seen_at": now,
                "language": n.understanding.language,
                "content_hash": content_hash(n.entry),
                "story_id": sid,
            }
            for n, sid, key in zip(new, story_ids, keys, strict=True)
        ]
        _bulk_insert(conn, items, rows)
        by_key = _item_ids(conn, feed_id, keys)
        ids = [by_key[key] for key in keys]
        verdict_rows = [
            {
                "item_id": item_id,
                "topic": v.topic,
                "score": v.score,
                "flagged": v.flagged,
                "reasons": v.reasons,  # a tuple: stored as a JSON list, memoised while converted
                "model": MODEL_NAME,
            }
            for item_id, n in zip(ids, new, strict=True)
            for v in n.understanding.verdicts.values()
        ]
        _bulk_insert(conn, verdicts, verdict_rows)
        return ids

    @staticmethod
    def _update_story(
        conn: Connection,
        story_id: int,
        added: list[tuple[int, NewItem]],
        now: datetime,
        source: str,
    ) -> tuple[StoryState, StoryState]:
        row = conn.execute(_STORY_BY_ID, {"b_id": story_id}).one()
        state = StoryState(
            topics=frozenset(row.topics or []),
            scores=tuple(sorted((row.scores or {}).items())),
            reasons=tuple(sorted((k, tuple(v)) for k, v in (row.reasons or {}).items())),
            move=Move.from_dict(row.move) if row.move else None,
            summary=row.summary,
            alertable=bool(row.alertable),
        )
        before = state
        for _item_id, item in added:
            state = state.merge(item.understanding, item.alertable)
        values = _state_values(state)
        values.update(
            last_seen_at=now,
            item_count=row.item_count + len(added),
            title_key=row.title_key,
            source=source if _publisher_copy(conn, row, added) else row.source,
        )
        if state.topics and not row.title_key:
            values["title_key"] = " ".join(sorted(title_words(row.title)))
        conn.execute(_UPDATE_STORY, {"b_id": story_id, **{f"b_{k}": v for k, v in values.items()}})
        return before, state

    @staticmethod
    def _queue_alerts(
        conn: Connection,
        story_id: int,
        state: StoryState,
        destinations: Sequence[Destination],
        now: datetime,
    ) -> int:
        if not (state.alertable and state.topics):
            return 0
        targets = route(state.topics, dict(state.scores), destinations)
        return insert_ignore(
            conn, deliveries, [_delivery(story_id, d.key, "alert", None, now) for d in targets]
        )

    @staticmethod
    def _queue_followups(
        conn: Connection,
        story_id: int,
        added: list[tuple[int, NewItem]],
        destinations: Sequence[Destination],
        now: datetime,
    ) -> int:
        """Coverage arriving after a story's alert, for destinations that thread follow-ups."""
        threaded = {d.key for d in destinations if d.followups}
        if not threaded:
            return 0
        # By the alerts' dedupe keys, which are unique and indexed (nothing else on deliveries
        # leads to a story's rows without reading the whole outbox).
        keys = {_delivery(story_id, key, "alert", None, now)["dedupe_key"]: key for key in threaded}
        alerted = {
            keys[found]
            for found in conn.execute(
                select(deliveries.c.dedupe_key).where(deliveries.c.dedupe_key.in_(list(keys)))
            ).scalars()
        }
        rows = [
            _delivery(story_id, key, "followup", item_id, now)
            for key in sorted(threaded & alerted)
            for item_id, _ in added
        ]
        return insert_ignore(conn, deliveries, rows)

    # -- outbox -------------------------------------------------------------------------------

    def pending_deliveries(self, now: datetime, limit: int = 500) -> list[DeliveryRow]:
        parent = deliveries.alias("parent")
        same_alert = (
            parent.c.story_id == deliveries.c.story_id,
            parent.c.destination == deliveries.c.destination,
            parent.c.kind == "alert",
        )
        parent_ref = select(parent.c.message_ref).where(*same_alert).scalar_subquery()
        parent_status = select(parent.c.status).where(*same_alert).scalar_subquery()
        query = (
            select(
                deliveries.c.id,
                deliveries.c.story_id,
                deliveries.c.destination,
                deliveries.c.kind,
                deliveries.c.item_id,
                deliveries.c.attempts,
                parent_ref.label("parent_ref"),
                parent_status.label("parent_status"),
                ((deliveries.c.status == "sending") | (deliveries.c.attempts > 0)).label(
                    "in_doubt"
                ),
                deliveries.c.created_at,
            )
            .where(
                deliveries.c.status.in_(("pending", "sending")), deliveries.c.next_attempt_at <= now
            )
            .order_by(deliveries.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [
                DeliveryRow(**{**r._mapping, "in_doubt": bool(r.in_doubt)})
                for r in conn.execute(query)
            ]

    def claim(self, delivery_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
        """Take a delivery for sending; False when another process holds it.

        A claim is a lease: status 'sending' until next_attempt_at. A sender that dies leaves the
        row to be taken again once the lease runs out, or at once by a process on the same host
        that sees the owner gone (release_dead_claims)."""
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.id == delivery_id,
                    deliveries.c.status.in_(("pending", "sending")),
                    deliveries.c.next_attempt_at <= now,
                )
                .values(status="sending", claimed_by=owner, next_attempt_at=now + lease)
            ).rowcount
        return bool(taken)

    def release_dead_claims(self, is_dead: Callable[[str], bool], now: datetime) -> int:
        """Return to the queue the deliveries claimed by senders that no longer run.

        They stay 'sending', unowned: the dead sender may have posted before it could mark the row
        sent, so the next sender looks for that message first (DeliveryRow.in_doubt)."""
        with self.engine.begin() as conn:
            owners = conn.execute(
                select(deliveries.c.claimed_by)
                .where(deliveries.c.status == "sending", deliveries.c.claimed_by.is_not(None))
                .distinct()
            ).scalars()
            dead = [owner for owner in owners if is_dead(owner)]
            if not dead:
                return 0
            return int(
                conn.execute(
                    update(deliveries)
                    .where(deliveries.c.status == "sending", deliveries.c.claimed_by.in_(dead))
                    .values(claimed_by=None, next_attempt_at=now)
                ).rowcount
                or 0
            )

    def mark_sent(self, delivery_id: int, message_ref: str | None, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(
                    status="sent",
                    claimed_by=None,
                    message_ref=message_ref,
                    sent_at=now,
                    attempts=deliveries.c.attempts + 1,
                )
            )

    def mark_skipped(self, delivery_id: int, reason: str, now: datetime) -> None:
        """Settle a delivery without sending it (its source was muted in that channel)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(status="skipped", claimed_by=None, last_error=reason, sent_at=now)
            )

    def mark_retry(
        self, delivery_id: int, error: str, next_attempt: datetime, give_up: bool
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(
                    status="failed" if give_up else "pending",
                    claimed_by=None,
                    last_error=error[:500],
                    next_attempt_at=next_attempt,
                    attempts=deliveries.c.attempts + 1,
                )
            )

    def delivery_counts(self, since: datetime | None = None) -> dict[str, int]:
        query = select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
        if since is not None:
            query = query.where(deliveries.c.created_at >= since)
        with self.engine.connect() as conn:
            return {status: int(count) for status, count in conn.execute(query)}

    # -- stories ------------------------------------------------------------------------------

    def story(self, story_id: int) -> StoryRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(stories).where(stories.c.id == story_id)).first()
            if row is None:
                return None
            links = self._links(conn, [story_id]).get(story_id, [])
        return self._story(row, links)

    def _links(self, conn: Connection, story_ids: Sequence[int]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        query = (
            select(items.c.story_id, items.c.url, items.c.link)
            .where(items.c.story_id.in_(story_ids))
            .order_by(items.c.id)
        )
        for row in conn.execute(query):
            link = row.url or row.link
            bucket = out.setdefault(row.story_id, [])
            if link and link not in bucket:
                bucket.append(link)
        return out

    @staticmethod
    def _story(row: Any, links: list[str]) -> StoryRow:
        return StoryRow(
            id=row.id,
            title=row.title,
            url=row.url,
            source=row.source,
            language=row.language,
            summary=row.summary,
            topics=list(row.topics or []),
            scores={k: float(v) for k, v in (row.scores or {}).items()},
            reasons={k: list(v) for k, v in (row.reasons or {}).items()},
            move=Move.from_dict(row.move) if row.move else None,
            published_at=row.published_at,
            first_seen_at=row.first_seen_at,
            last_seen_at=row.last_seen_at,
            item_count=row.item_count,
            links=links,
        )

    def top_stories(
        self, since: datetime, topic: str | None = None, limit: int = 10
    ) -> list[StoryRow]:
        """Flagged stories first seen since `since`, best first (score, then coverage)."""
        query = select(stories).where(stories.c.first_seen_at >= since, stories.c.flagged.is_(True))
        with self.engine.connect() as conn:
            rows = [
                r for r in conn.execute(query) if r.topics and (topic is None or topic in r.topics)
            ]
            rows.sort(
                key=lambda r: (
                    max(
                        (r.scores or {}).get(t, 0.0)
                        for t in (r.topics if topic is None else [topic])
                    ),
                    r.item_count,
                ),
                reverse=True,
            )
            rows = rows[:limit]
            links = self._links(conn, [r.id for r in rows])
        return [self._story(r, links.get(r.id, [])) for r in rows]

    def story_by_link(self, link: str) -> StoryRow | None:
        with self.engine.connect() as conn:
            story_id = conn.execute(
                select(items.c.story_id).where(
                    or_(items.c.url == link, items.c.link == link, items.c.guid == link)
                )
            ).scalar()
        return self.story(int(story_id)) if story_id is not None else None

    def item_verdicts(self, story_id: int) -> list[dict[str, Any]]:
        query = (
            select(
                items.c.title,
                items.c.url,
                verdicts.c.topic,
                verdicts.c.score,
                verdicts.c.flagged,
                verdicts.c.reasons,
            )
            .join(verdicts, verdicts.c.item_id == items.c.id)
            .where(items.c.story_id == story_id)
            .order_by(items.c.id, verdicts.c.topic)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def moves_since(self, since: datetime) -> list[StoryRow]:
        query = (
            select(stories)
            .where(stories.c.first_seen_at >= since, stories.c.move.is_not(None))
            .order_by(stories.c.first_seen_at)
        )
        with self.engine.connect() as conn:
            rows = [r for r in conn.execute(query) if "talent_war" in (r.topics or [])]
        return [self._story(r, []) for r in rows]

    # -- feedback and subscriptions -----------------------------------------------------------

    def record_vote(self, story_id: int, platform: str, user: str, vote: int) -> None:
        now = _now()
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(feedback.c.id).where(
                    feedback.c.story_id == story_id,
                    feedback.c.platform == platform,
                    feedback.c.user == user,
                )
            ).scalar()
            if existing is None:
                conn.execute(
                    insert(feedback).values(
                        story_id=story_id, platform=platform, user=user, vote=vote, created_at=now
                    )
                )
            else:
                conn.execute(
                    update(feedback)
                    .where(feedback.c.id == existing)
                    .values(vote=vote, created_at=now)
                )

    def feedback_examples(self) -> list[tuple[StoryRow, int]]:
        """Each voted story with the sum of its votes."""
        query = select(feedback.c.story_id, func.sum(feedback.c.vote)).group_by(feedback.c.story_id)
        with self.engine.connect() as conn:
            totals = [(int(s), int(v)) for s, v in conn.execute(query)]
        out = []
        for story_id, vote in totals:
            story = self.story(story_id)
            if story is not None and vote != 0:
                out.append((story, vote))
        return out

    def subscriptions(self, platform: str | None = None) -> list[dict[str, Any]]:
        query = select(subscriptions).order_by(subscriptions.c.id)
        if platform is not None:
            query = query.where(subscriptions.c.platform == platform)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def subscribe(
        self, platform: str, workspace: str, channel: str, topics: Sequence[str], min_score: float
    ) -> None:
        """Route alerts of these topics to a chat channel; a second call replaces the first."""
        values = {"topics": sorted(topics), "min_score": min_score}
        with self.engine.begin() as conn:
            found = conn.execute(
                update(subscriptions)
                .where(subscriptions.c.platform == platform, subscriptions.c.channel == channel)
                .values(workspace=workspace, **values)
            ).rowcount
            if not found:
                conn.execute(
                    insert(subscriptions).values(
                        platform=platform,
                        workspace=workspace,
                        channel=channel,
                        created_at=_now(),
                        **values,
                    )
                )

    def unsubscribe(self, platform: str, channel: str) -> bool:
        with self.engine.begin() as conn:
            gone = conn.execute(
                subscriptions.delete().where(
                    subscriptions.c.platform == platform, subscriptions.c.channel == channel
                )
            ).rowcount
        return bool(gone)

    def mute(self, platform: str, channel: str, source: str, user: str) -> None:
        with self.engine.begin() as conn:
            insert_ignore(
                conn,
                mutes,
                [
                    {
                        "platform": platform,
                        "channel": channel,
                        "source": source[:200],
                        "user": user,
                        "created_at": _now(),
                    }
                ],
            )

    def muted_sources(self, platform: str, channel: str) -> set[str]:
        query = select(mutes.c.source).where(
            mutes.c.platform == platform, mutes.c.channel == channel
        )
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def claim_digest(self, destination: str, slot: str) -> bool:
        """True once per destination and slot: a scheduled digest is posted at most once, even
        when the service restarts within the slot or two processes share the database."""
        with self.engine.begin() as conn:
            return bool(
                insert_ignore(
                    conn,
                    digest_runs,
                    [{"destination": destination, "slot": slot, "created_at": _now()}],
                )
            )

    # -- chat commands ------------------------------------------------------------------------

    def remove_feed(
        self, url: str, origins: Sequence[str] = ("chat",), reason: str = "removed from chat"
    ) -> bool:
        """Forget a feed added from chat or by an operator (configured feeds belong to the config
        file); its items and validators are kept in case it comes back."""
        with self.engine.begin() as conn:
            gone = conn.execute(
                update(feeds)
                .where(
                    feeds.c.url == url,
                    feeds.c.origin.in_(origins),
                    feeds.c.disabled_reason.is_(None),
                )
                .values(disabled_reason=reason)
            ).rowcount
        return bool(gone)

    def enable_feed(self, url: str) -> None:
        """Bring back a feed removed from chat or by an operator (its items and validators are kept)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(feeds)
                .where(feeds.c.url == url, feeds.c.disabled_reason.in_(REMOVED))
                .values(disabled_reason=None, next_poll_at=None, error_count=0)
            )

    def search(self, words: Sequence[str], since: datetime, limit: int = 10) -> list[StoryRow]:
        """Flagged stories whose title or summary holds every word, newest first."""
        query = select(stories).where(stories.c.flagged.is_(True), stories.c.last_seen_at >= since)
        for word in words:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(
                or_(
                    stories.c.title.ilike(pattern, escape="\\"),
                    stories.c.summary.ilike(pattern, escape="\\"),
                )
            )
        query = query.order_by(stories.c.first_seen_at.desc(), stories.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
            links = self._links(conn, [r.id for r in rows])
        return [self._story(r, links.get(r.id, [])) for r in rows]

    def coverage(self, item_id: int) -> Coverage | None:
        """A story's later article, as a thread reply shows it: title, link and publisher."""
        query = (
            select(
                items.c.title,
                items.c.url,
                items.c.link,
                items.c.published_at,
                feeds.c.name,
                feeds.c.url.label("feed_url"),
            )
            .join(feeds, feeds.c.id == items.c.feed_id)
            .where(items.c.id == item_id)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return Coverage(
            title=row.title,
            url=row.url or row.link or "",
            source=row.name or row.feed_url,
            published=row.published_at,
            item_id=item_id,
        )

    def last_poll(self) -> datetime | None:
        with self.engine.connect() as conn:
            value = conn.execute(select(func.max(feeds.c.last_polled_at))).scalar()
        return value if isinstance(value, datetime) else None

    def delivery_problems(self, since: datetime) -> dict[str, str]:
        """The latest error of each destination whose deliveries failed lately, for `status`."""
        query = (
            select(deliveries.c.destination, deliveries.c.last_error)
            .where(deliveries.c.last_error.is_not(None), deliveries.c.next_attempt_at >= since)
            .where(deliveries.c.status.in_(("failed", "pending")))
            .order_by(deliveries.c.id)
        )
        with self.engine.connect() as conn:
            return {dest: str(err) for dest, err in conn.execute(query)}

    def sent_since(self, since: datetime) -> int:
        query = (
            select(func.count())
            .select_from(deliveries)
            .where(
                deliveries.c.status == "sent",
                deliveries.c.kind == "alert",
                deliveries.c.sent_at >= since,
            )
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                "feeds": int(conn.execute(select(func.count()).select_from(feeds)).scalar_one()),
                "items": int(conn.execute(select(func.count()).select_from(items)).scalar_one()),
                "stories": int(
                    conn.execute(select(func.count()).select_from(stories)).scalar_one()
                ),
                "flagged": int(
                    conn.execute(
                        select(func.count()).select_from(stories).where(stories.c.flagged.is_(True))
                    ).scalar_one()
                ),
            }


_COMPILED_INSERTS: dict[
    tuple[str, str, tuple[str, ...]], tuple[str, list[tuple[str, Any]], bool]
] = {}


def _bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """executemany through the driver, with SQLAlchemy's own type processors applied per value.

    The same rows through Connection.execute cost several times more CPU per row (parameter
    construction and caching), and items and verdicts are most of what a cold cycle writes."""
    if not rows:
        return
    names = tuple(rows[0])
    dialect = conn.dialect
    key = (dialect.name, table.name, names)
    if key not in _COMPILED_INSERTS:
        compiled = insert(table).values({n: bindparam(n) for n in names}).compile(dialect=dialect)
        order = list(compiled.positiontup or ()) if compiled.positional else list(names)
        processors = [(n, table.c[n].type._cached_bind_processor(dialect)) for n in order]
        _COMPILED_INSERTS[key] = (compiled.string, processors, compiled.positional)
    sql, processors, positional = _COMPILED_INSERTS[key]
    columns = [_converted([row[n] for row in rows], p) for n, p in processors]
    if positional:
        conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))
    else:  # pragma: no cover - named paramstyles (PostgreSQL drivers)
        names_order = [n for n, _ in processors]
        conn.exec_driver_sql(
            sql, [dict(zip(names_order, v, strict=True)) for v in zip(*columns, strict=True)]
        )


def _converted(values: list[Any], processor: Callable[[Any], Any] | None) -> list[Any]:
    """A column's values through its type's bind processor, each distinct value once: a batch
    repeats most of them (its poll time, empty reasons, flags), and converting a datetime or
    encoding JSON costs more than the insert itself."""
    if processor is None:
        return values
    memo: dict[Any, Any] = {}
    out: list[Any] = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        try:
            done = memo.get(value, _MISSING)
        except TypeError:  # unhashable (a list): converted every time
            out.append(processor(value))
            continue
        if done is _MISSING:
            done = memo[value] = processor(value)
        out.append(done)
    return out


_MISSING = object()


_STORY_BY_ID = select(stories).where(stories.c.id == bindparam("b_id"))
_UPDATE_STORY = (
    update(stories)
    .where(stories.c.id == bindparam("b_id"))
    .values(
        {
            name: _bound(stories.c[name])
            for name in (
                "flagged",
                "topics",
                "scores",
                "reasons",
                "move",
                "people",
                "summary",
                "alertable",
                "last_seen_at",
                "item_count",
                "title_key",
                "source",
            )
        }
    )
)
# The hot statements of ingest, built once: an IN list of literal values costs SQLAlchemy a bound
# parameter object and a cache-key entry per value, on every call.
_ITEM_IDS = select(items.c.id, items.c.item_key).where(
    items.c.feed_id == bindparam("b_feed"),
    items.c.item_key.in_(bindparam("b_keys", expanding=True)),
)
_STORIES_BY_LINK = select(items.c.url, items.c.guid, items.c.story_id).where(
    or_(
        items.c.url.in_(bindparam("b_links", expanding=True)),
        items.c.guid.in_(bindparam("b_links", expanding=True)),
    )
)
_ITEMS_BY_URL = select(items.c.id, items.c.url, items.c.story_id).where(
    items.c.url.in_(bindparam("b_links", expanding=True))
)
_ITEMS_BY_GUID = select(items.c.id, items.c.guid, items.c.story_id).where(
    items.c.guid.in_(bindparam("b_links", expanding=True))
)
_ADOPT_ITEM = (
    update(items).where(items.c.id == bindparam("b_item")).values(story_id=bindparam("b_story"))
)
_COUNT_ADOPTED = (
    update(stories)
    .where(stories.c.id == bindparam("b_story"))
    .values(item_count=stories.c.item_count + bindparam("b_count"))
)


def _item_ids(conn: Connection, feed_id: int, keys: Sequence[str]) -> dict[str, int]:
    """The ids of this feed's stored items among these keys."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        for row_id, key in conn.execute(_ITEM_IDS, {"b_feed": feed_id, "b_keys": chunk}):
            found[key] = int(row_id)
    return found


def _ids_by(
    conn: Connection, id_col: Any, key_col: Any, keys: Sequence[str], *where: Any
) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        for row_id, key in conn.execute(select(id_col, key_col).where(key_col.in_(chunk), *where)):
            found[key] = int(row_id)
    return found


def _plain(link: str | None) -> bool:
    return link is not None and link != "" and "?" not in link and "#" not in link


def _publisher_copy(conn: Connection, story: Any, added: list[tuple[int, NewItem]]) -> bool:
    """True when the publisher's own feed brings a story whose page was so far seen only through
    tracked links (an aggregator's): the story's source should then name the publisher."""
    if not any(n.entry.url == story.url and _plain(n.entry.link) for _, n in added):
        return False
    new_ids = [item_id for item_id, _ in added]
    earlier = conn.execute(
        select(items.c.link).where(
            items.c.story_id == story.id, items.c.url == story.url, items.c.id.not_in(new_ids)
        )
    ).scalars()
    return not any(_plain(link) for link in earlier)


def _cluster_key(
    entry: Entry, und: Understanding
) -> tuple[frozenset[str], frozenset[str], str | None]:
    people = person_keys(und.move.people) if und.move else frozenset()
    return title_words(entry.title), people, und.move.to_org if und.move else None


def _state_values(state: StoryState) -> dict[str, Any]:
    return {
        "flagged": bool(state.topics),
        "topics": sorted(state.topics),
        "scores": dict(state.scores),
        "reasons": {k: list(v) for k, v in state.reasons},
        "move": state.move.to_dict() if state.move else None,
        "people": "|".join(sorted(person_keys(state.move.people))) if state.move else None,
        "summary": state.summary,
        "alertable": state.alertable,
    }


def _story_values(
    entry: Entry, state: StoryState, count: int, source: str, now: datetime
) -> dict[str, Any]:
    values = _state_values(state)
    values.update(
        title=entry.title,
        url=entry.url or entry.link,
        source=source,
        language=entry.language,
        title_key=" ".join(sorted(title_words(entry.title))) if state.topics else None,
        published_at=entry.published,
        first_seen_at=now,
        last_seen_at=now,
        item_count=count,
    )
    return values


def _delivery(
    story_id: int, key: str, kind: str, item_id: int | None, now: datetime
) -> dict[str, Any]:
    suffix = "alert" if item_id is None else f"item:{item_id}"
    return {
        "story_id": story_id,
        "destination": key,
        "kind": kind,
        "item_id": item_id,
        "dedupe_key": f"{story_id}|{key}|{suffix}",
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
