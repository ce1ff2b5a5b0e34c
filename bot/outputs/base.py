"""The Output port: what the delivery loop needs from any destination (terminal, file, chat)."""

from __future__ import annotations

from typing import Protocol

from bot.chat.replies import Coverage
from bot.core.models import Alert, Destination
from bot.errors import RadarError


class DeliveryError(RadarError):
    """A send failed. Permanent failures (bad channel, revoked token) are not retried."""

    def __init__(
        self,
        message: str,
        permanent: bool = False,
        retry_after: float | None = None,
        already_logged: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        # The output logged this problem once already (a channel that needs an admin): the
        # delivery loop then records it without repeating the line for every queued alert.
        self.already_logged = already_logged


class Output(Protocol):
    @property
    def destination(self) -> Destination: ...

    async def send(self, alert: Alert) -> str | None:
        """Post a new alert; returns the platform's message reference, if it has one."""
        ...

    async def send_followup(
        self, alert: Alert, parent_ref: str, coverage: Coverage | None
    ) -> str | None:
        """Add later coverage of an alerted story (a thread reply and a '+N sources' edit on chat).

        parent_ref is what send() returned for this story and destination."""
        ...

    async def aclose(self) -> None: ...
