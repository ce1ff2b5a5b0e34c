"""Render alerts, replies and App Home as Slack Block Kit payloads in which feed text is inert.

Pure functions returning plain dicts for the Web API. Every string that reaches Slack goes through
`escape` (or `_inert` where mrkdwn is needed for a link), and every text is cut to its Block Kit
limit after escaping, so a cut never splits an entity and Slack never rejects a message as
`invalid_blocks`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.chat.actions import LABELS, alert_actions
from bot.chat.replies import Coverage, HomeView, Reply, StoryLine
from bot.core.links import display_host, is_http_url
from bot.core.models import TOPIC_TITLES, Alert
from bot.core.text import strip_controls

Block = dict[str, Any]

# Block Kit limits; lengths are counted in UTF-16 units, the stricter of the ways Slack may count.
MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_TEXT = 3000  # section text, context element text, message fallback text
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_HEADER = 150
MAX_BUTTON = 75
MAX_URL = 2000  # longer targets are not worth a link that may be refused or cut
TITLE_LIMIT = 300
ACTIONS_BLOCK_ID = "radar-actions"
ELLIPSIS = "…"
MAX_ALSO = 10  # more links than this is a wall of hosts nobody reads
HOME_STORIES = 20
HOME_FIELD_SECTIONS = 10  # per list: 100 subscriptions or feeds, then "…and N more"

_BROADCAST = re.compile(r"@(?=channel|here|everyone)", re.I)
# A word joiner is invisible and not a word character, so "@\u2060here" reads as "@here" but no
# client, and no link_names=1 call, can match it as a broadcast.
_WORD_JOINER = "\u2060"
# Slack has no documented escape for mrkdwn formatting, and whether a zero-width character stops a
# *bold* run is undocumented client behaviour that has changed before. A lookalike character is not
# markup under any parser and reads the same, so feed text in mrkdwn gets lookalikes. "|" would
# end a link's label early.
_LOOKALIKES = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ", "|": "∣"})
# Slack shows "&gt;" at the start of a line as a block quote, escaped or not.
_QUOTE = re.compile(r"^([ \t]*)&gt;", re.M)
_URL_ENCODE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cn"})


def escape(text: str) -> str:
    """Text that Slack shows as written: no mention, broadcast, channel or disguised link survives.

    Escaping &, < and > turns <!channel>, <@U…>, <#C…>, <!subteam^…> and <url|label> into text;
    an already escaped "&lt;!channel&gt;" becomes "&amp;lt;…" and so stays text too.
    """
    text = strip_controls(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@" + _WORD_JOINER, text)


def alert_message(alert: Alert) -> dict[str, Any]:
    """chat.postMessage arguments (without channel) for one alert, with its three buttons."""
    blocks = _alert_blocks(alert)
    blocks.append(_actions(alert.story_id))
    fallback = f"{_alert_heading(alert)}: {_one_line(alert.title)}"
    if alert.source:
        fallback += f" ({_one_line(alert.source)})"
    return {"text": _fallback(fallback), "blocks": blocks}


def followup_message(coverage: Coverage) -> dict[str, Any]:
    """The thread reply announcing a later article about an alerted story."""
    source = _one_line(coverage.source) or "another outlet"
    line = f"Also covered by {_clip(_inert(source), 200)}: {_link(coverage.url, coverage.title)}"
    blocks: list[Block] = [_section_md(line)]
    if coverage.published is not None:
        blocks.append(_context_plain(_when(coverage.published)))
    text = f"Also covered by {source}: {_one_line(coverage.title)}"
    return {"text": _fallback(text), "blocks": blocks}


def reply_message(reply: Reply) -> dict[str, Any]:
    """chat.postMessage / response_url arguments for a command's reply; ≤ 50 blocks."""
    head: list[Block] = []
    if reply.title.strip():
        head.append(_header(("⚠️ " if reply.error else "") + reply.title))
    head.extend(_section_plain(p) for p in reply.paragraphs if p.strip())
    head.extend(_field_sections(reply.fields))
    tail: list[Block] = _alert_blocks(reply.alert) if reply.alert is not None else []
    if reply.footer and reply.footer.strip():
        tail.append(_context_plain(reply.footer))
    # Only a pathological reply (dozens of paragraphs) loses head blocks; stories give way first.
    room = MAX_BLOCKS - len(tail) - (1 if reply.stories else 0)
    head = head[: max(room, 0)]
    stories = _story_list(reply.stories, MAX_BLOCKS - len(tail) - len(head))
    return {"text": _fallback(reply.fallback), "blocks": [*head, *stories, *tail]}


def home_view(home: HomeView) -> dict[str, Any]:
    """The views.publish `view` for App Home: latest stories, subscriptions, feed health."""
    blocks: list[Block] = [_header("Latest flagged stories")]
    if home.stories:
        blocks.extend(_story_list(home.stories, HOME_STORIES * 2 + 1))
    else:
        blocks.append(_context_plain("No flagged stories yet."))
    blocks += [{"type": "divider"}, _header("Subscriptions in this workspace")]
    blocks.extend(_capped_fields(home.subscriptions, "No channel here receives alerts yet."))
    blocks += [{"type": "divider"}, _header("Feed health")]
    blocks.extend(_capped_fields(home.feeds, "No feeds configured."))
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


# -- alert parts ----------------------------------------------------------------------------------


def _alert_blocks(alert: Alert) -> list[Block]:
    blocks: list[Block] = [
        _header(_alert_heading(alert)),
        _section_md(_link(alert.url, alert.title)),
    ]
    if alert.summary.strip():
        blocks.append(_section_plain(alert.summary))
    if alert.move is not None:
        blocks.append(_section_plain(f"Move: {_one_line(alert.move.line())}"))
    blocks.append(_context_plain(_alert_meta(alert)))
    also = _also_line(alert)
    if also:
        blocks.append({"type": "context", "elements": [_md(also)]})
    return blocks


def _alert_heading(alert: Alert) -> str:
    heading = " + ".join(_topic_title(t) for t in alert.topics) or "Radar"
    more = _more_sources(alert.sources_count)
    return f"{heading} · {more}" if more else heading


def _alert_meta(alert: Alert) -> str:
    parts = [_one_line(alert.source)]
    if alert.published is not None:
        parts.append(_when(alert.published))
    parts.append(_one_line(alert.language))
    topics = alert.topics or tuple(alert.scores)
    scores = [f"{_topic_title(t)} {alert.scores[t]:.2f}" for t in topics if t in alert.scores]
    parts.append(", ".join(scores))
    reasons: list[str] = []
    for topic in topics:
        for reason in alert.reasons.get(topic, []):
            if reason not in reasons:
                reasons.append(reason)
    if reasons:
        parts.append("why: " + "; ".join(_one_line(r) for r in reasons))
    return " · ".join(p for p in parts if p)


def _also_line(alert: Alert) -> str:
    """Links to the other outlets, as many as read well in one context element, then "N more"."""
    seen = {_link_target(alert.url)}
    links: list[str] = []
    for url in alert.also:
        target = _link_target(url)
        if target is None or target in seen:
            continue  # an unsafe URL has no place in a list of links
        seen.add(target)
        links.append(f"<{target}|{_clip(_inert(_host(url)), 80)}>")
    if not links:
        return ""
    more = f" and {len(links)} more"  # the longest tail the line may need
    shown: list[str] = []
    used = _units("Also covered by: ") + _units(more)
    for link in links[:MAX_ALSO]:
        used += _units(link) + 2
        if used > MAX_TEXT:
            break
        shown.append(link)
    line = "Also covered by: " + ", ".join(shown)
    if len(shown) < len(links):
        line += f" and {len(links) - len(shown)} more"
    return line


def _actions(story_id: int) -> Block:
    return {
        "type": "actions",
        "block_id": ACTIONS_BLOCK_ID,
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": _clip(LABELS[a.verb], MAX_BUTTON)},
                "action_id": a.custom_id,
                "value": str(story_id),
            }
            for a in alert_actions(story_id)
        ],
    }


# -- stories and fields ---------------------------------------------------------------------------


def _story_list(stories: Sequence[StoryLine], room: int) -> list[Block]:
    """Two blocks per story within `room` blocks, the last one saying how many did not fit."""
    fits = len(stories) * 2 <= room
    shown = len(stories) if fits else max((room - 1) // 2, 0)
    blocks: list[Block] = []
    for story in stories[:shown]:
        blocks += [_section_md(_link(story.url, story.title)), _context_plain(_story_meta(story))]
    if shown < len(stories) and room > 0:
        blocks.append(_context_plain(f"…and {len(stories) - shown} more"))
    return blocks


def _story_meta(story: StoryLine) -> str:
    parts = [
        " + ".join(_topic_title(t) for t in story.topics),
        f"score {story.score:.2f}",
        _one_line(story.source),
        _more_sources(story.sources_count),
    ]
    if story.published is not None:
        parts.append(_when(story.published))
    if story.move:
        parts.append(f"Move: {_one_line(story.move)}")
    return " · ".join(p for p in parts if p)


def _field_sections(pairs: Iterable[tuple[str, str]]) -> list[Block]:
    fields = [_field(label, value) for label, value in pairs]
    return [
        {"type": "section", "fields": fields[i : i + MAX_FIELDS]}
        for i in range(0, len(fields), MAX_FIELDS)
    ]


def _field(label: str, value: str) -> dict[str, Any]:
    name = _clip(_inert(_one_line(label)), 200).strip()
    text = _clip(_inert(_one_line(value)), MAX_FIELD - 210) or "–"
    return _md(f"*{name}*\n{text}" if name else text)


def _capped_fields(pairs: Sequence[tuple[str, str]], empty: str) -> list[Block]:
    if not pairs:
        return [_context_plain(empty)]
    cap = HOME_FIELD_SECTIONS * MAX_FIELDS
    blocks = _field_sections(pairs[:cap])
    if len(pairs) > cap:
        blocks.append(_context_plain(f"…and {len(pairs) - cap} more"))
    return blocks


# -- text objects ---------------------------------------------------------------------------------


def _header(text: str) -> Block:
    return {"type": "header", "text": _plain(_one_line(text), MAX_HEADER)}


def _section_plain(text: str) -> Block:
    return {"type": "section", "text": _plain(text, MAX_TEXT)}


def _section_md(text: str) -> Block:
    return {"type": "section", "text": _md(text)}


def _context_plain(text: str) -> Block:
    return {"type": "context", "elements": [_plain(text, MAX_TEXT)]}


def _plain(text: str, limit: int) -> dict[str, Any]:
    # Slack rejects an empty text object; a dash keeps the message deliverable.
    return {"type": "plain_text", "text": _clip(escape(text).strip(), limit) or "–"}


def _md(text: str) -> dict[str, Any]:
    # verbatim: no auto-linking of bare URLs or #channel names, no mention parsing of the text.
    return {"type": "mrkdwn", "text": _clip(text, MAX_TEXT) or "–", "verbatim": True}


def _inert(text: str) -> str:
    """Escaped text for a mrkdwn object: no formatting, no quote, no link separator."""
    return _QUOTE.sub(r"\1›", escape(text).translate(_LOOKALIKES))


def _link(url: str, label: str) -> str:
    """A mrkdwn link to an http(s) URL; the bare label when the URL is not safe to link."""
    text = _clip(_inert(_one_line(label)), TITLE_LIMIT) or "(untitled)"
    target = _link_target(url)
    return f"<{target}|{text}>" if target else text


def _link_target(url: str) -> str | None:
    """The URL as a link target, or None: only http(s) with a host, nothing that ends the link."""
    url = url.strip()
    if not is_http_url(url):
        return None
    out: list[str] = []
    for ch in url:
        if ch in '|<> "\\`' or unicodedata.category(ch) in _URL_ENCODE_CATEGORIES:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    # Slack decodes &amp; in a link target, and a bare & followed by "gt;" would read as ">".
    target = "".join(out).replace("&", "&amp;")
    return target if len(target) <= MAX_URL else None


def _host(url: str) -> str:
    return display_host(url) or "link"


def _fallback(text: str) -> str:
    return _clip(_inert(_one_line(text)), MAX_TEXT) or "Radar"


def _topic_title(topic: str) -> str:
    return TOPIC_TITLES.get(topic, topic)


def _more_sources(count: int) -> str:
    """'+N sources' counts the outlets besides the one linked."""
    others = count - 1
    return f"+{others} source{'s' if others != 1 else ''}" if others > 0 else ""


def _when(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- limits ---------------------------------------------------------------------------------------


def _units(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _clip(text: str, limit: int) -> str:
    """Escaped text cut to `limit` UTF-16 units with an ellipsis, never inside an entity."""
    if _units(text) <= limit:
        return text
    room, used, end = limit - len(ELLIPSIS), 0, 0
    for ch in text:
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > room:
            break
        end += 1
    cut = text[:end]
    amp = cut.rfind("&", max(len(cut) - 5, 0))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]  # an entity (&amp; &lt; &gt;) cut in two would show as text
    space = cut.rfind(" ")
    mid_word = len(cut) == end and not text[end].isspace()
    if mid_word and space > 0 and space >= len(cut) - 30:
        cut = cut[:space]  # end on a word when one ends nearby
    return cut.rstrip() + ELLIPSIS
