"""Extract who moved where from a talent-war story: people, from and to organisations, role and kind."""

from __future__ import annotations

from bot.core.features import Analysis
from bot.core.lexicon import AI_LABS, BIG_TECH
from bot.core.models import Move
from bot.core.phrases import Match

_VERBS = ("hire", "join", "leave")
_TO_MARKERS = frozenset({"for", "to", "pour", "chez", "at", "into", "vers"})
_BY_MARKERS = frozenset({"by", "par"})
_EX_ALIASES = {
    alias.replace(" ", "-"): org
    for table in (AI_LABS, BIG_TECH)
    for org, aliases in table.items()
    for alias in aliases
    if "/" not in alias and " " not in alias
}
_FORMER = frozenset({"former", "ancien", "ancienne", "anciens", "anciennes", "ex"})


def _orgs(matches: list[Match]) -> list[tuple[int, str]]:
    """Organisation mentions as (token position, canonical name); an AI lab wins over its parent company."""
    best: dict[int, tuple[int, str]] = {}
    for m in matches:
        if not m.category.startswith(("lab:", "big:")):
            continue
        rank = (2 if m.category.startswith("lab:") else 1) * 100 + (m.end - m.start)
        if m.start not in best or rank > best[m.start][0]:
            best[m.start] = (rank, m.category[4:])
    covered: set[int] = set()
    out: list[tuple[int, str]] = []
    for start in sorted(best):
        if start in covered:
            continue
        name = best[start][1]
        span = next(m for m in matches if m.start == start and m.category[4:] == name)
        covered.update(range(span.start, span.end))
        out.append((start, name))
    return out


def _former_orgs(toks: list[str]) -> list[str]:
    found: list[str] = []
    for i, tok in enumerate(toks):
        if tok.startswith("ex-") and tok[3:] in _EX_ALIASES:
            found.append(_EX_ALIASES[tok[3:]])
        elif tok in _FORMER and i + 1 < len(toks) and toks[i + 1] in _EX_ALIASES:
            found.append(_EX_ALIASES[toks[i + 1]])
    return found


def _towards(toks: list[str], pos: int) -> bool:
    """An organisation is where someone goes when 'for', 'to join', 'pour rejoindre', 'chez'… precede it."""
    window = toks[max(0, pos - 3) : pos]
    return any(t in _TO_MARKERS or t.startswith(("join", "rejoin")) for t in window)


def _direction(toks: list[str], matches: list[Match]) -> tuple[str | None, str | None, str | None]:
    """(from, to, verb kind) from the first move verb and where the organisations stand around it."""
    verbs = [m for m in matches if m.category in _VERBS]
    if not verbs:
        return None, None, None
    verb = verbs[0]
    orgs = _orgs(matches)
    before = [name for pos, name in orgs if pos < verb.start]
    after = [(pos, name) for pos, name in orgs if pos >= verb.end]
    src: str | None = None
    dst: str | None = None
    if verb.category == "hire":
        passive = verb.end < len(toks) and toks[verb.end] in _BY_MARKERS
        if passive:  # "X was poached by Meta from OpenAI"
            dst = after[0][1] if after else None
            src = next((n for _, n in after[1:]), before[-1] if before else None)
        else:  # "Meta hires OpenAI's X", "Meta poaches X from OpenAI"
            dst = before[-1] if before else None
            src = next((n for _, n in after if n != dst), None)
    elif verb.category == "join":  # "OpenAI's X joins Meta"
        dst = after[0][1] if after else None
        src = before[-1] if before else None
    else:  # "X leaves OpenAI for Meta", "OpenAI loses X to Meta", "X quitte FAIR pour rejoindre OpenAI"
        for pos, name in after:
            if _towards(toks, pos):
                dst = dst or name
            else:
                src = src or name
        if before and (src is None or (dst is not None and before[-1] != dst)):
            src = src or before[-1]
    if src == dst:
        src = None
    return src, dst, verb.category


def _role(a: Analysis) -> str | None:
    for toks, matches in ((a.title_tokens, a.title_matches), (a.body_tokens, a.body_matches)):
        for m in matches:
            if m.category == "leadership" and toks[m.start] not in (
                "leadership",
                "reshuffle",
                "shake-up",
                "shakeup",
                "remaniement",
            ):
                return " ".join(toks[m.start : m.end])
    for toks, matches in ((a.title_tokens, a.title_matches), (a.body_tokens, a.body_matches)):
        for m in matches:
            if m.category == "ai_role" and toks[m.start] in (
                "researcher",
                "scientist",
                "engineer",
                "chercheur",
                "chercheuse",
                "ingenieur",
                "ingenieure",
            ):
                return toks[m.start]
    return None


def extract_move(a: Analysis) -> Move | None:
    """The move a talent-war story reports, or None when it names no person and no organisation."""
    cats = a.cats()
    src, dst, verb = _direction(a.title_tokens, a.title_matches)
    if dst is None and src is None:
        src, dst, verb = _direction(a.body_tokens, a.body_matches)
    former = _former_orgs(a.title_tokens) or _former_orgs(a.body_tokens)
    if src is None and former and former[0] != dst:
        src = former[0]
    if "acquihire" in cats:
        kind = "acquihire"
    elif "lawsuit" in cats and (verb or "found" in cats):
        kind = "lawsuit"
    elif "found" in cats and (verb in (None, "leave") or "found" in a.cats("title")):
        kind = "founding"
    elif verb == "leave" and dst is None:
        kind = "departure"
    elif verb in ("hire", "join") or dst:
        kind = "hire"
    elif "pay" in cats:
        kind = "pay"
    else:
        kind = "hire" if verb else "departure" if "leave" in cats else "pay"
    people = tuple(a.title_people[:4] or a.people[:3])
    if not people and src is None and dst is None:
        return None
    return Move(people=people, from_org=src, to_org=dst, role=_role(a), kind=kind)
