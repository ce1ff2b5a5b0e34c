"""The platform-neutral reply model: what a command answers, before Slack or Discord renders it.

Every string here is plain text and may come from a feed or a chat user: renderers escape it for
their platform (mentions, markup, links). URLs are kept apart from text so renderers can check
their scheme before making them clickable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.core.models import Alert


@dataclass(frozen=True, slots=True)
class StoryLine:
    """One story in a digest, a search result or App Home."""

    story_id: int
    title: str
    url: str
    topics: tuple[str, ...]
    score: float
    source: str
    sources_count: int = 1
    move: str | None = None  # the talent-move line, when there is one
    published: datetime | None = None


@dataclass(frozen=True, slots=True)
class Image:
    """A picture that goes with a reply (a talent-flow chart): uploaded as a file."""

    filename: str
    data: bytes
    title: str


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer to a command, or a scheduled message (a digest).

    Rendered in this order: title, text paragraphs, fields, stories, alert card, footer.
    """

    title: str
    paragraphs: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()  # (label, value) pairs, e.g. a status table
    stories: tuple[StoryLine, ...] = ()
    alert: Alert | None = None  # an on-demand summary, rendered like an alert without buttons
    footer: str | None = None
    ephemeral: bool = False  # only the caller sees it (usage errors, help, refusals)
    error: bool = False
    image: Image | None = None  # posted as a file with the reply (Slack upload, Discord attachment)

    @property
    def fallback(self) -> str:
        """Plain text for notifications and clients that cannot show rich layouts."""
        first = self.paragraphs[0] if self.paragraphs else ""
        return f"{self.title}: {first}" if first else self.title


@dataclass(frozen=True, slots=True)
class Coverage:
    """One later article about a story already alerted: a thread reply under the alert."""

    title: str
    url: str
    source: str
    published: datetime | None = None
    item_id: int | None = None  # the stored article: what marks its reply as sent on the platform


@dataclass(frozen=True, slots=True)
class Caller:
    """Who runs a command, and where."""

    platform: str  # "slack" | "discord"
    workspace: str  # Slack team id, Discord guild id
    channel: str
    user: str
    # What the platform lets this user do (Slack: workspace admins or [slack] admins manage feeds;
    # Discord: Manage Server for both).
    may_manage_feeds: bool = False
    may_subscribe: bool = True


@dataclass(frozen=True, slots=True)
class HomeView:
    """What a chat home tab shows (Slack App Home)."""

    stories: tuple[StoryLine, ...]
    subscriptions: tuple[tuple[str, str], ...]  # (channel, "Talent war, AGI race ≥ 0.70")
    feeds: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (feed name, health)
