"""Describe an item as named facts (a move verb, an AI lab, a named person, an AGI term…) for the model."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import lexicon as lx
from bot.core.lexicon import STOPWORDS
from bot.core.names import find_people, known_person
from bot.core.phrases import Match, PhraseMatcher, tokens

CATEGORIES = (
    "HIRE",
    "JOIN",
    "LEAVE",
    "FOUND",
    "FORMER",
    "ACQUIHIRE",
    "PAY",
    "LAWSUIT",
    "LEADERSHIP",
    "AI_ROLE",
    "AI_CONTEXT",
    "AGI_TERM",
    "AGI_LAB",
    "AGI_RACE",
    "AGI_TIMELINE",
    "AGI_XRISK",
    "AGI_BENCH",
    "AGI_CLAUSE",
    "AGI_OTHER",
    "SPORT",
    "TAX",
    "FOOD",
    "HRTECH",
    "JOBS",
    "PRODUCT",
    "FUNDING",
    "ENTERTAINMENT",
    "FICTION",
    "MARKETS",
    "AWARD",
    "NON_AI_EXEC",
    "NARROW_SAFETY",
)


def _build() -> PhraseMatcher:
    phrases: dict[str, tuple[str, ...]] = {c.lower(): getattr(lx, c) for c in CATEGORIES}
    for org, aliases in lx.AI_LABS.items():
        phrases[f"lab:{org}"] = aliases
    for org, aliases in lx.BIG_TECH.items():
        phrases[f"big:{org}"] = aliases
    return PhraseMatcher(phrases)


MATCHER = _build()
BODY_CHARS = 400  # the lead of a description carries the news; the rest costs time and adds noise


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the text says, with positions, for the classifier and the move extractor."""

    title_tokens: list[str]
    body_tokens: list[str]
    title_matches: list[Match]
    body_matches: list[Match]
    people: list[str]
    title_people: list[str]

    def cats(self, where: str = "all") -> set[str]:
        if where == "title":
            return {m.category for m in self.title_matches}
        return {m.category for m in self.title_matches} | {m.category for m in self.body_matches}

    def orgs(self, where: str = "all") -> list[str]:
        """Organisations in order of appearance, AI labs and big tech alike, canonical names."""
        matches = (
            self.title_matches if where == "title" else [*self.title_matches, *self.body_matches]
        )
        out: list[str] = []
        for m in matches:
            if m.category.startswith(("lab:", "big:")):
                name = m.category[4:]
                if name not in out:
                    out.append(name)
        return out


def analyse(title: str, body: str) -> Analysis:
    lead = body[:BODY_CHARS]
    title_tokens = tokens(title)
    body_tokens = tokens(lead)
    title_people = find_people(title)
    people = list(title_people)
    for name in find_people(lead):
        if name not in people and not any(name in p or p in name for p in people):
            people.append(name)
    return Analysis(
        title_tokens=title_tokens,
        body_tokens=body_tokens,
        title_matches=MATCHER.find(title_tokens),
        body_matches=MATCHER.find(body_tokens),
        people=people,
        title_people=title_people,
    )


def features(a: Analysis) -> dict[str, float]:
    """Binary facts and their telling combinations; names are stable, the model's weights refer to them."""
    t = a.cats("title")
    c = a.cats()
    f: dict[str, float] = {}

    def put(name: str, on: bool) -> None:
        if on:
            f[name] = 1.0

    lab = any(x.startswith("lab:") for x in c)
    lab_t = any(x.startswith("lab:") for x in t)
    big = any(x.startswith("big:") for x in c)
    org = lab or big
    org_t = lab_t or any(x.startswith("big:") for x in t)
    n_orgs = len(a.orgs())
    person = bool(a.people)
    person_t = bool(a.title_people)
    known = any(known_person(p) for p in a.people)
    ai = "ai_context" in c or lab
    for cat in CATEGORIES:
        low = cat.lower()
        put(low, low in c)
        put(f"{low}_t", low in t)
    put("lab", lab)
    put("lab_t", lab_t)
    put("big", big)
    put("org_t", org_t)
    put("two_orgs", n_orgs >= 2)
    put("person", person)
    put("person_t", person_t)
    put("person_known", known)
    put("ai", ai)

    move = bool(c & {"hire", "join", "leave"})
    move_t = bool(t & {"hire", "join", "leave"})
    who = person or "ai_role" in c
    put("c_move_org_who", move and org and who and ai)
    put("c_move_lab_person", move and lab and person)
    put("c_move_t_org_t", move_t and org_t)
    put("c_move_t_person_t", move_t and person_t)
    put("c_move_t_lab_person", move_t and lab and person)
    put("c_move_two_orgs", move and n_orgs >= 2 and who)
    put("c_acqui_org", "acquihire" in c and org)
    put("c_found_lab", "found" in c and lab)
    put("c_former_found", "former" in c and "found" in c)
    put("c_former_move", "former" in c and move)
    put("c_found_t", "found_t" in f and (lab or person))
    put("c_pay_ai", "pay" in c and ai and (who or org))
    put("c_law_move", "lawsuit" in c and org and (move or "pay" in c or "found" in c))
    put("c_lead_move_lab", "leadership" in c and move and lab)
    put("c_move_no_ai", move and not ai)
    put("c_move_no_org", move and not org)
    put("c_agi_title", "agi_term_t" in f and "tax" not in c)
    put(
        "c_agi_frame",
        "agi_term" in c
        and bool(c & {"agi_race", "agi_timeline", "agi_xrisk", "agi_clause", "agi_bench"}),
    )
    put("c_agi_tax", "agi_term" in c and "tax" in c)
    put("c_agi_other", "agi_term" in c and "agi_other" in c)
    put("c_agi_no_ai", "agi_term" in c and not ai)
    put("c_agi_fiction", "agi_term" in c and bool(c & {"fiction", "entertainment"}))
    put("c_agi_markets", "agi_term" in c and "markets" in c)
    put("c_award_no_move", "award" in c and not move)
    put("c_agi_lab_move", "agi_lab" in c and move)
    put("c_agi_product", "agi_term" in c and "product_t" in f and "agi_term_t" not in f)
    put("c_sport_no_ai", "sport" in c and not ai)
    put("c_exec_no_lab", "non_ai_exec" in c and not lab)
    put("c_hrtech_no_lab", "hrtech" in c and not lab)
    put("c_product_t_no_move", "product_t" in f and not move_t)
    put("c_funding_t_no_move", "funding_t" in f and not move_t and "found" not in c)
    put("c_xrisk_ai", "agi_xrisk" in c and ai)
    # Word stems (6 letters serve English and French alike) catch phrasings the facts above miss.
    for tok in a.title_tokens:
        if len(tok) > 2 and tok not in STOPWORDS:
            f["t:" + tok[:6]] = 1.0
    for tok in a.body_tokens:
        if len(tok) > 2 and tok not in STOPWORDS:
            f["w:" + tok[:6]] = 1.0
    return f
