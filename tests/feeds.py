"""Build small, valid feed documents for tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass
class Item:
    title: str
    link: str
    description: str = ""
    guid: str | None = None
    published: datetime | None = None


def recent(hours: float = 1.0) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)


def rss(
    items: Sequence[Item],
    title: str = "Test feed",
    language: str | None = "en",
    encoding: str = "utf-8",
) -> bytes:
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title>",
    ]
    if language:
        parts.append(f"<language>{language}</language>")
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item.title)}</title><link>{escape(item.link)}</link>")
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        if item.description:
            parts.append(f"<description>{escape(item.description)}</description>")
        if item.published:
            parts.append(f"<pubDate>{format_datetime(item.published)}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode(encoding)


META_HIRE = Item(
    title="Meta hires OpenAI's Jason Wei and Hyung Won Chung for its Superintelligence Lab",
    link="https://news.example/2026/meta-hires-wei-chung",
    description="Meta has hired OpenAI researchers Jason Wei and Hyung Won Chung to join Meta Superintelligence Labs.",
)
FOOTBALL = Item(
    title="Arsenal poach Brentford striker in £58m deal",
    link="https://sport.example/arsenal-striker",
    description="The club agreed a fee for the forward, who joins when the transfer window opens.",
)
AGI_TAX = Item(
    title="How the new standard deduction changes your AGI this tax season",
    link="https://money.example/agi-tax",
    description="Your adjusted gross income decides which credits you can claim on your return, the IRS says.",
)
PRODUCT = Item(
    title="OpenAI launches a new ChatGPT shopping feature",
    link="https://tech.example/chatgpt-shopping",
    description="The feature is available today to Plus users in the US.",
)
ARC = Item(
    title="AI system tops 85% on ARC-AGI-2, a test of progress toward artificial general intelligence",
    link="https://tech.example/arc-agi-2",
    description="The result clears the ARC Prize threshold for the first time.",
)
