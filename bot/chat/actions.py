"""The buttons under an alert, named the same way on every platform: 'radar:<verb>:<story id>'."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.chat.replies import Reply

Verb = Literal["up", "down", "mute"]
VERBS: tuple[Verb, ...] = ("up", "down", "mute")
LABELS: dict[Verb, str] = {
    "up": "👍 Relevant",
    "down": "👎 Not relevant",
    "mute": "Mute this source",
}
# ASCII digits only ("²".isdigit() is true), and few enough to fit SQLite's 64-bit integers.
_STORY_ID = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True, slots=True)
class Action:
    verb: Verb
    story_id: int

    @property
    def custom_id(self) -> str:
        return f"radar:{self.verb}:{self.story_id}"


def alert_actions(story_id: int) -> list[Action]:
    return [Action(verb, story_id) for verb in VERBS]


def parse_action(custom_id: str) -> Action | None:
    """The action a button id names; None for anything else (ids come back from chat users)."""
    parts = custom_id.split(":")
    if len(parts) != 3 or parts[0] != "radar" or not _STORY_ID.fullmatch(parts[2]):
        return None
    for verb in VERBS:
        if parts[1] == verb:
            return Action(verb, int(parts[2]))
    return None


def stale_button_reply() -> Reply:
    """The answer to a button whose id names no action: an old, forged or mangled click."""
    return Reply(title="Radar", paragraphs=("This button no longer works.",), ephemeral=True)
