"""Hostile feed bodies cost a bounded amount of memory: entity blow-ups, deep JSON, huge items.

Peak memory is measured with tracemalloc around parse_feed alone (the body is built first). The
limits are generous: before the fix the 1M-reference feed took 3 GB and 49 s.
"""

from __future__ import annotations

import tracemalloc
import zlib
from collections.abc import Callable
from typing import TypeVar

import pytest

from bot.core.models import ParsedFeed
from bot.core.text import html_to_text
from bot.errors import FeedError
from bot.sources.article import extract_article
from bot.sources.dtd import MAX_EXPANSION, defuse_dtd
from bot.sources.parse import MAX_FEEDPARSER_MARKUP, MAX_TEXT, MAX_TITLE, parse_feed

T = TypeVar("T")
PEAK_LIMIT = 32 * 1024 * 1024  # bytes of Python allocations one hostile parse may peak at


def peak(fn: Callable[[], T]) -> tuple[T | FeedError, int]:
    """fn's result (or the FeedError it raised) and the peak traced memory while it ran."""
    tracemalloc.start()
    try:
        try:
            result: T | FeedError = fn()
        except FeedError as exc:
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def rss_with(prolog: bytes, description: bytes, title: bytes = b"Story") -> bytes:
    return (
        b'<?xml version="1.0"?>\n'
        + prolog
        + b'\n<rss version="2.0"><channel><title>Feed</title><item><title>'
        + title
        + b"</title><link>https://a.example/1</link><description>"
        + description
        + b"</description></item></channel></rss>"
    )


def entity(name: str, value: bytes) -> bytes:
    return b"<!ENTITY " + name.encode() + b' "' + value + b'">'


def doctype(*decls: bytes) -> bytes:
    return b"<!DOCTYPE rss [\n" + b"\n".join(decls) + b"\n]>"


ONE_K = b"A" * 1000
TEN_K = b"A" * 10_000


def billion_laughs() -> bytes:
    """The classic: nested entities, ten at each of ten levels."""
    lols = (entity(f"lol{i}", f"&lol{i - 1};".encode() * 10) for i in range(1, 10))
    return doctype(entity("lol0", b"lol"), *lols)


# Prologs an attacker may write to declare `e` (billion laughs declares lol9).
PROLOGS: dict[str, Callable[[bytes], bytes]] = {
    "plain entity": lambda value: doctype(entity("e", value)),
    # The DOCTYPE after 5 kB of comment, past where the fast path looks for one.
    "late doctype": lambda value: b"<!-- " + b"x" * 5000 + b" -->" + doctype(entity("e", value)),
    # A declaration inside a prolog comment, which feedparser's entity scan does not skip.
    "entity in comment": lambda value: b"<!DOCTYPE rss>\n<!--\n" + entity("e", value) + b"\n-->",
    # A declaration with no DOCTYPE around it.
    "bare entity": lambda value: entity("e", value),
    # Two halves of a declaration around a DOCTYPE that Radar removes.
    "split declaration": lambda value: b'<!ENT<!DOCTYPE x>ITY e "' + value + b'">',
}


def hostile(name: str, references: int, value: bytes = TEN_K) -> bytes:
    return rss_with(PROLOGS[name](value), b"&e;" * references)


# Each would expand to 50 MB or more if any parser honoured its declaration.
HOSTILE = {name: hostile(name, 5_000) for name in PROLOGS}
# The case: a 3 MB feed, one 1,000-character entity referenced a million times.
HOSTILE["million references"] = hostile("plain entity", 1_000_000, ONE_K)
# Quadratic blow-up: one large entity, a modest number of references.
HOSTILE["large entity"] = hostile("plain entity", 500, b"B" * 200_000)
HOSTILE["billion laughs"] = rss_with(billion_laughs(), b"&lol9;" * 100)
# Junk before the DOCTYPE: no XML parser accepts it, feedparser's loose parser did.
HOSTILE["junk before doctype"] = b"junk " + hostile("plain entity", 5_000).split(b"?>", 1)[1]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_entity_blow_ups_end_in_a_feed_error_or_bounded_output(name: str) -> None:
    body = HOSTILE[name]
    result, used = peak(lambda: parse_feed(body, "application/xml", "https://feeds.example/x"))
    assert used < PEAK_LIMIT, f"{name}: {used / 1e6:.0f} MB"
    if isinstance(result, FeedError):
        return
    assert isinstance(result, ParsedFeed)
    for item in result.entries:
        assert len(item.text) <= MAX_TEXT
        assert "A" * 20_000 not in item.text  # no entity was expanded past the budget


def test_the_million_reference_feed_is_refused_with_radars_own_error() -> None:
    body = HOSTILE["million references"]
    assert len(body) > 3_000_000
    with pytest.raises(FeedError, match="entities expand to more than 1024 KiB"):
        parse_feed(body, "application/rss+xml")


def test_plain_entities_still_work_within_the_budget() -> None:
    body = rss_with(
        doctype(entity("id", b"tag:example.com,"), entity("nb", b"&#160;")),
        b"<![CDATA[&id; stays literal in CDATA]]> and &id;x&nb;y",
        title=b"&id;title",
    )
    [item] = parse_feed(body).entries
    assert item.title == "tag:example.com,title"
    assert (
        item.text == "&id; stays literal in CDATA and tag:example.com,x y"
    )  # NBSP folds to a space, as everywhere


def test_expansion_just_under_the_budget_parses() -> None:
    count = MAX_EXPANSION // len(ONE_K)
    body = rss_with(doctype(entity("e", ONE_K)), b" ".join([b"&e;"] * count))
    [item] = parse_feed(body).entries
    assert len(item.text) <= MAX_TEXT and item.text.startswith("A" * 1000 + " ")
    with pytest.raises(FeedError):
        parse_feed(rss_with(doctype(entity("e", ONE_K)), b"&e;" * (count + 1)))


def test_quotes_in_an_entity_cannot_break_out_of_an_attribute() -> None:
    body = (
        b"<!DOCTYPE feed [<!ENTITY q 'say \"hi\"'>]>"
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>'
        b'<entry><id>urn:1</id><title>T &q;</title><link href="https://a.example/&q;"/></entry>'
        b"</feed>"
    )
    [item] = parse_feed(body).entries
    assert item.title == 'T say "hi"'
    assert item.link == "https://a.example/say%20%22hi%22" or item.link is not None


@pytest.mark.parametrize("name", sorted(PROLOGS))
def test_no_declaration_survives_in_the_prolog(name: str) -> None:
    for body in (hostile(name, 1), b"junk " + hostile(name, 1), rss_with(billion_laughs(), b"")):
        out = defuse_dtd(body)
        root = out.find(b"<rss")
        assert b"<!ENTITY" not in out[:root]
        assert b"<!DOCTYPE" not in out[:root].replace(b"<!DOCTYPE rss>\n<!--", b"")


def test_entities_declared_in_utf16_are_refused() -> None:
    body = rss_with(doctype(entity("e", b"x")), b"&e;").decode().encode("utf-16")
    with pytest.raises(FeedError, match="declares XML entities in utf-16"):
        parse_feed(body)
    # Without declarations a UTF-16 feed still reads.
    plain = rss_with(b"", b"words here").decode().encode("utf-16")
    assert [e.text for e in parse_feed(plain).entries] == ["words here"]


def test_huge_items_are_cut_to_bounded_text() -> None:
    words = b"word " * 400_000  # 2 MB of description
    body = rss_with(b"", words, title=b"t" * 50_000)
    result, used = peak(lambda: parse_feed(body))
    assert isinstance(result, ParsedFeed) and used < PEAK_LIMIT
    [item] = result.entries
    assert len(item.text) <= MAX_TEXT and len(item.title) <= MAX_TITLE
    assert item.text.startswith("word word")


JSON_FEED = b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [%s]}'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested too deeply"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (JSON_FEED % (b'{"id": ' + b"9" * 4_301 + b"}"), "a number too long"),
        (JSON_FEED % (b'{"id": 1, "title": ' + b"[" * 900 + b"]" * 900 + b"}"), None),
    ],
)
def test_hostile_json_feeds_are_a_feed_error(body: bytes, message: str | None) -> None:
    if message is None:  # nesting json accepts is ignored, never walked or printed
        assert parse_feed(body, "application/feed+json").entries == ()
        return
    with pytest.raises(FeedError, match=message):
        parse_feed(body, "application/feed+json")


def test_json_feed_reads_only_strings_and_numeric_ids() -> None:
    item = b'{"id": 42, "url": "https://a.example/1", "title": "Hello", "summary": {"x": 1}}'
    [entry] = parse_feed(JSON_FEED % item).entries
    assert (entry.guid, entry.title, entry.text) == ("42", "Hello", "")


def test_absurd_dates_are_ignored() -> None:
    body = rss_with(b"", b"text").replace(
        b"</description>", b"</description><pubDate>" + b"1" * 100_000 + b"</pubDate>"
    )
    [item] = parse_feed(body).entries
    assert item.published is None


def test_feedparser_reads_a_bounded_amount_of_markup() -> None:
    """A malformed feed (the fast path declines it) with more tags than feedparser should read is
    cut after its last complete item: the first items are kept, the rest dropped, and the feed is
    marked recovered."""
    item = b"<item><title>Story %d &nbsp;</title><link>https://a.example/%d</link></item>"
    body = rss_with(b"", b"x").replace(
        b"</channel>",
        b"".join(item % (i, i) for i in range(MAX_FEEDPARSER_MARKUP // 6)) + b"</channel>",
    )
    parsed = parse_feed(body)
    assert parsed.recovered
    assert 1_000 < len(parsed.entries) < MAX_FEEDPARSER_MARKUP // 6
    assert parsed.entries[-1].title == f"Story {len(parsed.entries) - 2}"  # the first is "Story"

    # A million unclosed tags in one item (a minute of feedparser before): cut inside that item.
    [cut] = parse_feed(rss_with(b"", b"<b>" * 1_000_000)).entries
    assert (cut.title, cut.text) == ("Story", "")


def test_a_bytes_to_bytes_charset_is_not_applied() -> None:
    """A charset naming zlib, base64 or rot13 is no text encoding: never decompressed or decoded,
    never a TypeError."""
    bomb = zlib.compress(b"<!ENTITY " * 100_000)
    body = rss_with(b"", b"words")
    for charset in ("zlib_codec", "base64", "rot13", "hex"):
        [item] = parse_feed(body, f"text/xml; charset={charset}").entries
        assert item.text == "words"
        result, used = peak(lambda c=charset: parse_feed(bomb, f"text/xml; charset={c}"))
        assert isinstance(result, FeedError) and used < PEAK_LIMIT


def test_html_blocks_and_comments_are_dropped_without_rescanning() -> None:
    """The linear replacements of the lazy regexes keep their meaning: closed blocks and comments
    go, unclosed ones stay as text (their tags are stripped like any other)."""
    html = (
        "a<!-- c -->b<script>x</script >c<STYLE a=1>y</style>d<svg>q<!-- z --> e "
        "<![CDATA[f]]> <script>never closed"
    )
    assert html_to_text(html) == "a b c dq e f never closed"
    # Openers with no closer, by the tens of thousands: the text stays, nothing is lost.
    assert html_to_text("<script" * 28_000 + "<p>tail") == "<script" * 28_000 + " tail"
    assert html_to_text("<!--" * 50_000 + "x") == "<!--" * 50_000 + "x"
    assert html_to_text("<p " * 600 + ">word") == "word"  # one 1,800-character tag


def test_nested_articles_read_each_paragraph_once() -> None:
    """Each level of nesting used to read its paragraphs again: quadratic, and repeated text."""
    paragraph = b"<p>" + b"A paragraph long enough to count as story text. " + b"</p>"
    page = b"<html><body>" + b"<article>" * 250 + paragraph * 3 + b"<h1>Title</h1>"
    article = extract_article(page, "text/html")
    assert article.text.count("A paragraph long enough") == 3
    assert len(extract_article(page.replace(b"<article>", b"<main>"), None).text.split("\n")) == 3
