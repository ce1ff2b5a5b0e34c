"""The story index kept across cycles: replacing, forgetting and ageing out stories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.stories import StoryIndex, StoryRef, person_keys, title_words

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
HIRE = "Meta hires OpenAI's Jason Wei and Hyung Won Chung"
PEOPLE = ("Jason Wei", "Hyung Won Chung")


def ref(sid: int, title: str, at: datetime = NOW, people: tuple[str, ...] = PEOPLE) -> StoryRef:
    return StoryRef(sid, title_words(title), person_keys(people), "Meta", at)


def find(index: StoryIndex, title: str, at: datetime = NOW) -> int | None:
    return index.find(title_words(title), person_keys(PEOPLE), "Meta", at)


def test_stories_leave_the_index_when_they_leave_the_window() -> None:
    index = StoryIndex(timedelta(hours=72))
    index.add(ref(1, HIRE, NOW - timedelta(hours=80)))
    index.add(ref(2, "Another story", NOW - timedelta(hours=1), people=("Ada Lin",)))
    assert index.expire(NOW) == 1
    assert 1 not in index and 2 in index and len(index) == 1
    assert find(index, HIRE) is None


def test_a_story_seen_again_is_replaced_and_kept_past_its_first_age() -> None:
    index = StoryIndex(timedelta(hours=72))
    index.add(ref(1, HIRE, NOW - timedelta(hours=80)))
    index.add(ref(1, HIRE, NOW - timedelta(hours=1)))  # reloaded: new coverage joined it
    assert index.expire(NOW) == 0 and len(index) == 1
    assert find(index, HIRE) == 1
    # Replaced words no longer lead to it.
    index.add(ref(1, "A different headline entirely", NOW, people=()))
    assert index.find(title_words(HIRE), frozenset(), None, NOW) is None


def test_discarded_and_renamed_stories() -> None:
    index = StoryIndex(timedelta(hours=72))
    index.add(ref(-1, HIRE))
    index.rename({-1: 7})
    assert -1 not in index and find(index, HIRE) == 7
    index.discard([7])
    assert len(index) == 0 and find(index, HIRE) is None
