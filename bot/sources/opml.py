"""OPML 2.0 reading lists in and out: the feeds of a subscription list, and a list of Radar's feeds.

lxml does both directions (see the README's Dependencies section for why no OPML library). The
file is untrusted: no DTD, no entities, no network, and folders nest only so deep.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from lxml import etree

from bot.errors import InputError

MAX_DEPTH = 32  # folders within folders; deeper is a hostile file, not a reading list


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    url: str
    title: str | None = None
    language: str | None = None


def parse_opml(data: bytes, where: str = "OPML") -> list[OpmlFeed]:
    """Every outline with an xmlUrl, in document order, folders flattened; duplicates once.

    Raises InputError (one line) when the data is not an OPML document."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"{where}: not valid XML: {exc.msg or exc}") from None
    if root is None or etree.QName(root).localname != "opml":
        raise InputError(f"{where}: not an OPML file (its root element is not <opml>)")
    body = root.find("body")
    if body is None:
        raise InputError(f"{where}: OPML without a <body>")
    found: dict[str, OpmlFeed] = {}
    _collect(body, found, where, 0)
    return list(found.values())


def _collect(node: etree._Element, found: dict[str, OpmlFeed], where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InputError(f"{where}: outlines nested more than {MAX_DEPTH} deep")
    for outline in node.iterchildren("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url and url not in found:
            title = (outline.get("title") or outline.get("text") or "").strip()
            language = (outline.get("language") or "").strip()
            found[url] = OpmlFeed(url, title or None, language or None)
        _collect(outline, found, where, depth + 1)


def render_opml(feeds: Iterable[OpmlFeed], now: datetime, title: str = "Radar feeds") -> bytes:
    """An OPML 2.0 document with one rss outline per feed."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = format_datetime(now)
    body = etree.SubElement(root, "body")
    for feed in feeds:
        name = feed.title or feed.url
        outline = etree.SubElement(body, "outline", type="rss", text=name, title=name)
        outline.set("xmlUrl", feed.url)
        if feed.language:
            outline.set("language", feed.language)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data
