"""Fuzz the untrusted-input edges with hypothesis: feed parsers, the page reader, the chat command and
button-id parsers, and the Slack and Discord renderers.

Each property asserts that nothing but Radar's own errors (bot/errors.py) escapes, that rendered
messages stay within the platform limits, and that no text can ping anyone. Examples are few and
derandomized so the file runs in seconds and a failure replays the same way every time.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.app import build
from bot.chat.actions import VERBS, Action, parse_action
from bot.chat.commands import MAX_ARGS, Command, parse_command
from bot.chat.handlers import Handlers
from bot.chat.replies import Caller, Coverage, HomeView, Reply, StoryLine
from bot.core.models import TOPICS, Alert, Move, ParsedFeed
from bot.discord import render as discord
from bot.discord.views import TEMPLATE as BUTTON_TEMPLATE
from bot.errors import RadarError
from bot.slack import render as slack
from bot.sources.article import MAX_TEXT as ARTICLE_TEXT
from bot.sources.article import extract_article
from bot.sources.parse import MAX_TEXT, MAX_TITLE, parse_feed
from tests.conftest import make_settings

# feedparser's notice about updated_parsed is about its own API, not a finding.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:feedparser")

FUZZ = settings(
    max_examples=50,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Replies and App Home carry dozens of stories and fields each: fewer, bigger examples.
FUZZ_BIG = settings(FUZZ, max_examples=25)

# Fragments an attacker would try: mentions and broadcasts of both platforms, markup, entities,
# controls, bidi overrides, astral characters, DTD pieces and link syntax.
TOKENS = [
    "@everyone",
    "@here",
    "@channel",
    "<!channel>",
    "<!here|here>",
    "<!everyone>",
    "<@U123ABC>",
    "<@!123456789>",
    "<@&987654321>",
    "<#C0123>",
    "</radar:1>",
    "<t:1700000000:R>",
    "<!subteam^S1>",
    "<https://evil.example|bank.com>",
    "[bank.com](https://evil.example)",
    "&lt;!channel&gt;",
    "&amp;",
    "&",
    "<",
    ">",
    "|",
    "*bold*",
    "_it_",
    "~s~",
    "`code`",
    "```",
    "> quote",
    "# head",
    "-# small",
    "\n",
    "\r\n",
    "\t",
    " ",
    "\u202e",
    "\u2066",
    "\x1b[31m",
    "\x00",
    "\u200b",
    "😀",
    "𝕏",
    "é",
    "ﷺ",
    "<!DOCTYPE x [",
    '<!ENTITY e "',
    "&e;",
    "]]>",
    "<![CDATA[",
    "<b>",
    "</p>",
    "<script>",
    "https://a.example/x?y=1&z=2",
    "javascript:alert(1)",
]
fragments = st.one_of(st.sampled_from(TOKENS), st.text(max_size=12))
short_text = st.lists(fragments, max_size=8).map("".join)
# Now and then a long text: the renderers' limits must hold for megabytes as for a word.
any_text = st.one_of(
    short_text,
    st.builds(lambda text, times: text * times, short_text, st.integers(1, 1_000)),
)
urls = st.one_of(
    st.sampled_from(
        [
            "https://a.example/story",
            "http://b.example/x?y=1&z=<2>",
            "https://c.example/a|b",
            "https://d.example/" + "p" * 3000,
            "javascript:alert(1)",
            "",
            "not a url",
            "https://e.example/(paren)",
        ]
    ),
    short_text,
    short_text.map(lambda t: "https://f.example/" + t),
)
moments = st.one_of(st.none(), st.datetimes(timezones=st.just(UTC)), st.datetimes())
story_ids = st.integers(0, 2**63 - 1)


# -- feeds ----------------------------------------------------------------------------------------


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def xml_feeds(draw: st.DrawFn) -> bytes:
    """RSS 2.0, RSS 1.0 (RDF) or Atom, with fields escaped or raw, an optional DTD, some encoding."""
    raw = draw(st.booleans())

    def field(text: str) -> str:
        return text if raw else xml_escape(text)

    kind = draw(st.sampled_from(["rss", "rdf", "atom"]))
    items = draw(
        st.lists(st.tuples(short_text, urls, any_text, short_text, short_text), max_size=4)
    )
    title = field(draw(short_text))
    if kind == "rss":
        body = "".join(
            f"<item><title>{field(t)}</title><link>{field(u)}</link>"
            f"<description>{field(d)}</description><guid>{field(g)}</guid>"
            f"<pubDate>{field(p)}</pubDate></item>"
            for t, u, d, g, p in items
        )
        doc = f'<rss version="2.0"><channel><title>{title}</title>{body}</channel></rss>'
    elif kind == "rdf":
        body = "".join(
            f'<item rdf:about="{field(g)}"><title>{field(t)}</title><link>{field(u)}</link>'
            f"<description>{field(d)}</description><dc:date>{field(p)}</dc:date></item>"
            for t, u, d, g, p in items
        )
        doc = (
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel><title>{title}</title></channel>{body}</rdf:RDF>"
        )
    else:
        body = "".join(
            f'<entry><title type="html">{field(t)}</title><link href="{field(u)}"/>'
            f"<summary>{field(d)}</summary><id>{field(g)}</id><updated>{field(p)}</updated></entry>"
            for t, u, d, g, p in items
        )
        doc = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title>{body}</feed>'
    prolog = draw(
        st.sampled_from(
            [
                "",
                '<!DOCTYPE rss [<!ENTITY e "entity text">]>',
                "<!DOCTYPE x [<!ENTITY a \"&#160;\"><!ENTITY b '&a;&a;'>]>",
                '<!-- <b> --><!DOCTYPE x [<!ENTITY e "x">]>',
                '<!ENTITY e "bare">',
                '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x.dtd">',
                "<!DOCTYPE x [ <!-- ] --> ]>",
                "<!DOCTYPE x ['",
            ]
        )
    )
    encoding = draw(
        st.sampled_from(["utf-8", "utf-16", "latin-1", "windows-1252", "utf-7", "cp037", "base64"])
    )
    text = f'<?xml version="1.0" encoding="{encoding}"?>{prolog}{doc}'
    if encoding == "base64":  # declared, not applied: a bytes-to-bytes codec is no charset
        return text.encode("utf-8")
    return text.encode(encoding, "replace")


@st.composite
def json_feeds(draw: st.DrawFn) -> bytes:
    values = st.one_of(
        any_text,
        st.integers(),
        st.floats(),
        st.booleans(),
        st.none(),
        st.lists(short_text, max_size=2),
        st.dictionaries(short_text, short_text, max_size=2),
    )
    keys = st.sampled_from(
        [
            *("id", "url", "external_url", "title", "summary", "content_html", "content_text"),
            *("date_published", "date_modified", "language"),
        ]
    )
    items = draw(st.lists(st.dictionaries(keys, values, max_size=6), max_size=4))
    feed: dict[str, Any] = {"version": "https://jsonfeed.org/version/1.1", "items": items}
    feed.update(draw(st.dictionaries(st.sampled_from(["title", "language"]), values)))
    if draw(st.booleans()):
        feed["version"] = draw(values)
    return json.dumps(feed).encode()


@st.composite
def mutated(draw: st.DrawFn, feeds: st.SearchStrategy[bytes]) -> bytes:
    """A feed cut short or with random bytes spliced in: what a broken server sends."""
    body = draw(feeds)
    at = draw(st.integers(0, len(body)))
    return body[:at] + draw(st.binary(max_size=16)) + body[at + draw(st.integers(0, 8)) :]


feed_bodies = st.one_of(
    xml_feeds(), json_feeds(), mutated(xml_feeds()), mutated(json_feeds()), st.binary(max_size=300)
)
content_types = st.sampled_from(
    [
        None,
        "application/xml",
        "application/rss+xml; charset=utf-8",
        "text/xml; charset=windows-1252",
        "application/atom+xml; charset=utf-16",
        "application/feed+json",
        "application/json; charset=utf-8",
        "text/html; charset=bogus-encoding",
        "text/xml; charset=zlib_codec",
        "text/xml; charset=rot13",
        "text/xml; charset=utf-7",
        "text/xml; charset=cp037",
    ]
)


@FUZZ
@given(body=feed_bodies, content_type=content_types, url=urls)
@example(body=b"[" * 50_000, content_type=None, url="")
@example(
    body=b'{"version": "https://jsonfeed.org/version/1", "items": [{"id": 1e999}]}',
    content_type=None,
    url="",
)
def test_feed_parsing_raises_only_radar_errors(
    body: bytes, content_type: str | None, url: str
) -> None:
    try:
        parsed = parse_feed(body, content_type, url)
    except RadarError:
        return
    assert isinstance(parsed, ParsedFeed)
    assert len(parsed.title) <= MAX_TITLE
    for entry in parsed.entries:
        assert entry.guid or entry.link
        assert entry.title or entry.text
        assert len(entry.title) <= MAX_TITLE and len(entry.text) <= MAX_TEXT


@FUZZ
@given(
    page=st.lists(
        st.one_of(
            fragments,
            st.sampled_from(
                ["<article>", "<p>", "<h1>", "<title>", '<meta property="og:title" content="']
            ),
        ),
        max_size=30,
    ).map("".join),
    content_type=st.sampled_from(
        [None, "text/html", "application/pdf", "text/html; charset=utf-16"]
    ),
)
def test_reading_an_article_raises_only_radar_errors(page: str, content_type: str | None) -> None:
    try:
        article = extract_article(page.encode("utf-8", "surrogatepass"), content_type)
    except RadarError:
        return
    assert article.title or article.text
    assert len(article.text) <= ARTICLE_TEXT


# -- chat input -----------------------------------------------------------------------------------


@FUZZ
@given(text=st.one_of(short_text, st.text()))
def test_any_command_text_parses_to_a_command(text: str) -> None:
    command = parse_command(text)
    assert isinstance(command, Command) and isinstance(command.name, str)
    assert all(isinstance(arg, str) and arg for arg in command.args)
    assert len(command.args) <= MAX_ARGS


button_ids = st.one_of(
    st.text(),
    st.builds(
        lambda verb, number: f"radar:{verb}:{number}",
        st.one_of(st.sampled_from(VERBS), short_text),
        st.one_of(
            st.integers(-5, 10**30),
            st.text(alphabet="0123456789²³٣߃০", min_size=1, max_size=25),
        ),
    ),
)


@FUZZ
@given(custom_id=button_ids)
@example(custom_id="radar:up:²")
@example(custom_id="radar:up:" + "9" * 23)
def test_button_ids_parse_to_a_storable_action_or_none(custom_id: str) -> None:
    action = parse_action(custom_id)
    # discord.py routes a click by this template: every id parse_action accepts must be routed
    # (the template also routes longer digit runs, which get the "no longer works" answer).
    if action is None:
        return
    assert BUTTON_TEMPLATE.fullmatch(custom_id) is not None
    assert isinstance(action, Action) and action.verb in VERBS
    assert 0 <= action.story_id <= 2**63 - 1  # what SQLite can hold
    assert parse_action(action.custom_id) == action


# Commands a chat user may type, answered by the real handlers over a real SQLite store. `summary`
# and `feeds add` by an admin would fetch a public link, so this caller may not manage feeds and
# summary is left out: the fetch guard has tests of its own.
command_texts = st.builds(
    lambda name, args: " ".join([name, *args]),
    st.sampled_from(
        ["help", "digest", "search", "subscribe", "unsubscribe", "feeds", "status", "why", "dance"]
    ),
    st.lists(
        st.one_of(
            fragments,
            st.sampled_from(["24h", "7d", "all", "agi", "talent", "0.5", "nan", "1e400", "list"]),
            st.sampled_from(["remove", "add", "http://[::1", "²", "9" * 23, "%", "_", "\\"]),
        ),
        max_size=30,
    ),
)
USER = Caller("slack", "T1", "C1", "U1")


@pytest.fixture(scope="module")
def handlers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Handlers]:
    radar = build(make_settings(tmp_path_factory.mktemp("fuzz"), []))
    yield Handlers(radar, radar.stages.understander)
    radar.store.close()


@FUZZ
@given(text=command_texts)
@example(text="why ²")
@example(text="feeds remove http://[::1")
@example(text="search " + "a " * 2_000)
def test_any_command_gets_an_answer_not_an_internal_error(handlers: Handlers, text: str) -> None:
    reply = asyncio.run(handlers.execute(USER, parse_command(text)))
    assert isinstance(reply, Reply) and reply.title
    assert not any("went wrong" in p for p in reply.paragraphs), text


# -- renderers ------------------------------------------------------------------------------------

topics = st.lists(st.sampled_from([*TOPICS, "other"]), max_size=2, unique=True).map(tuple)
moves = st.one_of(
    st.none(),
    st.builds(
        Move,
        people=st.lists(short_text, max_size=3).map(tuple),
        from_org=st.one_of(st.none(), short_text),
        to_org=st.one_of(st.none(), short_text),
        role=st.one_of(st.none(), short_text),
        kind=st.sampled_from(["hire", "departure", "founding", "pay"]),
    ),
)
alerts = st.builds(
    Alert,
    story_id=story_ids,
    url=urls,
    title=any_text,
    topics=topics,
    scores=st.dictionaries(st.sampled_from(TOPICS), st.floats(0, 1), max_size=2),
    reasons=st.dictionaries(st.sampled_from(TOPICS), st.lists(any_text, max_size=4), max_size=2),
    summary=any_text,
    source=any_text,
    published=moments,
    language=short_text,
    also=st.lists(urls, max_size=30).map(tuple),
    move=moves,
    sources_count=st.integers(0, 10**6),
)
story_lines = st.builds(
    StoryLine,
    story_id=story_ids,
    title=any_text,
    url=urls,
    topics=topics,
    score=st.floats(0, 1),
    source=any_text,
    sources_count=st.integers(0, 10**6),
    move=st.one_of(st.none(), any_text),
    published=moments,
)
replies = st.builds(
    Reply,
    title=any_text,
    paragraphs=st.lists(short_text, max_size=55).map(tuple),
    fields=st.lists(st.tuples(any_text, any_text), max_size=40).map(tuple),
    stories=st.lists(story_lines, max_size=30).map(tuple),
    alert=st.one_of(st.none(), alerts),
    footer=st.one_of(st.none(), any_text),
    ephemeral=st.booleans(),
    error=st.booleans(),
)
coverages = st.builds(Coverage, title=any_text, url=urls, source=any_text, published=moments)
homes = st.builds(
    HomeView,
    stories=st.lists(story_lines, max_size=25).map(tuple),
    subscriptions=st.lists(st.tuples(short_text, short_text), max_size=110).map(tuple),
    feeds=st.lists(st.tuples(short_text, any_text), max_size=110).map(tuple),
)


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def units(text: str) -> int:
    """Length in UTF-16 code units, the stricter way Slack may count."""
    return len(text.encode("utf-16-le")) // 2


# A real Slack mention, broadcast or disguised link; Radar's own links are <http(s)://…|label>.
SLACK_PING = re.compile(r"<[!@#]|(?<![\w\u2060])@(?:everyone|here|channel)\b", re.I)
SLACK_LINK = re.compile(r"<https?://[^\s<>|]+\|[^<>|]*>")


def check_slack(payload: dict[str, Any], max_blocks: int = slack.MAX_BLOCKS) -> None:
    blocks = payload["blocks"]
    assert len(blocks) <= max_blocks
    assert units(payload.get("text", "")) <= slack.MAX_TEXT
    for block in blocks:
        parsed = Block.parse(block)  # slack_sdk's own Block Kit checks
        assert parsed is not None
        parsed.validate_json()
        if block["type"] == "header":
            assert 0 < units(block["text"]["text"]) <= slack.MAX_HEADER
        if block["type"] == "section":
            if "text" in block:
                assert 0 < units(block["text"]["text"]) <= slack.MAX_TEXT
            assert len(block.get("fields", [])) <= slack.MAX_FIELDS
            for item in block.get("fields", []):
                assert 0 < units(item["text"]) <= slack.MAX_FIELD
        if block["type"] == "context":
            for element in block["elements"]:
                assert 0 < units(element["text"]) <= slack.MAX_TEXT
    for text in strings(payload):
        assert not SLACK_PING.search(SLACK_LINK.sub("", text)), text[:200]


@FUZZ
@given(alert=alerts)
def test_slack_alerts_fit_and_cannot_ping(alert: Alert) -> None:
    message = slack.alert_message(alert)
    check_slack(message)
    assert message["blocks"][-1]["elements"][0]["action_id"] == f"radar:up:{alert.story_id}"


@FUZZ_BIG
@given(reply=replies)
def test_slack_replies_fit_and_cannot_ping(reply: Reply) -> None:
    check_slack(slack.reply_message(reply))


@FUZZ_BIG
@given(coverage=coverages, home=homes)
def test_slack_followups_and_home_fit_and_cannot_ping(coverage: Coverage, home: HomeView) -> None:
    check_slack(slack.followup_message(coverage))
    check_slack(slack.home_view(home), max_blocks=slack.MAX_HOME_BLOCKS)


# Discord pings only through <@…>, <@&…>, @everyone and @here; <#…>, </…:…> and <t:…> would still
# render as something the feed did not write.
DISCORD_PING = re.compile(r"<(?!\u200b)[@#/:!&at]|@(?!\u200b)(?:everyone|here)", re.I)
# The target of Radar's own masked links is not shown (and allowed_mentions pings nobody anyway);
# it may not contain what would end it early.
DISCORD_LINK_TARGET = re.compile(r"\]\(https?://[^\s()<>\\]+\)")


def check_discord(payload: dict[str, Any]) -> None:
    assert payload["allowed_mentions"] == {"parse": []}
    assert len(payload.get("content", "")) <= 2000
    embeds = payload["embeds"]
    assert len(embeds) <= discord.EMBEDS_MAX
    total = 0
    for embed in embeds:
        assert len(embed.get("title", "")) <= discord.TITLE_MAX
        assert len(embed.get("description", "")) <= discord.DESCRIPTION_MAX
        assert len(embed.get("fields", [])) <= discord.FIELDS_MAX
        for item in embed.get("fields", []):
            assert 0 < len(item["name"]) <= discord.FIELD_NAME_MAX
            assert 0 < len(item["value"]) <= discord.FIELD_VALUE_MAX
        assert len(embed.get("footer", {}).get("text", "")) <= discord.FOOTER_MAX
        assert len(embed.get("author", {}).get("name", "")) <= discord.AUTHOR_MAX
        assert len(embed.get("url", "")) <= discord.URL_MAX
        total += discord.embed_size(embed)
    assert total <= discord.EMBED_TOTAL_MAX
    shown = [payload.get("content", "")]
    for embed in embeds:
        shown += [embed.get("title", ""), embed.get("description", "")]
        shown += [embed.get("footer", {}).get("text", ""), embed.get("author", {}).get("name", "")]
        shown += [
            text for item in embed.get("fields", []) for text in (item["name"], item["value"])
        ]
    for text in shown:
        assert not DISCORD_PING.search(DISCORD_LINK_TARGET.sub("](…)", text)), text[:200]


@FUZZ
@given(alert=alerts, buttons=st.booleans())
def test_discord_alerts_fit_and_cannot_ping(alert: Alert, buttons: bool) -> None:
    payload = discord.alert_payload(alert, with_buttons=buttons)
    check_discord(payload)
    assert ("components" in payload) is buttons


@FUZZ_BIG
@given(reply=replies)
def test_discord_replies_fit_and_cannot_ping(reply: Reply) -> None:
    check_discord(discord.reply_payload(reply))


@FUZZ
@given(coverage=coverages, alert=alerts)
def test_discord_followups_fit_and_cannot_ping(coverage: Coverage, alert: Alert) -> None:
    check_discord(discord.followup_payload(coverage))
    check_discord(discord.alert_payload(discord.alert_with_coverage(alert, coverage), True))


def test_the_fuzz_examples_are_not_vacuous() -> None:
    """The strategies do reach the dangerous cases: a fixed hostile alert renders, inert."""
    hostile = "@everyone <!channel> <@U1> [x](https://evil.example) *b* \u202e"
    alert = Alert(
        1,
        "https://a.example/",
        hostile,
        ("agi",),
        {"agi": 0.9},
        {"agi": [hostile]},
        hostile * 500,
        hostile,
        datetime(2026, 1, 1, tzinfo=UTC),
        "en",
    )
    check_slack(slack.alert_message(alert))
    check_discord(discord.alert_payload(alert, True))
    assert any("everyone" in s for s in strings(slack.alert_message(alert)))
