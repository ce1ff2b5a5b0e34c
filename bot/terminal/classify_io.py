"""`radar classify`: JSON lines in and out, or one headline with a readable verdict."""

from __future__ import annotations

import json
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

from bot.core.models import TOPIC_TITLES, Move
from bot.core.text import html_to_text, strip_boilerplate
from bot.core.understand import Understander
from bot.errors import InputError


def classify_record(understander: Understander, record: dict[str, Any]) -> dict[str, Any]:
    title = html_to_text(str(record.get("title") or ""))
    text = strip_boilerplate(html_to_text(str(record.get("summary") or "")))
    lang = record.get("lang")
    und = understander.understand(title, text, lang if lang in ("en", "fr") else None)
    return {
        "id": record.get("id"),
        "labels": und.labels,
        "scores": {t: round(v.score, 4) for t, v in und.verdicts.items()},
        "reasons": {t: list(v.reasons) for t, v in und.verdicts.items()},
        "move": und.move.to_dict() if und.move else None,
        "summary": und.summary,
    }


def classify_lines(source: TextIO, sink: TextIO, understander: Understander) -> int:
    """One output line per input line, same order; a bad line stops with its line number."""
    count = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {number}: not JSON ({exc.msg})") from None
        if not isinstance(record, dict) or "title" not in record:
            raise InputError(f"line {number}: expected an object with at least 'id' and 'title'")
        sink.write(json.dumps(classify_record(understander, record), ensure_ascii=False) + "\n")
        count += 1
    sink.flush()
    return count


def classify_headline(console: Console, understander: Understander, headline: str) -> None:
    result = classify_record(understander, {"id": None, "title": headline, "summary": ""})
    for topic, score in result["scores"].items():
        flagged = topic in result["labels"]
        line = Text()
        line.append("FLAGGED " if flagged else "no      ", style="bold green" if flagged else "dim")
        line.append(f"{TOPIC_TITLES[topic]:<11} {score:.2f}")
        if result["reasons"][topic]:
            line.append("  " + "; ".join(result["reasons"][topic]), style="dim")
        console.print(line)
    if result["move"]:
        move = Move.from_dict(result["move"])
        console.print(Text(f"move ({move.kind}): {move.line()}"))
