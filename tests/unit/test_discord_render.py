"""Discord payloads: golden layouts, Discord's size limits, and hostile feed text kept inert."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.chat.replies import Coverage, Reply, StoryLine
from bot.core.models import Alert, Move
from bot.discord.render import (
    alert_embed,
    alert_payload,
    alert_with_coverage,
    embed_size,
    escape,
    followup_payload,
    reply_payload,
    safe_url,
)
from tests.golden import assert_golden

PUBLISHED = datetime(2025, 6, 30, 14, 5, tzinfo=UTC)


def talent_alert(**changes: Any) -> Alert:
    fields: dict[str, Any] = {
        "story_id": 42,
        "url": "https://techwire.example/2025/06/meta-hires-openai-researchers",
        "title": "Meta hires OpenAI's Jason Wei and Hyung Won Chung for its Superintelligence Lab",
        "topics": ("talent_war", "agi"),
        "scores": {"talent_war": 0.991, "agi": 0.874},
        "reasons": {
            "talent_war": ["move verb + AI lab + named person"],
            "agi": ["mentions a superintelligence/AGI lab"],
        },
        "summary": "Meta has hired OpenAI researchers Jason Wei and Hyung Won Chung to join "
        "Meta Superintelligence Labs.",
        "source": "TechWire",
        "published": PUBLISHED,
        "language": "en",
        "also": ("https://www.labwatch.example/meta-poaches", "https://numerique.example/fr/meta"),
        "move": Move(("Jason Wei", "Hyung Won Chung"), "OpenAI", "Meta", None, "hire"),
        "sources_count": 3,
    }
    fields.update(changes)
    return Alert(**fields)


def agi_alert() -> Alert:
    return Alert(
        story_id=43,
        url="https://lemonde-tech.example/ia/agi-2027",
        title="Une course vers la superintelligence : les laboratoires accélèrent",
        topics=("agi",),
        scores={"agi": 0.912},
        reasons={"agi": ["AGI timeline claim"]},
        summary="Les grands laboratoires promettent une IA générale d'ici 2027.",
        source="Le Monde Tech",
        published=None,
        language="fr",
    )


def stories(count: int) -> tuple[StoryLine, ...]:
    return tuple(
        StoryLine(
            story_id=100 + i,
            title=f"Story number {i} about a researcher moving between labs",
            url=f"https://news.example/story/{i}",
            topics=("talent_war",),
            score=0.9,
            source="News Example",
            sources_count=1 + i % 3,
            move="Jane Doe: DeepMind → Anthropic" if i % 2 else None,
            published=PUBLISHED,
        )
        for i in range(count)
    )


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a payload, keys excluded."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def check_limits(payload: dict[str, Any]) -> None:
    assert len(payload.get("content", "")) <= 2000
    embeds = payload["embeds"]
    assert 1 <= len(embeds) <= 10
    assert sum(embed_size(e) for e in embeds) <= 6000
    for embed in embeds:
        assert len(embed["title"]) <= 256
        assert len(embed.get("description", "")) <= 4096
        assert len(embed.get("fields", [])) <= 25
        for item in embed.get("fields", []):
            assert 0 < len(item["name"]) <= 256
            assert 0 < len(item["value"]) <= 1024
        assert len(embed.get("footer", {}).get("text", "")) <= 2048
        assert len(embed.get("author", {}).get("name", "")) <= 256


# -- golden layouts ------------------------------------------------------------------------------


def test_talent_war_alert_golden() -> None:
    payload = alert_payload(talent_alert(), with_buttons=True)
    assert_golden("discord/alert_talent", payload)
    embed = payload["embeds"][0]
    assert [f["name"] for f in embed["fields"]] == ["Move", "Sources", "Why flagged"]
    assert embed["fields"][0]["value"] == "Jason Wei, Hyung Won Chung: OpenAI → Meta"
    assert "+2 sources" in embed["fields"][1]["value"]
    assert (
        "[labwatch.example](https://www.labwatch.example/meta-poaches)"
        in embed["fields"][1]["value"]
    )
    assert embed["timestamp"] == "2025-06-30T14:05:00+00:00"
    custom_ids = [b["custom_id"] for b in payload["components"][0]["components"]]
    assert custom_ids == ["radar:up:42", "radar:down:42", "radar:mute:42"]


def test_agi_alert_golden() -> None:
    payload = alert_payload(agi_alert(), with_buttons=False)
    assert_golden("discord/alert_agi", payload)
    assert "components" not in payload
    embed = payload["embeds"][0]
    assert embed["color"] != alert_embed(talent_alert())["color"]
    assert "timestamp" not in embed
    assert not any("sources" in f["value"] for f in embed["fields"])


def test_reply_with_stories_golden() -> None:
    reply = Reply(
        title="Digest: last 24 hours",
        paragraphs=("The top flagged stories.",),
        stories=stories(3),
        footer="Radar · 3 stories",
    )
    payload = reply_payload(reply)
    assert_golden("discord/reply_stories", payload)
    assert (
        "[Story number 0 about a researcher moving between labs](https://news.example/story/0)"
        in (payload["embeds"][0]["description"])
    )


def test_status_reply_golden() -> None:
    reply = Reply(
        title="Radar status",
        fields=(("Feeds", "12 healthy, 1 failing"), ("Last poll", "2 minutes ago")),
        ephemeral=True,
    )
    payload = reply_payload(reply)
    assert_golden("discord/reply_status", payload)
    assert payload["flags"] == 64
    assert [f["name"] for f in payload["embeds"][0]["fields"]] == ["Feeds", "Last poll"]


def test_followup_golden() -> None:
    coverage = Coverage(
        "Meta's poaching spree continues", "https://third.example/a", "Third", PUBLISHED
    )
    payload = followup_payload(coverage)
    assert_golden("discord/followup", payload)
    assert payload["embeds"][0]["url"] == "https://third.example/a"


def test_reply_with_alert_card_shares_the_message_budget() -> None:
    reply = Reply(title="Summary", alert=talent_alert(summary="word " * 5000), stories=stories(200))
    payload = reply_payload(reply)
    check_limits(payload)
    assert len(payload["embeds"]) == 2
    assert payload["embeds"][1]["title"].startswith("Meta hires")


# -- limits --------------------------------------------------------------------------------------


def test_huge_alert_respects_every_limit() -> None:
    alert = talent_alert(
        title="Headline " * 100,
        summary="A very long summary sentence. " * 350,  # about 10,000 characters
        also=tuple(f"https://outlet{i}.example/story/{i}" for i in range(60)),
        sources_count=61,
        reasons={"talent_war": [f"reason {i} " * 20 for i in range(40)]},
        source="S" * 3000,
    )
    payload = alert_payload(alert, with_buttons=True)
    check_limits(payload)
    embed = payload["embeds"][0]
    assert embed_size(embed) <= 6000
    assert embed["description"].endswith("…")  # trimmed, not dropped
    sources = next(f["value"] for f in embed["fields"] if f["name"] == "Sources")
    assert "+60 sources" in sources and "more" in sources


def test_description_gives_way_before_the_fields() -> None:
    alert = talent_alert(
        summary="word " * 2000,
        source="Outlet " * 400,  # a 2048-character footer
        also=tuple(f"https://outlet{i}.example/{i}" for i in range(60)),
        reasons={"talent_war": ["a long reason " * 10] * 10, "agi": ["another " * 20] * 5},
    )
    embed = alert_embed(alert)
    assert [f["name"] for f in embed["fields"]] == ["Move", "Sources", "Why flagged"]
    assert embed_size(embed) <= 6000
    assert 0 < len(embed["description"]) < 4096 - 1000


def test_two_hundred_stories_fit_one_message() -> None:
    payload = reply_payload(Reply(title="Digest", stories=stories(200)))
    check_limits(payload)
    description = payload["embeds"][0]["description"]
    assert re.search(r"… and \d+ more$", description)


def test_many_fields_are_capped() -> None:
    reply = Reply(title="Status", fields=tuple((f"Key {i}", "v" * 900) for i in range(40)))
    payload = reply_payload(reply)
    check_limits(payload)
    assert 0 < len(payload["embeds"][0]["fields"]) <= 25


# -- hostile input -------------------------------------------------------------------------------

HOSTILE = (
    "@everyone @here <@123> <@!124> <@&456> <#789> [bank.com](https://evil.example) "
    "**bold** `code` ||spoiler|| # heading"
)
RAW_MENTION = re.compile(r"@everyone|@here|<@!?\d+>|<@&\d+>|<#\d+>")
# An unescaped '[text](target)': Discord would render it as a link.
MASKED_LINK = re.compile(r"(?<!\\)\[([^\]]*?)(?<!\\)\]\(([^)]*)\)")


def hostile_payloads() -> list[dict[str, Any]]:
    alert = talent_alert(
        title=HOSTILE,
        summary=f"{HOSTILE}\n> quote\n-# small",
        source=HOSTILE,
        url="javascript:alert(1)",
        also=("javascript:alert(2)", "https://ok.example/x"),
        move=Move(("@everyone",), "<@&456>", "[bank.com](https://evil.example)", None, "hire"),
        reasons={"talent_war": [HOSTILE]},
        language="<#789>",
    )
    line = StoryLine(1, HOSTILE, "javascript:alert(3)", ("agi",), 0.9, HOSTILE, 2, HOSTILE)
    reply = Reply(
        title=HOSTILE,
        paragraphs=(HOSTILE,),
        fields=((HOSTILE, HOSTILE),),
        stories=(line,),
        alert=alert,
        footer=HOSTILE,
    )
    return [
        alert_payload(alert, with_buttons=True),
        followup_payload(Coverage(HOSTILE, "javascript:alert(4)", HOSTILE)),
        reply_payload(reply),
    ]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_hostile_text_stays_inert(index: int) -> None:
    payload = hostile_payloads()[index]
    assert payload["allowed_mentions"] == {"parse": []}
    for text in strings(payload):
        assert not RAW_MENTION.search(text), text
        for label, target in MASKED_LINK.findall(text):
            assert target.startswith("https://"), text
            assert "evil.example" not in target and "bank.com" not in label, text
    for embed in payload["embeds"]:
        assert "url" not in embed  # the only URL given was javascript:


def test_hostile_markup_is_escaped() -> None:
    embed = alert_embed(talent_alert(title=HOSTILE))
    assert "\\*\\*bold\\*\\*" in embed["title"]
    assert "\\`code\\`" in embed["title"]
    assert "\\[bank.com\\](https://evil.example)" in embed["title"]


def test_escape_defuses_every_mention_form() -> None:
    out = escape("@everyone @here <@123> <@!123> <@&123> <#123> </cmd:1> <t:1700000000>")
    assert not RAW_MENTION.search(out)
    assert "</cmd:1>" not in out and "<t:1700000000>" not in out
    assert escape("line\x1b[31m red\u202e") == "line\\[31m red"  # controls gone, '[' escaped


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/x", "https://a.example/x"),
        ("http://a.example", "http://a.example"),
        ("javascript:alert(1)", None),
        ("ftp://a.example/x", None),
        ("https://a.example/x y", None),
        ("https:///nohost", None),
        ("", None),
    ],
)
def test_safe_url(url: str, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_coverage_adds_an_outlet_once() -> None:
    alert = talent_alert()
    coverage = Coverage("t", "https://third.example/a", "Third")
    once = alert_with_coverage(alert, coverage)
    assert once.also[-1] == "https://third.example/a"
    assert once.sources_count == 4  # the main source, two known outlets, the new one
    again = alert_with_coverage(once, coverage)
    assert again.also == once.also
    fresh = alert_with_coverage(talent_alert(also=(), sources_count=1), coverage)
    assert fresh.sources_count == 2
