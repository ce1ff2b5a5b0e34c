"""Parse feed bytes into normalised entries: a fast lxml path for clean RSS/RDF/Atom, feedparser for the rest.

feedparser is the reference: it copes with every broken or exotic feed. But its full parse costs
tens of milliseconds per feed, which dominates a cold poll cycle, so well-formed RSS 2.0, RSS 1.0 (RDF)
and Atom 1.0 documents without features the fast path does not model go through lxml directly. Anything
else (malformed XML, undefined entities, xml:base, XHTML content, odd encodings) falls back to feedparser.
"""

from __future__ import annotations

import calendar
import json
import re
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from itertools import islice
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from bot.core.lang import detect_language, normalise_language
from bot.core.links import canonical_url
from bot.core.models import Entry, ParsedFeed
from bot.core.text import html_to_text, shorten, strip_boilerplate
from bot.errors import FeedError
from bot.sources.dtd import defuse_dtd

ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DCTERMS = "{http://purl.org/dc/terms/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_XML_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    recover=False,
    huge_tree=False,
    remove_pis=True,
)
_DECL_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")
_UTF8 = {"utf-8", "utf8"}
# Bounds on what one item may carry into the pipeline, whatever the feed holds: classifying and
# storing a 5 MB description buys nothing over its first few pages.
MAX_TITLE = 1_000
MAX_TEXT = 20_000
MAX_HTML = 200_000  # markup read per field before tags are stripped
MAX_DATE = 100  # a longer string is not a date, and feedparser's date patterns need not see it
MAX_LINK = 4_096
# feedparser spends tens of microseconds on each tag and entity reference (its loose parser is pure
# Python), so 5 MB of `<b>` cost a minute. Beyond this many, a document the fast path declined is
# cut after its last complete item before feedparser reads it.
MAX_FEEDPARSER_MARKUP = 50_000
_MARKUP = re.compile(rb"[<&]")
_ITEM_ENDS = (b"</item>", b"</entry>", b"</ITEM>", b"</ENTRY>")


class _NotSimple(Exception):
    """The document uses something the fast path does not model; let feedparser have it."""


def parse_feed(
    body: bytes, content_type: str | None = None, url: str = "", language: str | None = None
) -> ParsedFeed:
    """Parse one feed. Raises FeedError when nothing usable can be recovered."""
    if not body.strip():
        raise FeedError("empty response")
    head = body.lstrip()[:1]
    if head == b"{" or (content_type and "json" in content_type.lower()):
        return parse_json_feed(body, url, language)
    body = defuse_dtd(body, _charset(content_type))
    try:
        return _fast(body, content_type, url, language)
    except (_NotSimple, etree.XMLSyntaxError, ValueError):
        pass
    cut = _cut_markup(body)
    parsed = _with_feedparser(cut, content_type, url, language)
    return replace(parsed, recovered=True) if len(cut) < len(body) else parsed


def _cut_markup(body: bytes) -> bytes:
    """The body up to the end of the last item before its MAX_FEEDPARSER_MARKUP-th tag or entity."""
    if body.count(b"<") + body.count(b"&") <= MAX_FEEDPARSER_MARKUP:
        return body
    limit = next(islice(_MARKUP.finditer(body), MAX_FEEDPARSER_MARKUP, None)).start()
    ends = [(body.rfind(closer, 0, limit), len(closer)) for closer in _ITEM_ENDS]
    return body[: max((at + size for at, size in ends if at >= 0), default=limit)]


# -- helpers --------------------------------------------------------------------------------------


def _to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_date(value: str | None) -> datetime | None:
    """RFC 822 and ISO 8601 directly; every other shape through feedparser's date handlers."""
    if not value:
        return None
    value = value.strip()
    if len(value) > MAX_DATE:
        return None
    try:
        if value[:4].isdigit():
            return _to_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
        return _to_utc(parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    import feedparser  # its date handlers know every odd format feeds use

    parsed = feedparser.datetimes._parse_date(value)
    return _struct_to_datetime(parsed)


def _struct_to_datetime(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, val = part.strip().partition("=")
        if key.lower() == "charset" and val:
            return val.strip("\"' ").lower()
    return None


def _text(el: Any) -> str:
    return "".join(el.itertext()) if el is not None else ""


def _first(parent: Any, *tags: str) -> Any:
    for tag in tags:
        el = parent.find(tag)
        if el is not None:
            return el
    return None


def make_entry(
    *,
    guid: str | None,
    link: str | None,
    title_html: str,
    body_html: str,
    published: datetime | None,
    language: str | None,
) -> Entry | None:
    """Normalise one item; None when it has no identity (no link, no id) or no words at all."""
    link = (link or "").strip()[:MAX_LINK] or None
    guid = (guid or "").strip()[:MAX_LINK] or None
    if not link and guid and guid.startswith(("http://", "https://")):
        link = guid
    title = _bounded(html_to_text(title_html[:MAX_HTML]), MAX_TITLE)
    text = _bounded(strip_boilerplate(html_to_text(body_html[:MAX_HTML])), MAX_TEXT)
    if not (link or guid) or not (title or text):
        return None
    if not title:
        title = shorten(text, 140)
    lang = language or detect_language(f"{title} {text[:400]}")
    return Entry(
        guid=guid,
        url=canonical_url(link),
        link=link,
        title=title,
        text=text,
        published=published,
        language=lang,
    )


def _bounded(text: str, limit: int) -> str:
    # shorten() gives up on one long word; a hard cut is better than losing the text.
    return text if len(text) <= limit else shorten(text, limit) or text[: limit - 1] + "…"


def _keep(entries: Iterable[Entry | None]) -> tuple[Entry, ...]:
    return tuple(e for e in entries if e is not None)


def _keep_all(entries: list[Entry | None]) -> tuple[Entry, ...]:
    """The fast path may not drop an item: one it cannot read whole is feedparser's to try."""
    if any(e is None for e in entries):
        raise _NotSimple("an item the fast path cannot read")
    return _keep(entries)


def _require_title(title_html: str) -> str:
    title = html_to_text(title_html[:MAX_HTML])
    if not title:
        raise _NotSimple("no plain feed title")
    return _bounded(title, MAX_TITLE)


# -- fast path ------------------------------------------------------------------------------------


def _fast(body: bytes, content_type: str | None, url: str, language: str | None) -> ParsedFeed:
    declared = _DECL_ENCODING.match(body)
    declared_enc = declared.group(1).decode().lower() if declared else None
    http_enc = _charset(content_type)
    if (
        http_enc
        and http_enc != (declared_enc or "utf-8")
        and not (http_enc in _UTF8 and (declared_enc or "utf-8") in _UTF8)
    ):
        raise _NotSimple("HTTP and XML disagree on the encoding")
    if b"<!DOCTYPE" in body[:2048] or b"<!ENTITY" in body[:4096]:
        raise _NotSimple("DTDs and custom entities")
    if b"xml:base" in body:
        raise _NotSimple("xml:base needs feedparser's relative-link resolution")
    root = etree.fromstring(body, _XML_PARSER)
    tag = root.tag
    if tag == "rss" and root.get("version", "2.0").startswith(
        ("2.", "0.91", "0.92", "0.93", "0.94")
    ):
        return _rss2(root, url, language)
    if tag == f"{RDF}RDF" and root.find(f"{RSS1}channel") is not None:
        return _rdf(root, url, language)
    if tag == f"{ATOM}feed":
        return _atom(root, url, language)
    raise _NotSimple(f"root element {tag!r}")


def _lang(declared: str | None, override: str | None) -> str | None:
    return override or normalise_language(declared)


def _rss2(root: Any, url: str, language: str | None) -> ParsedFeed:
    channel = root.find("channel")
    if channel is None:
        raise _NotSimple("rss without channel")
    declared = _text(_first(channel, "language", f"{DC}language")) or root.get(XML_LANG)
    lang = _lang(declared or None, language)
    entries: list[Entry | None] = []
    for item in channel.iterfind("item"):
        body = _first(item, "description", f"{CONTENT}encoded")
        date = _first(item, "pubDate", f"{DC}date", f"{DCTERMS}modified", f"{DCTERMS}issued")
        guid = item.find("guid")
        link = _text(item.find("link")).strip()
        entries.append(
            make_entry(
                guid=_text(guid),
                link=urljoin(url, link) if link and url.startswith("http") else link,
                title_html=_text(item.find("title")),
                body_html=_text(body),
                published=parse_date(_text(date)),
                language=lang,
            )
        )
    title = _require_title(_text(channel.find("title")))
    return ParsedFeed(title=title, language=lang, entries=_keep_all(entries))


def _rdf(root: Any, url: str, language: str | None) -> ParsedFeed:
    channel = root.find(f"{RSS1}channel")
    lang = _lang(_text(channel.find(f"{DC}language")) or root.get(XML_LANG) or None, language)
    entries: list[Entry | None] = []
    for item in root.iterfind(f"{RSS1}item"):
        body = _first(item, f"{RSS1}description", f"{CONTENT}encoded")
        entries.append(
            make_entry(
                guid=item.get(f"{RDF}about"),
                link=_text(item.find(f"{RSS1}link")).strip(),
                title_html=_text(item.find(f"{RSS1}title")),
                body_html=_text(body),
                published=parse_date(
                    _text(_first(item, f"{DC}date", f"{DCTERMS}modified", f"{DCTERMS}issued"))
                ),
                language=lang,
            )
        )
    title = _require_title(_text(channel.find(f"{RSS1}title")))
    return ParsedFeed(title=title, language=lang, entries=_keep_all(entries))


def _atom_text(el: Any) -> str:
    if el is None:
        return ""
    if el.get("type") not in (None, "text", "html", "text/plain", "text/html") or el.get("mode"):
        raise _NotSimple("xhtml, base64 or other typed content")
    return _text(el)


def _atom(root: Any, url: str, language: str | None) -> ParsedFeed:
    lang = _lang(root.get(XML_LANG), language)
    entries: list[Entry | None] = []
    for entry in root.iterfind(f"{ATOM}entry"):
        link = None
        for el in entry.iterfind(f"{ATOM}link"):
            if el.get("rel", "alternate") == "alternate":
                link = el.get("href")
                break
        if link and url.startswith("http"):
            link = urljoin(url, link)
        body = _first(entry, f"{ATOM}summary", f"{ATOM}content")
        date = _first(entry, f"{ATOM}published", f"{ATOM}updated")
        entries.append(
            make_entry(
                guid=_text(entry.find(f"{ATOM}id")),
                link=link,
                title_html=_atom_text(entry.find(f"{ATOM}title")),
                body_html=_atom_text(body),
                published=parse_date(_text(date)),
                language=_lang(entry.get(XML_LANG), language) or lang,
            )
        )
    title = _require_title(_atom_text(root.find(f"{ATOM}title")))
    return ParsedFeed(title=title, language=lang, entries=_keep_all(entries))


# -- JSON Feed ------------------------------------------------------------------------------------


def parse_json_feed(body: bytes, url: str = "", language: str | None = None) -> ParsedFeed:
    """JSON Feed 1.0/1.1. Only strings (and numbers, for ids) are read: any other value a field
    holds is ignored, so a hostile document cannot make Radar walk or print its nesting."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"invalid JSON Feed: {exc}") from None
    except RecursionError:
        raise FeedError("invalid JSON Feed: nested too deeply to read") from None
    except ValueError:  # Python refuses to read integers of more than 4,300 digits
        raise FeedError("invalid JSON Feed: a number too long to read") from None
    if not isinstance(data, dict) or not _json_str(data.get("version")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise FeedError("JSON document is not a JSON Feed (no jsonfeed.org version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON Feed has no items list")
    lang = _lang(_json_str(data.get("language")) or None, language)
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        item_body = (
            _json_str(item.get("summary"))
            or _json_str(item.get("content_html"))
            or _json_str(item.get("content_text"))
        )
        link = _json_str(item.get("url")) or _json_str(item.get("external_url"))
        entries.append(
            make_entry(
                guid=_json_str(item.get("id"), numbers=True) or None,
                link=urljoin(url, link) if link and url.startswith("http") else (link or None),
                title_html=_json_str(item.get("title")),
                body_html=item_body,
                published=parse_date(
                    _json_str(item.get("date_published")) or _json_str(item.get("date_modified"))
                ),
                language=_lang(_json_str(item.get("language")) or None, language) or lang,
            )
        )
    title = _bounded(_json_str(data.get("title")), MAX_TITLE)
    return ParsedFeed(title=title, language=lang, entries=_keep(entries))


def _json_str(value: object, numbers: bool = False) -> str:
    if isinstance(value, str):
        return value
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


# -- feedparser path ------------------------------------------------------------------------------


def _with_feedparser(
    body: bytes, content_type: str | None, url: str, language: str | None
) -> ParsedFeed:
    import feedparser  # imported here: the fast path serves most feeds without it

    headers = {"content-location": url} if url.startswith("http") else {}
    if content_type:
        headers["content-type"] = content_type
    try:
        result = feedparser.parse(
            body, response_headers=headers, sanitize_html=False, resolve_relative_uris=True
        )
    except Exception as exc:  # feedparser's own bugs must stay this feed's problem
        raise FeedError(f"parser failed: {type(exc).__name__}: {exc}") from None
    feed = result.get("feed") or {}
    if not result.get("version") and not result.get("entries"):
        why = result.get("bozo_exception") if result.get("bozo") else None
        raise FeedError(f"not a feed: {why or 'no RSS, Atom or RDF structure found'}")
    lang = _lang(feed.get("language"), language)
    entries = []
    for item in result.get("entries", []):
        content = item.get("content") or []
        body_html = item.get("summary") or (content[0].get("value") if content else "") or ""
        date = _struct_to_datetime(item.get("published_parsed") or item.get("updated_parsed"))
        entries.append(
            make_entry(
                guid=item.get("id"),
                link=item.get("link"),
                title_html=item.get("title") or "",
                body_html=body_html,
                published=date,
                language=_lang((item.get("title_detail") or {}).get("language"), language) or lang,
            )
        )
    return ParsedFeed(
        title=_bounded(html_to_text((feed.get("title") or "")[:MAX_HTML]), MAX_TITLE),
        language=lang,
        entries=_keep(entries),
        recovered=bool(result.get("bozo")),
    )
