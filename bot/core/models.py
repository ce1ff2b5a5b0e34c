"""Plain, frozen value objects that flow between the stages of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Topic = Literal["talent_war", "agi"]
TOPICS: tuple[Topic, ...] = ("talent_war", "agi")
TOPIC_TITLES: dict[str, str] = {"talent_war": "Talent war", "agi": "AGI race"}


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a parsed feed, normalised."""

    guid: str | None
    url: str | None  # canonical link
    link: str | None  # link as the feed gave it
    title: str
    text: str  # plain text, entities decoded
    published: datetime | None  # UTC
    language: str | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    language: str | None
    entries: tuple[Entry, ...]
    recovered: bool = False  # the parser had to work around malformed input


@dataclass(frozen=True, slots=True)
class TopicVerdict:
    topic: Topic
    score: float
    flagged: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Move:
    """Who moved where, for a talent-war story."""

    people: tuple[str, ...]
    from_org: str | None
    to_org: str | None
    role: str | None
    kind: str  # hire, departure, acquihire, founding (stories stored before issue 9: pay, lawsuit)
    published: datetime | None = None  # when the story was published, not when Radar saw it

    def line(self) -> str:
        who = ", ".join(self.people) if self.people else (self.role or "?").capitalize()
        path = f"{self.from_org or '?'} → {self.to_org or '?'}"
        if self.kind == "founding" and self.to_org is None:
            path = f"{self.from_org or '?'} → new company"
        role = f" ({self.role})" if self.role and self.people else ""
        return f"{who}{role}: {path}"

    def to_dict(self) -> dict[str, object]:
        return {
            "people": list(self.people),
            "from": self.from_org,
            "to": self.to_org,
            "role": self.role,
            "kind": self.kind,
            "published": self.published.isoformat() if self.published else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Move:
        people = data.get("people") or []
        assert isinstance(people, list)
        return cls(
            people=tuple(str(p) for p in people),
            from_org=_opt_str(data.get("from")),
            to_org=_opt_str(data.get("to")),
            role=_opt_str(data.get("role")),
            kind=str(data.get("kind") or "hire"),
            published=_opt_datetime(data.get("published")),
        )


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _opt_datetime(value: object) -> datetime | None:
    """A stored ISO date; anything else (older rows, a hand-edited value) reads as unknown."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Understanding:
    """What the classifier, the move extractor and the summariser made of one item."""

    verdicts: dict[str, TopicVerdict]
    move: Move | None
    summary: str
    language: str

    @property
    def labels(self) -> list[str]:
        return [t for t, v in self.verdicts.items() if v.flagged]

    @property
    def scores(self) -> dict[str, float]:
        return {t: v.score for t, v in self.verdicts.items()}


@dataclass(frozen=True, slots=True)
class Alert:
    """A story as an output renders it."""

    story_id: int
    url: str
    title: str
    topics: tuple[str, ...]
    scores: dict[str, float]
    reasons: dict[str, list[str]]
    summary: str
    source: str
    published: datetime | None
    language: str
    also: tuple[str, ...] = ()
    move: Move | None = None
    sources_count: int = 1

    def to_json(self) -> dict[str, object]:
        return {
            "story_id": self.story_id,
            "url": self.url,
            "title": self.title,
            "topics": list(self.topics),
            "scores": {k: round(v, 3) for k, v in self.scores.items()},
            "reasons": self.reasons,
            "summary": self.summary,
            "source": self.source,
            "published": self.published.isoformat() if self.published else None,
            "language": self.language,
            "also": list(self.also),
            "move": self.move.to_dict() if self.move else None,
        }


@dataclass(frozen=True, slots=True)
class Destination:
    """Where alerts may go: a configured output or a chat subscription."""

    key: str
    topics: frozenset[str]
    min_score: float = 0.0
    followups: bool = False


@dataclass(slots=True)
class CycleReport:
    """What one poll cycle did, for the summary table."""

    polled: int = 0
    not_modified: int = 0
    failed: int = 0
    new_items: int = 0
    alerts: int = 0
    errors: dict[str, str] = field(default_factory=dict)
