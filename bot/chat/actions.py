"""The buttons under an alert, named the same way on every platform: 'radar:<verb>:<story id>'."""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class Action:
    verb: Verb
    story_id: int

    @property
    def custom_id(self) -> str:
        return f"radar:{self.verb}:{self.story_id}"


def alert_actions(story_id: int) -> list[Action]:
    return [Action(verb, story_id) for verb in VERBS]


# Story ids are SQLite rowids: a larger number names no story and overflows SQLite's integers.
MAX_STORY_ID = 2**63 - 1


def parse_action(custom_id: str) -> Action | None:
    """The action a button id names; None for anything else (ids come back from chat users)."""
    parts = custom_id.split(":")
    if len(parts) != 3 or parts[0] != "radar" or not _is_story_id(parts[2]):
        return None
    for verb in VERBS:
        if parts[1] == verb:
            return Action(verb, int(parts[2]))
    return None


def _is_story_id(text: str) -> bool:
    # Length first: int() of thousands of digits is refused (and slow) in Python.
    return 0 < len(text) <= 19 and text.isascii() and text.isdigit() and int(text) <= MAX_STORY_ID


def stale_button_reply() -> Reply:
    """The answer to a button whose id names no action: an old, forged or mangled click."""
    return Reply(title="Radar", paragraphs=("This button no longer works.",), ephemeral=True)
