"""A real HTTP server on 127.0.0.1 that serves feeds the way publishers do, for end-to-end tests.

It runs in its own thread and event loop, so both in-process async tests and `radar` subprocesses
can reach it. Each route answers with a scripted behaviour: ETag/Last-Modified with 304s, redirects,
410, 429 with Retry-After, slow bodies, huge bodies, gzip, arbitrary headers.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from dataclasses import dataclass, field

from aiohttp import web

from tests.threaded import ThreadedServer


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
    times: list[float] = field(default_factory=list)  # time.monotonic() of each request


class FeedServer(ThreadedServer):
    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[str, Route] = {}

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
        route.times.append(time.monotonic())
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

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        return app
