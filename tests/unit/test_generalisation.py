"""Issue 9's error classes, on sentences written for this test and absent from the corpus.

Each class is a kind of wording, not an example: an acronym in another sense, the AGI adjective as
marketing, fiction and psychology, moves without a classic verb, news that shares the talent war's
words without being about it. The shipped model classifies them; `resolve_senses` is checked on
its own too, since it decides before any weight does."""

from __future__ import annotations

import pytest

from bot.core.features import analyse, features, resolve_senses
from bot.core.understand import Understander


@pytest.fixture(scope="module")
def understander() -> Understander:
    return Understander()


OTHER_SENSES = [
    ("AGI shares slip as the gold miner delays its Mexican project", "acronym"),
    ("Your AGI and the child tax credit: the income limits for 2027", "acronym"),
    ("Ági Tóth elected mayor of a small town near Debrecen", "acronym"),
    ("IAG says fuel costs will weigh on Iberia and Vueling margins", "acronym"),
    ("L'ASI et la NASA préparent ensemble un satellite d'observation de Vénus", "acronym"),
    ("SSI : la médiathèque remplace son système de sécurité incendie", "ssi"),
    ("SSI benefits: how to report a change of income to Social Security", "ssi"),
    ("This super-intelligent thermostat learns your family's schedule in a week", "adjective"),
    (
        "Parrots display general intelligence on par with young children, psychologists find",
        "general",
    ),
    ("Review: a rogue superintelligence hunts a hacker in this cyberpunk thriller", "story"),
    ("Cinq actions à acheter pour profiter de la superintelligence", "markets"),
    ("L'intelligence générale des pies étonne les éthologues", "general"),
    ("A chamber opera about a superintelligence opens in Vienna", "story"),
]


@pytest.mark.parametrize(("title", "sense"), OTHER_SENSES)
def test_other_senses_are_recognised_and_never_flag_agi(
    understander: Understander, title: str, sense: str
) -> None:
    _, senses = resolve_senses(analyse(title, ""))
    assert sense in senses, (title, senses)
    assert "agi" not in understander.understand(title, "").labels, title


@pytest.mark.parametrize(
    "title",
    [
        "Why AGI is closer than most investors think",
        "Altman: we now know how to build AGI",
        "Safe Superintelligence opens a second office, in Tel Aviv",
        "SSI, Ilya Sutskever's lab, doubles its compute budget",
        "Critique : « Si quelqu'un la construit, tout le monde meurt », un essai sur la superintelligence",
        "How would we govern a superintelligent AI? Three proposals",
    ],
)
def test_the_ai_sense_is_kept(title: str) -> None:
    masked, senses = resolve_senses(analyse(title, ""))
    assert senses == frozenset(), (title, senses)
    assert masked.title_tokens == analyse(title, "").title_tokens


def test_a_hidden_sense_takes_the_agi_facts_with_it() -> None:
    facts = features(analyse("Alamos Gold (NYSE: AGI) lifts its dividend", ""))
    assert facts.get("sense_acronym") == 1.0
    assert "agi_term" not in facts and "agi_term_t" not in facts
    kept = features(analyse("OpenAI says AGI is a few years away", ""))
    assert "agi_term" in kept and "agi_term_t" in kept and "sense_acronym" not in kept
    # The AGI words vote only through facts that know their sense, never as bare word stems.
    assert "t:agi" not in facts and "t:agi" not in kept and "t:openai" in kept


@pytest.mark.parametrize(
    "title",
    [
        "Researchers warn that systems able to improve themselves could set off an intelligence explosion",
        "Une IA plus intelligente que les humains d'ici 2030 ? Les chercheurs se divisent",
        "The superhuman AI debate: would machines that outthink us let us switch them off?",
        "Safe Superintelligence opens a second office, in Tel Aviv",
    ],
)
def test_agi_without_the_word_or_as_a_lab_flags(understander: Understander, title: str) -> None:
    assert "agi" in understander.understand(title, "").labels, title


@pytest.mark.parametrize(
    "title",
    [
        "Former Google DeepMind researcher will run research at Reflection AI",
        "Cohere names ex-Meta scientist head of its agents team",
        "Two OpenAI veterans to co-lead Microsoft's new reasoning group",
        "Back at Google, the Character.AI co-founder will oversee Gemini pretraining",
        "Career update: Meta FAIR -> Anthropic, working on reward models",
        "Mistral AI récupère une chercheuse de Meta",
        "De retour chez Google DeepMind, l'ancien de Meta prendra la tête de la robotique",
        "La guerre des cerveaux de l'IA s'intensifie entre Meta et OpenAI",
    ],
)
def test_moves_without_a_classic_verb_flag_talent_war(
    understander: Understander, title: str
) -> None:
    assert "talent_war" in understander.understand(title, "").labels, title


@pytest.mark.parametrize(
    "title",
    [
        "MongoDB hires Oracle's sales chief as chief revenue officer",
        "We're hiring: ML engineer for our fraud team (remote, full-time)",
        "Video game testers at a Microsoft studio vote to unionise",
        "SK Hynix sues former employee over memory chip trade secrets",
        "Kia names a new chief executive for its European business",
        "Offre d'emploi : data scientist IA en CDI à Nantes, postulez avant vendredi",
    ],
)
def test_news_with_the_words_of_moves_but_no_ai_talent_does_not_flag(
    understander: Understander, title: str
) -> None:
    assert understander.understand(title, "").labels == [], title


def test_a_vacancy_is_not_a_move() -> None:
    masked, senses = resolve_senses(
        analyse("Job opening: research engineer, multimodal models", "")
    )
    assert "vacancy" in senses
    assert "hire" not in masked.cats() and "join" not in masked.cats()
    _, senses = resolve_senses(analyse("Meta is hiring Jane Roe away from OpenAI", ""))
    assert "vacancy" not in senses
