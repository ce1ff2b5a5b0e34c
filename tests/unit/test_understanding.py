"""The understanding stage: verdicts with reasons, talent moves, summaries (shipped model, no I/O)."""

from __future__ import annotations

import pytest

from bot.core.features import analyse, features
from bot.core.moves import extract_move
from bot.core.phrases import PhraseMatcher, tokens
from bot.core.summarise import summarise
from bot.core.understand import Understander


@pytest.fixture(scope="module")
def understander() -> Understander:
    return Understander()


def test_the_motivating_story_is_both_topics_with_its_move(understander: Understander) -> None:
    und = understander.understand(
        "Meta hires OpenAI's Jason Wei and Hyung Won Chung for its Superintelligence Lab",
        "Meta has hired OpenAI researchers Jason Wei and Hyung Won Chung to join Meta Superintelligence Labs.",
    )
    assert set(und.labels) == {"talent_war", "agi"}
    assert und.verdicts["talent_war"].reasons, "a flag always comes with reasons"
    assert und.verdicts["agi"].reasons
    assert und.move is not None
    assert und.move.line() == "Jason Wei, Hyung Won Chung: OpenAI → Meta"
    assert und.move.kind == "hire"


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Arsenal poach Brentford striker in £58m January deal",
            "The club agreed a fee for the forward.",
        ),
        (
            "How the new standard deduction changes your AGI",
            "Your adjusted gross income decides which credits you can claim.",
        ),
        (
            "OpenAI launches GPT-5.5 with faster coding",
            "The new model is available today in ChatGPT for Plus users.",
        ),
        (
            "The only poached eggs recipe you'll ever need",
            "Simmer water with a splash of vinegar and slide in the egg.",
        ),
        (
            "Le PSG recrute un attaquant de Lille pour 45 millions d'euros",
            "Le club parisien a bouclé son mercato.",
        ),
        (
            "TalentLoop launches an AI talent acquisition platform",
            "Recruiters can screen 10,000 CVs an hour.",
        ),
    ],
)
def test_hard_negatives_never_flag(understander: Understander, title: str, text: str) -> None:
    und = understander.understand(title, text)
    assert und.labels == [], (title, und.scores)
    assert und.move is None


@pytest.mark.parametrize(
    ("title", "label"),
    [
        ("Yann LeCun quitte Meta pour fonder sa propre start-up", "talent_war"),
        ("Mistral AI débauche cinq chercheurs de Google DeepMind", "talent_war"),
        ("Course à l'AGI : les patrons de la tech avancent leur calendrier", "agi"),
        ("AI system tops 85% on ARC-AGI-2 for the first time", "agi"),
        ("Microsoft licenses Inflection's models and hires its founders", "talent_war"),
    ],
)
def test_positives_in_both_languages(understander: Understander, title: str, label: str) -> None:
    assert label in understander.understand(title, "").labels


def test_scores_are_probabilities_and_unflagged_topics_have_no_reasons(
    understander: Understander,
) -> None:
    und = understander.understand(
        "Google rolls out a new Pixel camera feature", "Available next week."
    )
    for verdict in und.verdicts.values():
        assert 0.0 <= verdict.score <= 1.0
        assert not verdict.flagged and verdict.reasons == ()


@pytest.mark.parametrize(
    ("title", "people", "src", "dst", "kind"),
    [
        (
            "Apple's head of foundation models Ruoming Pang leaves for Meta",
            ("Ruoming Pang",),
            "Apple",
            "Meta",
            "hire",
        ),
        ("Mira Murati leaves OpenAI", ("Mira Murati",), "OpenAI", None, "departure"),
        (
            "Google DeepMind poaches Jane Doe from OpenAI",
            ("Jane Doe",),
            "OpenAI",
            "Google DeepMind",
            "hire",
        ),
        (
            "Le chercheur Julien Marchetti quitte FAIR pour rejoindre OpenAI",
            ("Julien Marchetti",),
            "Meta",
            "OpenAI",
            "hire",
        ),
        (
            "Google hires Windsurf CEO Varun Mohan in a license-and-hire deal",
            ("Varun Mohan",),
            "Windsurf",
            "Google",
            "acquihire",
        ),
        (
            "Former OpenAI researcher Tom Brown co-founds a new lab",
            ("Tom Brown",),
            "OpenAI",
            None,
            "founding",
        ),
    ],
)
def test_move_extraction_and_org_normalisation(
    title: str, people: tuple[str, ...], src: str | None, dst: str | None, kind: str
) -> None:
    move = extract_move(title, "")
    assert move is not None
    assert (move.people, move.from_org, move.to_org, move.kind) == (people, src, dst, kind)


def test_sub_units_normalise_to_their_parent() -> None:
    move = extract_move("Meta Superintelligence Labs hires Google Brain veteran Ada Morel", "")
    assert move is not None
    assert (move.from_org, move.to_org) == ("Google DeepMind", "Meta")


def test_summary_is_extractive_short_and_skips_a_repeated_headline() -> None:
    title = "Meta hires two OpenAI researchers"
    text = (
        "Meta hires two OpenAI researchers. The pair worked on reasoning models at OpenAI for three years. "
        "They start next month. "
        + "More detail follows in a long paragraph that goes on and on. "
        * 10
    )
    summary = summarise(title, text)
    assert (
        summary
        == "The pair worked on reasoning models at OpenAI for three years. They start next month."
    )
    long_text = "word " * 200
    short = summarise("T", long_text)
    assert len(short) <= 280 and short.endswith("…")
    assert summarise("Only a headline here", "") == "Only a headline here"


def test_phrase_matcher_handles_prefixes_alternatives_and_numbers() -> None:
    matcher = PhraseMatcher(
        {"hire": ("debauch*", "hire/hires"), "pay": ("$ # million",), "lab": ("google deepmind",)}
    )
    found = {
        (m.category, m.start, m.end)
        for m in matcher.find(tokens("Google DeepMind débauche; Meta hires for $100 million"))
    }
    assert found == {("lab", 0, 2), ("hire", 2, 3), ("hire", 4, 5), ("pay", 6, 9)}


def test_features_fire_on_the_facts_they_name() -> None:
    facts = features(
        analyse("Meta hires OpenAI's Jason Wei", "He joins Meta Superintelligence Labs.")
    )
    for name in ("hire_t", "lab", "person", "person_known", "c_move_lab_person", "agi_lab"):
        assert name in facts, name
    assert "sport" not in facts
