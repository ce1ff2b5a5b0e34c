"""Digests and move tables: pure formatting over stored stories, shared by the CLI and chat commands."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bot.core.models import TOPIC_TITLES, Move


def topic_label(topics: Sequence[str]) -> str:
    return " + ".join(TOPIC_TITLES.get(t, t) for t in topics)


def net_flow(moves: Sequence[Move]) -> list[tuple[str, int, int]]:
    """(organisation, people in, people out), biggest net gain first."""
    gained: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    for move in moves:
        count = max(1, len(move.people))
        if move.to_org:
            gained[move.to_org] += count
        if move.from_org:
            lost[move.from_org] += count
    orgs = set(gained) | set(lost)
    return sorted(
        ((o, gained[o], lost[o]) for o in orgs), key=lambda r: (r[1] - r[2], r[1]), reverse=True
    )
