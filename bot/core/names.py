"""Find people's names in headlines and news prose: runs of capitalised words that are not known words."""

from __future__ import annotations

import re

from bot.core.lexicon import AI_LABS, AI_PEOPLE, BIG_TECH, NOT_NAMES
from bot.core.phrases import fold

_CAPITAL_RUN = re.compile(
    r"\b(?:[A-ZÀ-Þ][\w'’.\-]*|(?:de|van|von|der|da|di|al|bin|le|del)\b)"
    r"(?:\s+(?:[A-ZÀ-Þ][\w'’.\-]*|(?:de|van|von|der|da|di|al|bin|le|del)\b))+"
)
_PARTICLES = frozenset(["de", "van", "von", "der", "da", "di", "al", "bin", "le", "del"])
_ORG_WORDS = frozenset(
    w
    for aliases in (*AI_LABS.values(), *BIG_TECH.values())
    for alias in aliases
    for w in alias.split()
    if "/" not in w
) | frozenset(fold(name) for name in (*AI_LABS, *BIG_TECH))
KNOWN_PEOPLE = frozenset(AI_PEOPLE)


def _clean(token: str) -> str:
    token = token.rstrip(".,;:!?)")
    for suffix in ("'s", "’s", "'", "’"):
        if token.endswith(suffix):
            return token[: -len(suffix)]
    return token


def _is_name_word(token: str) -> bool:
    folded = fold(token)
    if folded in NOT_NAMES or folded in _ORG_WORDS or len(token) < 2:
        return False
    if token.isupper() and len(token) <= 5:  # acronyms: AI, CEO, FAIR, OpenAI's tickers
        return False
    return not any(ch.isdigit() for ch in token)


def find_people(text: str, limit: int = 6) -> list[str]:
    """Names of two or three words, in order of appearance, without repeats."""
    people: list[str] = []
    for run in _CAPITAL_RUN.finditer(text):
        current: list[str] = []
        for raw in [*run.group(0).split(), ""]:
            token = _clean(raw)
            possessive = raw != token and raw.endswith(("'s", "’s"))
            if token and ((token in _PARTICLES and current) or _is_name_word(token)):
                current.append(token)
                if not possessive:
                    continue
            while current and current[-1] in _PARTICLES:
                current.pop()
            if 2 <= len(current) <= 4:
                name = " ".join(current)
                if name not in people:
                    people.append(name)
            current = []
            if token and _is_name_word(token) and not possessive:
                current.append(token)
    return people[:limit]


def known_person(name: str) -> bool:
    return fold(name) in KNOWN_PEOPLE
