"""Render alerts, follow-ups and replies as Discord API message payloads (plain dicts, no I/O)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.chat.actions import LABELS, alert_actions
from bot.chat.replies import Coverage, Reply, StoryLine
from bot.core.links import display_host, is_http_url
from bot.core.models import TOPIC_TITLES, Alert
from bot.core.text import shorten, strip_controls

# Discord's documented limits, in characters.
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000  # across every embed of one message
EMBEDS_MAX = 10
URL_MAX = 2048

TOPIC_COLOURS: dict[str, int] = {"talent_war": 0xE67E22, "agi": 0x5865F2}
NEUTRAL_COLOUR = 0x99AAB5
ERROR_COLOUR = 0xED4245
# Discord button styles: 2 secondary, 3 success (green), 4 danger (red).
BUTTON_STYLES: dict[str, int] = {"up": 3, "down": 4, "mute": 2}

_INLINE_MARKUP = re.compile(r"([\\*_~|`\[\]])")
# Block markup only acts at the start of a line: headings, quotes, lists, '-# ' subtext.
_LINE_MARKUP = re.compile(r"^(\s*)([#>+-])", re.MULTILINE)
# '<' opens user/role/channel mentions, slash-command mentions, timestamps and custom emoji.
_ANGLE = re.compile(r"<(?=\S)")
_AT = re.compile(r"@(?=\S)")
_ZWSP = "\u200b"


def no_mentions() -> dict[str, list[str]]:
    """allowed_mentions that pings nobody; a fresh dict so callers may not share one by accident."""
    return {"parse": []}


def escape(text: str) -> str:
    """Feed or user text made inert for Discord markdown: no formatting, links or mentions.

    Belt and braces: allowed_mentions already stops pings, but a visible '@everyone' or a
    masked link '[bank.com](https://evil.example)' in an alert is still a lie to the reader."""
    text = strip_controls(text)
    text = _INLINE_MARKUP.sub(r"\\\1", text)
    text = _LINE_MARKUP.sub(r"\1\\\2", text)
    return _defuse(text)


def _defuse(text: str) -> str:
    # A zero-width space keeps the text readable while breaking mention syntax.
    return _AT.sub("@" + _ZWSP, _ANGLE.sub("<" + _ZWSP, text))


def plain(text: str, limit: int) -> str:
    """Text for places Discord shows verbatim (footer, author): backslashes would show there, so
    mentions and '[text](url)' are broken with invisible zero-width spaces instead."""
    text = _defuse(" ".join(strip_controls(text).split())).replace("](", "]" + _ZWSP + "(")
    return _cut(text, limit)


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) address Discord may link to, else None."""
    if not url:
        return None
    url = url.strip()
    if len(url) > URL_MAX or any(c.isspace() or not c.isprintable() for c in url):
        return None
    return url if is_http_url(url) else None


def _link(text: str, url: str | None, limit: int = 512) -> str:
    """A masked link from already-escaped text and a URL; the bare text when the URL is unsafe
    or so long that the link would crowd out the rest (a cut link is worse than none)."""
    target = safe_url(url)
    if target is None or not text:
        return text
    for char, code in (("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"), ("\\", "%5C")):
        target = target.replace(char, code)
    link = f"[{text}]({target})"
    return link if len(link) <= limit else text


def _host(url: str) -> str:
    return display_host(url) or url


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ""
    short = shorten(text, limit)
    # shorten() gives up on one long word; a hard cut is better than nothing there.
    return short or text[: limit - 1].rstrip() + "…"


def fit(raw: str, limit: int, *, one_line: bool = True) -> str:
    """Escape raw text and cut it at a word so the escaped result has at most `limit` characters."""
    text = " ".join(raw.split()) if one_line else raw.strip()
    budget = limit
    while budget > 0:
        out = escape(_cut(text, budget))
        if len(out) <= limit:
            return out
        # Escapes lengthen the text: cut the raw text again by the overshoot.
        budget -= len(out) - limit
    return ""


def embed_size(embed: dict[str, Any]) -> int:
    """Characters Discord counts towards the 6000-per-message embed limit."""
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += len(embed.get("footer", {}).get("text", ""))
    size += len(embed.get("author", {}).get("name", ""))
    for item in embed.get("fields", []):
        size += len(item["name"]) + len(item["value"])
    return size


def _field(name: str, value: str, inline: bool = False) -> dict[str, Any]:
    return {
        "name": fit(name, FIELD_NAME_MAX) or "\u200b",
        "value": value[:FIELD_VALUE_MAX] or "\u200b",
        "inline": inline,
    }


def _timestamp(when: datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat()


def _drop_fields(embed: dict[str, Any], budget: int) -> None:
    while embed_size(embed) > budget and embed.get("fields"):
        embed["fields"].pop()


def _fill_description(embed: dict[str, Any], text: str, budget: int) -> None:
    """Give the embed the longest description that keeps the message within `budget`."""
    # The description gives way first; if even none is not enough, trailing fields go.
    _drop_fields(embed, budget)
    room = min(DESCRIPTION_MAX, budget - embed_size(embed))
    if text and room > 0:
        description = fit(text, room, one_line=False)
        if description:
            embed["description"] = description


def sources_count_text(count: int) -> str:
    others = count - 1
    return f"+{others} source" if others == 1 else f"+{others} sources"


def _sources_value(alert: Alert) -> str:
    main = _link(fit(alert.source, 200) or fit(_host(alert.url), 200), alert.url)
    # An unsafe link is left out rather than shown as text: it would read like a real outlet.
    others = [u for u in dict.fromkeys(alert.also) if u != alert.url and safe_url(u)]
    tail = [sources_count_text(alert.sources_count)] if alert.sources_count > 1 else []
    lines = [main]
    for index, url in enumerate(others):
        line = _link(fit(_host(url), 100), url)
        rest = len(others) - index
        more = f"… and {rest} more"
        # Keep room for the '… and N more' line in case a later link does not fit.
        if len("\n".join([*lines, line, more, *tail])) > FIELD_VALUE_MAX:
            lines.append(more)
            break
        lines.append(line)
    return "\n".join([*lines, *tail])


def _why_value(alert: Alert) -> str:
    lines = []
    for topic in alert.topics:
        reasons = "; ".join(alert.reasons.get(topic, [])) or "classifier score"
        score = alert.scores.get(topic)
        head = TOPIC_TITLES.get(topic, topic)
        head = f"{head} ({score:.2f})" if score is not None else head
        lines.append(f"{head}: {reasons}")
    return fit("\n".join(lines), FIELD_VALUE_MAX, one_line=False)


def alert_embed(alert: Alert, *, budget: int = EMBED_TOTAL_MAX) -> dict[str, Any]:
    """The alert card: topic colour, linked title, summary, Move, Sources and Why flagged."""
    primary = alert.topics[0] if alert.topics else ""
    embed: dict[str, Any] = {
        "title": fit(alert.title, TITLE_MAX) or "(untitled)",
        "color": TOPIC_COLOURS.get(primary, NEUTRAL_COLOUR),
    }
    url = safe_url(alert.url)
    if url:
        embed["url"] = url
    topics = " · ".join(TOPIC_TITLES.get(t, t) for t in alert.topics)
    if topics:
        embed["author"] = {"name": plain(topics, AUTHOR_MAX)}
    fields = []
    if alert.move is not None:
        fields.append(_field("Move", fit(alert.move.line(), FIELD_VALUE_MAX)))
    fields.append(_field("Sources", _sources_value(alert)))
    if alert.topics:
        fields.append(_field("Why flagged", _why_value(alert)))
    embed["fields"] = fields
    footer = plain(" · ".join(p for p in (alert.source, alert.language) if p), FOOTER_MAX)
    if footer:
        embed["footer"] = {"text": footer}
    if alert.published is not None:
        embed["timestamp"] = _timestamp(alert.published)
    _fill_description(embed, alert.summary, budget)
    return embed


def alert_components(story_id: int) -> list[dict[str, Any]]:
    """One action row with the 👍 / 👎 / mute buttons; ids as in bot.chat.actions."""
    buttons = [
        {
            "type": 2,
            "style": BUTTON_STYLES[action.verb],
            "label": LABELS[action.verb],
            "custom_id": action.custom_id,
        }
        for action in alert_actions(story_id)
    ]
    return [{"type": 1, "components": buttons}]


def alert_payload(alert: Alert, with_buttons: bool) -> dict[str, Any]:
    """A message with the alert card; buttons only for bot messages (webhooks cannot send them)."""
    payload: dict[str, Any] = {
        "content": "",
        "embeds": [alert_embed(alert)],
        "allowed_mentions": no_mentions(),
    }
    if with_buttons:
        payload["components"] = alert_components(alert.story_id)
    return payload


def alert_with_coverage(alert: Alert, coverage: Coverage | None) -> Alert:
    """The alert as it reads once `coverage` is known: its outlet listed, the count up to date."""
    if coverage is None or not coverage.url:
        return alert
    also = alert.also
    if coverage.url != alert.url and coverage.url not in also:
        also = (*also, coverage.url)
    count = max(alert.sources_count, 1 + len(set(also) - {alert.url}))
    return replace(alert, also=also, sources_count=count)


def followup_payload(coverage: Coverage) -> dict[str, Any]:
    """A small card in the alert's thread: another outlet covered the story."""
    embed: dict[str, Any] = {
        "title": fit(coverage.title, TITLE_MAX) or "(untitled)",
        "color": NEUTRAL_COLOUR,
        "author": {"name": plain(f"Also covered by {coverage.source}", AUTHOR_MAX)},
    }
    url = safe_url(coverage.url)
    if url:
        embed["url"] = url
    if coverage.published is not None:
        embed["timestamp"] = _timestamp(coverage.published)
    return {"content": "", "embeds": [embed], "allowed_mentions": no_mentions()}


def _story_line(number: int, story: StoryLine) -> str:
    bits = [_link(fit(story.title, 200) or "(untitled)", story.url)]
    if story.source:
        bits.append(fit(story.source, 80))
    if story.sources_count > 1:
        bits.append(sources_count_text(story.sources_count))
    topics = ", ".join(TOPIC_TITLES.get(t, t) for t in story.topics)
    bits.append(f"{topics} {story.score:.2f}".strip())
    line = f"{number}. " + " · ".join(bits)
    if story.move:
        line += "\n   ↳ " + fit(story.move, 200)
    return line


def _reply_description(reply: Reply, room: int) -> str:
    """Paragraphs, then as many story lines as fit in `room`, then '… and N more'."""
    head = fit("\n\n".join(reply.paragraphs), room, one_line=False) if reply.paragraphs else ""
    sep = "\n\n" if head else ""
    lines: list[str] = []
    total = len(reply.stories)
    for index, story in enumerate(reply.stories):
        line = _story_line(index + 1, story)
        more = f"… and {total - index} more"
        used = len(head) + len(sep) + len("\n".join([*lines, line]))
        # Unless this is the last story, keep room for a later '… and N more'.
        reserve = 0 if index == total - 1 else len(more) + 1
        if used + reserve > room:
            if len(head) + len(sep) + len("\n".join([*lines, more])) <= room:
                lines.append(more)
            break
        lines.append(line)
    return head + sep + "\n".join(lines) if lines else head


def reply_payload(reply: Reply) -> dict[str, Any]:
    """A command answer: one embed (title, text, fields, stories, footer) plus the alert card."""
    embed: dict[str, Any] = {
        "title": fit(reply.title, TITLE_MAX) or "Radar",
        "color": ERROR_COLOUR if reply.error else NEUTRAL_COLOUR,
    }
    fields = [
        _field(label, fit(value, FIELD_VALUE_MAX, one_line=False), inline=len(value) <= 40)
        for label, value in reply.fields[:FIELDS_MAX]
    ]
    if fields:
        embed["fields"] = fields
    if reply.footer:
        footer = plain(reply.footer, FOOTER_MAX)
        if footer:
            embed["footer"] = {"text": footer}
    embeds = [embed]
    budget = EMBED_TOTAL_MAX
    if reply.alert is not None:
        # The 6000 limit is per message: the alert card takes its share first, capped at half.
        card = alert_embed(reply.alert, budget=EMBED_TOTAL_MAX // 2)
        embeds.append(card)
        budget -= embed_size(card)
    _drop_fields(embed, budget)
    room = min(DESCRIPTION_MAX, budget - embed_size(embed))
    description = _reply_description(reply, room) if room > 0 else ""
    if description:
        embed["description"] = description
    payload: dict[str, Any] = {
        "content": "",
        "embeds": embeds[:EMBEDS_MAX],
        "allowed_mentions": no_mentions(),
    }
    if reply.ephemeral:
        payload["flags"] = 64  # honoured by interaction responses only
    return payload
