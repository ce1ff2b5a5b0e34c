"""The talent ledger's decisions: which moves count, when two reports are one move, and what a
flow chart of a period shows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.entities import merge_variants, org_key
from bot.core.models import Move

# Kinds that move a person between organisations; pay and lawsuit stories move nobody.
COUNTED_KINDS = frozenset({"hire", "departure", "acquihire", "founding"})
# Reports of one person's move this far apart are still the same move (coverage trails for days).
SAME_MOVE_WINDOW = timedelta(days=30)


def ledger_people(move: Move) -> list[str]:
    """The people a story's move adds to the ledger: named, moving, with a place on either side."""
    if move.kind not in COUNTED_KINDS or not (move.from_org or move.to_org):
        return []
    return merge_variants(move.people)


def confidence(has_from: bool, has_to: bool, outlets: int) -> float:
    """How sure the ledger is of a move: both ends named, and more outlets reporting it."""
    score = 0.4 + (0.25 if has_to else 0.0) + (0.15 if has_from else 0.0)
    return round(min(1.0, score + 0.05 * max(0, outlets - 1)), 2)


def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or org_key(a) == org_key(b)


def same_move(
    known_from: str | None,
    known_to: str | None,
    known_date: datetime,
    from_org: str | None,
    to_org: str | None,
    date: datetime,
) -> bool:
    """A new report of one person is the move already recorded when the ends agree (or one report
    leaves an end out) and the dates are close: a departure story and the hire that follows match."""
    return (
        abs(date - known_date) <= SAME_MOVE_WINDOW
        and _compatible(known_from, from_org)
        and _compatible(known_to, to_org)
        and (known_to is not None or to_org is not None or known_from is not None)
    )


@dataclass(frozen=True, slots=True)
class Source:
    outlet: str
    url: str | None
    language: str | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class LedgerMove:
    """One person's move, as the ledger keeps it."""

    id: int
    person: str
    from_org: str | None
    to_org: str | None
    role: str | None
    kind: str
    published_at: datetime
    story_id: int
    confidence: float
    sources: tuple[Source, ...] = ()

    def line(self) -> str:
        dest = self.to_org or ("new company" if self.kind == "founding" else "?")
        return f"{self.person}: {self.from_org or '?'} → {dest}"

    def outlets(self) -> list[str]:
        return sorted({s.outlet for s in self.sources})

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "person": self.person,
            "from": self.from_org,
            "to": self.to_org,
            "role": self.role,
            "kind": self.kind,
            "published": self.published_at.date().isoformat(),
            "story_id": self.story_id,
            "confidence": self.confidence,
            "sources": [
                {"outlet": s.outlet, "url": s.url, "language": s.language} for s in self.sources
            ],
        }


CSV_COLUMNS = (
    "id",
    "published",
    "person",
    "from",
    "to",
    "role",
    "kind",
    "confidence",
    "sources",
    "outlets",
    "languages",
    "story_id",
)


def csv_row(move: LedgerMove) -> list[str]:
    languages = sorted({s.language for s in move.sources if s.language})
    return [
        str(move.id),
        move.published_at.date().isoformat(),
        move.person,
        move.from_org or "",
        move.to_org or "",
        move.role or "",
        move.kind,
        f"{move.confidence:.2f}",
        str(len(move.sources)),
        "; ".join(move.outlets()),
        "; ".join(languages),
        str(move.story_id),
    ]


@dataclass(frozen=True, slots=True)
class Flow:
    origin: str
    destination: str
    people: int


@dataclass(frozen=True, slots=True)
class FlowChart:
    """What a talent-flow chart shows, before any drawing: a test reads this, a renderer draws it."""

    title: str
    flows: tuple[Flow, ...]  # biggest first
    net: tuple[tuple[str, int, int], ...]  # organisation, arrivals, departures; best net first
    lines: tuple[str, ...]  # the moves listed below the chart, newest first
    more: int = 0  # moves not listed for lack of room
    orgs: tuple[str, ...] = field(default=())


UNKNOWN = "?"
MAX_LINES = 12


def flow_chart(moves: Iterable[LedgerMove], title: str, max_lines: int = MAX_LINES) -> FlowChart:
    """Count each person once per move: flows between organisations, and arrivals and departures
    per organisation. An end the news did not name is shown as '?' in flows, and not counted in
    the net flow of any organisation."""
    ordered = sorted(moves, key=lambda m: (m.published_at, m.id), reverse=True)
    pairs: dict[tuple[str, str], int] = {}
    gained: dict[str, int] = {}
    lost: dict[str, int] = {}
    for m in ordered:
        origin = m.from_org or UNKNOWN
        dest = m.to_org or ("new company" if m.kind == "founding" else UNKNOWN)
        pairs[(origin, dest)] = pairs.get((origin, dest), 0) + 1
        if m.to_org:
            gained[m.to_org] = gained.get(m.to_org, 0) + 1
        if m.from_org:
            lost[m.from_org] = lost.get(m.from_org, 0) + 1
    flows = tuple(
        Flow(o, d, n) for (o, d), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    orgs = set(gained) | set(lost)
    net = tuple(
        sorted(
            ((o, gained.get(o, 0), lost.get(o, 0)) for o in orgs),
            key=lambda row: (-(row[1] - row[2]), -row[1], row[0]),
        )
    )
    lines = tuple(
        f"{m.published_at:%b %d}  {m.line()}  ({len(m.outlets()) or 1} src)"
        for m in ordered[:max_lines]
    )
    return FlowChart(
        title=title,
        flows=flows,
        net=net,
        lines=lines,
        more=max(0, len(ordered) - max_lines),
        orgs=tuple(sorted(orgs)),
    )


def involves(move: LedgerMove, org: str) -> bool:
    key = org_key(org)
    return any(o is not None and org_key(o) == key for o in (move.from_org, move.to_org))


def top_counts(names: Sequence[str | None], limit: int = 5) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for name in names:
        if name:
            counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
