"""feedparser's own test corpus (~2,100 files) through Radar's real fetch → parse → store path.

Every file is served over real HTTP with the headers its leading comment asks for, all of them are
polled in a single cycle next to one known-good feed, and the stored items are checked. A second
test runs `parse_feed` directly on every file and checks that the fast lxml path and the feedparser
path agree on the entries of every file the fast path accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, timedelta
from functools import cache
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from bot.errors import FeedError
from bot.sources import parse as parse_mod
from bot.sources.parse import parse_feed
from bot.store.repository import item_key
from bot.store.schema import feeds, items
from tests.conftest import read_alerts
from tests.feeds import META_HIRE, Item, recent, rss
from tests.feedserver import Route

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "feedparser-tests"
pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(),
    reason=f"feedparser test corpus not found at {CORPUS} (shared/ is expected next to the repo)",
)

DEFAULT_CONTENT_TYPE = "application/xml"  # no charset: the document's own declaration decides
FAKE_BASE = "http://feeds.test/corpus/"  # base URL for the direct parse test (relative links)

_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_HEADER = re.compile(r"^[ \t]*Header:[ \t]*([A-Za-z0-9-]+)[ \t]*:[ \t]*(.*?)[ \t]*$", re.M)
_ANY_COMMENT = re.compile(rb"<!--.*?-->", re.S)
# An <item>/<entry> element, any prefix and case (CDF writes <ITEM>); `\b` keeps <items> out.
_ITEM_OR_ENTRY = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)\b", re.I)

# A file that once exposed a fast-path bug: an RSS 2.0 item written with Atom-style children
# (<link href="…"/>, <id>). The fast path now declines any item it cannot read whole, so feedparser
# keeps it; this test pins that.
ATOM_STYLE_RSS_ITEM = "wellformed/psc/rss2.0simplechapter.xml"


@dataclass(frozen=True)
class CorpusFile:
    rel: str  # path inside the corpus, with forward slashes
    body: bytes
    headers: dict[str, str]  # what the server sends (always with a Content-Type)

    @property
    def content_type(self) -> str:
        return self.headers["Content-Type"]

    @property
    def has_items(self) -> bool:
        """True when the document (comments aside) has an <item> or <entry> element."""
        text = _ANY_COMMENT.sub(b"", self.body.replace(b"\x00", b""))
        return _ITEM_OR_ENTRY.search(text) is not None


def _header_name(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def declared_headers(body: bytes) -> dict[str, str]:
    """The `Header:` lines of the file's leading comment (the one holding Description:).

    UTF-16/32 files keep their comment in ASCII code points, so dropping NUL bytes is enough to read
    it; no file of those encodings carries Header: lines anyway."""
    head = body[:4096].replace(b"\x00", b"").decode("latin-1")
    comments = _COMMENT.findall(head)
    described = [c for c in comments if "Description:" in c] or comments[:1]
    return {_header_name(k): v for k, v in _HEADER.findall(described[0])} if described else {}


def corpus_headers(body: bytes) -> dict[str, str]:
    """What the server sends for a file: its declared headers, with a plain default Content-Type."""
    return {"Content-Type": DEFAULT_CONTENT_TYPE, **declared_headers(body)}


@cache
def load_corpus() -> tuple[CorpusFile, ...]:
    out = []
    for path in sorted(CORPUS.rglob("*.xml")):
        body = path.read_bytes()
        out.append(CorpusFile(path.relative_to(CORPUS).as_posix(), body, corpus_headers(body)))
    return tuple(out)


def test_corpus_headers_are_read() -> None:
    by_rel = {f.rel: f for f in load_corpus()}
    assert len(by_rel) > 2000
    assert by_rel["encoding/http_text_xml_charset_2.xml"].content_type == (
        "text/xml; charset=windows-1252"
    )
    assert by_rel["wellformed/http/headers_foo.xml"].headers == {
        "X-Foo": "bar",
        "Content-Type": DEFAULT_CONTENT_TYPE,
    }
    assert by_rel["wellformed/http/headers_last_modified-blank.xml"].headers["Last-Modified"] == ""
    declared = [declared_headers(f.body) for f in by_rel.values()]
    # 106 files carry Header: lines, 49 of them a Content-Type (`grep -rail` agrees).
    assert sum(1 for d in declared if d) == 106
    assert sum(1 for d in declared if "Content-Type" in d) == 49


# -- the whole corpus in one real poll cycle ---------------------------------------------------------


async def test_whole_corpus_polls_in_one_cycle(feed_server, radar_factory, tmp_path: Path) -> None:
    corpus = load_corpus()
    by_url: dict[str, CorpusFile] = {}
    for cf in corpus:
        path = f"/corpus/{cf.rel}"
        feed_server.add(path, Route(body=cf.body, headers=dict(cf.headers)))
        by_url[feed_server.url(path)] = cf
    good = Item(META_HIRE.title, META_HIRE.link, META_HIRE.description, published=recent())
    feed_server.add("/good.xml", body=rss([good]))
    good_url = feed_server.url("/good.xml")
    radar = radar_factory(
        [*by_url, good_url],
        poll={"concurrency": 50, "per_host": 50, "first_poll_window": "3650d"},
    )

    report = await radar.poll()
    sent = await radar.deliver()

    # Every feed is accounted for exactly once, and no parser crash reached the cycle.
    assert report.polled + report.failed + report.not_modified == len(by_url) + 1
    assert report.not_modified == 0  # a first poll sends no conditional request
    crashed = {url: err for url, err in report.errors.items() if "crashed" in err}
    assert crashed == {}

    with radar.store.engine.connect() as conn:
        feed_rows = {r.url: r for r in conn.execute(select(feeds))}
        item_rows = conn.execute(select(items)).all()
    by_feed: dict[int, list] = {}
    for row in item_rows:
        by_feed.setdefault(row.feed_id, []).append(row)

    # The known-good feed is untouched by its 2,100 odd neighbours: stored, alerted, delivered.
    good_row = feed_rows[good_url]
    assert (good_row.last_error, good_row.error_count) == (None, 0)
    assert [r.title for r in by_feed.get(good_row.id, [])] == [META_HIRE.title]
    # Nothing in the corpus is about the talent war or AGI, so the good story is the only alert.
    alerts = read_alerts(tmp_path / "alerts.jsonl")
    assert [a["title"] for a in alerts] == [META_HIRE.title]
    assert sent == 1

    # Every stored item has an identity, words and a usable UTC date.
    bad = []
    for row in item_rows:
        problems = []
        if not (row.url or row.link or row.guid):
            problems.append("no url/link/guid")
        if not ((row.title or "").strip() or (row.text or "").strip()):
            problems.append("no title or text")
        if row.published_at is not None:
            if row.published_at.utcoffset() != timedelta(0) or row.published_at.tzinfo is not UTC:
                problems.append(f"published_at not UTC: {row.published_at!r}")
        elif row.first_seen_at is None or row.first_seen_at.tzinfo is not UTC:
            problems.append("neither published_at nor a UTC first_seen_at")
        if problems:
            bad.append((row.feed_id, row.title, problems))
    assert bad == []

    # The served headers reach the parser: this windows-1252 file has no XML declaration and
    # decodes right only when the HTTP charset is honoured (text from feedparser's Expect: line).
    charset_url = next(
        u for u, cf in by_url.items() if cf.rel == "encoding/http_text_xml_charset_2.xml"
    )
    charset_items = by_feed[feed_rows[charset_url].id]
    assert [r.text for r in charset_items] == ["This is a \xa3\u201ctest.\u201d"]

    # Feedparser's corpus tests one element per file, and most of its <item>/<entry> elements have
    # no link and no id (e.g. `<item><title>x</title></item>`) or no words (an <img> alone), which
    # Radar drops by design: of the ~1,220 entries feedparser finds, only 37 have an identity *and*
    # a title or text. All 37 are stored (one used to be lost to a fast-path bug, see
    # ATOM_STYLE_RSS_ITEM), plus the good feed's item: 38 rows. 34 leaves a little room for a
    # harmless change in feedparser's link/id handling but catches a path that starts losing items.
    assert len(item_rows) >= 34

    # No lost items: per feed, exactly the unique items that parsing the same bytes yields.
    lost = {}
    for url, cf in by_url.items():
        row = feed_rows[url]
        if row.last_ok_at is None:
            continue
        parsed = parse_feed(cf.body, cf.content_type, url)
        expected = len({item_key(e) for e in parsed.entries})
        stored = len(by_feed.get(row.id, []))
        if stored != expected:
            lost[cf.rel] = (expected, stored)
    assert lost == {}

    # Failures carry their reason and are limited to files that are not feeds Radar can use:
    # ill-formed documents, and CDF channels with no <item> at all (feedparser recognises no feed
    # structure in a bare <CHANNEL>, so "not a feed" is fair; CDF files with items do parse).
    # Today that is 8 files: illformed/rss_empty_document.xml (nothing but a comment) and 7
    # wellformed/cdf/channel_*.xml. Every other well-formed file, including the ~900 without any
    # item, must poll successfully (as an empty feed where it has no items).
    failed = {url: row for url, row in feed_rows.items() if row.last_ok_at is None}
    assert len(failed) == report.failed
    assert good_url not in failed
    assert all((row.last_error or "").strip() for row in failed.values())
    unexpected_failures = {
        by_url[url].rel: row.last_error
        for url, row in failed.items()
        if not (
            by_url[url].rel.startswith("illformed/")
            or (by_url[url].rel.startswith("wellformed/cdf/") and not by_url[url].has_items)
        )
    }
    assert unexpected_failures == {}


# -- the two parse paths, file by file --------------------------------------------------------------


def _triples(entries) -> list[tuple[str, str | None, str | None]]:
    return [(e.title, e.link, e.guid) for e in entries]


def _fast_or_none(cf: CorpusFile):
    """The fast path's result, or None when parse_feed would fall back to feedparser."""
    try:
        return parse_mod._fast(cf.body, cf.content_type, FAKE_BASE + cf.rel, None)
    except (parse_mod._NotSimple, etree.XMLSyntaxError, ValueError):  # what parse_feed catches
        return None


def _disagreement(cf: CorpusFile, fast) -> tuple[list, list | str] | None:
    try:
        slow = parse_mod._with_feedparser(cf.body, cf.content_type, FAKE_BASE + cf.rel, None)
    except FeedError as exc:
        return _triples(fast.entries), f"feedparser path raised FeedError: {exc}"
    if _triples(fast.entries) != _triples(slow.entries):
        return _triples(fast.entries), _triples(slow.entries)
    return None


def test_parse_paths_never_crash_and_agree() -> None:
    crashes: dict[str, str] = {}
    fast_crashes: dict[str, str] = {}
    disagreements: dict[str, tuple[list, list | str]] = {}
    fast_files = fast_entries = 0
    for cf in load_corpus():
        url = FAKE_BASE + cf.rel
        try:
            parse_feed(cf.body, cf.content_type, url)
        except FeedError:
            pass
        except Exception as exc:
            crashes[cf.rel] = f"{type(exc).__name__}: {exc}"
        try:
            fast = _fast_or_none(cf)
        except Exception as exc:  # anything else escapes parse_feed's fallback
            fast_crashes[cf.rel] = f"{type(exc).__name__}: {exc}"
            continue
        if fast is None:
            continue
        fast_files += 1
        fast_entries += len(fast.entries)
        diff = _disagreement(cf, fast)
        if diff is not None:
            disagreements[cf.rel] = diff

    assert crashes == {}
    assert fast_crashes == {}
    assert disagreements == {}
    # Make sure the comparison is not vacuous. The fast path only takes complete, titled feeds and
    # declines any item it cannot read whole; most corpus files are minimal feature tests without a
    # channel title, so only a few dozen qualify (34 files with 9 entries when this was written).
    # Keep floors on both so a change that routes everything to feedparser shows up.
    assert fast_files >= 30
    assert fast_entries >= 8


def test_atom_style_rss_item_is_not_dropped() -> None:
    cf = next(f for f in load_corpus() if f.rel == ATOM_STYLE_RSS_ITEM)
    url = FAKE_BASE + cf.rel
    kept = parse_feed(cf.body, cf.content_type, url)
    reference = parse_mod._with_feedparser(cf.body, cf.content_type, url, None)
    assert _triples(kept.entries) == _triples(reference.entries) != []
