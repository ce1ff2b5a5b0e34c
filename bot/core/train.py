"""Fit the linear model: L2-regularised logistic regression in plain Python, thresholds by cross-validation."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence

from bot.core.classify import LinearModel, sigmoid
from bot.core.models import TOPICS

Example = tuple[Mapping[str, float], frozenset[str]]  # facts, true labels


WORD_PREFIXES = ("t:", "w:")
TRAIN_FOLDS = 5  # cross-validation folds that choose each topic's threshold


def fit_topic(
    xs: Sequence[Mapping[str, float]],
    ys: Sequence[int],
    l2: float = 0.003,
    l2_words: float = 0.001,
    epochs: int = 300,
    rate: float = 0.3,
) -> tuple[dict[str, float], float]:
    """Full-batch gradient descent with AdaGrad steps; small data, so exact and deterministic.

    Facts and word stems have their own L2 penalties, chosen by cross-validation on the train
    split: words get a lighter one there, because their weights spread over many small features."""
    weights: dict[str, float] = {}
    bias = 0.0
    grad_sq: dict[str, float] = {}
    bias_sq = 0.0
    n = len(xs)
    pos = sum(ys)
    # Balance the classes so that a rare label is not drowned.
    w_pos = n / (2.0 * pos) if pos else 1.0
    w_neg = n / (2.0 * (n - pos)) if n - pos else 1.0
    for _ in range(epochs):
        grads: dict[str, float] = {}
        g_bias = 0.0
        for x, y in zip(xs, ys, strict=True):
            z = bias + sum(weights.get(k, 0.0) * v for k, v in x.items())
            err = (sigmoid(z) - y) * (w_pos if y else w_neg)
            g_bias += err
            for k, v in x.items():
                grads[k] = grads.get(k, 0.0) + err * v
        for k in set(grads) | set(weights):
            penalty = l2_words if k.startswith(WORD_PREFIXES) else l2
            g = grads.get(k, 0.0) / n + penalty * weights.get(k, 0.0)
            grad_sq[k] = grad_sq.get(k, 0.0) + g * g
            weights[k] = weights.get(k, 0.0) - rate * g / (math.sqrt(grad_sq[k]) + 1e-8)
        g_bias /= n
        bias_sq += g_bias * g_bias
        bias -= rate * g_bias / (math.sqrt(bias_sq) + 1e-8)
    return {k: round(v, 5) for k, v in weights.items() if abs(v) > 1e-4}, round(bias, 5)


def best_threshold(scores: Sequence[float], ys: Sequence[int], beta: float = 0.7) -> float:
    """The cut that maximises F-beta; beta < 1 leans to precision, as a quiet bot should."""
    best, best_t = -1.0, 0.5
    for step in range(20, 91):
        t = step / 100
        tp = sum(1 for s, y in zip(scores, ys, strict=True) if s >= t and y)
        fp = sum(1 for s, y in zip(scores, ys, strict=True) if s >= t and not y)
        fn = sum(1 for s, y in zip(scores, ys, strict=True) if s < t and y)
        if tp == 0:
            continue
        p, r = tp / (tp + fp), tp / (tp + fn)
        f = (1 + beta**2) * p * r / (beta**2 * p + r)
        if f > best + 1e-9:
            best, best_t = f, t
    return best_t


def train(
    examples: Sequence[Example],
    folds: int = TRAIN_FOLDS,
    seed: int = 7,
    l2: float = 0.003,
    l2_words: float = 0.001,
    progress: Callable[[], None] | None = None,
) -> LinearModel:
    """Fit each topic: `folds` held-out fits to choose its threshold, then one on everything.
    `progress` is called after each of those len(TOPICS) * (folds + 1) fits."""
    weights: dict[str, dict[str, float]] = {}
    bias: dict[str, float] = {}
    thresholds: dict[str, float] = {}
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    for topic in TOPICS:
        xs = [examples[i][0] for i in order]
        ys = [1 if topic in examples[i][1] else 0 for i in order]
        held_scores: list[float] = [0.0] * len(xs)
        for k in range(folds):
            train_idx = [i for i in range(len(xs)) if i % folds != k]
            w, b = fit_topic(
                [xs[i] for i in train_idx], [ys[i] for i in train_idx], l2=l2, l2_words=l2_words
            )
            for i in range(k, len(xs), folds):
                held_scores[i] = sigmoid(b + sum(w.get(f, 0.0) * v for f, v in xs[i].items()))
            if progress is not None:
                progress()
        thresholds[topic] = best_threshold(held_scores, ys)
        weights[topic], bias[topic] = fit_topic(xs, ys, l2=l2, l2_words=l2_words)
        if progress is not None:
            progress()
    return LinearModel(weights=weights, bias=bias, thresholds=thresholds)
