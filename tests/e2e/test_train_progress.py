"""`radar train` shows its progress on a terminal and never leaves half a model behind."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from bot import evaluation
from bot.core.classify import LinearModel
from bot.terminal import views
from tests.conftest import make_settings


def test_training_shows_a_progress_bar_and_writes_the_model_whole(tmp_path: Path) -> None:
    subset = [r for r in evaluation.load_corpus() if r.split == "train"][::60]
    bar, out = io.StringIO(), io.StringIO()
    target = tmp_path / "model.json"
    views.retrain(
        Console(file=out, width=200),
        make_settings(tmp_path, []),
        target,
        corpus=subset,
        progress=Console(file=bar, force_terminal=True, width=100),
    )
    shown = bar.getvalue()
    assert "training" in shown and "12/12" in shown, shown
    assert f"written to {target}" in out.getvalue()
    assert set(LinearModel.load(target).thresholds) == {"talent_war", "agi"}
    assert sorted(p.name for p in tmp_path.iterdir() if "model" in p.name) == ["model.json"]
