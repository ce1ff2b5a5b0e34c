"""Contract of bot.store.repository.Store on a real SQLite file: migrations, feeds, ingest, outbox,
stories and feedback.

Entries and Understandings are built directly (the shipped model through Understander where the
content matters, hand-set scores where routing and ordering must be exact), so every rule is pinned
without HTTP or parsing in the way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from bot.core.models import Destination, Entry, Move, TopicVerdict, Understanding
from bot.core.stories import StoryIndex
from bot.core.understand import Understander
from bot.errors import ConfigError
from bot.store import migrate
from bot.store.repository import FeedSuccess, IngestResult, NewItem, Store, item_key
from bot.store.schema import deliveries, feedback, items, stories, verdicts
from tests.feeds import ARC, FOOTBALL, META_HIRE

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
WINDOW = timedelta(hours=72)
ALL = Destination("all", frozenset({"talent_war", "agi"}))
SAME_NEWS = "OpenAI researchers Jason Wei and Hyung Won Chung depart for Meta"
JANE_DOE = (
    "OpenAI loses chief scientist Jane Doe to Microsoft AI",
    "Jane Doe, chief scientist at OpenAI, is joining Microsoft AI.",
)


# -- helpers --------------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path}/r.db")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="module")
def understander() -> Understander:
    return Understander()


def entry(
    title: str,
    url: str | None,
    text: str = "",
    guid: str | None = None,
    link: str | None = None,
    published: datetime | None = NOW,
) -> Entry:
    return Entry(
        guid=guid,
        url=url,
        link=link or url,
        title=title,
        text=text,
        published=published,
        language="en",
    )


def understood(understander: Understander, e: Entry, alertable: bool = True) -> NewItem:
    """An entry as the shipped model sees it (the poll cycle's own path)."""
    und = understander.understand(e.title, e.text, e.language, summary="flagged")
    return NewItem(entry=e, understanding=und, alertable=alertable)


def scored(
    e: Entry,
    talent: float = 0.0,
    agi: float = 0.0,
    alertable: bool = True,
    move: Move | None = None,
) -> NewItem:
    """An entry with hand-set scores: a topic is flagged at 0.5 and above."""
    verdicts_ = {
        topic: TopicVerdict(topic, score, score >= 0.5, ("hand-set",) if score >= 0.5 else ())  # type: ignore[arg-type]
        for topic, score in (("talent_war", talent), ("agi", agi))
    }
    und = Understanding(verdicts=verdicts_, move=move, summary=f"About: {e.title}", language="en")
    return NewItem(entry=e, understanding=und, alertable=alertable)


def new_feed(store: Store, url: str = "https://feeds.example/a.xml") -> int:
    return store.add_feed(url, "chat").id


def ingest(
    store: Store,
    feed_id: int,
    new: Sequence[NewItem],
    destinations: Sequence[Destination] = (ALL,),
    now: datetime = NOW,
    success: FeedSuccess | None = None,
) -> IngestResult:
    """As the poll cycle does it: a story index loaded from the store, then one ingest call."""
    index = StoryIndex(WINDOW)
    store.load_story_index(index, now - WINDOW)
    return store.ingest(feed_id, "Test source", new, destinations, index, now, success)


def rows(store: Store, table: Any, *where: Any) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(table).where(*where).order_by(table.c.id)))


def count(store: Store, table: Any) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def outbox(store: Store) -> set[tuple[int, str, str]]:
    return {(r.story_id, r.destination, r.kind) for r in rows(store, deliveries)}


def story_of(store: Store, url: str) -> int:
    found = rows(store, items, items.c.url == url)
    assert found, f"no item with url {url}"
    assert found[0].story_id is not None, f"item {url} has no story"
    return int(found[0].story_id)


# -- migrations -----------------------------------------------------------------------------------


def test_open_migrates_a_new_file_and_reopening_it_is_harmless(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/r.db"
    first = Store.open(url)
    names = set(inspect(first.engine).get_table_names())
    assert {
        "feeds",
        "stories",
        "items",
        "verdicts",
        "deliveries",
        "subscriptions",
        "feedback",
        "mutes",
        "digest_runs",
        "alembic_version",
    } <= names
    with first.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
            migrate.HEAD
        ]
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    first.add_feed("https://feeds.example/kept.xml", "chat")
    first.close()

    second = Store.open(url)  # the schema is already at head: nothing to do, nothing lost
    try:
        assert [f.url for f in second.list_feeds()] == ["https://feeds.example/kept.xml"]
        with second.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        second.close()


def test_open_refuses_a_database_in_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Store.open(f"sqlite:///{tmp_path}/missing/r.db")
    assert not (tmp_path / "missing").exists()


# -- feeds ----------------------------------------------------------------------------------------


def test_sync_feeds_adds_disables_removed_and_reenables(store: Store) -> None:
    a, b = "https://a.example/feed.xml", "https://b.example/feed.xml"
    store.sync_feeds([(a, "A wire", "en", None, True), (b, None, "fr", 300.0, True)])
    listed = {f.url: f for f in store.list_feeds()}
    assert set(listed) == {a, b}
    assert (listed[a].name, listed[a].language, listed[a].origin) == ("A wire", "en", "config")
    assert (listed[b].name, listed[b].language, listed[b].interval_s) == (None, "fr", 300.0)
    assert all(f.disabled_reason is None for f in listed.values())
    chat = store.add_feed("https://chat.example/feed.xml", "chat")

    store.sync_feeds([(a, "A wire", "en", None, True)])
    b_row = store.feed_by_url(b)
    assert b_row is not None and b_row.disabled_reason == "removed from config"
    assert {f.url for f in store.due_feeds(NOW)} == {a, chat.url}, "chat feeds are not config's"
    assert b_row.id == listed[b].id, "a removed feed keeps its row (and its items)"

    store.sync_feeds([(a, "A wire", "en", None, True), (b, "B wire", "fr", None, True)])
    b_row = store.feed_by_url(b)
    assert b_row is not None
    assert (b_row.disabled_reason, b_row.name, b_row.id) == (None, "B wire", listed[b].id)
    assert {f.url for f in store.due_feeds(NOW)} == {a, b, chat.url}

    store.sync_feeds([(a, "A wire", "en", None, True), (b, "B wire", "fr", None, False)])
    b_row = store.feed_by_url(b)
    assert b_row is not None and b_row.disabled_reason == "disabled in config"
    store.sync_feeds([(a, "A wire", "en", None, True), (b, "B wire", "fr", None, True)])
    b_row = store.feed_by_url(b)
    assert b_row is not None and b_row.disabled_reason is None
    assert len(store.list_feeds()) == 3


def test_sync_feeds_does_not_revive_a_feed_the_server_removed(store: Store) -> None:
    a = "https://a.example/feed.xml"
    store.sync_feeds([(a, None, None, None, True)])
    feed = store.feed_by_url(a)
    assert feed is not None
    gone = "410 Gone: the server says this feed was removed"
    store.record_failure(feed.id, NOW, gone, NOW + timedelta(hours=1), disable=gone)
    store.sync_feeds([(a, None, None, None, True)])
    feed = store.feed_by_url(a)
    assert feed is not None and feed.disabled_reason == gone
    assert store.due_feeds(NOW + timedelta(days=1)) == []


# -- ingest: stories and routing ------------------------------------------------------------------


def test_flagged_items_become_stories_with_one_alert_per_matching_destination(
    store: Store, understander: Understander
) -> None:
    feed_id = new_feed(store)
    meta = entry(META_HIRE.title, META_HIRE.link, META_HIRE.description, guid="g-meta")
    arc = entry(ARC.title, ARC.link, ARC.description)
    ball = entry(FOOTBALL.title, FOOTBALL.link, FOOTBALL.description)
    talent = Destination("talent", frozenset({"talent_war"}))
    agi = Destination("agi", frozenset({"agi"}))

    result = ingest(
        store,
        feed_id,
        [understood(understander, e) for e in (meta, arc, ball)],
        [ALL, talent, agi],
    )

    assert (result.new_items, result.new_stories, result.alerts_queued) == (3, 2, 5)
    meta_id, arc_id = story_of(store, meta.url or ""), story_of(store, arc.url or "")
    assert meta_id != arc_id
    assert rows(store, items, items.c.url == ball.url)[0].story_id is None, "unflagged: no story"
    assert count(store, stories) == 2
    assert count(store, verdicts) == 6, "one verdict per item and topic"
    assert outbox(store) == {
        (meta_id, "all", "alert"),
        (meta_id, "talent", "alert"),
        (meta_id, "agi", "alert"),
        (arc_id, "all", "alert"),
        (arc_id, "agi", "alert"),
    }
    assert len(rows(store, deliveries)) == 5
    assert all(r.status == "pending" and r.attempts == 0 for r in rows(store, deliveries))

    story = store.story(meta_id)
    assert story is not None
    assert story.title == META_HIRE.title
    assert story.url == META_HIRE.link
    assert story.source == "Test source"
    assert set(story.topics) == {"talent_war", "agi"}
    assert story.scores["talent_war"] >= 0.5 and story.reasons["talent_war"]
    assert story.move is not None and story.move.to_org == "Meta"
    assert story.summary and story.item_count == 1
    assert story.links == [META_HIRE.link]
    assert story.first_seen_at == NOW and story.published_at == NOW


def test_topics_and_min_score_keep_a_story_from_a_destination(store: Store) -> None:
    feed_id = new_feed(store)
    talent_only = Destination("talent", frozenset({"talent_war"}))
    strict_agi = Destination("strict-agi", frozenset({"agi"}), min_score=0.8)
    loose_agi = Destination("loose-agi", frozenset({"agi"}), min_score=0.6)
    hire = entry("Lab hires a research chief from a rival", "https://n.example/hire")
    bench = entry("Model clears an AGI benchmark", "https://n.example/bench")
    recipe = entry("Poached eggs, the easy way", "https://n.example/eggs")

    result = ingest(
        store,
        feed_id,
        [scored(hire, talent=0.9, agi=0.1), scored(bench, agi=0.7), scored(recipe, 0.2, 0.3)],
        [talent_only, strict_agi, loose_agi],
    )

    hire_id, bench_id = story_of(store, hire.url or ""), story_of(store, bench.url or "")
    assert result.alerts_queued == 2
    assert outbox(store) == {(hire_id, "talent", "alert"), (bench_id, "loose-agi", "alert")}
    assert not any(r.destination == "strict-agi" for r in rows(store, deliveries))


def test_a_backlog_item_makes_a_story_but_no_alert(store: Store) -> None:
    feed_id = new_feed(store)
    old = entry("Lab hires a research chief from a rival", "https://n.example/hire")
    result = ingest(store, feed_id, [scored(old, talent=0.9, alertable=False)])
    assert (result.new_stories, result.alerts_queued) == (1, 0)
    assert count(store, deliveries) == 0


def test_ingest_records_the_feed_poll_with_its_items(store: Store) -> None:
    feed_id = new_feed(store)
    success = FeedSuccess(
        now=NOW,
        next_poll=NOW + timedelta(minutes=10),
        etag='"v2"',
        last_modified=None,
        fetch_url=None,
        feed_title="A wire",
    )
    ingest(store, feed_id, [scored(entry("Some news", "https://n.example/1"))], success=success)
    feed = store.feed_by_url("https://feeds.example/a.xml")
    assert feed is not None
    assert (feed.etag, feed.last_ok_at, feed.name) == ('"v2"', NOW, "A wire")


class _UnreachableDestinations(list[Destination]):
    """Destinations that fail when routing finally reads them (a subscription look-up that dies)."""

    def __iter__(self) -> Iterator[Destination]:
        raise RuntimeError("subscriptions are unavailable")


@pytest.mark.parametrize("failure", ["row breaks NOT NULL", "routing fails late"])
def test_a_failing_ingest_stores_nothing_of_its_call(store: Store, failure: str) -> None:
    feed_id = new_feed(store)
    kept = entry("Earlier news about a lab hiring", "https://n.example/kept")
    ingest(store, feed_id, [scored(kept, talent=0.9)])
    before = {t.name: count(store, t) for t in (stories, items, verdicts, deliveries)}
    good = entry("Lab hires a research chief from a rival", "https://n.example/hire", guid="g1")
    # Joins the earlier story by link, so the late failure also comes after a story update.
    joiner = entry("More on the earlier hire", kept.url, guid="g-join")
    success = FeedSuccess(
        now=NOW,
        next_poll=NOW + timedelta(hours=1),
        etag='"must-not-stick"',
        last_modified=None,
        fetch_url=None,
        feed_title="Feed title",
    )
    if failure == "row breaks NOT NULL":
        # A parser slip: an item without a title (items.title is NOT NULL).
        untitled: Any = None
        broken = Entry("g2", "https://n.example/untitled", None, untitled, "", NOW, "en")
        batch = [scored(good, talent=0.9), scored(joiner, talent=0.9), scored(broken)]
        destinations: Sequence[Destination] = [ALL]
        expected: type[Exception] = IntegrityError
    else:
        batch = [scored(good, talent=0.9), scored(joiner, talent=0.9)]
        destinations = _UnreachableDestinations([ALL])
        expected = RuntimeError

    with pytest.raises(expected):
        ingest(store, feed_id, batch, destinations, success=success)

    assert {t.name: count(store, t) for t in (stories, items, verdicts, deliveries)} == before
    kept_story = store.story(story_of(store, kept.url or ""))
    assert kept_story is not None and kept_story.item_count == 1
    feed = store.feed_by_url("https://feeds.example/a.xml")
    assert feed is not None and (feed.etag, feed.last_ok_at, feed.name) == (None, None, None)
    assert store.new_entries(feed_id, [good, joiner]) == [good, joiner], "the retry sees them new"

    # And the same call without the fault goes through whole.
    result = ingest(store, feed_id, [scored(good, talent=0.9), scored(joiner, talent=0.9)])
    assert (result.new_items, result.new_stories) == (2, 1)


# -- ingest: the same story from several places ----------------------------------------------------


def test_same_canonical_url_from_another_feed_joins_the_story(
    store: Store, understander: Understander
) -> None:
    wire, blog, digest = (new_feed(store, f"https://{n}.example/feed.xml") for n in "abc")
    first = entry(META_HIRE.title, META_HIRE.link, META_HIRE.description)
    ingest(store, wire, [understood(understander, first)])
    story_id = story_of(store, META_HIRE.link)

    # Another outlet's headline, the same canonical URL (its own link had tracking parameters).
    again = entry(SAME_NEWS, META_HIRE.link, link=f"{META_HIRE.link}?utm_source=rss")
    result = ingest(store, blog, [understood(understander, again)])

    assert (result.new_items, result.new_stories, result.alerts_queued) == (1, 0, 0)
    story = store.story(story_id)
    assert story is not None
    assert story.item_count == 2
    assert story.title == META_HIRE.title, "the story keeps its first headline"
    assert story.links == [META_HIRE.link]
    assert outbox(store) == {(story_id, "all", "alert")}

    # An unflagged item carrying that link joins too: it is coverage of the same article.
    plain = entry("Links of the day", META_HIRE.link)
    ingest(store, digest, [scored(plain)])
    story = store.story(story_id)
    assert story is not None and story.item_count == 3
    assert count(store, stories) == 1
    assert len(rows(store, deliveries)) == 1


def test_coverage_that_adds_a_topic_alerts_that_topics_destinations_once(store: Store) -> None:
    wire, blog, digest = (new_feed(store, f"https://{n}.example/feed.xml") for n in "abc")
    talent = Destination("talent", frozenset({"talent_war"}))
    agi = Destination("agi", frozenset({"agi"}))
    url = "https://n.example/hire"
    ingest(store, wire, [scored(entry("Lab hires a chief", url), 0.9)], [talent, agi])
    story_id = story_of(store, url)
    assert outbox(store) == {(story_id, "talent", "alert")}

    later = ingest(
        store, blog, [scored(entry("Chief joins AGI push", url), 0.9, 0.8)], [talent, agi]
    )
    assert later.alerts_queued == 1
    assert outbox(store) == {(story_id, "talent", "alert"), (story_id, "agi", "alert")}
    story = store.story(story_id)
    assert story is not None and sorted(story.topics) == ["agi", "talent_war"]

    ingest(store, digest, [scored(entry("More AGI talk", url), 0.9, 0.9)], [talent, agi])
    assert len(rows(store, deliveries)) == 2, "each destination is alerted once per story"


def test_an_earlier_unflagged_item_is_adopted_by_the_story_of_its_link(store: Store) -> None:
    digest, wire = new_feed(store, "https://d.example/f.xml"), new_feed(store)
    url = "https://n.example/hire"
    ingest(store, digest, [scored(entry("Links of the day", url))])
    assert rows(store, items)[0].story_id is None

    ingest(store, wire, [scored(entry("Lab hires a research chief from a rival", url), 0.9)])
    story_id = story_of(store, url)
    assert [r.story_id for r in rows(store, items)] == [story_id, story_id]
    story = store.story(story_id)
    assert story is not None and story.item_count == 2


def test_followups_go_to_threading_destinations_once_their_alert_exists(store: Store) -> None:
    a, b, c, d = (new_feed(store, f"https://{n}.example/feed.xml") for n in "abcd")
    chat = Destination("chat", frozenset({"talent_war"}), followups=True)
    file_ = Destination("file", frozenset({"talent_war"}))
    agi_chat = Destination("agi-chat", frozenset({"agi"}), followups=True)
    dests = [chat, file_, agi_chat]
    url = "https://n.example/hire"

    # A first poll's backlog: a story, no alert, so nothing to thread under yet.
    ingest(store, a, [scored(entry("Lab hires a chief", url), 0.9, alertable=False)], dests)
    story_id = story_of(store, url)
    assert count(store, deliveries) == 0

    # Fresh coverage makes the story alertable: alerts now, but no follow-up of an alert that
    # was not there when this coverage arrived.
    second = ingest(store, b, [scored(entry("Rival loses its chief", url), 0.9)], dests)
    assert (second.alerts_queued, second.followups_queued) == (2, 0)
    assert outbox(store) == {(story_id, "chat", "alert"), (story_id, "file", "alert")}

    # Later coverage: one follow-up, for the threading destination that has the alert.
    third = ingest(store, c, [scored(entry("The chief explains the move", url), 0.9)], dests)
    assert (third.alerts_queued, third.followups_queued) == (0, 1)
    new_item = rows(store, items, items.c.feed_id == c)[0]
    followups = rows(store, deliveries, deliveries.c.kind == "followup")
    assert [(r.destination, r.item_id, r.story_id) for r in followups] == [
        ("chat", new_item.id, story_id)
    ]

    # The follow-up knows its parent message once the alert is sent.
    alert = rows(
        store, deliveries, deliveries.c.destination == "chat", deliveries.c.kind == "alert"
    )
    store.mark_sent(alert[0].id, "ts-1", NOW)
    pending = {r.kind: r for r in store.pending_deliveries(NOW) if r.destination == "chat"}
    assert set(pending) == {"followup"}
    assert (pending["followup"].parent_ref, pending["followup"].item_id) == ("ts-1", new_item.id)

    fourth = ingest(store, d, [scored(entry("Analysis: the chief's move", url), 0.9)], dests)
    assert fourth.followups_queued == 1
    assert len(rows(store, deliveries, deliveries.c.kind == "followup")) == 2


# -- outbox ---------------------------------------------------------------------------------------


def test_outbox_sent_never_returns_retry_waits_and_give_up_fails(store: Store) -> None:
    feed_id = new_feed(store)
    ingest(
        store,
        feed_id,
        [
            scored(entry("Lab hires a research chief", "https://n.example/1"), 0.9),
            scored(entry("Startup poaches chip designers", "https://n.example/2"), 0.9),
            scored(entry("Model clears an AGI benchmark", "https://n.example/3"), agi=0.9),
        ],
    )
    pending = store.pending_deliveries(NOW)
    assert [(r.kind, r.destination, r.attempts, r.parent_ref) for r in pending] == [
        ("alert", "all", 0, None)
    ] * 3
    assert [r.id for r in pending] == sorted(r.id for r in pending)
    assert store.pending_deliveries(NOW - timedelta(seconds=1)) == [], "not due before creation"
    assert len(store.pending_deliveries(NOW, limit=2)) == 2
    sent, retried, failed = pending

    store.mark_sent(sent.id, "msg-1", NOW)
    store.mark_retry(retried.id, "HTTP 503", NOW + timedelta(minutes=5), give_up=False)
    store.mark_retry(failed.id, "channel_not_found", NOW, give_up=True)

    assert store.pending_deliveries(NOW) == []
    assert store.pending_deliveries(NOW + timedelta(minutes=4)) == []
    later = store.pending_deliveries(NOW + timedelta(minutes=5))
    assert [(r.id, r.attempts) for r in later] == [(retried.id, 1)]
    assert [r.id for r in store.pending_deliveries(NOW + timedelta(days=30))] == [retried.id]
    assert store.delivery_counts() == {"sent": 1, "pending": 1, "failed": 1}

    by_id = {r.id: r for r in rows(store, deliveries)}
    assert (by_id[sent.id].message_ref, by_id[sent.id].sent_at, by_id[sent.id].attempts) == (
        "msg-1",
        NOW,
        1,
    )
    assert (by_id[failed.id].status, by_id[failed.id].last_error) == ("failed", "channel_not_found")
    assert by_id[retried.id].last_error == "HTTP 503"

    store.mark_retry(retried.id, "HTTP 503", NOW + timedelta(minutes=20), give_up=True)
    assert store.pending_deliveries(NOW + timedelta(days=30)) == []
    assert store.delivery_counts() == {"sent": 1, "failed": 2}


# -- feedback -------------------------------------------------------------------------------------


def test_votes_upsert_per_story_platform_and_user_and_examples_sum_them(store: Store) -> None:
    feed_id = new_feed(store)
    ingest(
        store,
        feed_id,
        [
            scored(entry("Lab hires a research chief", "https://n.example/1"), 0.9),
            scored(entry("Startup poaches chip designers", "https://n.example/2"), 0.9),
            scored(entry("Model clears an AGI benchmark", "https://n.example/3"), agi=0.9),
        ],
    )
    liked, disliked, split = (story_of(store, f"https://n.example/{n}") for n in (1, 2, 3))

    store.record_vote(liked, "slack", "U1", -1)
    store.record_vote(liked, "slack", "U1", 1)  # changed their mind: still one vote
    store.record_vote(liked, "slack", "U2", 1)
    store.record_vote(liked, "discord", "U1", 1)  # same name, other platform: another person
    store.record_vote(disliked, "slack", "U1", -1)
    store.record_vote(disliked, "slack", "U2", -1)
    store.record_vote(disliked, "slack", "U2", -1)
    store.record_vote(split, "slack", "U1", 1)
    store.record_vote(split, "slack", "U2", -1)

    votes = {(r.story_id, r.platform, r.user): r.vote for r in rows(store, feedback)}
    assert len(votes) == 7
    assert votes[(liked, "slack", "U1")] == 1
    examples = {story.id: (story.title, vote) for story, vote in store.feedback_examples()}
    assert examples == {
        liked: ("Lab hires a research chief", 3),
        disliked: ("Startup poaches chip designers", -2),
    }, "a story whose votes cancel out teaches nothing"


# -- reading stories ------------------------------------------------------------------------------


def test_top_stories_orders_by_score_and_filters_by_topic_and_period(store: Store) -> None:
    feed_id = new_feed(store)
    ingest(
        store,
        feed_id,
        [scored(entry("Old: lab unveils its AGI roadmap", "https://n.example/old"), agi=0.95)],
        now=NOW - timedelta(days=10),
    )
    ingest(
        store,
        feed_id,
        [
            scored(entry("Startup poaches chip designers", "https://n.example/a"), talent=0.7),
            scored(entry("Model clears an AGI benchmark", "https://n.example/b"), agi=0.9),
            scored(entry("Meta hires a superintelligence lead", "https://n.example/c"), 0.8, 0.6),
            scored(entry("Poached eggs, the easy way", "https://n.example/d"), 0.3, 0.2),
        ],
    )
    week = NOW - timedelta(days=7)

    def titles(found: list[Any]) -> list[str]:
        return [s.title.split(" ")[0] for s in found]

    assert titles(store.top_stories(week)) == ["Model", "Meta", "Startup"]
    assert titles(store.top_stories(week, "talent_war")) == ["Meta", "Startup"]
    assert titles(store.top_stories(week, "agi")) == ["Model", "Meta"]
    assert titles(store.top_stories(week, limit=1)) == ["Model"]
    assert titles(store.top_stories(NOW - timedelta(days=30))) == [
        "Old:",
        "Model",
        "Meta",
        "Startup",
    ]
    assert store.top_stories(NOW + timedelta(seconds=1)) == []
    top = store.top_stories(week, "agi")[0]
    assert (top.scores["agi"], top.links) == (0.9, ["https://n.example/b"])


def test_story_by_link_finds_a_story_by_canonical_link_guid_or_feed_link(
    store: Store, understander: Understander
) -> None:
    feed_id = new_feed(store)
    meta = entry(
        META_HIRE.title,
        META_HIRE.link,
        META_HIRE.description,
        guid="urn:news:1234",
        link=f"{META_HIRE.link}?utm_source=rss#top",
    )
    ball = entry(FOOTBALL.title, FOOTBALL.link, FOOTBALL.description)
    ingest(store, feed_id, [understood(understander, e) for e in (meta, ball)])

    found = store.story_by_link(META_HIRE.link)
    assert found is not None and found.title == META_HIRE.title
    for other in ("urn:news:1234", f"{META_HIRE.link}?utm_source=rss#top"):
        again = store.story_by_link(other)
        assert again is not None and again.id == found.id
    assert store.story_by_link(FOOTBALL.link) is None, "an unflagged item has no story"
    assert store.story_by_link("https://news.example/unknown") is None


def test_moves_since_lists_talent_war_stories_that_carry_a_move(
    store: Store, understander: Understander
) -> None:
    feed_id = new_feed(store)
    jane = entry(JANE_DOE[0], "https://n.example/jane", JANE_DOE[1])
    ingest(store, feed_id, [understood(understander, jane)], now=NOW - timedelta(days=10))
    meta = entry(META_HIRE.title, META_HIRE.link, META_HIRE.description)
    arc = entry(ARC.title, ARC.link, ARC.description)
    # A move that rode along on an AGI-only story is not a talent-war move.
    stray = scored(
        entry("AGI lab adds a board member", "https://n.example/board"),
        agi=0.9,
        move=Move(("Ann Lee",), None, "SSI", "board member", "hire"),
    )
    ingest(store, feed_id, [understood(understander, meta), understood(understander, arc), stray])

    recent = store.moves_since(NOW - timedelta(days=7))
    assert [s.title for s in recent] == [META_HIRE.title]
    move = recent[0].move
    assert move is not None
    assert (move.people, move.from_org, move.to_org) == (
        ("Jason Wei", "Hyung Won Chung"),
        "OpenAI",
        "Meta",
    )
    month = store.moves_since(NOW - timedelta(days=30))
    assert [s.title for s in month] == [JANE_DOE[0], META_HIRE.title], "oldest first"


# -- new entries ----------------------------------------------------------------------------------


def test_new_entries_skips_known_keys_and_in_batch_duplicates(store: Store) -> None:
    feed_id, other_feed = new_feed(store), new_feed(store, "https://b.example/feed.xml")
    known_guid = entry("Known by guid", "https://n.example/1", guid="g-1")
    known_url = entry("Known by url", "https://n.example/2")
    ingest(store, feed_id, [scored(known_guid), scored(known_url)])

    fresh = entry("Fresh", "https://n.example/3", guid="g-3")
    fresh_dup = entry("Fresh, edited headline", "https://n.example/3-edited", guid="g-3")
    same_guid_new_title = entry("Known by guid, retitled", "https://n.example/1b", guid="g-1")
    no_ids = entry("No guid, no link", None, text="body")
    no_ids_dup = entry("No guid, no link", None, text="body")
    batch = [known_guid, fresh, same_guid_new_title, known_url, fresh_dup, no_ids, no_ids_dup]

    assert store.new_entries(feed_id, batch) == [fresh, no_ids], "first occurrence wins"
    assert item_key(no_ids) == item_key(no_ids_dup), "keyed by content when nothing else"
    # Keys are per feed: another feed has seen none of them.
    assert store.new_entries(other_feed, batch) == [known_guid, fresh, known_url, no_ids]
    # A feed that never had a successful poll skips the look-up, not the in-batch dedup.
    assert store.new_entries(feed_id, batch, never_stored=True) == [
        known_guid,
        fresh,
        known_url,
        no_ids,
    ]


def test_the_head_constant_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from bot.store import migrate

    script = ScriptDirectory(str(migrate.MIGRATIONS))
    assert script.get_current_head() == migrate.HEAD


def test_the_publishers_own_copy_names_the_story_source(
    store: Store, understander: Understander
) -> None:
    aggregator, publisher = (
        new_feed(store, f"https://{n}.example/feed.xml") for n in ("agg", "pub")
    )
    tracked = entry(
        META_HIRE.title,
        META_HIRE.link,
        META_HIRE.description,
        link=f"{META_HIRE.link}?utm_source=agg",
    )
    index = StoryIndex(WINDOW)
    store.ingest(aggregator, "AI Digest", [understood(understander, tracked)], (ALL,), index, NOW)
    story_id = story_of(store, META_HIRE.link)
    assert store.story(story_id).source == "AI Digest"  # type: ignore[union-attr]

    # The publisher's feed carries the same page under its plain link: the story now names it.
    own = entry(META_HIRE.title, META_HIRE.link, META_HIRE.description, guid="pub-1")
    store.ingest(publisher, "TechWire", [understood(understander, own)], (ALL,), index, NOW)
    assert store.story(story_id).source == "TechWire"  # type: ignore[union-attr]

    # A third copy, plain again, does not take the name from the publisher.
    again = entry(META_HIRE.title, META_HIRE.link, META_HIRE.description, guid="mirror-1")
    mirror = new_feed(store, "https://mirror.example/feed.xml")
    store.ingest(mirror, "Mirror", [understood(understander, again)], (ALL,), index, NOW)
    assert store.story(story_id).source == "TechWire"  # type: ignore[union-attr]
    assert len(rows(store, deliveries)) == 1


def test_other_outlets_do_not_keep_the_publisher_from_naming_its_story(
    store: Store, understander: Understander
) -> None:
    aggregator, other, publisher = (
        new_feed(store, f"https://{n}.example/feed.xml") for n in ("agg", "other", "pub")
    )
    index = StoryIndex(WINDOW)
    tracked = entry(META_HIRE.title, META_HIRE.link, link=f"{META_HIRE.link}?utm_source=agg")
    store.ingest(aggregator, "AI Digest", [understood(understander, tracked)], (ALL,), index, NOW)
    story_id = story_of(store, META_HIRE.link)
    # Another outlet's own article about the same move joins first, under its own page.
    elsewhere = entry(SAME_NEWS, "https://other.example/wei-chung")
    store.ingest(other, "Lab Watch", [understood(understander, elsewhere)], (ALL,), index, NOW)
    assert story_of(store, "https://other.example/wei-chung") == story_id
    own = entry(META_HIRE.title, META_HIRE.link, guid="pub-1")
    store.ingest(publisher, "TechWire", [understood(understander, own)], (ALL,), index, NOW)
    assert store.story(story_id).source == "TechWire"  # type: ignore[union-attr]


def _one_pending_delivery(store: Store, understander: Understander) -> int:
    feed = new_feed(store)
    ingest(store, feed, [understood(understander, entry(META_HIRE.title, META_HIRE.link))])
    (row,) = store.pending_deliveries(NOW)
    return row.id


def test_a_claimed_delivery_is_sent_by_one_process_only(
    store: Store, understander: Understander, tmp_path: Path
) -> None:
    delivery = _one_pending_delivery(store, understander)
    other_process = Store.open(f"sqlite:///{tmp_path}/r.db")
    try:
        assert store.claim(delivery, "host:1", NOW, timedelta(minutes=5))
        assert not other_process.claim(delivery, "host:2", NOW, timedelta(minutes=5))
        assert store.pending_deliveries(NOW) == []
        # The lease runs out (the first sender hung or died elsewhere): the row can be taken again.
        later = NOW + timedelta(minutes=6)
        assert [r.id for r in other_process.pending_deliveries(later)] == [delivery]
        assert other_process.claim(delivery, "host:2", later, timedelta(minutes=5))
        other_process.mark_sent(delivery, "ref", later)
        assert not store.claim(delivery, "host:1", later + timedelta(hours=1), timedelta(minutes=5))
    finally:
        other_process.close()


def test_claims_of_dead_senders_return_to_the_queue_at_once(
    store: Store, understander: Understander
) -> None:
    delivery = _one_pending_delivery(store, understander)
    assert store.claim(delivery, "host:41", NOW, timedelta(minutes=5))
    assert store.release_dead_claims(lambda owner: owner == "host:99", NOW) == 0
    assert store.pending_deliveries(NOW) == []
    assert store.release_dead_claims(lambda owner: owner == "host:41", NOW) == 1
    [row] = store.pending_deliveries(NOW)
    # The dead sender may have posted before it died: the row says so, for a check first.
    assert row.id == delivery and row.in_doubt and row.created_at is not None
    assert store.claim(delivery, "host:42", NOW, timedelta(minutes=5))


def test_only_a_delivery_tried_before_is_in_doubt(store: Store, understander: Understander) -> None:
    delivery = _one_pending_delivery(store, understander)
    [fresh] = store.pending_deliveries(NOW)
    assert not fresh.in_doubt
    assert store.claim(delivery, "host:1", NOW, timedelta(minutes=5))
    store.mark_retry(delivery, "Slack error: timeout", NOW, give_up=False)
    [retried] = store.pending_deliveries(NOW)
    assert retried.in_doubt  # a timeout does not prove that nothing was posted
    # A lease that ran out (a sender elsewhere hung or died) leaves the row in doubt too.
    assert store.claim(delivery, "elsewhere:7", NOW, timedelta(minutes=5))
    [expired] = store.pending_deliveries(NOW + timedelta(minutes=6))
    assert expired.in_doubt


def test_the_migrated_database_matches_the_schema(tmp_path: Path) -> None:
    """Alembic's comparison of the migrated database with bot.store.schema finds nothing to do:
    a column only one of them has would break inserts at run time."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.store.schema import metadata

    store = Store.open(f"sqlite:///{tmp_path / 'radar.db'}")
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        store.close()
    assert diff == []


def test_a_0001_database_upgrades_and_keeps_its_rows(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(
            text(
                "INSERT INTO subscriptions (platform, workspace, channel, flagged, topics,"
                " min_score, created_at) VALUES ('slack', 'T1', 'C1', 1, '[\"agi\"]', 0.5,"
                " '2026-11-01 00:00:00')"
            )
        )
    engine.dispose()
    store = Store.open(url)
    try:
        [row] = store.subscriptions("slack")
        assert (row["channel"], row["topics"], row["min_score"]) == ("C1", ["agi"], 0.5)
        store.mute("slack", "C1", "AI Wire", "U1")
        assert store.muted_sources("slack", "C1") == {"AI Wire"}
    finally:
        store.close()
