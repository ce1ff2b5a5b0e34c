"""Exactly once where a platform allows a check: the key each chat send carries, and the port
through which the outbox asks an output for an earlier send of a delivery a crash left in doubt."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.chat.replies import Coverage
from bot.core.models import Alert

# Slack message metadata type marking Radar's alerts and thread replies.
EVENT_TYPE = "radar_delivery"
DISCORD_NONCE_MAX = 25  # characters Discord accepts in a message nonce


@dataclass(frozen=True, slots=True)
class DeliveryKey:
    """What one delivery posts to one destination: a story's alert, or one later article's reply.

    The outbox holds at most one delivery per story, article and destination, so within a
    destination this names the delivery row without depending on its database id."""

    story_id: int
    item: str | None = None  # the later article of a follow-up; None for the alert

    @classmethod
    def of(cls, alert: Alert, coverage: Coverage | None = None) -> DeliveryKey:
        if coverage is None:
            return cls(alert.story_id)
        if coverage.item_id is not None:
            return cls(alert.story_id, str(coverage.item_id))
        # Coverage that names no stored article (never from the outbox): its link tells it apart.
        return cls(alert.story_id, "u" + hashlib.sha256(coverage.url.encode()).hexdigest()[:16])

    @property
    def is_alert(self) -> bool:
        return self.item is None

    @property
    def label(self) -> str:
        return str(self.story_id) if self.item is None else f"{self.story_id}/{self.item}"

    def payload(self) -> dict[str, str]:
        """The Slack metadata event_payload (Slack keeps string, number and boolean values)."""
        return {"delivery": self.label}

    def matches(self, payload: object) -> bool:
        return isinstance(payload, dict) and payload.get("delivery") == self.label

    def nonce(self, channel: str) -> str:
        """A Discord nonce: the same for every attempt of this delivery to this channel."""
        digest = hashlib.sha256(f"{channel}|{self.label}".encode()).hexdigest()
        return ("radar" + digest)[:DISCORD_NONCE_MAX]


@runtime_checkable
class FindsEarlierSends(Protocol):
    """An output whose platform can tell whether a delivery already reached the channel."""

    async def find_earlier(
        self, alert: Alert, parent_ref: str | None, coverage: Coverage | None, since: datetime
    ) -> str | None:
        """The reference of this delivery's message if an earlier attempt posted it (no earlier
        than `since`), after redoing any idempotent step that follows the post (an edit);
        None when no such message exists. Raises DeliveryError when the platform cannot be
        asked right now, so the delivery waits rather than risk a second message."""
        ...
