"""Which destinations get a story: topic subscriptions with an optional minimum score."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot.core.models import Destination


def route(
    flagged: Iterable[str], scores: Mapping[str, float], destinations: Sequence[Destination]
) -> list[Destination]:
    """Destinations subscribed to a flagged topic whose score reaches their minimum."""
    flagged = set(flagged)
    chosen: list[Destination] = []
    for dest in destinations:
        wanted = flagged & dest.topics
        if any(scores.get(topic, 0.0) >= dest.min_score for topic in wanted):
            chosen.append(dest)
    return chosen
