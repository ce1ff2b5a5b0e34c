"""The one wiring point: build the store, the understanding stage, the outputs and the service from settings."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from bot.core.classify import Classifier, LinearModel
from bot.core.models import Destination
from bot.core.understand import Understander
from bot.errors import ConfigError
from bot.outputs.base import Output
from bot.outputs.console import ConsoleOutput
from bot.outputs.jsonl import JsonlOutput
from bot.runtime.cycle import Clock, Radar, utcnow
from bot.runtime.workers import CpuStages
from bot.settings import ConsoleOutput as ConsoleSettings
from bot.settings import JsonlOutput as JsonlSettings
from bot.settings import Settings
from bot.store.repository import Store


def build_understander(settings: Settings) -> Understander:
    path = settings.classifier.model
    try:
        model = LinearModel.load(path) if path else LinearModel.load()
    except (OSError, ValueError, KeyError) as exc:
        where = f"{settings.source_path}: " if settings.source_path else ""
        raise ConfigError(f"{where}classifier.model: cannot load {path}: {exc}") from None
    return Understander(Classifier(model, _thresholds(settings)))


def _thresholds(settings: Settings) -> dict[str, float | None]:
    return {"talent_war": settings.classifier.talent_war, "agi": settings.classifier.agi}


def build_outputs(settings: Settings, stream: IO[str] | None = None) -> dict[str, Output]:
    outputs: dict[str, Output] = {}
    for spec in settings.outputs:
        dest = Destination(key=spec.key, topics=frozenset(spec.topics), min_score=spec.min_score)
        if isinstance(spec, ConsoleSettings):
            outputs[spec.key] = ConsoleOutput(dest, stream=stream, color=spec.color)
        elif isinstance(spec, JsonlSettings):
            outputs[spec.key] = JsonlOutput(dest, Path(spec.path))
    return outputs


def open_store(settings: Settings) -> Store:
    return Store.open(settings.storage.url)


def build(settings: Settings, stream: IO[str] | None = None, clock: Clock = utcnow) -> Radar:
    store = open_store(settings)
    store.sync_feeds((f.url, f.name, f.language, f.interval, f.enabled) for f in settings.feeds)
    return Radar(
        settings,
        store,
        CpuStages(build_understander(settings), settings.classifier.model, _thresholds(settings)),
        build_outputs(settings, stream),
        clock=clock,
    )
