"""Resolve the names a move gives to people and organisations: name variants, aliases, parent units."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.core.lexicon import AI_LABS, BIG_TECH
from bot.core.phrases import fold

_TITLES = frozenset(
    {"dr", "prof", "professor", "mr", "mrs", "ms", "sir", "dame", "m", "mme", "pr", "docteur"}
)
_ORG_SUFFIXES = frozenset(
    {"inc", "llc", "ltd", "corp", "corporation", "co", "sa", "sas", "gmbh", "plc", "the"}
)
_WORDS = re.compile(r"[a-z0-9]+(?:[.&+][a-z0-9]+)*")


def person_key(name: str) -> str:
    """'Dr. Jane Roë' → 'jane roe': titles, accents, case and punctuation do not make a new person."""
    words = _WORDS.findall(fold(name).replace("-", " "))
    while len(words) > 1 and words[0] in _TITLES:
        words = words[1:]
    return " ".join(words)


def surname(key: str) -> str:
    return key.rsplit(" ", 1)[-1]


def display_person(name: str) -> str:
    """The name as a person is shown: without a leading title, spaces tidied."""
    words = name.split()
    while len(words) > 1 and fold(words[0]).rstrip(".") in _TITLES:
        words = words[1:]
    return " ".join(words)


def merge_variants(names: Iterable[str]) -> list[str]:
    """The distinct people of one story: 'Jane Roe', 'Dr Jane Roe' and a later 'Roe' are one."""
    full: dict[str, str] = {}
    for name in names:
        key = person_key(name)
        if key and key not in full:
            full[key] = display_person(name)
    surnames = {surname(k) for k in full if " " in k}
    return [name for key, name in full.items() if " " in key or key not in surnames]


@dataclass(frozen=True, slots=True)
class Person:
    """A person as the ledger knows them: an id and every name key seen for them."""

    id: int
    name: str
    keys: frozenset[str]


def resolve_person(name: str, people: Iterable[Person]) -> Person | None:
    """The known person a name means, or None for someone new.

    A full name matches any recorded variant; a surname alone matches only when exactly one known
    person carries it (two people called Chen stay apart)."""
    key = person_key(name)
    if not key:
        return None
    candidates = list(people)
    for person in candidates:
        if key in person.keys:
            return person
    if " " in key:
        return None
    by_surname = [p for p in candidates if any(" " in k and surname(k) == key for k in p.keys)]
    return by_surname[0] if len(by_surname) == 1 else None


def org_key(name: str) -> str:
    """'Acme Robotics, Inc.' → 'acme robotics': the form under which an organisation is looked up."""
    words = _WORDS.findall(fold(name).replace("-", " "))
    while len(words) > 1 and words[-1] in _ORG_SUFFIXES:
        words = words[:-1]
    while len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def _expand(alias: str) -> list[str]:
    """Lexicon aliases use 'a/b' alternatives per word: 'lab/labs' → 'lab' and 'labs'."""
    forms = [""]
    for word in alias.split():
        forms = [f"{f} {alt}".strip() for f in forms for alt in word.split("/")]
    return forms


def _lexicon_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    # Big companies first, so that an AI lab's own alias (a unit such as FAIR) wins over them.
    for table in (BIG_TECH, AI_LABS):
        for canonical, names in table.items():
            aliases[org_key(canonical)] = canonical
            for alias in names:
                for form in _expand(alias):
                    aliases[org_key(form)] = canonical
    aliases.pop("zuckerberg", None)  # a person, not a company
    return aliases


LEXICON_ORGS: Mapping[str, str] = _lexicon_aliases()


@dataclass(frozen=True, slots=True)
class Org:
    name: str  # canonical, as charts and pages show it
    key: str  # the entity's own look-up key


def resolve_org(name: str, recorded: Mapping[str, str] | None = None) -> Org | None:
    """The organisation a name means, through aliases and parent units.

    `recorded` holds aliases the ledger learnt (corrections from chat), alias key → canonical name;
    they win over the lexicon. A name neither knows is a new organisation under its own name."""
    key = org_key(name)
    if not key:
        return None
    for table in (recorded or {}, LEXICON_ORGS):
        canonical = table.get(key)
        if canonical is not None:
            return Org(canonical, org_key(canonical))
    words = name.replace(",", " ").split()
    while len(words) > 1 and fold(words[-1]).strip(".") in _ORG_SUFFIXES:
        words = words[:-1]
    return Org(" ".join(words).strip(" .;:"), key)
