"""Run a poll cycle with a progress bar on a terminal (and none when output is piped)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.core.models import CycleReport
from bot.runtime.cycle import Radar
from bot.store.repository import FeedRow


async def poll_with_progress(
    radar: Radar, feeds: Sequence[FeedRow], console: Console
) -> tuple[CycleReport, int]:
    """Poll then deliver; returns the cycle report and how many alerts were sent."""
    if not console.is_terminal or len(feeds) < 2:
        report = await radar.poll(feeds)
        return report, await radar.deliver()
    columns = (
        TextColumn("[bold]polling[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}", style="dim"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("poll", total=len(feeds), last="")

        def advance(feed: FeedRow, outcome: str) -> None:
            bar.update(task, advance=1, last=f"{feed.display_name[:40]}: {outcome}")

        report = await radar.poll(feeds, progress=advance)
    return report, await radar.deliver()
