"""The SQL tables, written with SQLAlchemy Core types that SQLite and PostgreSQL both accept."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the backend keeps (SQLite keeps naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),  # as configured or added
    Column("fetch_url", Text, nullable=False),  # after a permanent redirect
    Column("name", String(200)),
    Column("language", String(8)),
    Column("origin", String(16), nullable=False, default="config"),  # config | chat
    Column("interval_s", Float),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("next_poll_at", UTCDateTime()),
    Column("last_polled_at", UTCDateTime()),
    Column("last_ok_at", UTCDateTime()),
    Column("error_count", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("disabled_reason", Text),
    Column("created_at", UTCDateTime(), nullable=False),
)

stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("origin_key", Text, nullable=False, unique=True),  # the item that created it: feed|key
    Column("title", Text, nullable=False),
    Column("url", Text),
    Column("source", String(200)),
    Column("language", String(8)),
    Column("summary", Text, nullable=False, default=""),
    Column("flagged", Boolean, nullable=False, default=False),  # any topic flagged
    Column("topics", JSON, nullable=False),  # flagged topic names
    Column("scores", JSON, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("move", JSON),
    Column("people", Text),  # normalised names joined by '|', for clustering
    Column("title_key", Text),  # content words of the title, for clustering
    Column("published_at", UTCDateTime()),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("item_count", Integer, nullable=False, default=1),
    Column("alertable", Boolean, nullable=False, default=True),
    Index("ix_stories_first_seen", "first_seen_at"),
    Index("ix_stories_flagged_seen", "flagged", "last_seen_at"),
)

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
    Column("item_key", Text, nullable=False),  # guid, else canonical link, else content hash
    Column("guid", Text),
    Column("url", Text),  # canonical
    Column("link", Text),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("published_at", UTCDateTime()),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    Column("language", String(8)),
    Column("content_hash", String(40), nullable=False),
    Column("story_id", Integer, ForeignKey("stories.id")),  # null: not flagged, no story
    UniqueConstraint("feed_id", "item_key", name="uq_items_feed_key"),
    Index("ix_items_url", "url"),
    Index("ix_items_guid", "guid"),
    Index("ix_items_story", "story_id"),
)

verdicts = Table(
    "verdicts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("topic", String(32), nullable=False),
    Column("score", Float, nullable=False),
    Column("flagged", Boolean, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("model", String(64), nullable=False),
    UniqueConstraint("item_id", "topic", name="uq_verdicts_item_topic"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("story_id", Integer, ForeignKey("stories.id"), nullable=False),
    Column("destination", Text, nullable=False),
    Column("kind", String(16), nullable=False),  # alert | followup
    Column("item_id", Integer, ForeignKey("items.id")),
    Column("dedupe_key", Text, nullable=False, unique=True),
    Column("status", String(16), nullable=False),  # pending | sending | sent | failed
    Column("claimed_by", Text),  # the sender holding a 'sending' lease: host:pid
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("last_error", Text),
    Column("message_ref", Text),  # platform message id, for threads and edits
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    Index("ix_deliveries_pending", "status", "next_attempt_at"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", Text, nullable=False, default=""),
    Column("channel", Text, nullable=False),
    Column("topics", JSON, nullable=False),
    Column("min_score", Float, nullable=False, default=0.0),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("platform", "workspace", "channel", name="uq_subscriptions_channel"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("story_id", Integer, ForeignKey("stories.id"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("user", Text, nullable=False),
    Column("vote", Integer, nullable=False),  # +1 relevant, -1 not relevant
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("story_id", "platform", "user", name="uq_feedback_vote"),
)

mutes = Table(
    "mutes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("channel", Text, nullable=False),
    Column("source", String(200), nullable=False),  # a story's source name, as alerts show it
    Column("user", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("platform", "channel", "source", name="uq_mutes_channel_source"),
)

digest_runs = Table(
    "digest_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("destination", Text, nullable=False),
    Column("slot", String(32), nullable=False),  # the local date (daily) or ISO week (weekly)
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("destination", "slot", name="uq_digest_runs_slot"),
)

# -- the moves ledger (bot/store/ledger.py): people and organisations as entities, one row per
# person and move, and every item that reported it.

people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),  # as shown
    Column("created_at", UTCDateTime(), nullable=False),
)

person_aliases = Table(
    "person_aliases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    Column("alias_key", Text, nullable=False, unique=True),  # entities.person_key of a variant
    Column("origin", String(16), nullable=False),  # seen | fix
)

orgs = Table(
    "orgs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),  # canonical
    Column("key", Text, nullable=False, unique=True),  # entities.org_key of the canonical name
    Column("created_at", UTCDateTime(), nullable=False),
)

org_aliases = Table(
    "org_aliases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", Integer, ForeignKey("orgs.id", ondelete="CASCADE"), nullable=False),
    Column("alias_key", Text, nullable=False, unique=True),  # entities.org_key of a variant
    Column("origin", String(16), nullable=False),  # seen | fix
)

moves = Table(
    "moves",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id"), nullable=False),
    Column("from_org_id", Integer, ForeignKey("orgs.id")),
    Column("to_org_id", Integer, ForeignKey("orgs.id")),
    Column("role", Text),
    Column("kind", String(16), nullable=False),  # hire | departure | acquihire | founding
    Column("published_at", UTCDateTime(), nullable=False),  # the first report's publication date
    Column("story_id", Integer, ForeignKey("stories.id"), nullable=False),  # the first story
    Column("confidence", Float, nullable=False),
    Column("fixed_by", Text),  # the admin who corrected it, if one did
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_moves_published", "published_at"),
    Index("ix_moves_person", "person_id"),
)

move_sources = Table(
    "move_sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("move_id", Integer, ForeignKey("moves.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("outlet", String(200), nullable=False),
    Column("url", Text),
    Column("language", String(8)),
    Column("published_at", UTCDateTime()),
    UniqueConstraint("move_id", "item_id", name="uq_move_sources_item"),
    Index("ix_move_sources_item", "item_id"),
)
