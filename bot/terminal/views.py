"""Terminal views of stored data: digest, why, feed health, feed checks, eval and retraining."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from bot.core.classify import Classifier
from bot.core.digest import topic_label
from bot.core.models import TOPIC_TITLES, TOPICS
from bot.core.train import TRAIN_FOLDS, Example
from bot.errors import FeedError, RadarError
from bot.evaluation import (
    DEV,
    HELDOUT,
    VOTE_WEIGHT,
    HardNegatives,
    Labelled,
    Report,
    evaluate,
    feedback_training_examples,
    load_corpus,
    train_model,
)
from bot.settings import Settings
from bot.sources.fetch import Fetcher
from bot.sources.parse import parse_feed
from bot.store.repository import FeedRow, Store, StoryRow


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    seconds = (now - when).total_seconds()
    if seconds < 0:
        seconds = -seconds
        suffix = "from now"
    else:
        suffix = "ago"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} {suffix}"
    return f"{int(seconds)}s {suffix}"


def print_digest(
    console: Console, store: Store, period: timedelta, topic: str | None, limit: int, label: str
) -> None:
    stories = store.top_stories(datetime.now(UTC) - period, topic, limit)
    heading = f"Top stories, last {label}" + (f" — {TOPIC_TITLES[topic]}" if topic else "")
    console.print(Text(heading, style="bold"))
    if not stories:
        console.print(Text("No flagged stories in this period.", style="dim"))
        return
    for n, story in enumerate(stories, 1):
        render_digest_line(console, n, story)


def render_digest_line(console: Console, n: int, story: StoryRow) -> None:
    line = Text(f"{n:>2}. ")
    line.append(
        f"[{topic_label(story.topics)}] ",
        style="magenta" if "talent_war" in story.topics else "cyan",
    )
    line.append(story.title, style="bold")
    score = max((story.scores.get(t, 0.0) for t in story.topics), default=0.0)
    sources = max(story.item_count, len(story.links))
    line.append(f"  {score:.2f} · {sources} source{'s' if sources != 1 else ''}", style="dim")
    console.print(line)
    if story.move is not None:
        console.print(Text(f"    {story.move.line()}", style="green"))
    if story.url:
        console.print(Text(f"    {story.url}", style="dim underline"))


def print_why(console: Console, store: Store, target: str) -> bool:
    story = store.story(int(target)) if target.isdigit() and len(target) < 19 else None
    if story is None and not target.isdigit():
        story = store.story_by_link(target.strip())
    if story is None:
        from bot.core.links import canonical_url

        canonical = canonical_url(target)
        story = store.story_by_link(canonical) if canonical else None
    if story is None:
        return False
    console.print(Text(f"Story {story.id}: {story.title}", style="bold"))
    for topic in TOPICS:
        flagged = topic in story.topics
        line = Text(f"  {TOPIC_TITLES[topic]:<11} {story.scores.get(topic, 0.0):.2f} ")
        line.append("flagged" if flagged else "not flagged", style="green" if flagged else "dim")
        console.print(line)
        for reason in story.reasons.get(topic, []):
            console.print(Text(f"    - {reason}"))
    if story.move is not None:
        console.print(Text(f"  move ({story.move.kind}): {story.move.line()}"))
    for row in store.item_verdicts(story.id):
        mark = "✓" if row["flagged"] else "·"
        console.print(
            Text(f"  {mark} {row['topic']:<10} {row['score']:.2f}  {row['url'] or ''}", style="dim")
        )
    return True


def print_feeds(console: Console, feeds: list[FeedRow]) -> None:
    now = datetime.now(UTC)
    table = Table(title="Feeds", header_style="bold")
    for col in ("id", "feed", "url", "status", "last poll", "next poll", "errors", "last error"):
        table.add_column(col, overflow="fold")
    for feed in feeds:
        if feed.disabled_reason:
            status = Text("disabled", style="red")
        elif feed.error_count:
            status = Text("failing", style="yellow")
        elif feed.last_ok_at is None:
            status = Text("new", style="blue")
        else:
            status = Text("ok", style="green")
        table.add_row(
            str(feed.id),
            feed.name or "",
            feed.fetch_url,
            status,
            _ago(feed.last_polled_at, now),
            "—"
            if feed.disabled_reason
            else _ago(feed.next_poll_at, now)
            if feed.next_poll_at
            else "due",
            str(feed.error_count),
            feed.disabled_reason or feed.last_error or "",
        )
    console.print(table)


async def check_feeds(console: Console, settings: Settings) -> bool:
    fetcher = Fetcher.from_settings(settings.poll)
    table = Table(title="Feed check", header_style="bold")
    for col in ("feed", "result", "items", "detail"):
        table.add_column(col, overflow="fold")
    ok = True
    async with fetcher:
        results = await asyncio.gather(*(fetcher.fetch(f.url) for f in settings.feeds))
    for feed, result in zip(settings.feeds, results, strict=True):
        name = feed.name or feed.url
        if result.status != "ok":
            ok = False
            table.add_row(name, Text("failed", style="red"), "", result.error or result.status)
            continue
        try:
            parsed = parse_feed(result.body, result.content_type, feed.url, feed.language)
        except FeedError as exc:
            ok = False
            table.add_row(name, Text("unparseable", style="red"), "", str(exc))
            continue
        detail = "recovered from malformed XML" if parsed.recovered else parsed.title
        table.add_row(name, Text("ok", style="green"), str(len(parsed.entries)), detail)
    console.print(table)
    return ok


def print_eval(
    console: Console,
    classifier: Classifier,
    mistakes: int,
    corpus: Sequence[Labelled] | None = None,
) -> None:
    """Scores per label and language on the dev and held-out splits, false alerts on their hard
    negatives, and the dev mistakes (held-out mistakes stay unlisted, so nobody tunes to them)."""
    rows = list(corpus) if corpus is not None else load_corpus()
    dev = evaluate(classifier, [r for r in rows if r.split == DEV])
    _print_split(console, "Dev split", dev)
    held = [r for r in rows if r.split == HELDOUT]
    if held:
        _print_split(console, "Held-out split", evaluate(classifier, held))
        batches = sorted({r.batch for r in held})
        for batch in batches if len(batches) > 1 else []:
            part = [r for r in held if r.batch == batch]
            _print_split(console, f"Held-out batch {batch}", evaluate(classifier, part))
        console.print(
            "  held-out items were written after the model and are never trained on;"
            " their mistakes are not listed"
        )
    else:
        console.print("Held-out split: no items")
    if dev.mistakes:
        console.print(Text(f"Mistakes ({len(dev.mistakes)}):", style="bold"))
    for row, topic, predicted, score in dev.mistakes[:mistakes]:
        kind = "false positive" if predicted else "missed"
        line = Text(f"  {kind:<14} {topic:<10} {score:.2f} {row.lang} ")
        line.append(row.title)
        console.print(line)


def _print_split(console: Console, name: str, report: Report) -> None:
    hard_items = report.hard.get(("any", "all"), HardNegatives()).items
    table = Table(
        title=f"{name}: {report.n} items, {hard_items} hard negatives",
        caption="FA/100: false alerts per 100 hard negatives",
        header_style="bold",
    )
    columns = ("label", "language", "precision", "recall", "F1", "tp", "fp", "fn", "FA/100")
    for col in columns:
        table.add_column(col, justify="right" if col not in ("label", "language") else "left")
    for (topic, lang), s in sorted(report.scores.items()):
        hard = report.hard.get((topic, lang), HardNegatives())
        table.add_row(
            topic,
            lang,
            f"{s.precision:.3f}",
            f"{s.recall:.3f}",
            f"{s.f1:.3f}",
            str(s.tp),
            str(s.fp),
            str(s.fn),
            f"{hard.per_100:.1f}",
        )
    console.print(table)
    for (topic, lang), hard in sorted(report.hard.items()):
        if topic == "any":
            console.print(
                f"  hard negatives, {lang}: {hard.alerts} of {hard.items} raised any alert,"
                f" {hard.per_100:.1f} per 100"
            )


def retrain(
    console: Console,
    settings: Settings,
    target: Path,
    corpus: Sequence[Labelled] | None = None,
    progress: Console | None = None,
) -> None:
    """Refit the model on the corpus's train split (or `corpus`) plus the team's votes, with a
    progress bar on `progress` (a terminal) while it works."""
    extra: list[Example] = []
    try:
        store = Store.open(settings.storage.url)
    except RadarError:
        store = None  # no database yet, or none reachable: the corpus alone still trains
    if store is not None:
        extra = feedback_training_examples(store)
        store.close()
    columns = (
        TextColumn("[bold]training[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=progress or console, transient=True) as bar:
        task = bar.add_task("train", total=len(TOPICS) * (TRAIN_FOLDS + 1))
        model = train_model(extra=extra, corpus=corpus, progress=lambda: bar.advance(task))
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed over it: a crash never leaves half a model that the
    # service would then fail to load.
    partial = target.with_name(f".{target.name}.partial")
    model.save(partial)
    os.replace(partial, target)
    voted = len(extra) // VOTE_WEIGHT
    console.print(
        f"trained on the corpus and {voted} voted stories; thresholds "
        + ", ".join(f"{t} {v:.2f}" for t, v in model.thresholds.items())
        + f"; written to {target}"
    )
