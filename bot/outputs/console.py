"""Print alerts in the terminal with rich: readable, coloured on a TTY, plain when piped."""

from __future__ import annotations

import sys
from typing import IO

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.chat.replies import Coverage
from bot.core.models import TOPIC_TITLES, Alert, Destination
from bot.core.text import strip_controls

_COLOURS = {"talent_war": "magenta", "agi": "cyan"}


def render_alert(alert: Alert) -> Panel:
    """A panel built from Text objects only: feed text is never parsed as rich markup."""
    body = Text()
    body.append(strip_controls(alert.title), style="bold")
    body.append("\n")
    if alert.summary:
        body.append(strip_controls(alert.summary))
        body.append("\n")
    if alert.move is not None:
        body.append("Move: ", style="bold green")
        body.append(strip_controls(alert.move.line()))
        body.append("\n")
    when = alert.published.strftime("%Y-%m-%d %H:%M UTC") if alert.published else "time unknown"
    scores = ", ".join(
        f"{TOPIC_TITLES.get(t, t)} {alert.scores.get(t, 0):.2f}" for t in alert.topics
    )
    body.append(
        f"{strip_controls(alert.source)} · {when} · {alert.language} · {scores}", style="dim"
    )
    reasons = [r for t in alert.topics for r in alert.reasons.get(t, [])]
    if reasons:
        body.append("\nWhy: ", style="dim bold")
        body.append("; ".join(dict.fromkeys(reasons)), style="dim")
    body.append("\n")
    body.append(strip_controls(alert.url), style="underline blue")
    for link in alert.also:
        body.append("\n  also: ", style="dim")
        body.append(strip_controls(link), style="dim underline")
    title = " + ".join(TOPIC_TITLES.get(t, t) for t in alert.topics)
    colour = _COLOURS.get(alert.topics[0], "white") if alert.topics else "white"
    return Panel(
        body, title=Text(title, style=f"bold {colour}"), title_align="left", border_style=colour
    )


class ConsoleOutput:
    def __init__(
        self, destination: Destination, stream: IO[str] | None = None, color: bool | None = None
    ) -> None:
        self._destination = destination
        self.console = Console(
            file=stream or sys.stdout,
            no_color=color is False,
            force_terminal=True if color else None,
            highlight=False,
        )

    @property
    def destination(self) -> Destination:
        return self._destination

    async def send(self, alert: Alert) -> str | None:
        self.console.print(render_alert(alert))
        return None

    async def send_followup(
        self, alert: Alert, parent_ref: str, coverage: Coverage | None
    ) -> str | None:
        return None

    async def aclose(self) -> None:
        return None
