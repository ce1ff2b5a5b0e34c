"""Score an item for each topic with a small linear model over named facts, and say why in words."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.core.features import Analysis, features
from bot.core.models import TOPICS, TopicVerdict

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "data" / "model.json"

# Human words for the facts a reason may cite; facts without an entry are never shown.
REASONS: dict[str, str] = {
    "c_move_t_lab_person": "headline move verb + AI lab + named person",
    "c_move_lab_person": "move verb + AI lab + named person",
    "c_move_org_who": "move verb + AI organisation + researcher or executive",
    "c_move_t_org_t": "headline says an AI organisation hires or loses someone",
    "c_move_t_person_t": "headline names a person joining or leaving",
    "c_move_two_orgs": "a person moving between two organisations",
    "c_acqui_org": "acqui-hire or license-and-hire deal",
    "c_found_lab": "people leaving a lab to found a new one",
    "c_found_t": "headline about founding a new company",
    "c_former_found": "people from a lab founding a new one",
    "c_former_move": "a lab's former staff moving",
    "c_pay_ai": "pay or retention offers for AI talent",
    "c_law_move": "legal fight over people moving",
    "c_lead_move_lab": "leadership change at an AI lab",
    "c_agi_lab_move": "move into a superintelligence/AGI unit",
    "person_known": "names a well-known AI figure",
    "pay": "talks of pay packages or a talent war",
    "acquihire": "acqui-hire wording",
    "found": "founding a new company",
    "c_agi_title": "headline is about AGI or superintelligence",
    "c_agi_frame": "AGI discussed as race, timeline, risk, definition or test",
    "agi_lab": "mentions a superintelligence/AGI lab",
    "agi_lab_t": "headline mentions a superintelligence/AGI lab",
    "agi_race": "the race to AGI",
    "agi_race_t": "headline about the race to AGI",
    "agi_timeline": "AGI predictions or timelines",
    "agi_xrisk": "existential-risk debate",
    "agi_xrisk_t": "headline about existential risk",
    "c_xrisk_ai": "AI existential-risk debate",
    "agi_bench": "a benchmark framed as an AGI test (ARC-AGI)",
    "agi_bench_t": "headline about an AGI benchmark",
    "agi_clause": "AGI definition or contract clause",
    "agi_clause_t": "headline about an AGI clause or definition",
    "agi_term_t": "headline says AGI or superintelligence",
    "agi_term": "mentions AGI or superintelligence",
}


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Per-topic weights over fact names, a bias, and the decision threshold chosen at training."""

    weights: Mapping[str, Mapping[str, float]]
    bias: Mapping[str, float]
    thresholds: Mapping[str, float]
    version: str = "radar-linear-1"

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL) -> LinearModel:
        """Read a model file; ValueError (one line) when it is not a model `radar train` wrote."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise ValueError("not a JSON model file") from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: object) -> LinearModel:
        if not isinstance(data, dict):
            raise ValueError("not a model: expected a JSON object")
        thresholds = _numbers(_table(data, "thresholds"), "thresholds")
        missing = [t for t in TOPICS if t not in thresholds]
        if missing:
            raise ValueError(f"not a model: no threshold for {', '.join(missing)}")
        return cls(
            weights={t: _numbers(w, f"weights.{t}") for t, w in _table(data, "weights").items()},
            bias=_numbers(_table(data, "bias"), "bias"),
            thresholds=thresholds,
            version=str(data.get("version", "radar-linear-1")),
        )

    def save(self, path: Path) -> None:
        payload = {
            "version": self.version,
            "bias": dict(self.bias),
            "thresholds": dict(self.thresholds),
            "weights": {t: dict(sorted(w.items())) for t, w in self.weights.items()},
        }
        path.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    def score(
        self, topic: str, facts: Mapping[str, float]
    ) -> tuple[float, list[tuple[float, str]]]:
        weights = self.weights.get(topic, {})
        total = self.bias.get(topic, 0.0)
        contributions: list[tuple[float, str]] = []
        for name, value in facts.items():
            w = weights.get(name)
            if w:
                total += w * value
                contributions.append((w * value, name))
        return sigmoid(total), contributions


def _table(data: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise ValueError(f"not a model: {key!r} must be an object")
    return value


def _numbers(value: object, where: str) -> dict[str, float]:
    if not isinstance(value, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        for v in value.values()
    ):
        raise ValueError(f"not a model: {where} must map names to numbers")
    return {str(k): float(v) for k, v in value.items()}


class Classifier:
    """Topic verdicts for analysed items; thresholds default to the model's own."""

    def __init__(
        self, model: LinearModel | None = None, thresholds: Mapping[str, float | None] | None = None
    ) -> None:
        self.model = model or LinearModel.load()
        overrides = thresholds or {}
        self.thresholds: dict[str, float] = {}
        for topic in TOPICS:
            chosen = overrides.get(topic)
            self.thresholds[topic] = (
                float(chosen)
                if chosen is not None
                else float(self.model.thresholds.get(topic, 0.5))
            )

    def verdicts(self, analysis: Analysis) -> dict[str, TopicVerdict]:
        facts = features(analysis)
        out: dict[str, TopicVerdict] = {}
        for topic in TOPICS:
            score, contributions = self.model.score(topic, facts)
            flagged = score >= self.thresholds[topic]
            reasons: tuple[str, ...] = ()
            if flagged:
                contributions.sort(reverse=True)
                reasons = tuple(
                    REASONS[name] for w, name in contributions if w > 0 and name in REASONS
                )[:3]
            out[topic] = TopicVerdict(
                topic=topic, score=round(score, 4), flagged=flagged, reasons=reasons
            )
        return out
