"""Class-level AGI cues read from word positions: machines compared with people, breadth of ability, AGI as a goal.

Word lists lift the batch they were written after; these cues instead look at how a sentence is
built. AGI talk without the word compares a machine with people ("models that outperform experts",
"des IA plus douées que l'humain") and claims breadth ("nearly every task", "dans tous les
domaines"); the AGI word in news is a goal that labs build, reach or race to, or a date. Tokens
are folded (lower-case ASCII) as `bot.core.phrases.tokens` gives them.
"""

from __future__ import annotations

from collections.abc import Sequence

# A machine as the one compared: "AI", "models", "des IA", "systems"…
MACHINES = frozenset(
    {"ai", "a.i", "ia", "ias", "machine", "machines", "system", "systems", "model", "models"}
    | {"agent", "agents", "computer", "computers", "algorithm", "algorithms", "algorithmes"}
    | {"llm", "llms", "chatbot", "chatbots", "systemes", "systeme", "modele", "modeles"}
    | {"ordinateur", "ordinateurs", "machine-learning", "superintelligence"}
)
# Words that say "more than" or "as much as": smarter, outperform, surpass, dépasser, égaler…
_BEYOND = frozenset(
    {"smarter", "cleverer", "brighter", "outperform", "outperforms", "outperforming", "outsmart"}
    | {"outsmarts", "outthink", "outthinks", "surpass", "surpasses", "surpassing", "surpassed"}
    | {"exceed", "exceeds", "exceeding", "rival", "rivals", "rivalling", "rivaling", "beat"}
    | {"beats", "beating", "better", "match", "matches", "equal", "equals", "superior", "outdo"}
    | {"depasser", "depasse", "depassent", "depassera", "depasseront", "surpasser", "surpasse"}
    | {"surpassent", "surpassera", "egaler", "egale", "egalent", "egalera", "rivaliser"}
    | {"meilleur", "meilleure", "meilleurs", "meilleures", "superieur", "superieure"}
    | {"superieurs", "superieures", "doue", "douee", "doues", "douees", "intelligent"}
    | {"intelligente", "intelligents", "intelligentes", "capable", "capables", "performant"}
    | {"performante", "performants", "performantes"}
)
# "plus"/"more" turn an adjective into a comparison; on their own the adjectives above say little.
_NEEDS_MORE = frozenset(
    {"doue", "douee", "doues", "douees", "intelligent", "intelligente", "intelligents"}
    | {"intelligentes", "capable", "capables", "performant", "performante", "performants"}
    | {"performantes"}
)
_MORE = frozenset({"more", "plus", "far", "much", "bien"})
# Adjectives compare only with "than"/"que"/"to"/"à" before the people; verbs take them as object.
_NEEDS_THAN = _NEEDS_MORE | frozenset(
    {"smarter", "cleverer", "brighter", "better", "superior", "meilleur", "meilleure"}
    | {"meilleurs", "meilleures", "superieur", "superieure", "superieurs", "superieures"}
)
_THAN = frozenset({"than", "que", "qu", "to", "a"})
# People as the measure: humans, experts, their makers, l'humain, nous…
_PEOPLE = frozenset(
    {"human", "humans", "humanity", "people", "us", "experts", "expert", "makers", "creators"}
    | {"mankind", "humankind", "scientists", "researchers", "doctors", "workers", "professionals"}
    | {"humain", "humains", "humaine", "humaines", "humanite", "homme", "hommes", "nous"}
    | {"createurs", "scientifiques", "chercheurs", "cerveau", "brain", "brains", "person"}
)
# Breadth: "all/every/nearly any" followed within a few words by tasks, jobs, work, fields.
_ALL = frozenset({"all", "every", "any", "most", "tous", "toutes", "tout", "chaque", "importe"})
_SCOPE = frozenset(
    {"task", "tasks", "job", "jobs", "work", "domain", "domains", "field", "fields", "taches"}
    | {"tache", "metiers", "metier", "domaines", "emplois", "travail", "cognitive", "intellectual"}
    | {"intellectuel", "intellectuelles", "cognitives", "professions", "disciplines", "subjects"}
)
# What labs do with AGI in the news: build it, reach it, race to it, put a date on it.
_GOAL = frozenset(
    {"build", "builds", "building", "reach", "reaches", "reaching", "reached", "achieve"}
    | {"achieves", "achieving", "achieved", "pursue", "pursues", "pursuing", "race", "racing"}
    | {"arrive", "arrives", "arriving", "arrival", "close", "closer", "near", "nearer", "toward"}
    | {"towards", "timeline", "timelines", "path", "road", "mission", "goal", "quest", "coming"}
    | {"away", "develop", "developing", "deliver", "create", "creating", "bet", "betting"}
    | {"atteindre", "atteint", "construire", "construit", "batir", "viser", "vise", "visent"}
    | {"course", "arrivee", "arrivera", "objectif", "vers", "proche", "chemin", "developper"}
    | {"creer", "quete", "approche", "horizon"}
)
WINDOW = 6  # tokens either side: a clause, not the whole item


def _year(tok: str) -> bool:
    return len(tok) == 4 and tok.isdigit() and "2025" <= tok <= "2060"


def _comparison_at(toks: Sequence[str], i: int) -> bool:
    tok = toks[i]
    if tok not in _BEYOND:
        return False
    if tok in _NEEDS_MORE and not (i > 0 and toks[i - 1] in _MORE):
        return False
    after = toks[i + 1 : i + 1 + WINDOW]
    for k, t in enumerate(after):
        if t in _PEOPLE:
            # "the best researchers" ranks people; "better than researchers" compares with them.
            return tok not in _NEEDS_THAN or not _THAN.isdisjoint(after[:k])
    return False


def machine_beyond_people(toks: Sequence[str]) -> bool:
    """A machine said to match or pass people: 'models that outperform experts', 'des IA plus
    intelligentes que nous'. The machine word must stand in the same clause, before or after."""
    for i in range(len(toks)):
        if _comparison_at(toks, i):
            lo = max(0, i - 2 * WINDOW)
            if any(t in MACHINES for t in toks[lo : i + WINDOW]):
                return True
    return False


def breadth_of_ability(toks: Sequence[str]) -> bool:
    """Claims about every task or field: 'nearly every cognitive task', 'dans tous les métiers',
    'rival humans across the board'."""
    n = len(toks)
    for i, tok in enumerate(toks):
        if tok in _ALL and any(t in _SCOPE for t in toks[i + 1 : i + 4]):
            return True
        if tok == "across" and i + 2 < n and (toks[i + 1], toks[i + 2]) == ("the", "board"):
            return True
    return False


def agi_as_goal(toks: Sequence[str], spans: Sequence[tuple[int, int]]) -> bool:
    """An AGI word (its token spans given) with a goal or a date in the same clause: 'labs racing
    toward AGI', 'AGI by 2029', 'construire une IA générale'."""
    for start, end in spans:
        lo, hi = max(0, start - WINDOW), min(len(toks), end + WINDOW)
        for t in (*toks[lo:start], *toks[end:hi]):
            if t in _GOAL or _year(t):
                return True
    return False


def near(spans: Sequence[tuple[int, int]], others: Sequence[tuple[int, int]]) -> bool:
    """Any span of the first kind within a clause (WINDOW * 2 tokens) of one of the second."""
    return any(
        abs(s - o) <= 2 * WINDOW or abs(e - oe) <= 2 * WINDOW for s, e in spans for o, oe in others
    )
