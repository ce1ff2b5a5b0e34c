"""Pure decisions: when a feed is due, how it backs off, which destinations get a story, story clustering."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.core.models import Destination, Move, TopicVerdict, Understanding
from bot.core.routing import route
from bot.core.schedule import backoff_delay, is_due, next_after_failure, next_after_success
from bot.core.stories import StoryIndex, StoryRef, StoryState, person_keys, title_words

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_due_and_interval_with_jitter() -> None:
    assert is_due(None, NOW)
    assert is_due(NOW - timedelta(seconds=1), NOW)
    assert not is_due(NOW + timedelta(seconds=1), NOW)
    rng = random.Random(1)
    for _ in range(20):
        nxt = next_after_success(NOW, 600, 60, rng)
        assert NOW + timedelta(seconds=600) <= nxt <= NOW + timedelta(seconds=660)


def test_backoff_doubles_and_caps() -> None:
    assert [backoff_delay(n, 600, 3600) for n in (1, 2, 3, 4, 5)] == [600, 1200, 2400, 3600, 3600]


def test_retry_after_is_honoured_but_never_shortens_our_floor() -> None:
    assert next_after_failure(NOW, 1, 600, 3600, 7200) == NOW + timedelta(seconds=7200)
    assert next_after_failure(NOW, 1, 600, 3600, 5) == NOW + timedelta(seconds=600)


def test_routing_by_topic_and_min_score() -> None:
    talent = Destination("a", frozenset({"talent_war"}))
    agi_strict = Destination("b", frozenset({"agi"}), min_score=0.9)
    both = Destination("c", frozenset({"talent_war", "agi"}))
    chosen = route({"agi"}, {"agi": 0.8, "talent_war": 0.1}, [talent, agi_strict, both])
    assert [d.key for d in chosen] == ["c"]
    chosen = route(
        {"agi", "talent_war"}, {"agi": 0.95, "talent_war": 0.7}, [talent, agi_strict, both]
    )
    assert [d.key for d in chosen] == ["a", "b", "c"]


def _ref(
    sid: int, title: str, people: tuple[str, ...] = (), to: str | None = None, at: datetime = NOW
) -> StoryRef:
    return StoryRef(sid, title_words(title), person_keys(people), to, at)


def test_same_people_moving_to_the_same_place_is_the_same_story() -> None:
    index = StoryIndex(timedelta(hours=72))
    index.add(
        _ref(
            1,
            "Meta hires OpenAI's Jason Wei and Hyung Won Chung",
            ("Jason Wei", "Hyung Won Chung"),
            "Meta",
        )
    )
    index.add(_ref(2, "Anthropic names a new chief scientist", ("Ada Morel",), "Anthropic"))
    other = title_words("OpenAI researchers Jason Wei and Hyung Won Chung depart for Meta")
    assert index.find(other, person_keys(["Jason Wei"]), "Meta", NOW) == 1
    # Same person, different destination: a different move.
    assert index.find(other, person_keys(["Jason Wei"]), "Google DeepMind", NOW) is None
    # Too old for the window.
    assert index.find(other, person_keys(["Jason Wei"]), "Meta", NOW + timedelta(days=4)) is None


def test_near_identical_headlines_cluster_and_unrelated_ones_do_not() -> None:
    index = StoryIndex(timedelta(hours=72))
    index.add(
        _ref(7, "AI system tops 85% on ARC-AGI-2, clearing the prize threshold for the first time")
    )
    assert (
        index.find(
            title_words("AI system tops 85% on ARC-AGI-2, clearing prize threshold for first time"),
            frozenset(),
            None,
            NOW,
        )
        == 7
    )
    assert (
        index.find(title_words("Sam Altman predicts AGI by 2028"), frozenset(), None, NOW) is None
    )
    index.rename({7: 70})
    assert (
        index.find(
            title_words("AI system tops 85% on ARC-AGI-2, clearing the prize threshold"),
            frozenset(),
            None,
            NOW,
        )
        == 70
    )


def _und(tw: float, agi: float, threshold: float = 0.5) -> Understanding:
    verdicts = {
        "talent_war": TopicVerdict(
            "talent_war", tw, tw >= threshold, ("tw reason",) if tw >= threshold else ()
        ),
        "agi": TopicVerdict(
            "agi", agi, agi >= threshold, ("agi reason",) if agi >= threshold else ()
        ),
    }
    move = Move(("Jason Wei",), "OpenAI", "Meta", None, "hire") if tw >= threshold else None
    return Understanding(verdicts, move, "summary", "en")


def test_story_state_keeps_the_best_scores_and_all_flagged_topics() -> None:
    state = (
        StoryState().merge(_und(0.2, 0.9), alertable=False).merge(_und(0.8, 0.3), alertable=True)
    )
    assert state.topics == frozenset({"talent_war", "agi"})
    assert dict(state.scores) == {"talent_war": 0.8, "agi": 0.9}
    assert dict(state.reasons) == {"talent_war": ("tw reason",), "agi": ("agi reason",)}
    assert state.alertable and state.move is not None


def test_next_poll_counts_from_when_the_poll_was_due() -> None:
    from bot.core.schedule import next_on_schedule

    rng = random.Random(1)
    due = NOW - timedelta(seconds=1.4)  # polled late: the batch window and the fetch itself
    assert next_on_schedule(due, NOW, 60, 0, rng) == due + timedelta(seconds=60)
    # Far behind (the service was down), ahead (a manual poll) or never planned: from now.
    assert next_on_schedule(NOW - timedelta(hours=2), NOW, 60, 0, rng) == NOW + timedelta(
        seconds=60
    )
    assert next_on_schedule(NOW + timedelta(seconds=30), NOW, 60, 0, rng) == NOW + timedelta(
        seconds=60
    )
    assert next_on_schedule(None, NOW, 60, 0, rng) == NOW + timedelta(seconds=60)
    for _ in range(20):
        nxt = next_on_schedule(due, NOW, 60, 10, rng)
        assert due + timedelta(seconds=60) <= nxt <= due + timedelta(seconds=70)
