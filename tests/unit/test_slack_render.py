"""Slack rendering: alerts, replies, App Home and thread follow-ups as Block Kit that Slack accepts
(every limit holds, whatever the feed sends) and in which no feed text can ping, link or format."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.chat.replies import Coverage, HomeView, Reply, StoryLine
from bot.core.models import Alert, Move
from bot.slack.render import alert_message, escape, followup_message, home_view, reply_message
from tests.golden import assert_golden

PUBLISHED = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def talent_alert(**changes: Any) -> Alert:
    values: dict[str, Any] = {
        "story_id": 12,
        "url": "https://news.example/meta-hires-openai-researchers",
        "title": "Meta hires OpenAI's Jason Wei and Hyung Won Chung for its Superintelligence Lab",
        "topics": ("talent_war",),
        "scores": {"talent_war": 0.987, "agi": 0.31},
        "reasons": {
            "talent_war": ["headline move verb + AI lab + named person", "pay package"],
            "agi": ["superintelligence"],
        },
        "summary": "Meta has hired two OpenAI researchers, Jason Wei and Hyung Won Chung, "
        "for its Superintelligence Lab.",
        "source": "Tech Wire",
        "published": PUBLISHED,
        "language": "en",
        "also": ("https://labwatch.example/wei-chung-meta", "https://www.aggregator.example/s/991"),
        "move": Move(("Jason Wei", "Hyung Won Chung"), "OpenAI", "Meta", None, "hire"),
        "sources_count": 3,
    }
    values.update(changes)
    return Alert(**values)


def agi_alert() -> Alert:
    return Alert(
        story_id=40,
        url="https://lemonde.example/ia/course-agi",
        title="La course à l'AGI s'accélère : DeepMind annonce un nouveau modèle",
        topics=("agi",),
        scores={"agi": 0.91},
        reasons={"agi": ["AGI term in headline"]},
        summary="DeepMind présente un modèle qu'elle décrit comme une étape vers l'AGI.",
        source="Le Monde Tech",
        published=datetime(2026, 11, 27, 18, 5, tzinfo=UTC),
        language="fr",
    )


def story(i: int, **changes: Any) -> StoryLine:
    values: dict[str, Any] = {
        "story_id": i,
        "title": f"Story number {i}: a lab hires a researcher",
        "url": f"https://news.example/story/{i}",
        "topics": ("talent_war",),
        "score": 0.8,
        "source": "Tech Wire",
    }
    values.update(changes)
    return StoryLine(**values)


DIGEST = Reply(
    title="Digest: last 24 hours",
    paragraphs=("3 stories flagged.",),
    stories=(
        StoryLine(
            12,
            "Meta hires OpenAI's Jason Wei",
            "https://news.example/meta",
            ("talent_war", "agi"),
            0.987,
            "Tech Wire",
            sources_count=3,
            move="Jason Wei: OpenAI → Meta",
            published=PUBLISHED,
        ),
        StoryLine(
            40, "La course à l'AGI", "https://lemonde.example/agi", ("agi",), 0.91, "Le Monde"
        ),
        StoryLine(
            41, "xAI poaches a Google researcher", "https://x.example/1", ("talent_war",), 0.7, ""
        ),
    ),
    footer="radar digest --since 24h",
)

STATUS = Reply(
    title="Radar status",
    fields=(
        ("Feeds", "14 ok, 1 failing"),
        ("Last poll", "2026-11-28 09:30 UTC"),
        ("Alerts (24 h)", "6"),
        ("Subscriptions", "#ai-news: Talent war, AGI race ≥ 0.70"),
    ),
    footer="Version 0.1.0",
    ephemeral=True,
)


# -- golden -----------------------------------------------------------------------------------------


def test_talent_alert_golden() -> None:
    payload = alert_message(talent_alert())
    assert_golden("slack/alert_talent", payload)
    assert payload["blocks"][0]["text"]["text"] == "Talent war · +2 sources"
    assert payload["blocks"][-1]["block_id"] == "radar-actions"
    assert [b["action_id"] for b in payload["blocks"][-1]["elements"]] == [
        "radar:up:12",
        "radar:down:12",
        "radar:mute:12",
    ]
    assert {b["value"] for b in payload["blocks"][-1]["elements"]} == {"12"}


def test_agi_alert_golden() -> None:
    payload = alert_message(agi_alert())
    assert_golden("slack/alert_agi", payload)
    assert payload["blocks"][0]["text"]["text"] == "AGI race"


def test_two_topics_share_the_header() -> None:
    header = alert_message(talent_alert(topics=("talent_war", "agi"), sources_count=1))["blocks"][0]
    assert header["text"]["text"] == "Talent war + AGI race"


def test_reply_with_stories_golden() -> None:
    assert_golden("slack/reply_digest", reply_message(DIGEST))


def test_status_reply_golden() -> None:
    assert_golden("slack/reply_status", reply_message(STATUS))


def test_reply_with_alert_has_no_buttons() -> None:
    payload = reply_message(Reply(title="Summary", alert=talent_alert()))
    assert [b["type"] for b in payload["blocks"]][:2] == ["header", "header"]
    assert all(b["type"] != "actions" for b in payload["blocks"])


def test_home_view_golden() -> None:
    home = HomeView(
        stories=DIGEST.stories,
        subscriptions=(("#ai-news", "Talent war, AGI race ≥ 0.70"), ("#agi", "AGI race ≥ 0.80")),
        feeds=(("Tech Wire", "ok · 3 min ago"), ("Lab Watch", "failing: HTTP 503 (3 times)")),
    )
    assert_golden("slack/home", home_view(home))


def test_empty_home_view_still_has_its_three_parts() -> None:
    view = home_view(HomeView(stories=(), subscriptions=()))
    assert [b["type"] for b in view["blocks"]].count("header") == 3
    assert all_limits_hold(view, max_blocks=100)


def test_followup_golden() -> None:
    coverage = Coverage(
        "Meta lands two OpenAI researchers", "https://labwatch.example/wei", "Lab Watch", PUBLISHED
    )
    payload = followup_message(coverage)
    assert_golden("slack/followup", payload)
    assert payload["text"] == "Also covered by Lab Watch: Meta lands two OpenAI researchers"


# -- limits -----------------------------------------------------------------------------------------


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def all_limits_hold(payload: dict[str, Any], *, max_blocks: int = 50) -> bool:
    blocks = payload["blocks"]
    assert len(blocks) <= max_blocks
    if "text" in payload:
        assert 0 < units(payload["text"]) <= 3000
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids))
    for block in blocks:
        texts: list[tuple[dict[str, Any], int]] = []
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            texts.append((block["text"], 150))
        elif block["type"] == "section":
            if "text" in block:
                texts.append((block["text"], 3000))
            assert len(block.get("fields", [])) <= 10
            texts += [(f, 2000) for f in block.get("fields", [])]
        elif block["type"] == "context":
            assert 0 < len(block["elements"]) <= 10
            texts += [(e, 3000) for e in block["elements"]]
        elif block["type"] == "actions":
            texts += [(e["text"], 75) for e in block["elements"]]
        for obj, most in texts:
            assert obj["type"] in ("plain_text", "mrkdwn")
            assert 0 < units(obj["text"]) <= most, (block["type"], units(obj["text"]))
            assert obj["text"].strip()
    return True


def test_a_huge_summary_is_cut_to_the_section_limit() -> None:
    summary = "OpenAI & Meta <compete> for talent. " * 300  # ~10,000 chars, entities included
    payload = alert_message(talent_alert(summary=summary, title="T" * 5000, source="S" * 4000))
    assert all_limits_hold(payload)
    section = payload["blocks"][2]["text"]["text"]
    assert section.endswith("…") and units(section) <= 3000
    assert not re.search(r"&(?:a|am|amp|l|lt|g|gt)?…", section)


def test_emoji_count_double_against_the_limits() -> None:
    payload = alert_message(talent_alert(summary="🚀" * 5000, title="🤖" * 400))
    assert all_limits_hold(payload)


def test_two_hundred_stories_stop_at_fifty_blocks() -> None:
    reply = Reply(
        title="Search",
        paragraphs=("200 results.",),
        stories=tuple(story(i) for i in range(200)),
        footer="page 1",
    )
    payload = reply_message(reply)
    assert all_limits_hold(payload)
    blocks = payload["blocks"]
    assert len(blocks) == 50
    more = [b for b in blocks if b["type"] == "context" and "more" in b["elements"][0]["text"]]
    shown = sum(1 for b in blocks if b["type"] == "section" and "story/" in str(b))
    assert more[0]["elements"][0]["text"] == f"…and {200 - shown} more"
    assert blocks[-1]["elements"][0]["text"] == "page 1"  # the footer survives


def test_stories_give_way_to_an_alert_and_footer() -> None:
    reply = Reply(
        title="t", stories=tuple(story(i) for i in range(60)), alert=talent_alert(), footer="f"
    )
    payload = reply_message(reply)
    assert all_limits_hold(payload)
    assert payload["blocks"][-1]["elements"][0]["text"] == "f"


def test_many_fields_split_into_sections_of_ten() -> None:
    reply = Reply(title="Feeds", fields=tuple((f"feed {i}", "ok") for i in range(25)))
    sections = [b for b in reply_message(reply)["blocks"] if "fields" in b]
    assert [len(s["fields"]) for s in sections] == [10, 10, 5]


def test_sixty_other_outlets() -> None:
    also = tuple(f"https://outlet{i}.example/story/{i}" for i in range(60))
    payload = alert_message(talent_alert(also=also, sources_count=61))
    assert all_limits_hold(payload)
    line = payload["blocks"][-2]["elements"][0]["text"]
    assert line.startswith("Also covered by: <https://outlet0.example/story/0|outlet0.example>")
    assert line.endswith(" and 50 more")


def test_home_view_with_hundreds_of_everything() -> None:
    home = HomeView(
        stories=tuple(story(i) for i in range(300)),
        subscriptions=tuple((f"#c{i}", "Talent war") for i in range(300)),
        feeds=tuple((f"Feed {i}", "ok") for i in range(500)),
    )
    view = home_view(home)
    assert all_limits_hold(view, max_blocks=100)
    texts = [b["elements"][0]["text"] for b in view["blocks"] if b["type"] == "context"]
    assert [t for t in texts if t.startswith("…")] == [
        "…and 280 more",
        "…and 200 more",
        "…and 400 more",
    ]


# -- hostile input ----------------------------------------------------------------------------------

HOSTILE = (
    "<!channel> <!here|here> @everyone @Here @channel <@U123> <#C123> <!subteam^S1> "
    "<https://evil.example|bank.com> *bold* _it_ ~gone~ `code` &lt;!channel&gt; | pipe"
)
SAFE_URL = "https://news.example/a?b=1&c=2"
PIPE_URL = "https://news.example/x|y>z w"


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def mrkdwn_texts(payload: dict[str, Any]) -> Iterator[str]:
    for block in payload.get("blocks", []):
        objects = [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
        for obj in objects:
            if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
                assert obj.get("verbatim") is True
                yield obj["text"]


ALLOWED_TARGETS = {
    "https://news.example/a?b=1&amp;c=2",
    "https://news.example/x%7Cy%3Ez%20w",
    "https://labwatch.example/wei-chung-meta",
}


def assert_inert(payload: dict[str, Any]) -> None:
    for text in strings(payload):
        for marker in ("<!", "<@", "<#"):
            assert marker not in text, text
        assert not re.search(r"@(?:everyone|here|channel)", text, re.I), text
        for link in re.findall(r"<([^<>]*)>", text):
            target, _, label = link.partition("|")
            assert target in ALLOWED_TARGETS, link
            assert "|" not in label
        # Every "<" opens one of our links, every ">" closes one: nothing else reaches Slack raw.
        assert text.count("<") == text.count(">") == len(re.findall(r"<[^<>]*>", text))
    for text in mrkdwn_texts(payload):
        text = re.sub(r"^\*[^*\n]*\*\n", "", text)  # a field's bold label is ours
        outside_links = re.sub(r"<[^<>]*\|", "<", text)
        assert not re.search(r"[*_~`]", outside_links), text


def hostile_alert(**changes: Any) -> Alert:
    values: dict[str, Any] = {
        "url": SAFE_URL,
        "title": HOSTILE,
        "summary": HOSTILE,
        "source": HOSTILE,
        "language": "en<!here>",
        "reasons": {"talent_war": [HOSTILE]},
        "also": ("javascript:alert(1)", PIPE_URL, "https://labwatch.example/wei-chung-meta"),
        "move": Move((HOSTILE, "<@U999>"), "<!channel>", "*Meta*", "@here lead", "hire"),
    }
    values.update(changes)
    return talent_alert(**values)


def test_hostile_alert_is_inert() -> None:
    payload = alert_message(hostile_alert())
    assert_inert(payload)
    assert all_limits_hold(payload)
    title = payload["blocks"][1]["text"]["text"]
    assert title.startswith("<https://news.example/a?b=1&amp;c=2|&lt;!channel&gt;")
    assert "@\u2060everyone" in title and "∗bold∗" in title
    assert "&amp;lt;!channel&amp;gt;" in title  # already escaped input shows as typed
    also = payload["blocks"][-2]["elements"][0]["text"]
    assert "javascript" not in also and "<https://news.example/x%7Cy%3Ez%20w|news.example>" in also


def test_a_javascript_url_renders_no_link() -> None:
    for url in (
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,x",
        "//evil.example",
    ):
        payload = alert_message(hostile_alert(url=url))
        assert_inert(payload)
        title = payload["blocks"][1]["text"]["text"]
        assert not title.startswith("<") and "javascript" not in title.lower()


def test_a_url_with_pipe_and_bracket_stays_one_link() -> None:
    payload = alert_message(hostile_alert(url=PIPE_URL, title="Plain title"))
    assert (
        payload["blocks"][1]["text"]["text"] == "<https://news.example/x%7Cy%3Ez%20w|Plain title>"
    )
    assert_inert(payload)


def test_hostile_reply_home_and_followup_are_inert() -> None:
    bad_story = story(1, title=HOSTILE, url=PIPE_URL, source=HOSTILE, move=HOSTILE)
    reply = Reply(
        title=HOSTILE,
        paragraphs=(HOSTILE,),
        fields=((HOSTILE, HOSTILE),),
        stories=(bad_story, story(2, url="javascript:alert(1)", title=HOSTILE)),
        alert=hostile_alert(),
        footer=HOSTILE,
        error=True,
    )
    assert_inert(reply_message(reply))
    home = HomeView((bad_story,), ((HOSTILE, HOSTILE),), ((HOSTILE, HOSTILE),))
    assert_inert(home_view(home))
    assert_inert(followup_message(Coverage(HOSTILE, SAFE_URL, HOSTILE, PUBLISHED)))
    assert_inert(followup_message(Coverage(HOSTILE, "javascript:alert(1)", HOSTILE)))


def test_a_quote_marker_cannot_start_a_mrkdwn_line() -> None:
    fields = reply_message(Reply(title="t", fields=(("a", "> quoted"),)))["blocks"][1]["fields"]
    assert fields[0]["text"] == "*a*\n› quoted"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("@everyone and @HERE", "@\u2060everyone and @\u2060HERE"),
        ("e\x1b[31mvil\u202e", "e[31mvil"),
        ("&lt;!here&gt;", "&amp;lt;!here&amp;gt;"),
    ],
)
def test_escape(raw: str, shown: str) -> None:
    assert escape(raw) == shown


def test_payloads_are_json() -> None:
    json.dumps(alert_message(hostile_alert()))
    json.dumps(home_view(HomeView((), ())))
