"""Serve synthetic feeds on 127.0.0.1 with ETag support, in its own process.

Usage: python bench/serve.py N PORT [FLAGGED_SHARE]
A share of 0.3 or more is a big news day: flagged items name many different people (about one
story per five flagged items), so it makes many stories, not a few big ones.
GET /advance publishes a new edition of every feed (all new items, new ETags): the next poll of
each feed is a cold one again, on a database that keeps growing.
"""

from __future__ import annotations

import hashlib
import sys

from aiohttp import web
from feedgen import made_up_people, make_feed


def main() -> None:
    count, port = int(sys.argv[1]), int(sys.argv[2])
    flagged = float(sys.argv[3]) if len(sys.argv) > 3 else 0.05
    edition = [0]
    cache: dict[tuple[int, str], tuple[bytes, str]] = {}
    people: dict[int, list[str]] = {}

    def cast(number: int) -> list[str]:
        # A big news day: new people in each edition, each in a few flagged items.
        if flagged < 0.3:
            return []
        if number not in people:
            people[number] = made_up_people(max(50, int(count * 50 * flagged / 5)), number)
        return people[number]

    def feed(path: str) -> tuple[bytes, str] | None:
        key = (edition[0], path)
        if key not in cache:
            name = path.removeprefix("/feed/").removesuffix(".xml")
            if not (path.startswith("/feed/") and name.isdigit() and int(name) < count):
                return None
            body = make_feed(int(name), seed=edition[0], flagged=flagged, people=cast(edition[0]))
            cache[key] = (body, '"' + hashlib.md5(body).hexdigest() + '"')
        return cache[key]

    async def handle(request: web.Request) -> web.Response:
        if request.path == "/advance":
            edition[0] += 1
            cache.clear()
            for i in range(count):  # before answering: the next pass must not wait on the server
                feed(f"/feed/{i}.xml")
            return web.Response(text=str(edition[0]))
        found = feed(request.path)
        if found is None:
            return web.Response(status=404)
        body, etag = found
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml; charset=utf-8"}
        )

    for i in range(count):  # the first edition up front, so the first cold pass times Radar only
        feed(f"/feed/{i}.xml")
    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
