"""The labelled corpus: load it, train the model on its train split, and measure on dev and held-out.

The held-out split was written after the model and is never trained on: `training_rows` drops it
by name, whatever else changes, so its figures stay an honest estimate for news written by others.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.classify import Classifier, LinearModel
from bot.core.features import analyse, features
from bot.core.models import TOPICS
from bot.core.text import html_to_text, strip_boilerplate
from bot.core.train import Example, train
from bot.store.repository import Store

CORPUS_DIR = Path(__file__).resolve().parent / "data" / "labelled"
VOTE_WEIGHT = 3
TRAIN, DEV, HELDOUT = "train", "dev", "heldout"


@dataclass(frozen=True, slots=True)
class Labelled:
    id: str
    lang: str
    title: str
    summary: str
    labels: frozenset[str]
    split: str
    kind: str = ""
    # A negative written to share the positives' words (an AGI ticker, a sports transfer…).
    hard: bool = False
    # Held-out rows: which batch, each written after the model it first measured.
    batch: str = ""


def load_corpus(folder: Path = CORPUS_DIR) -> list[Labelled]:
    rows: list[Labelled] = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            d = json.loads(line)
            rows.append(
                Labelled(
                    id=d["id"],
                    lang=d["lang"],
                    title=d["title"],
                    summary=d["summary"],
                    labels=frozenset(d["labels"]),
                    split=d.get("split", TRAIN),
                    kind=d.get("kind", ""),
                    hard=bool(d.get("hard", False)) and not d["labels"],
                    batch=str(d.get("batch", "")),
                )
            )
    return rows


def facts_of(title: str, summary: str) -> dict[str, float]:
    return features(analyse(html_to_text(title), strip_boilerplate(html_to_text(summary))))


def training_rows(corpus: Iterable[Labelled]) -> list[Labelled]:
    """The rows a model may learn from: the train split, and never a held-out row."""
    return [r for r in corpus if r.split == TRAIN and r.split != HELDOUT]


def train_model(
    extra: Iterable[Example] = (),
    corpus: Sequence[Labelled] | None = None,
    progress: Callable[[], None] | None = None,
) -> LinearModel:
    rows = training_rows(corpus or load_corpus())
    examples: list[Example] = [(facts_of(r.title, r.summary), r.labels) for r in rows]
    # Each item again as its headline alone: many feeds (Hacker News, some wires) carry no
    # description, and the model must not depend on one.
    examples.extend((facts_of(r.title, ""), r.labels) for r in rows)
    examples.extend(extra)
    return train(examples, progress=progress)


def feedback_training_examples(store: Store) -> list[Example]:
    """The team's votes as training examples: 👍 confirms a story's topics, 👎 says it has none.

    Each voted story counts VOTE_WEIGHT times: the team knows better than one corpus line what it
    wants to see."""
    examples: list[Example] = []
    for story, vote in store.feedback_examples():
        labels = frozenset(story.topics) if vote > 0 else frozenset()
        facts = facts_of(story.title, story.summary)
        examples.extend([(facts, labels)] * VOTE_WEIGHT)
    return examples


@dataclass(slots=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class HardNegatives:
    """How often items written to look like news of a topic, but not about it, raise an alert."""

    alerts: int = 0
    items: int = 0

    @property
    def per_100(self) -> float:
        return 100.0 * self.alerts / self.items if self.items else 0.0


@dataclass(slots=True)
class Report:
    scores: dict[tuple[str, str], Score] = field(default_factory=dict)  # (topic, lang or 'all')
    mistakes: list[tuple[Labelled, str, bool, float]] = field(
        default_factory=list
    )  # item, topic, predicted, score
    n: int = 0
    # (topic or 'any', lang or 'all') → false alerts on the hard negatives
    hard: dict[tuple[str, str], HardNegatives] = field(default_factory=dict)


def evaluate(classifier: Classifier, rows: Sequence[Labelled]) -> Report:
    report = Report(n=len(rows))
    for row in rows:
        verdicts = classifier.verdicts(
            analyse(html_to_text(row.title), strip_boilerplate(html_to_text(row.summary)))
        )
        if row.hard:
            flags: dict[str, bool] = {t: verdicts[t].flagged for t in TOPICS}
            flags["any"] = any(flags.values())
            for topic, flagged in flags.items():
                for lang in (row.lang, "all"):
                    h = report.hard.setdefault((topic, lang), HardNegatives())
                    h.items += 1
                    h.alerts += int(flagged)
        for topic in TOPICS:
            v = verdicts[topic]
            truth = topic in row.labels
            for lang in (row.lang, "all"):
                s = report.scores.setdefault((topic, lang), Score())
                if v.flagged and truth:
                    s.tp += 1
                elif v.flagged:
                    s.fp += 1
                elif truth:
                    s.fn += 1
                else:
                    s.tn += 1
            if v.flagged != truth:
                report.mistakes.append((row, topic, v.flagged, v.score))
    return report
