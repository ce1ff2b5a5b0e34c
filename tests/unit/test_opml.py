"""OPML in and out: folders flatten, duplicates count once, a hostile file expands nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import InputError
from bot.sources.opml import MAX_DEPTH, OpmlFeed, parse_opml, render_opml


def test_outlines_flatten_in_order_and_a_repeated_feed_counts_once() -> None:
    data = b"""<opml version="1.0"><body>
      <outline text="A"><outline xmlUrl="https://a.example/feed" title="Alpha" text="a"/></outline>
      <outline xmlUrl="https://b.example/rss" text="Beta" language="fr"/>
      <outline xmlUrl="https://a.example/feed" text="again"/>
    </body></opml>"""
    assert parse_opml(data) == [
        OpmlFeed("https://a.example/feed", "Alpha"),
        OpmlFeed("https://b.example/rss", "Beta", "fr"),
    ]


def test_an_external_entity_is_refused_not_read() -> None:
    data = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<opml version="2.0"><body><outline text="&secret;" xmlUrl="https://a.example/feed"/></body></opml>"""
    with pytest.raises(InputError, match="external entity 'secret'"):
        parse_opml(data)


def test_outlines_nested_absurdly_deep_are_refused() -> None:
    depth = MAX_DEPTH + 5
    data = ("<opml><body>" + "<outline>" * depth + "</outline>" * depth + "</body></opml>").encode()
    with pytest.raises(InputError, match="nested more than"):
        parse_opml(data)


def test_render_is_opml_2_that_reads_back_the_same() -> None:
    feeds = [
        OpmlFeed("https://a.example/feed?x=1&y=2", "A & B <news>", "en"),
        OpmlFeed("https://b.example/"),
    ]
    data = render_opml(feeds, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert b'<opml version="2.0">' in data and b"Fri, 02 Jan 2026 03:04:05" in data
    assert parse_opml(data) == [feeds[0], OpmlFeed("https://b.example/", "https://b.example/")]
