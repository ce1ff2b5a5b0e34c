"""Outputs: the terminal panel shows what a reader needs and nothing a feed could smuggle in; the
JSON Lines file holds each story exactly once, across restarts."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.core.models import Alert, Destination, Move
from bot.outputs.console import ConsoleOutput
from bot.outputs.jsonl import JsonlOutput

DEST = Destination("test", frozenset({"talent_war", "agi"}))
PUBLISHED = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
JSON_KEYS = (
    "story_id",
    "url",
    "title",
    "topics",
    "scores",
    "summary",
    "source",
    "published",
    "language",
    "also",
)


def alert(story_id: int = 7, **changes: Any) -> Alert:
    values: dict[str, Any] = {
        "story_id": story_id,
        "url": "https://news.example/meta-hires",
        "title": "Meta hires OpenAI's Jason Wei",
        "topics": ("talent_war", "agi"),
        "scores": {"talent_war": 0.987, "agi": 0.612},
        "reasons": {
            "talent_war": ["headline move verb + AI lab + named person"],
            "agi": ["mentions a superintelligence/AGI lab"],
        },
        "summary": "Meta has hired OpenAI researcher Jason Wei.",
        "source": "Example Wire",
        "published": PUBLISHED,
        "language": "en",
        "also": ("https://other.example/wei",),
        "move": Move(("Jason Wei",), "OpenAI", "Meta", None, "hire"),
    }
    values.update(changes)
    return Alert(**values)


async def printed(item: Alert, color: bool = False) -> str:
    stream = io.StringIO()
    out = ConsoleOutput(DEST, stream=stream, color=color)
    out.console.width = 160  # one line per field, so the checks do not depend on wrapping
    assert await out.send(item) is None
    return stream.getvalue()


# -- console ---------------------------------------------------------------------------------------


async def test_console_prints_every_part_of_the_alert() -> None:
    text = await printed(alert())
    for part in (
        "Talent war + AGI race",
        "Meta hires OpenAI's Jason Wei",
        "Meta has hired OpenAI researcher Jason Wei.",
        "Move: Jason Wei: OpenAI → Meta",
        "Example Wire · 2026-11-28 09:30 UTC · en · Talent war 0.99, AGI race 0.61",
        "Why: headline move verb + AI lab + named person; mentions a superintelligence/AGI lab",
        "https://news.example/meta-hires",
        "also: https://other.example/wei",
    ):
        assert part in text, f"{part!r} missing from:\n{text}"
    assert "\x1b" not in text, "color=False writes plain text"


async def test_console_leaves_out_what_the_alert_does_not_have() -> None:
    text = await printed(
        alert(topics=("agi",), summary="", move=None, also=(), published=None, reasons={"agi": []})
    )
    assert "Move:" not in text and "Why:" not in text and "also:" not in text
    assert "time unknown" in text
    assert "AGI race 0.61" in text and "Talent war" not in text


async def test_feed_text_cannot_inject_markup_or_terminal_escapes() -> None:
    hostile = "[bold red]PWNED[/] \x1b[31m<script>"
    item = alert(
        title=hostile,
        summary="Click \x1b]8;;https://evil.example\x07here\x1b]8;;\x07 [link=https://evil.example]x[/link]",
        source="Wire\x1b[2J\x1b[H",
        url="https://news.example/a\x1b[0m",
        also=("https://other.example/\u202egnp.exe",),
        move=Move(("[blink]Eve[/blink]\x1b[5m",), "OpenAI", "Meta", None, "hire"),
    )

    plain = await printed(item)
    assert "\x1b" not in plain
    assert "[bold red]PWNED[/] [31m<script>" in plain, "markup is printed as text, ESC dropped"
    assert "[link=https://evil.example]x[/link]" in plain
    assert "\x07" not in plain and "\u202e" not in plain
    assert "Move: [blink]Eve[/blink][5m: OpenAI → Meta" in plain
    assert "Wire[2J[H" in plain

    # With colour on, rich writes its own escapes, and still none of the feed's.
    coloured = await printed(item, color=True)
    assert "\x1b[" in coloured, "colour output is styled"
    for smuggled in ("\x1b[31m<script>", "\x1b]8;;https://evil.example", "\x1b[2J", "\x1b[5m"):
        assert smuggled not in coloured
    assert "[bold red]PWNED[/]" in coloured


# -- jsonl ----------------------------------------------------------------------------------------


def lines(path: Path) -> list[dict[str, Any]]:
    raw = path.read_text(encoding="utf-8")
    assert raw.endswith("\n")
    return [json.loads(line) for line in raw.splitlines()]


async def test_jsonl_writes_one_json_object_per_line(tmp_path: Path) -> None:
    path = tmp_path / "out" / "alerts.jsonl"  # the folder is created on first write
    out = JsonlOutput(DEST, path)
    assert out.destination == DEST
    await out.send(alert(7))
    await out.send(alert(8, title="Line\nbreak in a title", move=None, also=()))

    first, second = lines(path)
    for key in JSON_KEYS:
        assert key in first
    assert first == {
        "story_id": 7,
        "url": "https://news.example/meta-hires",
        "title": "Meta hires OpenAI's Jason Wei",
        "topics": ["talent_war", "agi"],
        "scores": {"talent_war": 0.987, "agi": 0.612},
        "reasons": {
            "talent_war": ["headline move verb + AI lab + named person"],
            "agi": ["mentions a superintelligence/AGI lab"],
        },
        "summary": "Meta has hired OpenAI researcher Jason Wei.",
        "source": "Example Wire",
        "published": "2026-11-28T09:30:00+00:00",
        "language": "en",
        "also": ["https://other.example/wei"],
        "move": {
            "people": ["Jason Wei"],
            "from": "OpenAI",
            "to": "Meta",
            "role": None,
            "kind": "hire",
            "published": None,
        },
    }
    assert (second["story_id"], second["title"], second["move"]) == (
        8,
        "Line\nbreak in a title",
        None,
    )


async def test_jsonl_writes_a_story_once_even_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    out = JsonlOutput(DEST, path)
    ref = await out.send(alert(7))
    assert await out.send(alert(7)) == ref, "a resend answers as the first send did"
    assert [line["story_id"] for line in lines(path)] == [7]

    # A crash after the write and before the outbox marked it sent: the new process resends.
    restarted = JsonlOutput(DEST, path)
    await restarted.send(alert(7, title="Meta hires OpenAI's Jason Wei (updated)"))
    await restarted.send(alert(9))
    assert [line["story_id"] for line in lines(path)] == [7, 9]
    assert lines(path)[0]["title"] == "Meta hires OpenAI's Jason Wei"


async def test_jsonl_never_glues_an_alert_onto_a_line_a_crash_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    await JsonlOutput(DEST, path).send(alert(7))
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"story_id": 8, "title": "half a li')  # the process died mid-write
    await JsonlOutput(DEST, path).send(alert(9))
    raw = path.read_text(encoding="utf-8").splitlines()
    assert len(raw) == 3
    assert json.loads(raw[0])["story_id"] == 7
    assert json.loads(raw[2])["story_id"] == 9
