"""Turn feed HTML into clean plain text, and shorten text without cutting a word."""

from __future__ import annotations

import html
import re

# Blocks and comments are found with searches that never rescan: a lazy `<script>.*?</script>`
# pattern scans to the end of the text from every opener that has no closer, so a feed item of
# 28,000 "<script" took 50 s.
_DROP_TAGS = ("script", "style", "noscript", "iframe", "svg")
_DROP_OPEN = re.compile(r"<(script|style|noscript|iframe|svg)\b", re.I)
_DROP_CLOSE = {tag: re.compile(rf"</{tag}\s*>", re.I) for tag in _DROP_TAGS}
# Bounded like _TAGS: an unbounded [^>]* rescans the rest of the text from every "<p" without ">".
_BREAKS = re.compile(
    r"<\s*(?:br|/p|p|/div|div|/li|li|/h\d|h\d|/tr|tr|/blockquote)\b[^>]{0,2000}>", re.I
)
_TAGS = re.compile(r"<[^>]{0,2000}>")
# C0/C1 controls (ANSI escapes ride on ESC) and bidi overrides: feed text must not steer a terminal.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BOILERPLATE = re.compile(
    r"(?:\bThe post\b.{1,300}?\bappeared first on\b.{1,120}?\.?\s*$"
    r"|\bL['’]article\b.{1,300}?\best apparu en premier sur\b.{1,120}?\.?\s*$"
    r"|\b(?:Read more|Continue reading|Lire la suite|Read the full story|Lire l['’]article)\b.{0,80}$)",
    re.I | re.S,
)


def html_to_text(value: str | None) -> str:
    """Strip tags, decode entities and fold white space; plain text passes through."""
    if not value:
        return ""
    text = value
    if "<" in text:
        if "<!" in text or "]]>" in text:
            text = _drop_comments(text)
        lowered = text.lower()
        if any(f"<{tag}" in lowered for tag in _DROP_TAGS):
            text = _drop_blocks(text)
        text = _BREAKS.sub(" ", text)
        text = _TAGS.sub("", text)
    if "&" in text:
        # Twice, because feeds often double-escape (&amp;amp;, &lt;b&gt;).
        text = html.unescape(text)
        if "&" in text and ";" in text:
            text = html.unescape(text)
        if "<" in text and ">" in text:
            text = _TAGS.sub("", text)
    text = " ".join(text.replace("\u200b", "").split())  # also folds NBSP and other spaces
    if not text.isprintable():
        text = " ".join(_CONTROLS.sub(" ", text).split())
    return text


def _drop_comments(text: str) -> str:
    """Comments become a space, CDATA markers too (their content is text); an unclosed comment
    stays as it is."""
    out: list[str] = []
    pos = 0
    while (start := text.find("<!--", pos)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break
        out += [text[pos:start], " "]
        pos = end + 3
    out.append(text[pos:])
    return "".join(out).replace("<![CDATA[", " ").replace("]]>", " ")


def _drop_blocks(text: str) -> str:
    """<script>…</script> and the like become a space; an opener without a closer stays."""
    out: list[str] = []
    pos = copied = 0
    unclosed: set[str] = set()  # no closer after some opener: none after any later one either
    while (opener := _DROP_OPEN.search(text, pos)) is not None:
        tag = opener.group(1).lower()
        closer = None if tag in unclosed else _DROP_CLOSE[tag].search(text, opener.end())
        if closer is None:
            unclosed.add(tag)
            pos = opener.end()
            continue
        out += [text[copied : opener.start()], " "]
        pos = copied = closer.end()
    out.append(text[copied:])
    return "".join(out)


def strip_controls(text: str) -> str:
    """Remove terminal control characters from text that did not come through html_to_text."""
    return _CONTROLS.sub("", text)


_BOILERPLATE_HINTS = (
    "appeared first on",
    "apparu en premier sur",
    "read more",
    "continue reading",
    "lire la suite",
    "read the full story",
    "lire l'article",
    "lire l’article",
)


def strip_boilerplate(text: str) -> str:
    """Drop the 'The post … appeared first on …' and 'Read more' tails that feeds append."""
    tail = text[-500:].lower()
    if not any(hint in tail for hint in _BOILERPLATE_HINTS):
        return text
    return _BOILERPLATE.sub("", text).strip()


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """At most `limit` characters, cut at a word boundary, never mid-word."""
    text = text.strip()
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    cut = text[: room + 1]
    space = cut.rfind(" ")
    if space <= 0:
        return ""
    head = cut[:space].rstrip(" ,;:-–—(")
    return head + ellipsis


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”»)]?\s+(?=[\"“«(]?[A-ZÀ-ÖØ-Þ0-9])")


_ABBREVIATIONS = frozenset(
    [
        "vs",
        "v",
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "jr",
        "sr",
        "inc",
        "corp",
        "co",
        "ltd",
        "no",
        "fig",
        "gen",
        "gov",
        "sen",
        "rep",
        "prof",
        "u.s",
        "u.k",
        "e.g",
        "i.e",
        "etc",
        "m",
        "mme",
        "mlle",
        "dr",
        "pr",
        "st",
        "ste",
        "cie",
        "av",
        "jan",
        "feb",
        "aug",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)


def sentences(text: str) -> list[str]:
    """Split plain text into sentences (good enough for news prose in English and French)."""
    out: list[str] = []
    for part in _SENTENCE_END.split(text):
        part = part.strip()
        if not part:
            continue
        if out:
            last_word = out[-1].rsplit(" ", 1)[-1].rstrip(".").lower()
            if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
                out[-1] = f"{out[-1]} {part}"
                continue
        out.append(part)
    return out
