"""Serve synthetic feeds on 127.0.0.1 with ETag support, in its own process: `python bench/serve.py N PORT`."""

from __future__ import annotations

import hashlib
import sys

from aiohttp import web
from feedgen import make_feed


def main() -> None:
    count, port = int(sys.argv[1]), int(sys.argv[2])
    bodies = {f"/feed/{i}.xml": make_feed(i) for i in range(count)}
    etags = {path: '"' + hashlib.md5(body).hexdigest() + '"' for path, body in bodies.items()}

    async def handle(request: web.Request) -> web.Response:
        body = bodies.get(request.path)
        if body is None:
            return web.Response(status=404)
        etag = etags[request.path]
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml; charset=utf-8"}
        )

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
