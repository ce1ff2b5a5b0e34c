"""Latency from an item's appearance in a feed to its alert, with a real `radar run`.

Usage: uv run python bench/latency.py [--feeds 5] [--interval 10] [--jitter 2] [--duration 120]
A feed server on 127.0.0.1 (in this process) publishes a new talent-war item in a random feed at
random moments; `radar run` polls the feeds with ETags and writes alerts to a JSONL file, which
this script watches. Reports p50/p90/max of (alert written - item published) against the target
p90 <= interval + jitter + 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

# One-word names: two titles then share at most three words ("hires" and two labs), so each item is
# its own story and its own alert (most shared words would make it coverage of an earlier one).
LABS = ["Meta", "OpenAI", "Anthropic", "Microsoft", "Nvidia", "Apple", "xAI"]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "ven",
    "to",
    "sa",
    "ni",
    "do",
    "re",
    "lu",
    "ta",
    "be",
    "chi",
    "gor",
    "pe",
    "su",
    "vo",
    "lin",
    "da",
]  # 400 firsts


def made_up_people(rng: random.Random, count: int) -> list[str]:
    """Distinct names sharing no word either: a shared first name is one more shared word."""
    words: set[str] = set()
    people: list[str] = []
    while len(people) < count:
        first = "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize()
        last = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
        if first not in words and last not in words and first != last:
            words.update((first, last))
            people.append(f"{first} {last}")
    return people


class Feeds:
    """Feeds whose items the benchmark adds while `radar run` polls them."""

    def __init__(self, count: int) -> None:
        self.items: list[list[tuple[str, str, datetime]]] = [[] for _ in range(count)]
        self.lock = threading.Lock()

    def publish(self, feed: int, title: str) -> None:
        with self.lock:
            link = f"https://news{feed}.example/{len(self.items[feed])}"
            self.items[feed].insert(0, (title, link, datetime.now(UTC)))

    def body(self, feed: int) -> bytes:
        with self.lock:
            entries = list(self.items[feed])
        parts = [
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>',
            f"<title>Latency feed {feed}</title><language>en</language>",
        ]
        for title, link, when in entries:
            parts.append(
                f"<item><title>{escape(title)}</title><link>{link}</link><guid>{link}</guid>"
                f"<pubDate>{format_datetime(when)}</pubDate></item>"
            )
        parts.append("</channel></rss>")
        return "".join(parts).encode()


def serve(feeds: Feeds, port_box: list[int], ready: threading.Event) -> None:
    async def handle(request: web.Request) -> web.Response:
        name = request.path.removeprefix("/feed/").removesuffix(".xml")
        if not name.isdigit() or int(name) >= len(feeds.items):
            return web.Response(status=404)
        body = feeds.body(int(name))
        etag = '"' + hashlib.md5(body).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml"}
        )

    async def run() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_box.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(run())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=5)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--jitter", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    feeds = Feeds(args.feeds)
    port_box: list[int] = []
    ready = threading.Event()
    threading.Thread(target=serve, args=(feeds, port_box, ready), daemon=True).start()
    ready.wait(30)
    port = port_box[0]
    people = made_up_people(rng, 120)

    with tempfile.TemporaryDirectory(prefix="radar-latency-") as tmp:
        folder = Path(tmp)
        alerts = folder / "alerts.jsonl"
        listed = "\n".join(
            f'[[feeds]]\nurl = "http://127.0.0.1:{port}/feed/{i}.xml"\n' for i in range(args.feeds)
        )
        (folder / "radar.toml").write_text(
            f'[storage]\nurl = "sqlite:///{folder}/radar.db"\n\n'
            f'[poll]\ninterval = "{args.interval:g}s"\njitter = "{args.jitter:g}s"\n\n'
            f'[[outputs]]\ntype = "jsonl"\npath = "{alerts}"\n\n{listed}'
        )
        log = (folder / "run.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "-c", "radar.toml"],
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        published: dict[str, float] = {}
        arrived: dict[str, float] = {}
        try:
            time.sleep(5)  # start-up and the first (empty) poll of every feed
            end = time.time() + args.duration
            next_item = time.time() + rng.uniform(0, args.interval)
            seen_lines = 0
            while time.time() < end or (len(arrived) < len(published) and time.time() < end + 60):
                now = time.time()
                if now >= next_item and now < end and people:
                    person = people.pop()
                    to_lab, from_lab = rng.sample(LABS, 2)
                    title = f"{to_lab} hires {person} from {from_lab}"
                    feeds.publish(rng.randrange(args.feeds), title)
                    published[title] = time.time()
                    next_item = now + rng.uniform(0.5, args.interval / 2)
                if alerts.exists():
                    lines = alerts.read_text(encoding="utf-8").splitlines()
                    for line in lines[seen_lines:]:
                        arrived.setdefault(json.loads(line)["title"], time.time())
                    seen_lines = len(lines)
                if proc.poll() is not None:
                    sys.exit(f"radar run exited:\n{(folder / 'run.log').read_text()}")
                time.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
            log.close()
    latencies = [arrived[t] - published[t] for t in published if t in arrived]
    target = args.interval + args.jitter + 5
    p90 = percentile(latencies, 0.9) if latencies else float("inf")
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "feeds": args.feeds,
        "interval_s": args.interval,
        "jitter_s": args.jitter,
        "items_published": len(published),
        "alerts_seen": len(latencies),
        "latency_s": {
            "p50": round(statistics.median(latencies), 2) if latencies else None,
            "p90": round(p90, 2),
            "max": round(max(latencies), 2) if latencies else None,
        },
        "target_p90_s": target,
        "meets_target": p90 <= target and len(latencies) == len(published),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
