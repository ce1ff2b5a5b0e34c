"""The labelled move set: load it, run the move extractor on it, and score people, origin, destination
and kind per split and language, with the mistakes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.models import Move
from bot.core.moves import canonical_org, extract_move
from bot.core.names import person_key
from bot.core.phrases import fold
from bot.core.text import html_to_text, strip_boilerplate
from bot.errors import InputError

MOVES_DIR = Path(__file__).resolve().parent / "data" / "moves"
FIELDS = ("people", "from", "to", "kind")


@dataclass(frozen=True, slots=True)
class LabelledMove:
    """One item of the move set; `expected` is None when the item reports no move."""

    id: str
    lang: str
    split: str
    title: str
    summary: str
    expected: Move | None


def load_moves(folder: Path = MOVES_DIR) -> list[LabelledMove]:
    """Every *.jsonl file of the folder; a malformed line is one clear error naming file and line."""
    rows: list[LabelledMove] = []
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(_row(json.loads(line), path.stem))
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(f"{path.name} line {number}: not a move item ({exc})") from None
    return rows


def _row(d: dict[str, object], default_split: str) -> LabelledMove:
    move = d.get("move")
    expected = None
    if move is not None:
        if not isinstance(move, dict):
            raise TypeError("'move' must be an object or null")
        expected = Move.from_dict(move)
    return LabelledMove(
        id=str(d["id"]),
        lang=str(d["lang"]),
        split=str(d.get("split") or default_split),
        title=str(d["title"]),
        summary=str(d.get("summary") or ""),
        expected=expected,
    )


def _org_key(name: str | None) -> str:
    return fold(canonical_org(name)) if name else ""


def field_right(name: str, expected: Move, got: Move | None) -> bool:
    """Whether the extractor got one field of an expected move right."""
    if got is None:
        return False
    if name == "people":
        return {person_key(p) for p in expected.people} == {person_key(p) for p in got.people}
    if name == "from":
        return _org_key(expected.from_org) == _org_key(got.from_org)
    if name == "to":
        return _org_key(expected.to_org) == _org_key(got.to_org)
    return expected.kind == got.kind


@dataclass(slots=True)
class MoveScore:
    """Counts for one split and language."""

    moves: int = 0  # items that report a move
    all_right: int = 0  # people, origin and destination all right
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    no_move: int = 0  # items that report no move
    no_move_kept: int = 0  # … for which nothing was invented

    def share(self, count: int, of: int) -> float:
        return count / of if of else 0.0

    @property
    def all_right_share(self) -> float:
        return self.share(self.all_right, self.moves)

    def accuracy(self, name: str) -> float:
        return self.share(self.right[name], self.moves)

    @property
    def no_move_precision(self) -> float:
        return self.share(self.no_move_kept, self.no_move)


@dataclass(frozen=True, slots=True)
class MoveMistake:
    item: LabelledMove
    got: Move | None
    wrong: tuple[str, ...]


@dataclass(slots=True)
class MoveReport:
    scores: dict[tuple[str, str], MoveScore] = field(default_factory=dict)  # (split, lang|'all')
    mistakes: list[MoveMistake] = field(default_factory=list)


Extractor = Callable[[str, str], Move | None]


def extract(title: str, summary: str) -> Move | None:
    """What Radar's pipeline hands the extractor: plain text, boilerplate removed."""
    return extract_move(html_to_text(title), strip_boilerplate(html_to_text(summary)))


def evaluate_moves(rows: Iterable[LabelledMove], extractor: Extractor = extract) -> MoveReport:
    report = MoveReport()
    for row in rows:
        got = extractor(row.title, row.summary)
        buckets = [
            report.scores.setdefault((row.split, lang), MoveScore()) for lang in (row.lang, "all")
        ]
        if row.expected is None:
            for b in buckets:
                b.no_move += 1
                b.no_move_kept += got is None
            if got is not None:
                report.mistakes.append(MoveMistake(row, got, ("invented",)))
            continue
        wrong = tuple(f for f in FIELDS if not field_right(f, row.expected, got))
        for b in buckets:
            b.moves += 1
            b.all_right += not (set(wrong) & {"people", "from", "to"})
            for f in FIELDS:
                b.right[f] += f not in wrong
        if wrong:
            report.mistakes.append(MoveMistake(row, got, wrong))
    return report


def splits_in(report: MoveReport) -> Sequence[str]:
    return sorted({split for split, _ in report.scores}, key=lambda s: (s != "tune", s))
