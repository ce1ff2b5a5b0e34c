"""Extract who moved where from a talent-war story: people, from and to organisations, role and kind.

News says a move in many ways ("Meta hires OpenAI's X", "X is now at Y", "ex-OpenAI X joins Y",
"Y appoints X", "New role: A -> B", "X prendra la tête de Y", "de retour chez Y"). Rather than one
grammar per verb, every organisation mention gets origin and destination cues from its context (the
words before and after it, the move word it follows or precedes); the strongest cue in the headline
wins, and the description only fills what the headline leaves open. Organisations Radar does not know
(a new startup, the company that issues a press release) come from capitalised runs in the places
where an organisation stands, and keep their cleaned-up surface name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core import move_words as mw
from bot.core.lexicon import AI_LABS, AI_PEOPLE, BIG_TECH, MOVE_ORGS, STOPWORDS
from bot.core.models import Move
from bot.core.names import ORG_SUFFIXES, PARTICLES, TITLES, is_name_word
from bot.core.phrases import Match, PhraseMatcher, fold


def _org_phrases() -> dict[str, tuple[str, ...]]:
    phrases: dict[str, tuple[str, ...]] = {}
    # The digit is the priority on one span: this module's table first, then AI labs, big tech.
    for rank, table in ((3, MOVE_ORGS), (2, AI_LABS), (1, BIG_TECH)):
        for org, aliases in table.items():
            phrases[f"org{rank}:{org}"] = aliases
    return phrases


_MATCHER = PhraseMatcher(
    {
        "hire": mw.HIRE,
        "join": mw.JOIN,
        "leave": mw.LEAVE,
        "found": mw.FOUND,
        "acqui": mw.ACQUI,
        "lawsuit": mw.LAWSUIT,
        "advert": mw.ADVERT,
        "launch": ("launch/launches/launched/launching/unveil/unveils/unveiled",),
        "newco": ("new startup/start-up/lab/venture/company/firm",),
        "arrive": mw.ARRIVE,
        **_org_phrases(),
    }
)
_KNOWN_PEOPLE = frozenset(AI_PEOPLE)

# -- tokens ---------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"->|=>|→|[^\W_]+(?:[-.][^\W_]+)*|['’]s\b|[,;:()\[\]|«»\"“”!?]|(?<!\S)[-–—]+(?!\S)|\.(?=\s|$)"
)
_ARROWS = frozenset({"->", "=>", "→"})
_STRONG = frozenset(":|!?([]-–—")
_ABBREVIATIONS = frozenset({"dr", "prof", "mr", "mrs", "ms", "st", "m", "mme"})


@dataclass(slots=True)
class _Tok:
    text: str
    low: str
    brk: str = ""  # the punctuation before this word, if any
    poss: bool = False  # followed by 's


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    brk = ""
    for s in _TOKEN.findall(text):
        if s[0].isalnum():
            if s[2:3] == "-" and s[:2].lower() == "ex" and len(s) > 3:  # "ex-OpenAI"
                out.append(_Tok(s[:2], "ex", brk))
                s, brk = s[3:], ""
            out.append(_Tok(s, s.lower() if s.isascii() else fold(s), brk))
            brk = ""
        elif s in _ARROWS:
            out.append(_Tok(s, "->", brk or ">"))
            brk = ">"
        elif s[0] in "'’":
            if out:
                out[-1].poss = True
        elif not (s == "." and out and out[-1].low in _ABBREVIATIONS):
            brk = brk if brk and brk in _STRONG else s[0]
    return out


def _fold(word: str) -> str:
    return word.lower() if word.isascii() else fold(word)


def _accented_name(tok: _Tok) -> bool:
    """'Saïd' folds to the word 'said' but is a name."""
    return not tok.text.isascii() and tok.low in STOPWORDS


def _capital(tok: _Tok) -> bool:
    """'Meta', 'OpenAI', and also 'xAI'."""
    t = tok.text
    return t[:1].isupper() or (t[:1].islower() and not t.islower())


# -- mentions -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Org:
    name: str
    start: int
    end: int
    known: bool
    src: int = 0  # strength of the clues that it is where the person comes from
    dst: int = 0  # … and where the person goes
    latest: bool = False  # told as the most recent employer ("a stint at X before joining…")
    then: str = ""  # the organisation joined next, when the sentence names it


@dataclass(slots=True)
class _Person:
    name: str
    start: int
    end: int


@dataclass(slots=True)
class _Clause:
    """One headline or one sentence of a description, with what was found in it."""

    toks: list[_Tok]
    matches: list[Match]
    orgs: list[_Org] = field(default_factory=list)
    people: list[_Person] = field(default_factory=list)
    triggers: list[Match] = field(default_factory=list)
    covered: dict[int, str] = field(default_factory=dict)  # token → trigger category
    hiring: set[int] = field(default_factory=set)  # where a hiring verb starts, in any phrase
    categories: set[str] = field(default_factory=set)
    starts: list[int] = field(default_factory=list)  # per token, where its strong clause begins
    units: set[int] = field(default_factory=set)  # tokens of organisations Radar does not know

    def low(self, i: int) -> str:
        return self.toks[i].low if 0 <= i < len(self.toks) else ""

    def has(self, category: str) -> bool:
        return category in self.categories

    def strong_start(self, i: int) -> int:
        """Where the clause that holds token i begins (after a colon, a dash, a bracket)."""
        return self.starts[i] if 0 <= i < len(self.starts) else 0


def _known_orgs(matches: list[Match]) -> list[_Org]:
    spans = sorted(
        (m for m in matches if m.category.startswith("org")),
        key=lambda m: (-(m.end - m.start), -int(m.category[3])),
    )
    taken: set[int] = set()
    out: list[_Org] = []
    for m in spans:
        if taken & set(range(m.start, m.end)):
            continue
        taken.update(range(m.start, m.end))
        out.append(_Org(m.category.split(":", 1)[1], m.start, m.end, known=True))
    out.sort(key=lambda o: o.start)
    merged: list[_Org] = []
    for org in out:  # "Meta FAIR": one mention
        if merged and merged[-1].name == org.name and merged[-1].end == org.start:
            merged[-1].end = org.end
        else:
            merged.append(org)
    return merged


def _clean_org(words: list[_Tok]) -> str:
    while words and words[-1].low in mw.STRIP_ORG:
        words = words[:-1]
    while words and words[0].low in mw.STRIP_ORG:
        words = words[1:]
    return " ".join(w.text for w in words)


def _runs(c: _Clause, taken: set[int]) -> list[tuple[int, int]]:
    """Runs of capitalised words that are neither known words nor inside a known organisation."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    n = len(c.toks)
    for i in range(n + 1):
        tok = c.toks[i] if i < n else None
        ok = (
            tok is not None
            and i not in taken
            and i not in c.covered
            and (
                (_capital(tok) and (tok.low not in mw.BREAK_WORDS or _accented_name(tok)))
                or (tok.low in PARTICLES and start is not None)
                or _first_name(c, i)
            )
        )
        if start is not None and (not ok or (tok is not None and tok.brk) or c.toks[i - 1].poss):
            end = i
            while end > start and c.toks[end - 1].low in PARTICLES:
                end -= 1
            if end > start:
                runs.append((start, end))
            start = None
        if ok and start is None and tok is not None and tok.low in ORG_SUFFIXES:
            if (i - 1) in taken and not tok.brk:
                runs.append((i, i + 1))  # "Mistral" + "AI": the org's own word, not a name's
        elif (
            ok
            and start is None
            and tok is not None
            and (tok.low not in PARTICLES or _first_name(c, i))
        ):
            start = i
    return runs


def _first_name(c: _Clause, i: int) -> bool:
    tok = c.toks[i]
    if tok.low not in mw.FIRST_WORDS or not tok.text[:1].isupper() or i + 1 >= len(c.toks):
        return False
    nxt = c.toks[i + 1]
    return not nxt.brk and nxt.text[:1].isupper() and is_name_word(nxt.text)


def _capital_at(c: _Clause, i: int) -> bool:
    return i < len(c.toks) and _capital(c.toks[i]) and not c.toks[i].brk


def _team_name(c: _Clause, start: int, end: int) -> bool:
    """A capitalised name before 'team' that belongs to someone: "its Tel Aviv team", "the Llama
    team at Microsoft", "l'équipe Llama de Microsoft" (not "hires Play AI team")."""
    owned = c.low(start - 1) in ("its", "their", "his", "her", "sa", "son", "ses", "leur") or (
        start > 0 and c.toks[start - 1].poss
    )
    then = c.low(end + 1) in ("at", "of", "de", "d", "chez") or c.low(start - 1) in ("equipe",)
    return owned or then


def _org_slot(c: _Clause, start: int, end: int) -> bool:
    """Whether an organisation (rather than a person or a headline word) stands at this place."""
    prev = c.low(start - 1)
    nxt = c.low(end)
    if prev in ("in", "en", "a", "based", "near"):
        return False  # a place: "Samsung's lab in Montreal loses…"
    if prev in {"at", "from", "chez", "ex", "former", "formerly", "of", "->", "pour", "to", "for"}:
        return True
    if prev in {"d", "de", "du", "joins", "join", "joined", "rejoint", "rejoindre"}:
        return True
    if nxt in mw.ROLE_WORDS or nxt in mw.ALUM or c.toks[end - 1].poss or nxt == "->":
        return True
    if c.covered.get(end) in ("hire", "leave"):
        return True
    if (
        c.covered.get(start - 1) in ("found", "join", "leave")
        or prev in mw.NAMING
        or prev
        in (
            "launch",
            "launches",
            "launched",
        )
    ):
        return True
    begin = c.strong_start(start)
    near = {c.low(k) for k in range(max(begin, start - 4), start)} | {nxt, c.low(end + 1)}
    return bool(near & mw.FOUND_NOUNS)


def _scan(text: str) -> _Clause:
    toks = _tokens(text)
    found = _MATCHER.find([t.low for t in toks])
    # A phrase does not run across punctuation: "the models team, joins Meta" is no "team joins".
    c = _Clause(toks, [m for m in found if not any(toks[k].brk for k in range(m.start + 1, m.end))])
    c.categories = {m.category for m in c.matches}
    begin = 0
    for k, tok in enumerate(toks):
        if k and tok.brk[:1] in _STRONG:
            begin = k
        c.starts.append(begin)
    longest: dict[int, Match] = {}
    for m in c.matches:  # "lands at" (join) over "lands" (hire)
        if (
            m.category == "hire"
            and toks[m.start].low in ("hire", "hires")
            and (toks[m.start - 1].low in mw.NOUN_BEFORE if m.start else False)
        ):
            continue  # "more hires from OpenAI", "its new hire": a noun, not a verb
        if m.category in mw.TRIGGERS and (m.start not in longest or m.end > longest[m.start].end):
            longest[m.start] = m
    c.triggers = sorted(longest.values(), key=lambda m: m.start)
    c.hiring = {m.start for m in c.matches if m.category == "hire"}
    for m in c.triggers:
        for i in range(m.start, m.end):
            c.covered.setdefault(i, m.category)
    c.orgs = _known_orgs(c.matches)
    for m in c.matches:  # "launch Corvid AI", "new lab Tessellate": a named company is founded
        if m.category in ("launch", "newco") and m.end not in c.covered and _capital_at(c, m.end):
            c.triggers.append(Match("found", m.start, m.end))
            c.covered[m.start] = "found"
    taken = {i for o in c.orgs for i in range(o.start, o.end)}
    known_ends = {o.end: o for o in c.orgs}
    for start, end in _runs(c, taken):
        if c.low(end) in mw.UNIT_NOUNS and not toks[end - 1].poss and _team_name(c, start, end):
            continue  # "its Tel Aviv team", "the Llama team at Microsoft": a team, not a name
        words = toks[start:end]
        lows = [w.low for w in words]
        n = len(words)
        name = " ".join(w.text for w in words)
        if fold(name) in _KNOWN_PEOPLE:
            c.people.append(_Person(name, start, end))
        elif start in known_ends and not toks[start].brk and not toks[start - 1].poss and n == 1:
            known_ends[start].end = end  # "Tesla Autopilot", "Google Gemini": a unit of the org
        elif all(low in ORG_SUFFIXES for low in lows):
            continue  # "AI", "Labs" alone
        elif n >= 2 and lows[-1] in ORG_SUFFIXES:
            c.orgs.append(_Org(_clean_org(words), start, end, known=False))
        elif 2 <= n <= 4 and all(
            is_name_word(w.text) or w.low in PARTICLES or (k == 0 and w.low in mw.FIRST_WORDS)
            for k, w in enumerate(words)
        ):
            # what stands before a colon or a dash says nothing of this name
            prev = "" if toks[start].brk[:1] in _STRONG else c.low(start - 1)
            owns = toks[end - 1].poss and c.low(end) in mw.OWNED
            if (
                c.covered.get(start - 1) == "found"
                or prev in mw.FOUND_NOUNS
                or prev in mw.NAMING
                or owns
            ):
                c.orgs.append(
                    _Org(_clean_org(words), start, end, known=False)
                )  # "…, Lattice Minds"
            else:
                c.people.append(_Person(name, start, end))
        elif n <= 4 and _org_slot(c, start, end):
            c.orgs.append(_Org(_clean_org(words), start, end, known=False))
    c.orgs.sort(key=lambda o: o.start)
    for i in range(len(c.orgs) - 1, 0, -1):  # "Apple's former Siri chief": Siri is Apple's
        unit, owner = c.orgs[i], c.orgs[i - 1]
        between = [t.low for t in toks[owner.end : unit.start]]
        if (
            not unit.known
            and owner.known
            and toks[owner.end - 1].poss
            and len(between) <= 2
            and all(w in mw.ROLE_FILLERS or w in mw.SKIP for w in between)
        ):
            owner.end = unit.end
            del c.orgs[i]
    c.units = {i for o in c.orgs if not o.known for i in range(o.start, o.end)}
    return c


# -- clues ---------------------------------------------------------------------------------------


def _back(c: _Clause, i: int, people: set[int]) -> int:
    """The position before `i`, stepping over 'its', 'new', a person's name and the like."""
    j = i - 1
    while j >= 0 and (c.low(j) in mw.SKIP or j in people) and not c.toks[j + 1].brk:
        j -= 1
    return j


def _role_after(c: _Clause, end: int, people: set[int]) -> bool:
    """A role or a person follows: "OpenAI researcher", "OpenAI's top AI executive", "OpenAI's X",
    "Apple's former Siri chief"."""
    units = c.units
    for k in range(end, min(end + 4, len(c.toks))):
        tok = c.toks[k]
        if tok.brk and k > end:
            return False
        if tok.low in mw.ROLE_WORDS or tok.low in mw.ALUM or k in people:
            return True  # before the trigger check: "OpenAI's Sora co-lead" is a role
        if tok.low in mw.ROLE_FILLERS or (k == end and c.toks[end - 1].poss and _capital(tok)):
            continue  # "OpenAI's top AI researcher", "Google DeepMind's Gemini … lead"
        if tok.low in mw.SKIP or k in c.covered or (_capital(tok) and k not in units):
            return False
        # any other lowercase word modifies the role: "Gemini post-training lead"
    return False


def _passive(c: _Clause, m: Match, people: set[int]) -> bool:
    """'named head of…', 'recruté par', 'hired by': the hiring verb's subject is not the hirer."""
    tok = c.toks[m.start]
    if c.low(m.end) in ("by", "par"):
        return True
    if tok.text.endswith(("é", "ée", "és", "ées")):
        return True
    before = c.low(m.start - 1)
    return tok.low.endswith("ed") and (before in mw.ROLE_WORDS or (m.start - 1) in people)


def _subject(c: _Clause, people: set[int]) -> tuple[_Org, int] | None:
    """'Acme Robotics appoints…', 'Mira Murati's Thinking Machines hires…': the organisation that
    hires, with the position of its verb."""
    for m in c.triggers:
        if (m.start not in c.hiring and m.category != "arrive") or _passive(c, m, people):
            continue
        begin = c.strong_start(m.start)
        for org in c.orgs:
            if not begin <= org.start < m.start:
                continue
            if (
                c.covered.get(_back(c, org.start, people)) in mw.TRIGGERS
                or c.low(org.start - 1) in mw.EX
            ):
                continue  # "X quitte Meta, OpenAI récupère…": Meta is the object of 'quitte'
            if any(
                org.end <= t.start < m.start and t.category not in ("arrive", "acqui")
                for t in c.triggers
                if t is not m
            ):
                continue
            return org, m.start
    return None


def _loser(c: _Clause) -> _Org | None:
    """The organisation that 'loses' someone: the first of the clause before that verb."""
    for m in c.triggers:
        if c.low(m.start) in mw.LOSES:
            begin = c.strong_start(m.start)
            return next((o for o in c.orgs if begin <= o.start < m.start), None)
    return None


def _trigger_before(c: _Clause, s: int, *cats: str) -> bool:
    begin = c.strong_start(s)
    return any(m.category in cats and begin <= m.start < s for m in c.triggers)


def _clue(c: _Clause, founding: bool = False) -> None:
    """Score every organisation of a clause as an origin and as a destination."""
    people = {i for p in c.people for i in range(p.start, p.end)}
    subject = _subject(c, people)
    acqui = c.has("acqui")
    has_found = c.has("found")
    loser = _loser(c)
    for org in c.orgs:
        s, e = org.start, org.end
        j = _back(c, s, people)
        prev, prev2 = c.low(j), c.low(j - 1)
        before = {c.low(k) for k in range(max(0, s - 6), s)}
        cat = c.covered.get(j)
        nxt = c.low(e)
        src: list[int] = [0]
        dst: list[int] = [0]
        if prev == "->":
            dst.append(7)
        if nxt == "->":
            src.append(7)
        if prev == "a" and c.covered.get(j - 1) == "hire" and c.low(j - 1) in mw.TAKE_AWAY:
            src.append(5)  # "Meta arrache à Apple son spécialiste"
        if prev in ("from", "de") and nxt in ("to", "a"):
            src.append(6)
        if prev in ("to", "a") and any(
            o.end == j and c.low(o.start - 1) in ("from", "de") for o in c.orgs
        ):
            dst.append(6)
        if prev == "from":
            src.append(5)
        if prev in ("from", "de", "d", "du", "of") and c.covered.get(j - 1) == "leave":
            src.append(5)  # "après sa démission d'OpenAI"
        if prev in ("de", "d") and prev2 in mw.CAME:
            src.append(5)  # "il arrive de Google DeepMind"
        if prev in ("de", "d", "du", "of") and cat is None:
            role_near = bool(before & mw.ROLE_WORDS)
            if before & mw.EX:
                src.append(5)
            elif prev2 == "profit":
                dst.append(6)  # "au profit de Meta"
            elif role_near and (
                _trigger_before(c, s, "join")
                or any(
                    m.start < s and _passive(c, m, people)
                    for m in c.triggers
                    if m.category == "hire"
                )
            ):
                dst.append(4)  # "nommée directrice scientifique de H Company"
            elif role_near:
                src.append(3)  # "deux chercheurs d'OpenAI", "founders of Adept"
        if prev == "to" and prev2 != "according":
            dst.append(4)
        if (
            prev in ("for", "pour", "vers", "into")
            and cat is None
            and _trigger_before(c, s, *mw.TRIGGERS)
        ):
            dst.append(4)
        if prev in ("at", "chez"):
            if cat == "join":
                dst.append(6)
            elif prev2 in mw.TAKE_FROM:
                src.append(5)
            elif before & (mw.PAST | mw.EX):
                src.append(4)
            elif _trigger_before(c, s, "join") or any(
                m.start < s and _passive(c, m, people) for m in c.triggers if m.category == "hire"
            ):
                dst.append(4)
            elif before & mw.ROLE_WORDS:
                src.append(3)
            else:
                dst.append(3)
        if prev in mw.EX or (prev == "of" and prev2 == "formerly"):
            src.append(5)
        if prev in mw.LED or (prev2 in mw.LED and prev == "the"):
            src.append(4)
        if nxt in mw.ALUM:
            src.append(5)
        if _role_after(c, e, people):
            src.append(4 if c.toks[e - 1].poss else 3)
        if cat == "join" and prev not in ("at", "chez"):
            dst.append(6)
        if cat == "leave" and prev not in ("to", "for", "pour"):
            src.append(6)
        if cat == "found" and nxt not in ("by", "par"):
            dst.append(5)
        if c.covered.get(e) == "leave" and nxt in mw.LOSES:
            src.append(6)
        elif org is loser:
            src.append(6)  # "Samsung's AI lab in Montreal loses its director to Cohere"
        if subject is not None and subject[0] is org:
            dst.append(6)
        elif subject is not None and subject[0].start < s < subject[1]:
            src = [min(max(src), 1)]  # "Periodic Labs, founded by ex-OpenAI researchers, hires…"
        if prev in ("by", "par") and c.covered.get(j - 1) == "hire":
            dst.append(6)  # "X was poached by Meta"
        if s == 0 and e < len(c.toks) and c.toks[e].brk[:1] == ":":
            if c.has("arrive"):
                dst.append(6)  # "Mistral AI : arrivée de Hugo Blanc"
            else:
                src.append(4)  # "Tesla : Milan Kovac démissionne"
        if "behind" in before or (
            (prev in mw.FOUND_NOUNS or c.low(s - 2) in mw.FOUND_NOUNS)
            and not founding
            and (acqui or before & mw.ROLE_WORDS)
        ):
            src.append(3)  # "the team behind agent startup Brevia", "founders of startup Adept"
        if (
            c.low(s - 2) in mw.FOUND_NOUNS | {"d", "de"}
            and c.toks[s].brk == ","
            and (acqui or before & mw.ROLE_WORDS)
        ):
            src.append(3)  # "le cofondateur d'une start-up d'agents, Loopwise"
        if acqui and (
            prev in ("with", "avec") or c.covered.get(e) == "acqui" or c.toks[e - 1].poss
        ):
            src.append(3)  # "accord de licence avec Character.AI", "in Character.AI licensing deal"
        if (founding or has_found) and (prev in mw.FOUND_NOUNS or prev in mw.NAMING):
            dst.append(4)  # "a new startup, Halcyon Research", "announced Babuschkin Ventures"
        near_join = any(  # "prendra la tête du laboratoire parisien d'OpenAI"
            m.category == "join"
            and 0 <= s - m.end <= 5
            and not any(m.end <= o.start < s for o in c.orgs)
            for m in c.triggers
        )
        if near_join:
            dst.append(5)
        after = [c.low(k) for k in range(e, min(e + 5, len(c.toks)))]
        org.latest = prev in ("at", "chez", "with", "avec", "for", "pour", "of", "de", "d") and (
            ("before" in after and any(c.covered.get(k) == "join" for k in range(e, e + 5)))
            or "avant" in after
            or (after[:1] == ["after"] and any(o.start == e + 1 for o in c.orgs))
            or bool(before & {"recently", "dernierement"})
        )
        if org.latest and ("before" in after or "avant" in after):
            org.then = next((o.name for o in c.orgs if e < o.start <= e + 7), "")
        if prev2 == "now" and any(m.category == "leave" and m.start >= e for m in c.triggers):
            src.append(7)  # "Co-founders of Adept, now at Amazon, leave to start…"
            dst = [0]
        org.src = max(org.src, *src)
        org.dst = max(org.dst, *dst)


# -- people ----------------------------------------------------------------------------------------


def _movers(c: _Clause, subject: tuple[_Org, int] | None) -> tuple[list[str], list[str]]:
    """The people of a clause who move, and apart those who only comment or own something."""
    people = {i for p in c.people for i in range(p.start, p.end)}
    out: list[str] = []
    weak: list[str] = []
    groups: list[list[_Person]] = []
    for p in c.people:  # "Anna Kowalski and Rahul Iyer said…": one subject
        last = groups[-1][-1] if groups else None
        if last is not None and p.start - last.end <= 1 and c.low(last.end) in ("and", "et", ""):
            groups[-1].append(p)
        else:
            groups.append([p])
    for group in groups:
        tail = group[-1]
        nxt = c.low(tail.end)
        names = [p.name for p in group]
        if c.toks[tail.end - 1].poss and (
            any(o.start == tail.end for o in c.orgs) or nxt in mw.ROLE_WORDS | mw.ROLE_FILLERS
        ):
            continue  # "Mira Murati's Thinking Machines", "Alexandr Wang's deputy, Joe Kirk"
        if c.low(group[0].start - 1) in mw.BEFORE_BYSTANDER:
            continue
        if subject is not None and subject[0].end <= group[0].start and tail.end <= subject[1]:
            continue  # "Reflection AI co-founder X, previously at Y, hires…"
        verb = next(
            (m for m in c.triggers if m.category == "hire" and tail.end <= m.start <= tail.end + 1),
            None,
        )
        if verb is not None:
            object_after = any(q.start > verb.start for q in c.people)
            if not _passive(c, verb, people) or object_after:
                continue  # "Zuckerberg hires…", "Mark Zuckerberg recruited X"
        says = nxt in mw.SAYS and tail.end < len(c.toks) and not c.toks[tail.end].brk
        if says or c.low(group[0].start - 1) in mw.POSSESSOR:
            weak = weak or names  # the first group that speaks: "A and B said they would leave"
            continue
        out.extend(n for n in names if n not in out)
    return out, weak


def _strip_titles(name: str) -> str:
    words = name.split()
    while words and fold(words[0]).rstrip(".") in TITLES:
        words = words[1:]
    return " ".join(words)


# -- role ----------------------------------------------------------------------------------------


def _role(c: _Clause, mover: str | None) -> str | None:
    """The mover's role, from the words around their name in the headline (not the hirer's 'CEO')."""
    lows = [t.low for t in c.toks]
    span = next(((p.start, p.end) for p in c.people if p.name == mover), None)
    if span is not None:
        lows = lows[max(0, span[0] - 3) : span[1] + 4]
    elif c.people:
        return None
    text = " " + " ".join(lows) + " "
    for phrase, shown in mw.ROLE_NAMES:
        if f" {phrase} " in text:
            return shown
    return None


# -- the move ------------------------------------------------------------------------------------


def _best(orgs: list[_Org], side: str, exclude: str | None = None) -> _Org | None:
    scored = [o for o in orgs if getattr(o, side) > 0 and o.name != exclude]
    if not scored:
        return None
    return max(scored, key=lambda o: (getattr(o, side), o.known, -o.start))


def _reports_a_move(head: _Clause, title: str) -> bool:
    if title.rstrip().endswith("?") or head.has("lawsuit") or head.has("advert"):
        return False  # a question, a lawsuit, a job advert: no move to report
    for k, tok in enumerate(head.toks):  # "OpenAI is hiring: Research Engineer"
        if tok.low != "hiring":
            continue
        last = k + 1 == len(head.toks) or head.toks[k + 1].brk
        if last and head.low(k - 1) in ("is", "are", "re", "now", "we"):
            return False
    arrow = any(t.low == "->" for t in head.toks)
    from_to = any(
        head.low(o.start - 1) in ("from", "de") and head.low(o.end) in ("to", "a")
        for o in head.orgs
    )
    return bool(head.triggers) or arrow or from_to


def _founds_ahead(c: _Clause) -> bool:
    """A description's founding is the news when it is ahead ("to start", "pour fonder", "will
    launch"), not when it tells a company's past ("helped start the company in 2023")."""
    return any(
        m.category == "found"
        and (c.low(m.start) in ("to", "pour") or {c.low(m.start - 1), c.low(m.start - 2)} & _AHEAD)
        for m in c.triggers
    )


_AHEAD = frozenset({"to", "pour", "will", "va", "plans", "compte", "veut", "afin", "de"})


def _founding(head: _Clause) -> bool | None:
    """True for people who leave to found a company, False when they join one, None when the
    headline does not say (the description may)."""
    if any(m.category == "found" and head.low(m.end) not in ("by", "par") for m in head.triggers):
        return True
    if any(m.category in ("hire", "join") for m in head.triggers):
        return False
    return None


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Þ«\"“])")
BODY_CHARS = 500


def _hinted(sentence: str) -> bool:
    low = sentence.lower()  # the hints are ASCII stems: lower-casing is enough
    return any(h in low for h in mw.BODY_HINTS)


def _comment(c: _Clause) -> bool:
    """Someone says something about others ("X says the company lost few staff"), rather than
    about their own move ("X says she is leaving OpenAI")."""
    first = min((m.start for m in c.triggers), default=len(c.toks))
    for k in range(1, first):
        if c.low(k) in mw.SAYS and c.low(k) != "on" and not c.toks[k].brk:
            return c.low(k + 1) not in mw.SELF
    return False


def _latest(c: _Clause, dst: str | None) -> str | None:
    """The employer a sentence tells as the last before the destination: "ex-Google Brain X… after
    a stint at Anthropic before joining SSI" (but not "at Google Brain before moving to OpenAI",
    when the move is from OpenAI to Meta)."""
    for o in c.orgs:
        if o.latest and o.name != dst and o.then in ("", dst):
            return o.name
    return None


_SUFFIX = re.compile(r"\s[-–—|]\s+([^-–—|]{2,60})$")


def _split_suffix(title: str) -> tuple[str, _Clause | None]:
    """The headline without an outlet's or a poster's name at its end, and that end as a clause
    when it may name the person (a LinkedIn post signed '- Jane Roe')."""
    m = _SUFFIX.search(title)
    if m is None or not title[: m.start()].strip():
        return title, None
    tail = m.group(1).strip()
    if fold(tail) in mw.OUTLETS:
        return title[: m.start()], None
    clause = _scan(tail)
    if clause.triggers or any(t.low == "->" for t in clause.toks):
        return title, None  # "Jane Roe leaves OpenAI - joins Anthropic": part of the news
    return title[: m.start()], clause


def extract_move(title: str, text: str = "") -> Move | None:
    """The move a talent-war story reports, or None when it reports none (a pay package, a lawsuit,
    a job advert, an analysis of the talent war)."""
    title, signed = _split_suffix(title)
    head = _scan(title)
    if not _reports_a_move(head, title):
        return None
    said = _founding(head)
    founding = bool(said)
    _clue(head, founding)
    dst_org = _best(head.orgs, "dst")
    dst = dst_org.name if dst_org else None
    src_org = _best(head.orgs, "src", dst)
    src = src_org.name if src_org else None
    people, weak = _movers(head, _subject(head, set()))
    comment = not people and _comment(head)
    latest = _latest(head, dst)
    acqui = head.has("acqui")
    body: list[_Clause] = []
    for sentence in _SENTENCE.split(text[:BODY_CHARS]):
        complete = dst and src and people and said is not None
        if not sentence.strip() or (complete and not _hinted(sentence)):
            continue
        clause = _scan(sentence)
        body.append(clause)
        if said is None and _founds_ahead(clause):
            founding = True
        _clue(clause, founding)
        acqui = acqui or clause.has("acqui")
        latest = latest or _latest(clause, dst)
        if dst is None:
            found = _best(clause.orgs, "dst", src)
            dst = found.name if found else None
        if src is None:
            found = _best(clause.orgs, "src", dst)
            src = found.name if found else None
        if not people:
            people, more = _movers(clause, _subject(clause, set()))
            weak = weak or more
    src = latest or src
    if src is None and dst is not None and any(t.low in mw.RETURN for t in head.toks):
        # "X returns to OpenAI weeks after joining Meta": the other destination is the origin.
        other = _best(head.orgs, "dst", dst) or next(
            (o for c in body for o in c.orgs if o.dst and o.name != dst), None
        )
        src = other.name if other else None
    if comment and not people:
        return None  # "Anthropic's CFO says the company lost few staff to Meta"
    if not people and signed is not None:
        people, weak = _movers(signed, None)
        people = people or weak  # "- Jane Roe on LinkedIn"
    orgs = {fold(o.name) for c in (head, *body) for o in c.orgs}
    people = [_strip_titles(p) for p in (people or weak) if fold(p) not in orgs][:4]

    if acqui and dst is not None and src is not None:
        kind = "acquihire"
    elif founding:
        kind = "founding"
    elif dst is None:
        kind = "departure"
    else:
        kind = "hire"
    if src == dst:
        src = None
    if src is None and dst is not None and any(o.name == dst and o.src >= 3 for o in head.orgs):
        return None  # "OpenAI co-founder returns to OpenAI after sabbatical": no move between labs
    if not ((people and (src or dst)) or (src and dst)):
        return None
    return Move(
        people=tuple(people),
        from_org=src,
        to_org=dst,
        role=_role(head, people[0] if people else None),
        kind=kind,
    )


def canonical_org(name: str) -> str:
    """The name Radar shows for an organisation: the known entity's name, else the cleaned surface."""
    c = _scan(name)
    known = [o for o in c.orgs if o.known]
    if known and known[0].start == 0:
        return known[0].name
    return _clean_org(c.toks) if c.toks else name.strip()
