"""`radar classify`: JSON lines in and out, or one headline with a readable verdict."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any, Literal, TextIO

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


def classify_source(source: str | None) -> Literal["stdin", "file", "headline"]:
    """What the argument of `radar classify` names; a mistyped file name is an error, never a
    headline to classify."""
    if source in (None, "-"):
        return "stdin"
    assert source is not None
    if "\x00" in source:
        raise InputError("the argument contains a NUL byte")
    if not source.strip():
        raise InputError(
            "nothing to classify: give a headline, a JSON-lines file, or '-' for stdin"
        )
    path = Path(source)
    if path.is_dir():
        raise InputError(f"{source} is a folder; give a JSON-lines file or a headline")
    if path.exists():
        if not path.is_file():
            raise InputError(f"{source} is not a regular file; pipe it on stdin instead")
        return "file"
    # One word that looks like a path: almost surely a mistyped file name, not a headline.
    if not any(c.isspace() for c in source.strip()) and (
        "/" in source or os.sep in source or path.suffix.lower() in FILE_SUFFIXES
    ):
        raise InputError(f"{source}: no such file (to classify a headline, quote its words)")
    return "headline"


FILE_SUFFIXES = frozenset((".jsonl", ".json", ".ndjson", ".txt", ".csv"))
LANGUAGES = ("en", "fr")


def check_record(number: int, record: object) -> dict[str, Any]:
    """The record of input line `number`, or an InputError naming that line and its fault."""
    if not isinstance(record, dict):
        raise InputError(f"line {number}: expected a JSON object with 'id' and 'title'")
    if "id" not in record:
        raise InputError(f"line {number}: no 'id' (each item needs one, to match its verdict)")
    if not isinstance(record["id"], str | int) or isinstance(record["id"], bool):
        raise InputError(f"line {number}: 'id' must be a string or an integer")
    if not isinstance(record.get("title"), str):
        raise InputError(f"line {number}: 'title' must be a string")
    for key in ("summary", "source", "url"):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise InputError(f"line {number}: {key!r} must be a string")
    lang = record.get("lang")
    if lang is not None and lang not in LANGUAGES:
        raise InputError(
            f"line {number}: 'lang' {lang!r} is not supported; use en, fr or leave it out"
        )
    return record


def classify_lines(source: IO[bytes], sink: TextIO, understander: Understander) -> int:
    """One output line per input line, same order; a bad line stops with its line number."""
    count = 0
    for number, raw in enumerate(source, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"line {number}: not UTF-8 text") from None
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {number}: not JSON ({exc.msg})") from None
        except RecursionError:
            raise InputError(f"line {number}: JSON nested too deeply") from None
        record = check_record(number, record)
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
