"""Describe an item as named facts (a move verb, an AI lab, a named person, an AGI term…) for the model."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.core import agi_cues
from bot.core import lexicon as lx
from bot.core.lexicon import STOPWORDS
from bot.core.names import find_people, known_person
from bot.core.outlets import strip_outlet
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
# Issue 9: other senses of the acronyms, the AGI adjective, AGI without its name, non-talent news.
SENSE_CATEGORIES = (
    "MOVE_CUE",
    "JOB_AD",
    "UNION",
    "HARDWARE",
    "SALES",
    "NON_AI_INDUSTRY",
    "ACRONYM_SENSE",
    "AGI_ADJECTIVE",
    "CONSUMER",
    "FICTION_MORE",
    "PSYCH",
    "AGI_IMPLICIT",
    "GPAI",
    "STORY",
    "AI_SPECIFIC",
    "GENERAL_INTELLIGENCE",
)


def _build() -> PhraseMatcher:
    phrases: dict[str, tuple[str, ...]] = {
        c.lower(): getattr(lx, c) for c in (*CATEGORIES, *SENSE_CATEGORIES)
    }
    for org, aliases in lx.AI_LABS.items():
        phrases[f"lab:{org}"] = aliases
    for org, aliases in lx.BIG_TECH.items():
        phrases[f"big:{org}"] = aliases
    return PhraseMatcher(phrases)


MATCHER = _build()
BODY_CHARS = 400  # the lead of a description carries the news; the rest costs time and adds noise
# AGI and its look-alikes as written: "AGI" and "SSI" in capitals, "Agi" or "Ági" as a first name.
_ACRONYM = re.compile(r"\b(?:[AaÁá][Gg][Ii]|[Aa][Ss][Ii]|[Ss][Ss][Ii]|[Ii][Aa][Gg])\b")


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the text says, with positions, for the classifier and the move extractor."""

    title_tokens: list[str]
    body_tokens: list[str]
    title_matches: list[Match]
    body_matches: list[Match]
    people: list[str]
    title_people: list[str]
    acronyms: tuple[str, ...] = ()  # the acronyms above exactly as written, for their case

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


_ACRONYM_TOKENS = frozenset({"agi", "asi", "iag", "ssi"})


def _acronyms(
    title: str, lead: str, title_tokens: list[str], body_tokens: list[str]
) -> tuple[str, ...]:
    if _ACRONYM_TOKENS.isdisjoint(title_tokens) and _ACRONYM_TOKENS.isdisjoint(body_tokens):
        return ()  # most items: skip the regular expression
    return tuple(_ACRONYM.findall(title) + _ACRONYM.findall(lead))


def analyse(title: str, body: str) -> Analysis:
    title = strip_outlet(title)
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
        acronyms=_acronyms(title, lead, title_tokens, body_tokens),
    )


def features(a: Analysis) -> dict[str, float]:
    """Binary facts and their telling combinations; names are stable, the model's weights refer to them."""
    ev = _evidence(a)
    unmasked = a
    # The AGI words speak through their facts, which know their sense, and not again as stems.
    agi_words = {
        w
        for toks, matches in ((a.title_tokens, a.title_matches), (a.body_tokens, a.body_matches))
        for m in matches
        if m.category in ("agi_term", "general_intelligence")
        for w in toks[m.start : m.end]
    }
    a, senses = _resolve(a, ev)
    kinds, ai_other = set(ev.kinds), ev.ai_other
    hidden = bool(senses - {"ssi", "vacancy"})
    if hidden:
        kinds = set()  # the AGI words were hidden with their sense
    shape = {} if hidden else _shape_facts(unmasked, bool(kinds))
    t = a.cats("title")
    c = a.cats()
    f: dict[str, float] = {f"sense_{s}": 1.0 for s in senses}

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
    # One fact per category present (not a loop over every category: this runs per item).
    for low in c:
        if ":" not in low:
            f[low] = 1.0
    for low in t:
        if ":" not in low:
            f[low + "_t"] = 1.0
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
    f.update(_sense_facts(a, c, t, kinds, ai_other, move=move, org=org, lab=lab, who=who))
    f.update(shape)
    # Word stems (6 letters serve English and French alike) catch phrasings the facts above miss.
    for tok in a.title_tokens:
        if len(tok) > 2 and tok not in STOPWORDS and tok not in agi_words:
            f["t:" + tok[:6]] = 1.0
    for tok in a.body_tokens:
        if len(tok) > 2 and tok not in STOPWORDS and tok not in agi_words:
            f["w:" + tok[:6]] = 1.0
    return f


_SPECIFIC_CATS = frozenset({"ai_specific", "agi_lab"})


def _shape_facts(a: Analysis, agi: bool) -> dict[str, float]:
    """How sentences are built rather than which words they use (see `bot.core.agi_cues`): a
    machine set against people, claims of breadth, the AGI word as a goal or next to the field's
    own vocabulary. Each field is read on its own, so a clause never spans title and description."""
    f: dict[str, float] = {}
    beyond = broad = goal = near_ai = False
    machine = False
    for toks, matches in ((a.title_tokens, a.title_matches), (a.body_tokens, a.body_matches)):
        words = set(toks)
        has_machine = not words.isdisjoint(agi_cues.MACHINES)
        machine = machine or has_machine
        if has_machine and not beyond:
            beyond = agi_cues.machine_beyond_people(toks)
        if not broad:
            broad = agi_cues.breadth_of_ability(toks)
        if agi:
            spans = [(m.start, m.end) for m in matches if m.category == "agi_term"]
            if spans:
                goal = goal or agi_cues.agi_as_goal(toks, spans)
                others = [
                    (m.start, m.end)
                    for m in matches
                    if m.category in _SPECIFIC_CATS or m.category.startswith("lab:")
                ]
                near_ai = near_ai or agi_cues.near(spans, others)
    if beyond:
        f["c_machine_beyond_people"] = 1.0
    if broad and machine:
        f["c_machine_breadth"] = 1.0
    if beyond and broad:
        f["c_beyond_and_broad"] = 1.0
    if goal:
        f["c_agi_goal"] = 1.0
    if near_ai:
        f["c_agi_near_ai"] = 1.0
    return f


_AGI_ACRONYMS = frozenset({"agi", "asi", "iag"})
_AI_SELF = frozenset({"agi", "superintelligence"})  # AI_CONTEXT words that are the AGI term itself
_FRAMES = frozenset({"agi_race", "agi_timeline", "agi_clause", "agi_bench", "agi_xrisk"})


def _other_ai_word(m: Match, toks: list[str]) -> bool:
    if m.category == "ai_context":
        return " ".join(toks[m.start : m.end]) not in _AI_SELF
    return m.category.startswith("lab:") and toks[m.start] != "ssi"


_GENERIC_AI = frozenset(
    {"ai", "a.i", "ia", "artificial intelligence", "intelligence artificielle", *_AI_SELF}
)


@dataclass(frozen=True, slots=True)
class _Evidence:
    """What carries the AGI evidence, and what other AI words stand beside it."""

    kinds: frozenset[str]  # acronym, adjective, general, gpai, word
    acronyms: frozenset[str]  # which of agi/asi/iag were written
    ai_other: bool  # any other AI word, lab or known person
    ai_specific: bool  # a lab, a known person or a technical AI term, not just "AI"


_MOVE_WORDS = frozenset({"hire", "join", "move_cue"})
_MINDS = frozenset(
    {"ai", "a.i", "ia", "machine", "machines", "system", "systems", "agent", "agents", "model"}
    | {"models", "computer", "computers", "entity", "intelligence", "ias"}
)


def _artificial(toks: list[str], m: Match) -> bool:
    """'intelligence generale' inside 'intelligence artificielle generale' is already an AGI term."""
    return m.start > 0 and toks[m.start - 1] in ("artificielle", "artificial")


def _evidence(a: Analysis) -> _Evidence:
    kinds: set[str] = set()
    acronyms: set[str] = set()
    ai_other = ai_specific = False
    for toks, matches in ((a.title_tokens, a.title_matches), (a.body_tokens, a.body_matches)):
        for m in matches:
            if m.category == "agi_term":
                span = toks[m.start : m.end]
                text = " ".join(span)
                if text in _AGI_ACRONYMS:
                    kinds.add("acronym")
                    acronyms.add(text)
                elif span[0].startswith(("superintelligent", "super-intelligent")):
                    # "a superintelligent AI" names the thing; "a super-intelligent fridge" sells.
                    after = toks[m.end] if m.end < len(toks) else ""
                    kinds.add("word" if after in _MINDS else "adjective")
                elif text == "general intelligence":
                    kinds.add("general")
                elif text.startswith("general-purpose"):
                    kinds.add("gpai")
                else:
                    kinds.add("word")
            elif m.category == "general_intelligence" and not _artificial(toks, m):
                kinds.add("general")
            elif m.category == "ai_specific":
                ai_other = ai_specific = True
            elif _other_ai_word(m, toks):
                ai_other = True
                if m.category != "ai_context" or " ".join(toks[m.start : m.end]) not in _GENERIC_AI:
                    ai_specific = True
    known = any(known_person(p) for p in a.people)
    return _Evidence(frozenset(kinds), frozenset(acronyms), ai_other or known, ai_specific or known)


def resolve_senses(a: Analysis) -> tuple[Analysis, frozenset[str]]:
    """Decide whether AGI words carry their AI sense here, and if not, hide them from the facts.

    An acronym written as a first name, next to tax words, or with no other AI word beside it and
    a context of its own (a miner, an airline, a space agency); "super-intelligent" selling a
    fridge; "general intelligence" in a psychology or animal study; the regulators'
    "general-purpose AI models"; "SSI" as a benefit or a fire-safety system; a superintelligence in
    a film, novel or game, or as a stock tip: the word stays in the text, but neither its facts nor
    its word stem may vote for AGI. Likewise a vacancy (a job advert naming no person) keeps its
    hiring words out of the move facts. Returns the analysis to score and the senses found."""
    return _resolve(a, _evidence(a))


def _resolve(a: Analysis, ev: _Evidence) -> tuple[Analysis, frozenset[str]]:
    kinds, ai_other, ai_specific = ev.kinds, ev.ai_other, ev.ai_specific
    c = a.cats()
    frame = bool(c & _FRAMES)
    implicit = "agi_implicit" in c
    upper = any(x.isupper() for x in a.acronyms)
    name_case = not upper and any(x[0].isupper() for x in a.acronyms)
    toks = {*a.title_tokens, *a.body_tokens}
    ssi_named = bool(toks & {"sutskever", "ilya", "superintelligence"})
    senses: set[str] = set()
    own_context = bool(c & {"acronym_sense", "agi_other"})
    agi_talk = bool(c & {"agi_race", "agi_clause", "agi_bench"})  # "build AGI", "declare AGI"
    other_context = "tax" in c or name_case or (own_context and not ai_other and not agi_talk)
    # ASI and IAG are rarer in AI news than AGI: without another AI word or AGI talk beside them
    # they are taken for something else (an agency, an airline group, a benefit).
    rare = ev.acronyms <= {"asi", "iag"} and not ai_other and not frame
    if kinds == {"acronym"} and not implicit and (other_context or rare):
        senses.add("acronym")
    # "Super-intelligent" selling a product: a consumer word, or no specific AI word at all.
    selling = "consumer" in c or not ai_specific
    if kinds == {"adjective"} and selling and not frame and not implicit:
        senses.add("adjective")
    if kinds == {"general"} and not implicit and not ai_specific and ("psych" in c or not ai_other):
        senses.add("general")
    if kinds == {"gpai"} and not frame and not implicit:
        senses.add("gpai")
    news_frame = bool(c & (_FRAMES - {"agi_xrisk"}))  # fiction speaks of humanity and control too
    # A film's "rogue AI" is still fiction: only a lab, a known person or a technical term of the
    # field would make it news.
    if kinds and "story" in c and not news_frame and not ai_specific:
        senses.add("story")
    if kinds and "markets" in a.cats("title") and not news_frame and not ai_specific:
        senses.add("markets")
    ssi = any(x.upper() == "SSI" for x in a.acronyms)
    # The lab turns up in news of its money, its people or its research; a bare "SSI" does not.
    lab_news = ai_other or bool(c & {"funding", "hire", "join", "leave", "found", "move_cue"})
    if ssi and not ssi_named and ("acronym_sense" in c or "tax" in c or not lab_news):
        senses.add("ssi")
    # A vacancy names a job, not a person who moved: its hiring words are not a move.
    if "job_ad" in a.cats("title") and not a.people and "leave" not in c:
        senses.add("vacancy")
    if not senses:
        return a, frozenset()
    hide_agi = bool(senses - {"ssi", "vacancy"})

    def hidden(m: Match, toks: list[str]) -> bool:
        if hide_agi and m.category == "agi_term":
            return True
        if hide_agi and m.category == "ai_context" and " ".join(toks[m.start : m.end]) in _AI_SELF:
            return True
        if "vacancy" in senses and m.category in _MOVE_WORDS:
            return True
        return "ssi" in senses and toks[m.start] == "ssi"

    def keep(matches: list[Match], toks: list[str]) -> tuple[list[Match], list[str]]:
        gone = [m for m in matches if hidden(m, toks)]
        spans = {i for m in gone for i in range(m.start, m.end)}
        return [m for m in matches if m not in gone], [
            w for i, w in enumerate(toks) if i not in spans
        ]

    title_matches, title_tokens = keep(a.title_matches, a.title_tokens)
    body_matches, body_tokens = keep(a.body_matches, a.body_tokens)
    # Token positions no longer line up with the matches; only categories and stems are read here.
    masked = replace(
        a,
        title_matches=title_matches,
        title_tokens=title_tokens,
        body_matches=body_matches,
        body_tokens=body_tokens,
    )
    return masked, frozenset(senses)


def _sense_facts(
    a: Analysis,
    c: set[str],
    t: set[str],
    kinds: set[str],
    ai_other: bool,
    *,
    move: bool,
    org: bool,
    lab: bool,
    who: bool,
) -> dict[str, float]:
    """Issue 9: which sense an acronym has, marketing and fiction and psychology around the AGI
    words, AGI named only by what it does, and the contexts of moves that are not the talent war."""
    f: dict[str, float] = {}

    def put(name: str, on: bool) -> None:
        if on:
            f[name] = 1.0

    frame = bool(c & _FRAMES)
    strong = "word" in kinds or "agi_implicit" in c
    ssi = any(x.upper() == "SSI" for x in a.acronyms)
    ssi_named = "lab:Safe Superintelligence" in c and bool(
        {*a.title_tokens, *a.body_tokens} & {"sutskever", "ilya", "superintelligence"}
    )
    put("agi_word", "word" in kinds)
    put("c_acr_only", kinds == {"acronym"} and "agi_implicit" not in c)
    put("c_acr_bare", kinds == {"acronym"} and not ai_other and not frame and not strong)
    put("c_acr_sense", ("acronym" in kinds or ssi) and "acronym_sense" in c and not strong)
    put("c_acr_tax", ("acronym" in kinds or ssi) and "tax" in c and not strong)
    put("c_acr_namecase", any(x[0].isupper() and not x.isupper() for x in a.acronyms))
    put("c_acr_upper_ai", any(x.isupper() for x in a.acronyms) and ai_other)
    put("c_ssi_named", ssi_named)
    put("c_ssi_bare", ssi and not ssi_named and not ai_other)
    put("c_adj_only", kinds == {"adjective"} and not frame)
    put("c_adj_consumer", "adjective" in kinds and "consumer" in c and not frame)
    put("c_gi_only", kinds == {"general"} and "agi_implicit" not in c)
    put("c_gi_psych", "general" in kinds and "psych" in c and "word" not in kinds)
    put("c_gi_no_ai", kinds == {"general"} and not ai_other)
    put("c_gpai_only", kinds <= {"gpai"} and "gpai" in kinds)
    put("c_gpai_reg", "gpai" in c and not frame and "word" not in kinds)
    fiction = bool(c & {"fiction", "fiction_more", "entertainment"})
    # Fiction speaks of humanity and control too; only talk of races, dates and tests is news.
    put("c_agi_story", bool(kinds) and fiction and not (c & (_FRAMES - {"agi_xrisk"})))
    put("c_agi_story_t", bool(kinds) and bool(t & {"fiction", "fiction_more"}))
    put("c_implicit_ai", "agi_implicit" in c and ai_other)
    put("c_implicit_frame", "agi_implicit" in c and frame)
    put("c_agi_frame_ai", bool(kinds) and frame and ai_other)
    cue = "move_cue" in c
    any_move = move or cue
    put("c_cue_org", cue and org and (who or ai_other))
    put("c_cue_lab", cue and lab)
    put("c_cue_t_org", "move_cue" in t and org)
    put("c_job_ad", "job_ad" in c and not bool(a.people))
    put("c_job_ad_move", "job_ad" in c and any_move)
    put("c_union_staff", "union" in c)
    put("c_law_hardware", "lawsuit" in c and "hardware" in c and not lab)
    put("c_move_hardware", any_move and "hardware" in c and not lab)
    put("c_sales_move", "sales" in c and any_move and not lab)
    put("c_industry_move", "non_ai_industry" in c and (any_move or "leadership" in c) and not lab)
    put("c_move_ai_other", any_move and ai_other and org)
    return f
