"""`radar eval`'s figures on a small corpus file, with a hand-set model whose verdicts are known,
and the guarantee that held-out rows never reach training."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from bot.core.classify import Classifier, LinearModel
from bot.evaluation import HELDOUT, evaluate, load_corpus, train_model, training_rows
from bot.terminal.views import print_eval

SAMPLE = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    """Flags talent_war exactly when a hiring verb is present, agi when an AGI term is."""
    model = LinearModel(
        weights={"talent_war": {"hire": 4.0}, "agi": {"agi_term": 4.0}},
        bias={"talent_war": -2.0, "agi": -2.0},
        thresholds={"talent_war": 0.5, "agi": 0.5},
    )
    return Classifier(model)


def test_scores_per_label_and_language_and_false_alerts_on_hard_negatives(
    classifier: Classifier,
) -> None:
    rows = load_corpus(SAMPLE)
    dev = evaluate(classifier, [r for r in rows if r.split == "dev"])
    tw_en = dev.scores[("talent_war", "en")]
    # A hire found (TP), a designer's hire that is not AI talent (FP), a departure missed (FN).
    assert (tw_en.tp, tw_en.fp, tw_en.fn) == (1, 1, 1)
    assert (tw_en.precision, tw_en.recall, tw_en.f1) == (0.5, 0.5, 0.5)
    tw_fr = dev.scores[("talent_war", "fr")]
    assert (tw_fr.tp, tw_fr.fp, tw_fr.fn, tw_fr.f1) == (0, 1, 0, 0.0)
    agi_all = dev.scores[("agi", "all")]
    assert (agi_all.tp, agi_all.fp, agi_all.fn, agi_all.f1) == (2, 0, 0, 1.0)
    # Hard negatives: the designer's hire (en) and the football transfer (fr) alert, brunch does not.
    assert (dev.hard[("talent_war", "en")].alerts, dev.hard[("talent_war", "en")].items) == (1, 2)
    assert dev.hard[("talent_war", "en")].per_100 == 50.0
    assert dev.hard[("talent_war", "fr")].per_100 == 100.0
    assert dev.hard[("agi", "all")].per_100 == 0.0
    assert (dev.hard[("any", "all")].alerts, dev.hard[("any", "all")].items) == (2, 3)

    held = evaluate(classifier, [r for r in rows if r.split == HELDOUT])
    assert held.n == 3
    assert held.scores[("talent_war", "en")].f1 == 1.0
    # The gold miner's ticker never counts as AGI; the pastry chef's hire is a false alert.
    assert held.hard[("agi", "all")].alerts == 0
    assert held.hard[("any", "all")].per_100 == 50.0


def test_the_report_shows_dev_and_held_out_and_lists_only_dev_mistakes(
    classifier: Classifier,
) -> None:
    stream = io.StringIO()
    print_eval(Console(file=stream, width=200, no_color=True), classifier, 50, load_corpus(SAMPLE))
    text = stream.getvalue()
    assert "Dev split: 8 items, 3 hard negatives" in text, text
    assert "Held-out split: 3 items, 2 hard negatives" in text, text
    # Each held-out batch also on its own: batch 2 is the ticker and the pastry chef.
    assert "Held-out batch 1: 1 items, 0 hard negatives" in text, text
    assert "Held-out batch 2: 2 items, 2 hard negatives" in text, text
    assert "FA/100" in text
    rows = [line.split("│")[1:-1] for line in text.splitlines() if line.startswith("│")]
    cells = [[c.strip() for c in row] for row in rows]
    assert ["talent_war", "en", "0.500", "0.500", "0.500", "1", "1", "1", "50.0"] in cells
    assert ["talent_war", "fr", "0.000", "0.000", "0.000", "0", "1", "0", "100.0"] in cells
    assert "hard negatives, all: 2 of 3 raised any alert, 66.7 per 100" in text
    assert "Mistakes (3):" in text
    assert "Zorblatt" not in text, "held-out items are scored, never listed"


def test_held_out_rows_never_reach_training() -> None:
    rows = load_corpus(SAMPLE)
    assert {r.split for r in training_rows(rows)} == {"train"}
    assert [r.id for r in rows if r.split == HELDOUT] == ["ho-1", "ho-2", "ho-3"]
    # Even relabelled as train rows' neighbours, a held-out row's words must not become weights:
    # 'Quillmarsh' is only in train rows, 'Zorblatt' only in held-out ones.
    model = train_model(corpus=rows)
    learned = {name for weights in model.weights.values() for name in weights}
    assert "t:quillm" in learned
    assert not any("zorbla" in name or "vexing" in name for name in learned)
