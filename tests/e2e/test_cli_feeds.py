"""`radar feeds add|remove|import|export` through the real console script, in subprocesses, against
the real feed server and a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from tests.e2e.test_cli import (
    assert_ok,
    assert_one_line_error,
    db_rows,
    radar,
    serve_news,
    unique_alerts,
    write_config,
)
from tests.feeds import Item, recent, rss
from tests.feedserver import FeedServer


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer().start()
    try:
        yield srv
    finally:
        srv.stop()


def polled(folder: Path) -> dict[str, str]:
    """url → origin of every feed the database polls."""
    rows = db_rows(
        folder / "radar.db", "SELECT url, origin FROM feeds WHERE disabled_reason IS NULL"
    )
    return {str(url): str(origin) for url, origin in rows}


def test_add_checks_the_feed_then_polls_it_and_remove_stops_it(
    server: FeedServer, tmp_path: Path
) -> None:
    write_config(tmp_path, server, "/configured.xml")
    server.add(
        "/configured.xml", body=rss([Item("Nothing", "https://x.example/1", published=recent())])
    )
    serve_news(server, "/added.xml")
    url = server.url("/added.xml")

    added = radar(tmp_path, "feeds", "add", url, "-c", "radar.toml")
    assert_ok(added)
    assert "added Test feed" in added.stdout  # the feed's own title, fetched and parsed once
    assert polled(tmp_path)[url] == "operator"
    again = radar(tmp_path, "feeds", "add", url, "-c", "radar.toml")
    assert_ok(again)
    assert "already polled" in again.stdout

    poll = radar(tmp_path, "poll", "--once", "-c", "radar.toml")
    assert_ok(poll)
    assert len(unique_alerts(tmp_path / "alerts.jsonl")) == 2  # the added feed's flagged stories

    listing = radar(tmp_path, "feeds", "list", "-c", "radar.toml")
    assert url in listing.stdout

    removed = radar(tmp_path, "feeds", "remove", url, "-c", "radar.toml")
    assert_ok(removed)
    assert url not in polled(tmp_path)
    assert_one_line_error(radar(tmp_path, "feeds", "remove", url, "-c", "radar.toml"), "not polled")
    # A configured feed belongs to the config file.
    assert_one_line_error(
        radar(tmp_path, "feeds", "remove", server.url("/configured.xml"), "-c", "radar.toml"),
        "comes from the config file",
    )
    # Added again, it comes back with what Radar knew of it.
    assert_ok(radar(tmp_path, "feeds", "add", url, "-c", "radar.toml"))
    assert polled(tmp_path)[url] == "operator"


def test_add_refuses_what_is_not_a_reachable_feed(server: FeedServer, tmp_path: Path) -> None:
    write_config(tmp_path, server)
    server.add(
        "/page.html", body=b"<html><body>hello</body></html>", headers={"Content-Type": "text/html"}
    )
    missing = radar(tmp_path, "feeds", "add", server.url("/missing.xml"), "-c", "radar.toml")
    assert_one_line_error(missing, "HTTP 404", "not added")
    page = radar(tmp_path, "feeds", "add", server.url("/page.html"), "-c", "radar.toml")
    assert_one_line_error(page, "not a feed", "not added")
    assert_one_line_error(
        radar(tmp_path, "feeds", "add", "ftp://example.org/feed", "-c", "radar.toml"),
        "give an http:// or https:// feed address",
    )
    assert polled(tmp_path) == {}
    # --no-check adds it unseen (an operator who knows the feed is down for now).
    assert_ok(
        radar(
            tmp_path, "feeds", "add", server.url("/missing.xml"), "--no-check", "-c", "radar.toml"
        )
    )
    assert server.url("/missing.xml") in polled(tmp_path)
    named = server.url("/later.xml")
    assert_ok(
        radar(tmp_path, "feeds", "add", named, "--no-check", "--name", "Later", "-c", "radar.toml")
    )
    assert dict(db_rows(tmp_path / "radar.db", "SELECT url, name FROM feeds"))[named] == "Later"


OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Team reading list</title></head>
  <body>
    <outline text="Labs" title="Labs">
      <outline type="rss" text="Lab news" xmlUrl="{one}" language="en"/>
      <outline text="Deeper">
        <outline type="rss" text="Tech wire" xmlUrl="{two}"/>
      </outline>
    </outline>
    <outline type="rss" text="Configured already" xmlUrl="{configured}"/>
    <outline type="rss" text="Not the web" xmlUrl="file:///etc/passwd"/>
    <outline text="A folder without feeds"/>
  </body>
</opml>
"""


def test_import_then_export_moves_a_reading_list_in_and_out(
    server: FeedServer, tmp_path: Path
) -> None:
    write_config(tmp_path, server, "/configured.xml")
    one, two, configured = (server.url(p) for p in ("/one.xml", "/two.xml", "/configured.xml"))
    (tmp_path / "list.opml").write_text(
        OPML.format(one=one, two=two, configured=configured), encoding="utf-8"
    )

    imported = radar(tmp_path, "feeds", "import", "list.opml", "-c", "radar.toml")
    assert_ok(imported)
    assert "2 added, 1 already polled, 1 skipped" in imported.stdout, imported.stdout
    assert "file:///etc/passwd" in imported.stdout
    feeds = polled(tmp_path)
    assert feeds[one] == feeds[two] == "operator" and feeds[configured] == "config"
    names = dict(db_rows(tmp_path / "radar.db", "SELECT url, name FROM feeds"))
    assert names[one] == "Lab news" and names[two] == "Tech wire"
    again = radar(tmp_path, "feeds", "import", "list.opml", "-c", "radar.toml")
    assert "0 added, 3 already polled" in again.stdout

    exported = radar(tmp_path, "feeds", "export", "-c", "radar.toml")
    assert_ok(exported)
    root = etree.fromstring(exported.stdout.encode("utf-8"))
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "Radar feeds"
    outlines = {o.get("xmlUrl"): o for o in root.iter("outline")}
    assert set(outlines) == {one, two, configured}
    assert outlines[one].get("text") == "Lab news" and outlines[one].get("type") == "rss"

    # The export imports into a fresh database as the same list.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    write_config(fresh, server)
    assert_ok(radar(tmp_path, "feeds", "export", "--out", "fresh/out.opml", "-c", "radar.toml"))
    assert_ok(radar(fresh, "feeds", "import", "out.opml", "-c", "radar.toml"))
    assert set(polled(fresh)) == {one, two, configured}


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("this is not xml", "not valid XML"),
        ("<rss version='2.0'><channel/></rss>", "not an OPML file"),
        ("<opml version='2.0'><head/></opml>", "OPML without a <body>"),
        (
            "<opml version='2.0'><body><outline text='empty folder'/></body></opml>",
            "no feeds in it",
        ),
    ],
)
def test_a_bad_opml_file_is_one_line_and_a_failing_exit(
    server: FeedServer, tmp_path: Path, content: str, fragment: str
) -> None:
    write_config(tmp_path, server)
    (tmp_path / "bad.opml").write_text(content, encoding="utf-8")
    assert_one_line_error(
        radar(tmp_path, "feeds", "import", "bad.opml", "-c", "radar.toml"), "bad.opml", fragment
    )
    assert_one_line_error(
        radar(tmp_path, "feeds", "import", "nowhere.opml", "-c", "radar.toml"), "cannot read"
    )
