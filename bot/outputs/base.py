"""The Output port: what the delivery loop needs from any destination (terminal, file, chat)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from typing import Protocol

from bot.chat.replies import Coverage
from bot.core.models import Alert, Destination
from bot.errors import RadarError
from bot.runtime import metrics


class DeliveryError(RadarError):
    """A send failed. Permanent failures (bad channel, revoked token) are not retried."""

    def __init__(
        self,
        message: str,
        permanent: bool = False,
        retry_after: float | None = None,
        already_logged: bool = False,
        needs_admin: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.needs_admin = needs_admin  # waits for someone to fix a token, a permission, a channel
        # The output logged this problem once already (a channel that needs an admin): the
        # delivery loop then records it without repeating the line for every queued alert.
        self.already_logged = already_logged


_log = logging.getLogger("radar.outputs")

# Seconds before retrying a destination whose problem an admin must fix (invite the bot, grant a
# permission, fix a token): its alerts wait in the outbox instead of being dropped.
ADMIN_RETRY = 15 * 60.0


def needs_admin(message: str) -> DeliveryError:
    return DeliveryError(message, retry_after=ADMIN_RETRY, needs_admin=True)


class ProblemLog:
    """Logs a destination's problem once, not once per queued alert, until a send works again."""

    def __init__(self, where: str, logger: logging.Logger) -> None:
        self.where = where
        self.logger = logger
        self._current: str | None = None

    def failed(self, error: DeliveryError) -> DeliveryError:
        """Log the first of a run of identical problems, and mark the error as logged."""
        if not (error.permanent or error.needs_admin):
            return error  # passing trouble (a timeout, a 5xx): the delivery loop's line will do
        if str(error) != self._current:
            self._current = str(error)
            tail = "" if error.permanent else "; alerts wait in the outbox"
            self.logger.error("%s%s", error, tail)
        error.already_logged = True
        return error

    def succeeded(self) -> None:
        if self._current is not None:
            self.logger.info("%s works again", self.where)
            self._current = None


async def isolated(send: Awaitable[str | None], destination: str = "") -> str | None:
    """Await one output's send so that whatever it raises becomes a DeliveryError: a surprise in
    one output (a library bug, a body it cannot parse) is then a failed attempt, counted and
    retried like a timeout, and never stops delivery to the other outputs. Each send's time and
    outcome go to the metrics under the destination's platform."""
    started = time.perf_counter()
    try:
        ref = await send
    except DeliveryError as exc:
        metrics.send_failed(destination, started, exc.retry_after, exc.needs_admin)
        raise
    except Exception as exc:  # cancellation (a BaseException) still stops the service
        metrics.send_failed(destination, started, None, False)
        # The traceback is for whoever debugs the output (-vv); users get the loop's one line.
        _log.debug("an output raised %s", type(exc).__name__, exc_info=True)
        said = " ".join(str(exc).split())[:200]
        kind = type(exc).__name__
        raise DeliveryError(f"{kind}: {said}" if said else kind) from None
    metrics.sent(destination, started)
    return ref


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
