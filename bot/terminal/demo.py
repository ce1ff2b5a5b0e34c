"""`radar demo`: the whole job offline on bundled sample feeds, with alerts and a digest in the terminal."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from bot.app import build
from bot.errors import InputError
from bot.settings import (
    ConsoleOutput,
    FeedSettings,
    JsonlOutput,
    PollSettings,
    Settings,
    StorageSettings,
)
from bot.terminal.paths import writable_folder_problem
from bot.terminal.progress import poll_with_progress
from bot.terminal.views import print_digest

DEMO_FEEDS = Path(__file__).resolve().parent.parent / "demo" / "feeds"


def demo_settings(folder: Path) -> Settings:
    feeds = [FeedSettings(url=str(path)) for path in sorted(DEMO_FEEDS.iterdir()) if path.is_file()]
    return Settings(
        storage=StorageSettings(url=f"sqlite:///{folder / 'demo.db'}"),
        # The sample items carry fixed dates: let them all count as fresh, unlike a real first poll.
        poll=PollSettings(first_poll_window=3650 * 86400.0),
        feeds=feeds,
        outputs=[
            ConsoleOutput(type="console"),
            JsonlOutput(type="jsonl", path=folder / "alerts.jsonl"),
        ],
    )


def run_demo(out: Console, err: Console, keep: Path | None) -> None:
    if keep is not None:
        problem = writable_folder_problem(keep)
        if problem is not None:
            raise InputError(f"--keep: {problem}")
        try:
            keep.mkdir(parents=True, exist_ok=True)
            for stale in ("demo.db", "demo.db-wal", "demo.db-shm", "alerts.jsonl"):
                (keep / stale).unlink(missing_ok=True)
        except OSError as exc:  # a read-only mount, /proc: the bits said yes, the system says no
            raise InputError(f"--keep: cannot use {exc.filename or keep}: {exc.strerror}") from None
        _run(out, err, keep, kept=True)
        return
    with tempfile.TemporaryDirectory(prefix="radar-demo-") as tmp:
        _run(out, err, Path(tmp), kept=False)


def _run(out: Console, err: Console, folder: Path, kept: bool) -> None:
    settings = demo_settings(folder)
    out.print(Rule("Radar demo: bundled sample feeds, offline"))
    out.print(
        Text(
            f"{len(settings.feeds)} feeds (RSS 2.0, Atom, RSS 1.0/RDF in ISO-8859-1, JSON Feed; English and French)",
            style="dim",
        )
    )
    radar = build(settings, stream=out.file)
    try:
        report, sent = asyncio.run(
            poll_with_progress(radar, radar.store.list_feeds(include_disabled=False), err)
        )
        counts = radar.store.counts()
        out.print(Rule("Digest"))
        print_digest(out, radar.store, timedelta(days=1), None, 10, "24h")
        out.print(Rule())
        outputs = len(radar.outputs)
        out.print(
            f"{report.polled} feeds polled, {report.new_items} items, {counts['flagged']} flagged "
            f"stories, {sent} alerts sent to {outputs} outputs (terminal and JSONL): each story "
            "once, every outlet linked."
        )
        if kept:
            out.print(Text(f"Database and alerts.jsonl kept in {folder}", style="dim"))
        else:
            out.print(
                Text("Add --keep DIR to keep the demo database and alerts.jsonl.", style="dim")
            )
        out.print(
            Text("Next: `uv run radar run` with config/radar.toml polls real feeds.", style="dim")
        )
    finally:
        asyncio.run(radar.aclose())
        radar.store.close()
