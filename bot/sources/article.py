"""Pull the headline and body text out of an article's HTML page, for on-demand summaries."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

from bot.core.text import strip_controls
from bot.errors import FeedError

_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "figure")
_MIN_PARAGRAPH = 40  # shorter blocks are bylines, captions and buttons, not the story
MAX_TEXT = 20_000  # characters read for a summary: the story is in its first pages, not its 5 MB
MAX_TITLE = 1_000


@dataclass(frozen=True, slots=True)
class Article:
    title: str
    text: str
    language: str | None


def extract_article(body: bytes, content_type: str | None = None) -> Article:
    """The page's headline (og:title, else <h1>, else <title>) and its paragraphs, preferring
    those inside <article> or <main>. Raises FeedError when the page has no readable text."""
    if not body.strip():
        raise FeedError("the page is empty")
    if content_type and not any(k in content_type.lower() for k in ("html", "xml", "text")):
        raise FeedError(f"not a web page ({content_type.split(';')[0].strip()})")
    try:
        root = lxml_html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        raise FeedError("the page is not readable HTML") from None
    title = _meta(root, "og:title") or _first_text(root, "//h1") or _first_text(root, "//title")
    language = (root.get("lang") or "").split("-")[0].lower() or None
    for bad in list(root.iter(*_DROP)):
        if isinstance(bad, lxml_html.HtmlElement):
            bad.drop_tree()
    # Outermost only: nested <article>s would read their paragraphs once per level, quadratic in
    # the nesting (250 levels and 100,000 paragraphs took a minute).
    scope = (
        _elements(root, "//article[not(ancestor::article)]")
        or _elements(root, "//main[not(ancestor::main)]")
        or [root]
    )
    kept: list[str] = []
    size = 0
    for p in (p for node in scope for p in node.iter("p")):
        paragraph = _clean(p.text_content())
        if len(paragraph) >= _MIN_PARAGRAPH:
            kept.append(paragraph)
            size += len(paragraph) + 1
            if size >= MAX_TEXT:
                break
    text = "\n".join(kept)[:MAX_TEXT]
    if not text:
        text = (_meta(root, "og:description") or _meta(root, "description") or "")[:MAX_TEXT]
    title = title[:MAX_TITLE]
    if not title and not text:
        raise FeedError("no headline or text found on the page")
    return Article(
        title=title or text[:120], text=text, language=language[:20] if language else None
    )


def _elements(root: lxml_html.HtmlElement, path: str) -> list[lxml_html.HtmlElement]:
    found = root.xpath(path)
    return (
        [n for n in found if isinstance(n, lxml_html.HtmlElement)]
        if isinstance(found, list)
        else []
    )


def _clean(value: str) -> str:
    return " ".join(strip_controls(value).split())


def _meta(root: lxml_html.HtmlElement, name: str) -> str:
    for node in _elements(root, f"//meta[@property='{name}' or @name='{name}']"):
        content = _clean(node.get("content") or "")
        if content:
            return content
    return ""


def _first_text(root: lxml_html.HtmlElement, path: str) -> str:
    for node in _elements(root, path):
        text = _clean(node.text_content())
        if text:
            return text
    return ""
