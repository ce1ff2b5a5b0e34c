"""The class-level AGI cues of bot/core/agi_cues.py, on sentences written for this test (not in the corpus)."""

from __future__ import annotations

import pytest

from bot.core import agi_cues
from bot.core.features import analyse, features
from bot.core.phrases import tokens


@pytest.mark.parametrize(
    "text",
    [
        "Engineers fear models that outsmart their own designers and human reviewers",
        "Will these systems soon be smarter than the researchers who train them?",
        "Un laboratoire promet des IA bien plus intelligentes que les humains",
        "Des algorithmes qui surpassent les chercheurs : le pari d'une start-up",
        "A model far more capable than people at drug design, its makers claim",
    ],
)
def test_a_machine_set_against_people_is_a_comparison(text: str) -> None:
    assert agi_cues.machine_beyond_people(tokens(text)), text


@pytest.mark.parametrize(
    "text",
    [
        # No machine in the clause: a person or an animal is compared.
        "The new coach is smarter than people give her credit for",
        "Ces corbeaux sont plus intelligents que nous le pensions",
        # An adjective without "more"/"plus" compares nothing.
        "An intelligent assistant for people who hate email",
        # A machine, but nobody it is measured against.
        "This router beats rivals on price and range",
    ],
)
def test_no_machine_or_no_people_is_no_comparison(text: str) -> None:
    assert not agi_cues.machine_beyond_people(tokens(text)), text


@pytest.mark.parametrize(
    "text, broad",
    [
        ("an agent that can take on any job done at a desk", True),
        ("une IA compétente dans toutes les disciplines scientifiques", True),
        ("assistants that rival people across the board", True),
        ("an assistant that drafts emails for busy managers", False),
        ("all the news from the tasting room", False),
    ],
)
def test_breadth_of_ability(text: str, broad: bool) -> None:
    assert agi_cues.breadth_of_ability(tokens(text)) is broad


def _spans(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    a = analyse(text, "")
    return a.title_tokens, [(m.start, m.end) for m in a.title_matches if m.category == "agi_term"]


@pytest.mark.parametrize(
    "text, goal",
    [
        ("Lab founders promise AGI within reach by 2031", True),
        ("A Korean start-up says its mission is superintelligence", True),
        ("La start-up veut bâtir une IA générale à Lyon", True),
        ("What AGI means for the tax return you file in April", False),
        ("A superintelligence narrates this chamber opera", False),
    ],
)
def test_agi_as_a_goal_needs_a_goal_or_a_date_in_the_clause(text: str, goal: bool) -> None:
    toks, spans = _spans(text)
    assert spans, text
    assert agi_cues.agi_as_goal(toks, spans) is goal


def test_near_is_within_a_clause() -> None:
    assert agi_cues.near([(3, 4)], [(10, 11)])
    assert not agi_cues.near([(0, 1)], [(40, 41)])


def test_the_cues_become_facts_and_hidden_senses_keep_them_out() -> None:
    news = features(
        analyse("Start-up founders vow to reach AGI before 2031 with open LLM research", "")
    )
    assert {"c_agi_goal", "c_agi_near_ai"} <= news.keys()
    implicit = features(
        analyse("Planners ask what happens when machines outperform people in every field", "")
    )
    assert {"c_machine_beyond_people", "c_machine_breadth", "c_beyond_and_broad"} <= implicit.keys()
    # A film's superintelligence keeps its sense hidden, and with it the new cues.
    film = features(
        analyse("Review: the superintelligence in this thriller is smarter than every human", "")
    )
    assert "sense_story" in film
    assert not any(k.startswith(("c_agi_goal", "c_machine_")) for k in film)


@pytest.mark.parametrize(
    "text",
    [
        "Les start-up d'IA de Berlin recrutent les meilleurs ingénieurs du pays",
        "Which AI labs give the best researchers the better offers?",
    ],
)
def test_a_superlative_ranks_people_and_compares_nothing(text: str) -> None:
    assert not agi_cues.machine_beyond_people(tokens(text)), text


def test_an_adjective_compares_through_than() -> None:
    assert agi_cues.machine_beyond_people(tokens("Des modèles meilleurs que les experts en droit"))
    assert agi_cues.machine_beyond_people(tokens("AI systems superior to human pilots, says study"))
