"""Decide which story an item belongs to: same link or GUID, or the same news told by another outlet."""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.entities import LEXICON_ORGS
from bot.core.lexicon import STOPWORDS
from bot.core.models import Move, Understanding
from bot.core.phrases import fold

_WORD = re.compile(r"[a-z0-9][a-z0-9'-]+")


def title_words(title: str) -> frozenset[str]:
    words = (w.strip("'-") for w in _WORD.findall(fold(title)))
    return frozenset(w for w in words if len(w) > 2 and w not in STOPWORDS)


def person_keys(people: Iterable[str]) -> frozenset[str]:
    return frozenset(fold(p).strip() for p in people if p.strip())


@dataclass(frozen=True, slots=True)
class StoryRef:
    """What clustering needs to know of a recent flagged story."""

    story_id: int
    words: frozenset[str]
    people: frozenset[str]
    to_org: str | None
    seen_at: datetime
    language: str | None = None


# Words that read the same in every language: organisation names and codes with digits
# ('arc-agi-2', 'gpt-5'). Reports of one event in two languages share them and little else.
_ORG_WORDS = frozenset(key for key in LEXICON_ORGS if " " not in key)


def anchors(words: frozenset[str]) -> frozenset[str]:
    return frozenset(w for w in words if w in _ORG_WORDS or any(c.isdigit() for c in w))


def same_event_across_languages(words: frozenset[str], ref_words: frozenset[str]) -> bool:
    """Two headlines in different languages tell one event: they share two language-neutral
    words, or carry the same single code ('ARC-AGI-2') and no other such word."""
    mine, theirs = anchors(words), anchors(ref_words)
    shared = mine & theirs
    if len(shared) >= 2:
        return True
    return len(shared) == 1 and mine == theirs and any(c.isdigit() for c in next(iter(shared)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def same_story(
    words: frozenset[str],
    people: frozenset[str],
    to_org: str | None,
    ref: StoryRef,
    language: str | None = None,
) -> bool:
    """Two headlines tell the same news: the same people moving to the same place, or most words
    shared, or (in two languages) the same names and codes."""
    overlap = jaccard(words, ref.words)
    bilingual = bool(language and ref.language and language != ref.language)
    if people and people & ref.people:
        if to_org and ref.to_org:
            return to_org == ref.to_org
        return overlap >= 0.2 or bilingual
    if bilingual and not (people and ref.people):
        return same_event_across_languages(words, ref.words)
    return overlap >= 0.5 and len(words & ref.words) >= 4


class StoryIndex:
    """Recent flagged stories, searched for near-duplicates of a new flagged item.

    Inverted on words and people so that a look-up touches only stories that share something;
    words carried by very many stories ('openai') say nothing about sameness and are not followed.
    It lives as long as the process: each cycle adds what changed since the last one and drops
    what left the window, so a cycle's cost does not grow with the stories kept."""

    COMMON = 200

    def __init__(self, window: timedelta) -> None:
        self.window = window
        self._refs: dict[int, StoryRef] = {}
        self._by_word: dict[str, set[int]] = {}
        self._by_person: dict[str, set[int]] = {}
        self._by_age: list[tuple[datetime, int]] = []  # a heap; stale entries are skipped

    def add(self, ref: StoryRef) -> None:
        """Add a story, or replace what the index knew of it."""
        known = self._refs.get(ref.story_id)
        if known == ref:
            return  # reloaded unchanged: each cycle reloads what changed lately, with a margin
        if known is not None:
            self._unlink(known)
        self._refs[ref.story_id] = ref
        for word in ref.words:
            self._by_word.setdefault(word, set()).add(ref.story_id)
        for person in ref.people:
            self._by_person.setdefault(person, set()).add(ref.story_id)
        heapq.heappush(self._by_age, (ref.seen_at, ref.story_id))

    def _unlink(self, ref: StoryRef) -> None:
        for table, keys in ((self._by_word, ref.words), (self._by_person, ref.people)):
            for key in keys:
                bucket = table.get(key)
                if bucket is not None:
                    bucket.discard(ref.story_id)
                    if not bucket:
                        del table[key]

    def discard(self, story_ids: Iterable[int]) -> None:
        """Forget stories (those of a transaction that was rolled back)."""
        for story_id in story_ids:
            ref = self._refs.pop(story_id, None)
            if ref is not None:
                self._unlink(ref)

    def expire(self, now: datetime) -> int:
        """Drop the stories last seen before the window; returns how many went."""
        horizon = now - self.window
        dropped = 0
        while self._by_age and self._by_age[0][0] < horizon:
            seen_at, story_id = heapq.heappop(self._by_age)
            ref = self._refs.get(story_id)
            if ref is not None and ref.seen_at == seen_at:
                self.discard((story_id,))
                dropped += 1
        return dropped

    def find(
        self,
        words: frozenset[str],
        people: frozenset[str],
        to_org: str | None,
        now: datetime,
        language: str | None = None,
    ) -> int | None:
        shared: dict[int, int] = {}
        codes = anchors(words)
        for word in words:
            ids = self._by_word.get(word)
            if ids and len(ids) <= self.COMMON:
                for sid in ids:
                    # A shared code or name counts double: another language shares little else.
                    shared[sid] = shared.get(sid, 0) + (2 if word in codes else 1)
        candidates = {sid for sid, count in shared.items() if count >= 2}
        for person in people:
            candidates.update(self._by_person.get(person, ()))
        horizon = now - self.window
        best: tuple[float, int] | None = None
        for sid in candidates:
            ref = self._refs[sid]
            if ref.seen_at < horizon or not same_story(words, people, to_org, ref, language):
                continue
            score = jaccard(words, ref.words) + (1.0 if people & ref.people else 0.0)
            if best is None or score > best[0]:
                best = (score, ref.story_id)
        return best[1] if best else None

    def rename(self, ids: dict[int, int]) -> None:
        """Swap the temporary ids of stories created in a batch for their stored ids."""
        for old, new in ids.items():
            ref = self._refs.get(old)
            if ref is None:
                continue
            self.discard((old,))
            self.add(StoryRef(new, ref.words, ref.people, ref.to_org, ref.seen_at, ref.language))

    def __contains__(self, story_id: object) -> bool:
        return story_id in self._refs

    def __len__(self) -> int:
        return len(self._refs)


@dataclass(frozen=True, slots=True)
class StoryState:
    """A story's verdict: the best score per topic over its items, and what was flagged."""

    topics: frozenset[str] = frozenset()
    scores: tuple[tuple[str, float], ...] = ()
    reasons: tuple[tuple[str, tuple[str, ...]], ...] = ()
    move: Move | None = None
    summary: str = ""
    alertable: bool = False

    def merge(self, und: Understanding, alertable: bool) -> StoryState:
        scores = dict(self.scores)
        reasons = dict(self.reasons)
        topics = set(self.topics)
        for topic, verdict in und.verdicts.items():
            if verdict.score > scores.get(topic, 0.0) or topic not in scores:
                scores[topic] = verdict.score
                if verdict.flagged:
                    reasons[topic] = verdict.reasons
            if verdict.flagged:
                topics.add(topic)
        return StoryState(
            topics=frozenset(topics),
            scores=tuple(sorted(scores.items())),
            reasons=tuple(sorted(reasons.items())),
            move=self.move or und.move,
            summary=self.summary or und.summary,
            alertable=self.alertable or alertable,
        )
