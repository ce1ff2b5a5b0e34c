"""People and organisations as entities: name variants, accents, aliases, units, unknown startups;
and the ledger's pure decisions (what counts, when two reports are one move, what a chart shows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.entities import (
    Person,
    merge_variants,
    org_key,
    person_key,
    resolve_org,
    resolve_person,
)
from bot.core.models import Move
from bot.core.talent import (
    LedgerMove,
    Source,
    confidence,
    csv_row,
    flow_chart,
    ledger_people,
    same_move,
)

DAY = datetime(2026, 11, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    "variant",
    ["Jane Roe", "Dr Jane Roe", "Dr. Jane Roe", "jane roe", "Jane Roé", "Prof. Jane  Roe", "Roe"],
)
def test_name_variants_resolve_to_one_person(variant: str) -> None:
    roe = Person(1, "Jane Roe", frozenset({person_key("Jane Roe")}))
    other = Person(2, "John Smith", frozenset({"john smith"}))
    assert resolve_person(variant, [other, roe]) == roe


def test_accents_dropped_or_kept_are_the_same_key() -> None:
    assert person_key("Hélène Dupré") == person_key("Helene Dupre") == "helene dupre"
    assert person_key("Jean-Rémi King") == person_key("Jean Remi King")


def test_a_surname_alone_is_ambiguous_when_two_people_carry_it() -> None:
    people = [
        Person(1, "Mark Chen", frozenset({"mark chen"})),
        Person(2, "Lily Chen", frozenset({"lily chen"})),
    ]
    assert resolve_person("Chen", people) is None
    assert resolve_person("Lily Chen", people) == people[1]
    assert resolve_person("Jane Chen", people) is None, "a different first name is someone else"


def test_one_storys_variants_are_one_person_each() -> None:
    assert merge_variants(["Dr Jane Roe", "Jane Roe", "Roe", "Jason Wei"]) == [
        "Jane Roe",
        "Jason Wei",
    ]
    assert merge_variants(["Wei"]) == ["Wei"], "a lone surname is kept for the ledger to resolve"


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("FAIR", "Meta"),
        ("Meta Superintelligence Labs", "Meta"),
        ("Meta Superintelligence Lab", "Meta"),
        ("Facebook", "Meta"),
        ("Google Brain", "Google DeepMind"),
        ("DeepMind", "Google DeepMind"),
        ("Google DeepMind", "Google DeepMind"),
        ("OpenAI", "OpenAI"),
        ("Open AI", "OpenAI"),
        ("Inflection AI", "Microsoft"),
        ("Mistral", "Mistral AI"),
        ("Google", "Google"),
    ],
)
def test_organisation_aliases_and_units_resolve_to_one_entity(name: str, canonical: str) -> None:
    org = resolve_org(name)
    assert org is not None
    assert (org.name, org.key) == (canonical, org_key(canonical))


def test_an_unknown_startup_is_an_organisation_under_its_own_name() -> None:
    org = resolve_org("Acme Robotics, Inc.")
    assert org is not None
    assert (org.name, org.key) == ("Acme Robotics", "acme robotics")
    assert org_key("acme robotics") == org_key("The Acme Robotics Inc") == org.key
    assert resolve_org("  ") is None


def test_recorded_aliases_win_over_the_lexicon() -> None:
    """A correction from chat ('Gemini team' meant Google, not Google DeepMind) holds later."""
    fixed = resolve_org("Gemini team", {"gemini team": "Google"})
    assert fixed is not None and fixed.name == "Google"
    assert resolve_org("Gemini team") == resolve_org("Google DeepMind")


def test_only_moves_of_named_people_between_places_count() -> None:
    hire = Move(("Jason Wei", "Dr Jason Wei"), "OpenAI", "Meta", None, "hire")
    assert ledger_people(hire) == ["Jason Wei"]
    assert ledger_people(Move(("Jane Roe",), "OpenAI", None, None, "pay")) == []
    assert ledger_people(Move(("Jane Roe",), None, None, None, "hire")) == []
    assert ledger_people(Move((), "OpenAI", "Meta", "researchers", "hire")) == []
    founding = Move(("Yann LeCun",), "Meta", None, None, "founding")
    assert ledger_people(founding) == ["Yann LeCun"]


def test_reports_of_one_person_are_one_move_when_the_ends_agree_and_dates_are_close() -> None:
    later = DAY + timedelta(days=2)
    assert same_move("OpenAI", "Meta", DAY, "OpenAI", "Meta", later)
    assert same_move("OpenAI", None, DAY, None, "Meta", later), "departure, then the hire"
    assert same_move("OpenAI", "Meta", DAY, "OpenAI", None, later)
    assert not same_move("OpenAI", "Meta", DAY, "OpenAI", "Anthropic", later)
    assert not same_move("OpenAI", "Meta", DAY, "OpenAI", "Meta", DAY + timedelta(days=90))


def test_confidence_grows_with_named_ends_and_outlets() -> None:
    assert confidence(False, True, 1) < confidence(True, True, 1) < confidence(True, True, 3)
    assert confidence(True, True, 50) == 1.0


def _move(mid: int, person: str, src: str | None, dst: str | None, days: int = 0) -> LedgerMove:
    return LedgerMove(
        id=mid,
        person=person,
        from_org=src,
        to_org=dst,
        role=None,
        kind="hire",
        published_at=DAY + timedelta(days=days),
        story_id=mid,
        confidence=0.9,
        sources=(
            Source("TechWire", "https://t.example/a", "en", DAY),
            Source("Numérique", "https://n.example/a", "fr", DAY),
        ),
    )


def test_the_chart_model_counts_each_person_once_per_flow() -> None:
    moves = [
        _move(1, "Jason Wei", "OpenAI", "Meta"),
        _move(2, "Hyung Won Chung", "OpenAI", "Meta"),
        _move(3, "Julien Marchetti", "Meta", "OpenAI", days=1),
        _move(4, "Daniel Okafor", "Apple", "Anthropic", days=2),
        _move(5, "Someone Else", None, "Anthropic", days=3),
    ]
    chart = flow_chart(moves, "Talent flow, last 30d", max_lines=3)
    flows = {(f.origin, f.destination): f.people for f in chart.flows}
    assert flows == {
        ("OpenAI", "Meta"): 2,
        ("Meta", "OpenAI"): 1,
        ("Apple", "Anthropic"): 1,
        ("?", "Anthropic"): 1,
    }
    assert chart.flows[0].people == 2
    net = {org: (gained, lost) for org, gained, lost in chart.net}
    assert net == {"Meta": (2, 1), "OpenAI": (1, 2), "Anthropic": (2, 0), "Apple": (0, 1)}
    assert chart.net[0][0] == "Anthropic" and chart.net[-1][0] in ("Apple", "OpenAI")
    assert len(chart.lines) == 3 and chart.more == 2
    assert chart.lines[0].startswith("Dec 01  Someone Else: ? → Anthropic")
    assert "(2 src)" in chart.lines[0]


def test_a_csv_row_names_every_outlet_and_language() -> None:
    row = csv_row(_move(7, "Jason Wei", "OpenAI", "Meta"))
    assert row[:5] == ["7", "2026-11-28", "Jason Wei", "OpenAI", "Meta"]
    assert row[8:11] == ["2", "Numérique; TechWire", "en; fr"]
