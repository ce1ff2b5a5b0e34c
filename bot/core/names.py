"""Find people's names in headlines and news prose: runs of capitalised words that are not known words."""

from __future__ import annotations

import re

from bot.core.lexicon import AI_LABS, AI_PEOPLE, BIG_TECH, NOT_NAMES, STOPWORDS
from bot.core.phrases import fold

_CAPITAL_RUN = re.compile(
    r"\b(?:[A-ZÀ-Þ][\w'’.\-]*|(?:de|van|von|der|da|di|al|bin|le|del)\b)"
    r"(?:\s+(?:[A-ZÀ-Þ][\w'’.\-]*|(?:de|van|von|der|da|di|al|bin|le|del)\b))+"
)
PARTICLES = frozenset(["de", "van", "von", "der", "da", "di", "al", "bin", "le", "del"])
_PARTICLES = PARTICLES
_ORG_WORDS = frozenset(
    w
    for aliases in (*AI_LABS.values(), *BIG_TECH.values())
    for alias in aliases
    for w in alias.split()
    if "/" not in w
) | frozenset(fold(name) for name in (*AI_LABS, *BIG_TECH))
KNOWN_PEOPLE = frozenset(AI_PEOPLE)


def words(text: str) -> frozenset[str]:
    """A word list written as one string, the way the lexicon's long lists read best."""
    return frozenset(text.split())


# Honorifics and words that headlines glue to a name ("Dr Jane Roe", "Co-founders Jane Roe and…").
TITLES = words("dr dr. prof prof. professor mr mrs ms mme mlle m docteur professeur sir dame")
# A word that ends a capitalised run as an organisation's name ("Acme Robotics", "Fathom Labs").
ORG_SUFFIXES = words(
    "ai ia labs lab robotics research technologies technology systems inc capital ventures trust "
    "dynamics computing intelligence bio health networks software studio studios foundation "
    "institute university partners group corp company machines analytics cloud data security "
    "motors energy industries holdings ml x sciences therapeutics"
)


def _clean(token: str) -> str:
    token = token.rstrip(".,;:!?)")
    for suffix in ("'s", "’s", "'", "’"):
        if token.endswith(suffix):
            return token[: -len(suffix)]
    return token


def _is_name_word(token: str) -> bool:
    folded = fold(token)
    if not token.isascii() and folded in STOPWORDS:
        folded = token.lower()  # "Saïd" is a name, "said" a word
    if folded in NOT_NAMES or folded in _ORG_WORDS or len(token) < 2:
        return False
    if token.isupper() and len(token) <= 5:  # acronyms: AI, CEO, FAIR, OpenAI's tickers
        return False
    return not any(ch.isdigit() for ch in token)


def is_name_word(token: str) -> bool:
    """A word that can be part of a person's name: capitalised, not a known word, an acronym or an org."""
    return token[:1].isupper() and _is_name_word(token) and fold(token) not in TITLES


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


def person_key(name: str) -> str:
    """How two spellings of one person compare: folded, honorifics dropped ("Dr. Hélène X" = "helene x")."""
    words = [w for w in fold(name).replace(".", " ").split() if w not in TITLES]
    return " ".join(words)
