"""Tell English from French by function words; cheap enough to run on every item."""

from __future__ import annotations

import re

_WORDS = re.compile(r"[a-zàâçéèêëîïôûùüÿœ']+")
_FR = frozenset(
    [
        "le",
        "la",
        "les",
        "des",
        "du",
        "de",
        "un",
        "une",
        "et",
        "est",
        "sont",
        "dans",
        "pour",
        "par",
        "sur",
        "avec",
        "qui",
        "que",
        "pas",
        "plus",
        "au",
        "aux",
        "ce",
        "cette",
        "ces",
        "son",
        "sa",
        "ses",
        "leur",
        "nous",
        "vous",
        "ils",
        "elle",
        "elles",
        "été",
        "être",
        "fait",
        "chez",
        "selon",
        "après",
        "aussi",
        "mais",
        "où",
        "d'",
        "l'",
        "qu'",
        "n'",
        "s'",
        "c'",
        "j'",
        "à",
    ]
)
_EN = frozenset(
    [
        "the",
        "an",
        "and",
        "is",
        "are",
        "in",
        "for",
        "by",
        "on",
        "with",
        "who",
        "that",
        "not",
        "more",
        "to",
        "of",
        "this",
        "these",
        "his",
        "her",
        "its",
        "their",
        "we",
        "you",
        "they",
        "she",
        "he",
        "been",
        "be",
        "has",
        "have",
        "was",
        "were",
        "after",
        "also",
        "but",
        "where",
        "from",
        "at",
        "as",
        "it",
        "will",
    ]
)


def detect_language(text: str, default: str = "en") -> str:
    """Return 'fr' or 'en' (the project's two languages), or `default` when the text says nothing."""
    fr = en = 0
    for word in _WORDS.findall(text.lower()[:1200]):
        if word in _FR or (word[:2] in ("d'", "l'", "qu", "n'", "s'", "c'") and "'" in word):
            fr += 1
        elif word in _EN:
            en += 1
    accents = sum(text.count(c) for c in "éèàçêù")
    fr += accents // 3
    if fr == en == 0:
        return default
    return "fr" if fr > en else "en"


def normalise_language(code: str | None) -> str | None:
    """'fr-FR', 'fr_ca', 'French' → 'fr'; anything else of ours → 'en'; unknown → None."""
    if not code:
        return None
    code = code.strip().lower()
    if code.startswith(("fr", "french", "français")):
        return "fr"
    if code.startswith(("en", "english")):
        return "en"
    return None
