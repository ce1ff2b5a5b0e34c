"""Read-only queries for metrics and readiness: what the outbox holds and how long it has waited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.store.repository import Store
from bot.store.schema import deliveries

WAITING = ("pending", "sending")


@dataclass(frozen=True, slots=True)
class OutboxState:
    """Rows waiting to be sent, per destination; the oldest one's creation; the longest-due one."""

    waiting: dict[str, int] = field(default_factory=dict)
    oldest_created_at: datetime | None = None
    oldest_due_at: datetime | None = None  # the earliest next_attempt_at of a pending row now due


def outbox_state(store: Store, now: datetime) -> OutboxState:
    """One short read; raises SQLAlchemy's error when the database cannot be read."""
    waiting = deliveries.c.status.in_(WAITING)
    with store.engine.connect() as conn:
        counts = conn.execute(
            select(deliveries.c.destination, func.count())
            .where(waiting)
            .group_by(deliveries.c.destination)
        ).all()
        oldest = conn.execute(select(func.min(deliveries.c.created_at)).where(waiting)).scalar()
        due = conn.execute(
            select(func.min(deliveries.c.next_attempt_at)).where(
                deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now
            )
        ).scalar()
    return OutboxState({str(d): int(n) for d, n in counts}, _aware(oldest), _aware(due))


def _aware(value: object) -> datetime | None:
    # A backend may hand MIN() back as text or naive time rather than through the column's type.
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
