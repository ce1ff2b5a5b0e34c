"""The operations endpoint of `radar run`: Prometheus /metrics, /healthz (alive), /readyz (ready).

Ready means: the database answers, the scheduler is running (it starts once the first poll cycle
is done, and stops on shutdown), and the outbox is not stuck. Stuck: a pending delivery has been
due for longer than `[metrics] outbox_stuck_after` (15 minutes by default), while the sender sweeps
the outbox every 30 seconds and after every cycle. A row waiting on a platform's retry-after or an
admin's fix is not due, so a rate limit or a missing permission does not make a replica unready.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from bot.errors import ConfigError
from bot.runtime import metrics
from bot.settings import MetricsSettings
from bot.store.outbox_state import OutboxState, outbox_state
from bot.store.repository import Store

log = logging.getLogger("radar.ops")


class OpsServer:
    """A small aiohttp server in the service's event loop; nothing here writes to the database."""

    def __init__(
        self,
        settings: MetricsSettings,
        store: Store,
        scheduling: Callable[[], bool],
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.store = store
        self.scheduling = scheduling
        self.clock = clock
        self.port: int | None = None  # the bound port, once started (settings may say 0 in tests)
        self._runner: web.AppRunner | None = None
        self._platforms: set[str] = set()

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        return app

    async def start(self) -> None:
        runner = web.AppRunner(self.application(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.host, self.settings.port or 0)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            where = f"{self.settings.host}:{self.settings.port}"
            said = os.strerror(exc.errno) if exc.errno else str(exc)
            raise ConfigError(
                f"[metrics] cannot listen on {where}: {said}; change [metrics] port"
            ) from None
        self._runner = runner
        self.port = int(runner.addresses[0][1]) if runner.addresses else self.settings.port
        log.info("metrics and health on http://%s:%s/metrics", self.settings.host, self.port)

    async def aclose(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _outbox(self) -> OutboxState | str:
        """The outbox as the database sees it, or why the database could not be read."""
        try:
            return await asyncio.to_thread(outbox_state, self.store, self.clock())
        except Exception as exc:  # any driver error means the same thing here: not reachable
            said = " ".join(str(exc).split())[:160] or type(exc).__name__
            return f"unreachable: {said}"

    async def _metrics(self, request: web.Request) -> web.Response:
        from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

        state = await self._outbox()
        metrics.get().database_up.set(0 if isinstance(state, str) else 1)
        if not isinstance(state, str):
            self._refresh(state)
        body = await asyncio.to_thread(generate_latest, REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    def _refresh(self, state: OutboxState) -> None:
        per_platform: dict[str, int] = {}
        for destination, count in state.waiting.items():
            platform = metrics.platform_of(destination)
            per_platform[platform] = per_platform.get(platform, 0) + count
        self._platforms |= set(per_platform)  # a drained platform shows 0, not a vanished series
        for platform in self._platforms:
            metrics.get().outbox_pending.labels(platform).set(per_platform.get(platform, 0))
        oldest = state.oldest_created_at
        age = (self.clock() - oldest).total_seconds() if oldest else 0.0
        metrics.get().outbox_oldest_seconds.set(max(0.0, age))

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"alive": True})

    async def _readyz(self, request: web.Request) -> web.Response:
        ready, checks = await self.readiness()
        body = json.dumps({"ready": ready, **checks})
        return web.Response(
            text=body, status=200 if ready else 503, content_type="application/json"
        )

    async def readiness(self) -> tuple[bool, dict[str, str]]:
        state = await self._outbox()
        checks = {
            "database": state if isinstance(state, str) else "ok",
            "scheduler": "running" if self.scheduling() else "not running",
            "outbox": "unknown" if isinstance(state, str) else self._outbox_verdict(state),
        }
        ready = (
            checks["database"] == "ok"
            and checks["scheduler"] == "running"
            and checks["outbox"] == "ok"
        )
        return ready, checks

    def _outbox_verdict(self, state: OutboxState) -> str:
        if state.oldest_due_at is None:
            return "ok"
        waited = (self.clock() - state.oldest_due_at).total_seconds()
        if waited > self.settings.outbox_stuck_after:
            return f"stuck: a delivery has been due for {waited:.0f} s"
        return "ok"


async def start_ops(
    settings: MetricsSettings,
    store: Store,
    scheduling: Callable[[], bool],
    clock: Callable[[], datetime],
) -> OpsServer | None:
    """Start the endpoint when `[metrics] port` is set; None when it is off."""
    if settings.port is None:
        return None
    server = OpsServer(settings, store, scheduling, clock)
    await server.start()
    return server
