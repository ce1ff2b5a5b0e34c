"""Turn one item into an Understanding: topic verdicts, the talent move, a summary and the language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Literal

from bot.core.classify import Classifier
from bot.core.features import analyse
from bot.core.lang import detect_language
from bot.core.models import Understanding
from bot.core.moves import extract_move
from bot.core.summarise import summarise


class Understander:
    """The one code path that the service, `radar classify` and `radar eval` share."""

    def __init__(
        self,
        classifier: Classifier | None = None,
        thresholds: Mapping[str, float | None] | None = None,
    ) -> None:
        self.classifier = classifier or Classifier(thresholds=thresholds)

    def understand(
        self,
        title: str,
        text: str,
        language: str | None = None,
        summary: Literal["always", "flagged"] = "always",
        published: datetime | None = None,
    ) -> Understanding:
        """summary='flagged' skips the summary of items that no topic flagged: the poll cycle keeps
        summaries only with stories, and most items of a feed never become one. `published` is the
        item's publication date, which its move carries (a move happened when it was reported)."""
        analysis = analyse(title, text)
        verdicts = self.classifier.verdicts(analysis)
        flagged = any(v.flagged for v in verdicts.values())
        move = extract_move(title, text) if verdicts["talent_war"].flagged else None
        if move is not None and published is not None:
            move = replace(move, published=published)
        lang = language or detect_language(f"{title} {text[:400]}")
        short = summarise(title, text) if flagged or summary == "always" else ""
        return Understanding(verdicts=verdicts, move=move, summary=short, language=lang)
