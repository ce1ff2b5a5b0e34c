"""One event reported in English and in French is one story, in either arrival order; different
events that share a word or two across languages stay apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.stories import StoryIndex, StoryRef, person_keys, title_words

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
WEI_CHUNG = ("Jason Wei", "Hyung Won Chung")

SAME_EVENT = [
    (
        ("Meta hires OpenAI's Jason Wei and Hyung Won Chung for its Superintelligence Lab", "en"),
        ("Meta débauche Jason Wei et Hyung Won Chung, deux chercheurs vedettes d'OpenAI", "fr"),
        WEI_CHUNG,
        "Meta",
    ),
    (
        ("AI system tops 85% on ARC-AGI-2, clearing the prize threshold for the first time", "en"),
        ("Un système d'IA dépasse 85 % sur ARC-AGI-2 et franchit le seuil du prix", "fr"),
        (),
        None,
    ),
    (
        ("Mistral poaches five DeepMind researchers for its Paris lab", "en"),
        ("Mistral AI débauche cinq chercheurs de Google DeepMind", "fr"),
        (),
        None,
    ),
]


def index_with(
    title: str, language: str, people: tuple[str, ...], to_org: str | None
) -> StoryIndex:
    index = StoryIndex(timedelta(hours=72))
    index.add(StoryRef(1, title_words(title), person_keys(people), to_org, NOW, language))
    return index


@pytest.mark.parametrize("case", SAME_EVENT, ids=["people", "benchmark", "labs"])
@pytest.mark.parametrize("order", ["en-first", "fr-first"])
def test_one_event_in_two_languages_is_one_story(
    case: tuple[tuple[str, str], tuple[str, str], tuple[str, ...], str | None], order: str
) -> None:
    english, french, people, to_org = case
    first, second = (english, french) if order == "en-first" else (french, english)
    index = index_with(first[0], first[1], people, to_org)
    later = NOW + timedelta(hours=20)
    found = index.find(title_words(second[0]), person_keys(people), to_org, later, second[1])
    assert found == 1


@pytest.mark.parametrize(
    ("english", "french"),
    [
        ("OpenAI hires a new chief scientist", "OpenAI lance un navigateur web"),
        ("OpenAI launches GPT-5 for everyone", "Les prix de GPT-5 fuitent"),
        (
            "Anthropic says AGI could arrive by 2028",
            "Course à l'AGI : les patrons avancent leur calendrier",
        ),
    ],
)
def test_different_events_sharing_a_name_across_languages_stay_apart(
    english: str, french: str
) -> None:
    index = index_with(english, "en", (), None)
    assert index.find(title_words(french), frozenset(), None, NOW, "fr") is None


def test_the_cross_language_rule_does_not_loosen_clustering_in_one_language() -> None:
    index = index_with("AI system tops 85% on ARC-AGI-2", "en", (), None)
    other = "ARC-AGI-2 organisers change the rules for next year"
    assert index.find(title_words(other), frozenset(), None, NOW, "en") is None
    # Across languages a single shared code is enough only when neither headline has another one.
    both = "ARC-AGI-2 et ARC-AGI-3 : ce qui change pour les laboratoires"
    assert index.find(title_words(both), frozenset(), None, NOW, "fr") is None


def test_outside_the_window_nothing_joins() -> None:
    english, french, people, to_org = SAME_EVENT[1]
    index = index_with(english[0], "en", people, to_org)
    late = NOW + timedelta(hours=73)
    assert index.find(title_words(french[0]), frozenset(), None, late, "fr") is None
