"""The buttons under a bot-posted alert, and how their clicks reach Radar's action handler.

Each button is a discord.py DynamicItem matching 'radar:<verb>:<story id>', so clicks on alerts
posted before a restart are still dispatched: discord.py rebuilds the button from its custom_id
instead of looking up a View kept in memory.
"""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.chat.actions import LABELS, Action, alert_actions, parse_action
from bot.discord.render import BUTTON_STYLES

log = logging.getLogger(__name__)

# None: a button id that names no story (forged, mangled, or past SQLite's integers).
OnAction = Callable[[discord.Interaction[Any], Action | None], Awaitable[None]]

# Wider than parse_action on purpose: an id it refuses (too many digits) is still routed to
# the button, which answers "no longer works" instead of leaving the click unanswered.
TEMPLATE = re.compile(r"radar:(?:up|down|mute):[0-9]+")

# One handler per client: discord.py creates dispatched buttons itself, from the class alone,
# so the handler cannot travel on the instance that was sent.
_handlers: weakref.WeakKeyDictionary[discord.Client, OnAction] = weakref.WeakKeyDictionary()


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=TEMPLATE):
    def __init__(self, action: Action | None, custom_id: str = "") -> None:
        verb = action.verb if action is not None else "up"
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle(BUTTON_STYLES[verb]),
                label=LABELS[verb],
                custom_id=action.custom_id if action is not None else custom_id,
            )
        )
        self.action = action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ActionButton:
        # A click must always be answered: an id that names no story gets a polite reply.
        return cls(parse_action(match.group(0)), match.group(0))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler = _handlers.get(interaction.client)
        if handler is None:
            log.warning("button %s clicked but no action handler is installed", self.custom_id)
            return
        await handler(interaction, self.action)


class AlertView(discord.ui.View):
    """👍 / 👎 / mute under one alert; never times out."""

    def __init__(self, story_id: int) -> None:
        super().__init__(timeout=None)
        for action in alert_actions(story_id):
            self.add_item(ActionButton(action))


def install_actions(client: discord.Client, on_action: OnAction) -> None:
    """Route every Radar button click seen by `client` to `on_action(interaction, action)`.

    Call once at start-up, before the gateway connects, so clicks on old alerts work too."""
    _handlers[client] = on_action
    client.add_dynamic_items(ActionButton)
