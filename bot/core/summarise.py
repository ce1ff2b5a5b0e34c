"""Extractive summaries: the lead sentences of the item, at most 280 characters, never cut mid-word."""

from __future__ import annotations

from bot.core.stories import jaccard, title_words
from bot.core.text import sentences, shorten

LIMIT = 280


def summarise(title: str, text: str, limit: int = LIMIT) -> str:
    """One or two sentences from the feed's own text (so no fact that is not in the source)."""
    heading = title_words(title)
    lead: list[str] = []
    for n, sentence in enumerate(sentences(text[:1200])[:6]):
        if n == 0 and jaccard(title_words(sentence), heading) >= 0.8:
            continue  # many feeds repeat the headline as the first line
        lead.append(sentence)
        if len(lead) == 2:
            break
    if not lead:
        return shorten(title, limit)
    if len(lead[0]) > limit:
        return shorten(lead[0], limit)
    joined = " ".join(lead)
    return joined if len(joined) <= limit else lead[0]
