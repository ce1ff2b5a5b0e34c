"""Contract of bot.store.ledger on a real SQLite file: moves recorded by ingest, one row per person
and move with every source, entities with aliases, pages per person and organisation, corrections."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.models import Destination, Entry, Move, TopicVerdict, Understanding
from bot.core.stories import StoryIndex
from bot.store.ledger import Fix, FixError, MovesLedger
from bot.store.repository import NewItem, Store
from bot.store.schema import move_sources, moves, org_aliases, orgs, people, person_aliases

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ALL = Destination("all", frozenset({"talent_war", "agi"}))
WEI_CHUNG = Move(("Jason Wei", "Hyung Won Chung"), "OpenAI", "Meta", None, "hire")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path}/r.db")
    try:
        yield opened
    finally:
        opened.close()


def report(
    title: str,
    url: str,
    move: Move | None,
    published: datetime = NOW,
    language: str = "en",
    talent: float = 0.9,
) -> NewItem:
    entry = Entry(
        guid=None,
        url=url,
        link=url,
        title=title,
        text="",
        published=published,
        language=language,
    )
    verdicts = {
        "talent_war": TopicVerdict("talent_war", talent, talent >= 0.5, ("hand-set",)),
        "agi": TopicVerdict("agi", 0.0, False),
    }
    und = Understanding(verdicts=verdicts, move=move, summary=title, language=language)
    return NewItem(entry=entry, understanding=und, alertable=True)


def poll(
    store: Store, outlet: str, new: Sequence[NewItem], now: datetime = NOW, window_h: int = 72
) -> None:
    """One feed's ingest, as the poll cycle does it (a story index loaded from the store)."""
    feed = store.feed_by_url(f"https://{outlet}.example/feed") or store.add_feed(
        f"https://{outlet}.example/feed", "chat", name=outlet
    )
    index = StoryIndex(timedelta(hours=window_h))
    store.load_story_index(index, now - index.window)
    store.ingest(feed.id, outlet, new, (ALL,), index, now)


def count(store: Store, table: object) -> int:
    with store.engine.connect() as conn:
        return len(list(conn.execute(select(table))))  # type: ignore[call-overload]


def test_the_store_offers_the_ledger_protocol(store: Store) -> None:
    ledger: MovesLedger = store.ledger
    assert ledger.moves(NOW - timedelta(days=30)) == []


def test_five_outlets_in_two_languages_over_two_days_are_one_row_per_person(store: Store) -> None:
    reports = [
        ("TechWire", "Meta hires OpenAI's Jason Wei and Hyung Won Chung", "en", 0),
        ("Lab Watch", "OpenAI researchers Jason Wei and Hyung Won Chung depart for Meta", "en", 5),
        ("Numerique", "Meta débauche Jason Wei et Hyung Won Chung, chercheurs d'OpenAI", "fr", 20),
        ("Le Monde IA", "Jason Wei et Hyung Won Chung quittent OpenAI pour Meta", "fr", 30),
        ("AI Digest", "Meta poaches Jason Wei, Hyung Won Chung from OpenAI", "en", 44),
    ]
    for n, (outlet, title, lang, hours) in enumerate(reports):
        when = NOW + timedelta(hours=hours)
        item = report(title, f"https://{n}.example/a", WEI_CHUNG, when - timedelta(hours=1), lang)
        poll(store, outlet, [item], now=when)

    found = store.ledger.moves(NOW - timedelta(days=7))
    assert sorted(m.person for m in found) == ["Hyung Won Chung", "Jason Wei"]
    for move in found:
        assert (move.from_org, move.to_org, move.kind) == ("OpenAI", "Meta", "hire")
        assert move.outlets() == sorted(o for o, *_ in reports)
        assert {s.language for s in move.sources} == {"en", "fr"}
        assert move.published_at == NOW - timedelta(hours=1), "the first report's date"
        assert move.confidence == 1.0
    assert count(store, moves) == 2 and count(store, move_sources) == 10


def test_the_move_date_is_the_publication_date_not_when_radar_saw_it(store: Store) -> None:
    published = NOW - timedelta(days=3)
    poll(store, "TechWire", [report("Meta hires Jane Roe from OpenAI", "https://t/1", None)])
    late = report(
        "Meta hires OpenAI's Jane Roe",
        "https://t/2",
        Move(("Jane Roe",), "OpenAI", "Meta", None, "hire"),
        published,
    )
    poll(store, "Wire", [late], now=NOW + timedelta(days=30))
    (move,) = store.ledger.moves(NOW - timedelta(days=60))
    assert move.published_at == published


def test_an_earlier_report_arriving_later_moves_the_date_back(store: Store) -> None:
    move = Move(("Jane Roe",), "OpenAI", "Meta", None, "hire")
    first_seen = report("Meta hires OpenAI's Jane Roe", "https://a/1", move, NOW)
    poll(store, "Aggregator", [first_seen])
    earlier = NOW - timedelta(hours=5)  # the outlet that broke the news, polled later
    poll(store, "TechWire", [report("Meta hires OpenAI's Jane Roe", "https://t/1", move, earlier)])
    (recorded,) = store.ledger.moves(NOW - timedelta(days=1))
    assert len(recorded.sources) == 2
    assert recorded.published_at == earlier


def test_a_story_split_by_clustering_still_adds_to_the_same_move(store: Store) -> None:
    """Two stories (the departure, days later the hire) of one person are one ledger row."""
    leave = Move(("Dr Jane Roe",), "OpenAI", None, None, "departure")
    hire = Move(("Jane Roe",), None, "Anthropic", "chief scientist", "hire")
    poll(store, "Wire", [report("Jane Roe leaves OpenAI", "https://w/1", leave)])
    later = NOW + timedelta(days=5)
    poll(
        store, "Other", [report("Anthropic names Roe chief scientist", "https://o/1", hire)], later
    )
    (move,) = store.ledger.moves(NOW - timedelta(days=1))
    assert (move.person, move.from_org, move.to_org) == ("Jane Roe", "OpenAI", "Anthropic")
    assert move.outlets() == ["Other", "Wire"]


def test_a_surname_only_second_mention_is_the_known_person(store: Store) -> None:
    poll(
        store,
        "Wire",
        [report("x", "https://w/1", Move(("Jane Roe",), "OpenAI", "Meta", None, "hire"))],
    )
    again = Move(("Roe",), "Meta", "Anthropic", None, "hire")
    poll(store, "Wire", [report("Roe moves on", "https://w/2", again)], NOW + timedelta(days=60))
    assert count(store, people) == 1
    assert [m.person for m in store.ledger.moves(NOW - timedelta(days=1))] == ["Jane Roe"] * 2
    unknown = Move(("Smith",), "Meta", "Anthropic", None, "hire")
    poll(store, "Wire", [report("Smith joins Anthropic", "https://w/3", unknown)])
    assert count(store, people) == 1, "a lone unknown surname is nobody"


def test_units_and_aliases_are_one_organisation_entity_and_a_startup_is_new(store: Store) -> None:
    first = Move(("Ann Lee",), "FAIR", "Meta Superintelligence Labs", None, "hire")
    second = Move(("Bo Kim",), "Google Brain", "Acme Robotics Inc.", None, "hire")
    third = Move(("Cy Dee",), "DeepMind", "acme robotics", None, "hire")
    poll(store, "Wire", [report("a", "https://w/1", first)])
    poll(store, "Wire", [report("b", "https://w/2", second)])
    poll(store, "Wire", [report("c", "https://w/3", third)])
    with store.engine.connect() as conn:
        names = sorted(conn.execute(select(orgs.c.name)).scalars())
        aliases = dict(
            conn.execute(
                select(org_aliases.c.alias_key, orgs.c.name).join(
                    orgs, orgs.c.id == org_aliases.c.org_id
                )
            ).all()
        )
    assert names == ["Acme Robotics", "Google DeepMind", "Meta"]
    assert aliases["fair"] == aliases["meta superintelligence labs"] == "Meta"
    assert aliases["google brain"] == aliases["deepmind"] == "Google DeepMind"
    canonical, arrivals = store.ledger.org_moves("acme robotics inc", NOW - timedelta(days=1))
    assert canonical == "Acme Robotics"
    assert [m.person for m in arrivals] == ["Bo Kim", "Cy Dee"]


def test_pay_and_lawsuit_stories_and_moves_without_names_add_nothing(store: Store) -> None:
    poll(
        store,
        "Wire",
        [
            report("pay", "https://w/1", Move(("Jane Roe",), "OpenAI", None, None, "pay")),
            report("suit", "https://w/2", Move((), "OpenAI", None, None, "lawsuit")),
            report("team", "https://w/3", Move((), "OpenAI", "Meta", "researchers", "hire")),
            report("not talent", "https://w/4", WEI_CHUNG, talent=0.1),
        ],
    )
    assert count(store, moves) == 0


def test_a_person_page_and_an_org_page_and_a_filter_by_org(store: Store) -> None:
    poll(store, "Wire", [report("a", "https://w/1", WEI_CHUNG)])
    poll(
        store,
        "Wire",
        [report("b", "https://w/2", Move(("Julien Marchetti",), "FAIR", "OpenAI", None, "hire"))],
    )
    page = store.ledger.person_moves("dr jason wei")
    assert page is not None
    name, found = page
    assert name == "Jason Wei" and [m.line() for m in found] == ["Jason Wei: OpenAI → Meta"]
    assert store.ledger.person_moves("Nobody Known") is None
    canonical, meta = store.ledger.org_moves("Meta Superintelligence Labs", NOW - timedelta(1))
    assert canonical == "Meta" and len(meta) == 3
    since = NOW - timedelta(days=1)
    assert [m.person for m in store.ledger.moves(since, org="FAIR")] == [
        "Jason Wei",
        "Hyung Won Chung",
        "Julien Marchetti",
    ]
    assert store.ledger.moves(since, org="Anthropic") == []


def test_a_fix_corrects_the_move_and_later_stories_follow_it(store: Store) -> None:
    wrong = Move(("Jason Wie",), "OpenAI", "Superintel Labs", None, "hire")
    poll(store, "Wire", [report("a", "https://w/1", wrong)])
    (move,) = store.ledger.moves(NOW - timedelta(days=1))
    fixed = store.ledger.fix(move.id, Fix(person="Jason Wei", to_org="Meta"), "U1", NOW)
    assert (fixed.person, fixed.from_org, fixed.to_org) == ("Jason Wei", "OpenAI", "Meta")
    with store.engine.connect() as conn:
        assert sorted(conn.execute(select(people.c.name)).scalars()) == ["Jason Wei"]
        assert (
            conn.execute(
                select(person_aliases.c.origin).where(person_aliases.c.alias_key == "jason wie")
            ).scalar()
            == "fix"
        )
    # A later story makes the same mistakes: it lands on the corrected entities.
    again = Move(("Jason Wie",), "Superintel Labs", "Anthropic", None, "hire")
    when = NOW + timedelta(days=60)
    poll(store, "Wire", [report("b", "https://w/2", again, published=when)], when)
    later = store.ledger.moves(NOW + timedelta(days=1))
    assert [(m.person, m.from_org, m.to_org) for m in later] == [("Jason Wei", "Meta", "Anthropic")]


def test_a_fix_that_cannot_apply_says_why(store: Store) -> None:
    with pytest.raises(FixError, match="no move #42"):
        store.ledger.fix(42, Fix(kind="hire"), "U1", NOW)
    poll(store, "Wire", [report("a", "https://w/1", WEI_CHUNG)])
    move = store.ledger.moves(NOW - timedelta(days=1))[0]
    with pytest.raises(FixError, match="kind must be one of"):
        store.ledger.fix(move.id, Fix(kind="pay"), "U1", NOW)
    with pytest.raises(FixError, match="full name"):
        store.ledger.fix(move.id, Fix(person="Wei"), "U1", NOW)
    kept = store.ledger.fix(move.id, Fix(kind="acquihire"), "U1", NOW)
    assert kept.kind == "acquihire" and kept.person == move.person


def test_an_upgrade_fills_the_ledger_from_stories_stored_before_it(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine, text

    from bot.store import migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    cfg = migrate.alembic_config(engine)
    move = '{"people": ["Jason Wei"], "from": "OpenAI", "to": "Meta", "role": null, "kind": "hire"}'
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        conn.execute(
            text(
                "INSERT INTO feeds (id, url, fetch_url, name, origin, error_count, created_at)"
                " VALUES (1, 'https://w.example/f', 'https://w.example/f', 'Wire', 'config', 0,"
                " '2026-11-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO stories (id, origin_key, title, summary, flagged, topics, scores,"
                " reasons, move, people, published_at, first_seen_at, last_seen_at, item_count,"
                " alertable) VALUES (1, '1|a', 'Meta hires Jason Wei', '', 1, '[\"talent_war\"]',"
                f" '{{}}', '{{}}', '{move}', 'jason wei', '2026-10-30 08:00:00',"
                " '2026-11-01 00:00:00', '2026-11-01 00:00:00', 1, 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO items (feed_id, item_key, url, title, text, published_at,"
                " first_seen_at, language, content_hash, story_id) VALUES (1, 'a',"
                " 'https://w.example/a', 'Meta hires Jason Wei', '', '2026-10-30 08:00:00',"
                " '2026-11-01 00:00:00', 'en', 'x', 1)"
            )
        )
    engine.dispose()
    store = Store.open(url)
    try:
        [move_row] = store.ledger.moves(datetime(2026, 1, 1, tzinfo=UTC))
        assert move_row.line() == "Jason Wei: OpenAI → Meta"
        assert move_row.published_at == datetime(2026, 10, 30, 8, 0, tzinfo=UTC)
        assert move_row.outlets() == ["Wire"]
    finally:
        store.close()
