"""A real HTTP server on 127.0.0.1 that serves feeds the way publishers do, for end-to-end tests.

It runs in its own thread and event loop, so both in-process async tests and `radar` subprocesses
can reach it. Each route answers with a scripted behaviour: ETag/Last-Modified with 304s, redirects,
410, 429 with Retry-After, slow bodies, huge bodies, gzip, arbitrary headers.
"""

from __future__ import annotations

import asyncio
import gzip
import threading
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    gzip: bool = False
    location: str | None = None  # for redirects
    hits: int = 0
    conditional_hits: int = 0
    user_agents: list[str] = field(default_factory=list)


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, route: Route | None = None, **kwargs: object) -> Route:
        route = route or Route(**kwargs)  # type: ignore[arg-type]
        self.routes[path] = route
        return route

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="not found")
        route.hits += 1
        route.user_agents.append(request.headers.get("User-Agent", ""))
        if route.delay:
            await asyncio.sleep(route.delay)
        headers = dict(route.headers)
        if route.location:
            headers["Location"] = route.location
            return web.Response(status=route.status, headers=headers)
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        inm = request.headers.get("If-None-Match")
        ims = request.headers.get("If-Modified-Since")
        if inm or ims:
            route.conditional_hits += 1
        if route.status == 200 and (
            (route.etag and inm == route.etag)
            or (route.last_modified and ims == route.last_modified)
        ):
            return web.Response(status=304, headers=headers)
        body = route.body
        if route.gzip and "gzip" in request.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        headers.setdefault("Content-Type", "application/rss+xml; charset=utf-8")
        return web.Response(status=route.status, body=body, headers=headers)

    def start(self) -> FeedServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()
