"""Find many short phrases in text at once, by tokens: one dictionary look-up per token and prefix.

Python's regular expressions try every branch of an alternation at every position, which made the
classifier ten times too slow. Phrases here are sequences of token specs: a word, a prefix ending in
'*', alternatives joined by '/', or '#' for any number. Text is folded to lower-case ASCII first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

_TOKEN = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*|\$")
_FOLD_TABLE = str.maketrans({"’": "'", "‘": "'", "œ": "oe", "æ": "ae", "ß": "ss"})


class _Accents(dict[int, str]):
    """Each character's decomposition without its accents, worked out once per character: the
    same as decomposing the whole text, without a Python step per character of every item."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code))
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        self[code] = folded
        return folded


_ACCENTS = _Accents()


def fold(text: str) -> str:
    """Lower-case ASCII: 'Débauché' → 'debauche'."""
    text = text.lower().translate(_FOLD_TABLE)
    if text.isascii():
        return text
    return text.translate(_ACCENTS)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


@dataclass(frozen=True, slots=True)
class Match:
    category: str
    start: int  # token index
    end: int  # one past the last token


class _Spec:
    __slots__ = ("number", "prefixes", "words")

    def __init__(self, spec: str) -> None:
        self.words: frozenset[str] = frozenset(
            a for a in spec.split("/") if not a.endswith("*") and a != "#"
        )
        self.prefixes: tuple[str, ...] = tuple(a[:-1] for a in spec.split("/") if a.endswith("*"))
        self.number = "#" in spec.split("/")

    def accepts(self, token: str) -> bool:
        if token in self.words:
            return True
        if self.number and token.replace(".", "").replace(",", "").isdigit():
            return True
        return any(token.startswith(p) for p in self.prefixes)


class PhraseMatcher:
    """Compiled phrase sets, each under a category name."""

    def __init__(self, categories: Mapping[str, Iterable[str]]) -> None:
        self._exact: dict[str, list[tuple[str, tuple[_Spec, ...]]]] = {}
        self._prefix: dict[str, list[tuple[str, tuple[_Spec, ...]]]] = {}
        self._number: list[tuple[str, tuple[_Spec, ...]]] = []
        for category, phrases in categories.items():
            for phrase in phrases:
                specs = tuple(_Spec(s) for s in phrase.split())
                if not specs:
                    continue
                entry = (category, specs[1:])
                for alt in phrase.split()[0].split("/"):
                    if alt == "#":
                        self._number.append(entry)
                    elif alt.endswith("*"):
                        if len(alt) < 4:
                            raise ValueError(f"prefix {alt!r} is too short to index")
                        self._prefix.setdefault(alt[:-1], []).append(entry)
                    else:
                        self._exact.setdefault(alt, []).append(entry)
        # Prefix phrases are found through their first three letters: one look-up per token
        # instead of one per distinct prefix length.
        self._by_head: dict[str, list[tuple[str, list[tuple[str, tuple[_Spec, ...]]]]]] = {}
        for prefix, entries in self._prefix.items():
            self._by_head.setdefault(prefix[:3], []).append((prefix, entries))
        self._cache: dict[str, tuple[tuple[str, tuple[_Spec, ...]], ...]] = {}

    def _starting_with(self, tok: str) -> tuple[tuple[str, tuple[_Spec, ...]], ...]:
        """Every phrase whose first token spec accepts `tok`, memoised: news reuses its words."""
        cached = self._cache.get(tok)
        if cached is not None:
            return cached
        out: list[tuple[str, tuple[_Spec, ...]]] = list(self._exact.get(tok, ()))
        for prefix, entries in self._by_head.get(tok[:3], ()):
            if tok.startswith(prefix):
                out.extend(entries)
        if self._number and tok[0].isdigit():
            out.extend(self._number)
        result = tuple(out)
        if len(self._cache) > 500_000:
            self._cache.clear()
        self._cache[tok] = result
        return result

    def find(self, toks: Sequence[str]) -> list[Match]:
        found: list[Match] = []
        starting_with = self._starting_with
        n = len(toks)
        for i, tok in enumerate(toks):
            candidates = starting_with(tok)
            if candidates:
                self._extend(found, candidates, toks, i, n)
        return found

    @staticmethod
    def _extend(
        found: list[Match],
        candidates: Sequence[tuple[str, tuple[_Spec, ...]]],
        toks: Sequence[str],
        i: int,
        n: int,
    ) -> None:
        for category, rest in candidates:
            if not rest:
                found.append(Match(category, i, i + 1))
                continue
            end = i + 1 + len(rest)
            if end > n:
                continue
            for k, spec in enumerate(rest):
                if not spec.accepts(toks[i + 1 + k]):
                    break
            else:
                found.append(Match(category, i, end))
