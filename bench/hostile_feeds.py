"""What one hostile feed costs to parse: wall time and memory growth, each case in a fresh process.

Usage: uv run python bench/hostile_feeds.py
Memory is the growth of the process's peak resident size across parse_feed (the body is built
first), so it counts lxml's and expat's C allocations too, which tracemalloc does not see.
"""

from __future__ import annotations

import json
import subprocess
import sys

CASES = {
    "3 MB: a 1,000-char entity referenced 1M times": (
        "doctype(b'<!ENTITY e \"' + b'A' * 1000 + b'\">')",
        "b'&e;' * 1_000_000",
    ),
    "quadratic: a 200 kB entity referenced 500 times": (
        "doctype(b'<!ENTITY e \"' + b'B' * 200_000 + b'\">')",
        "b'&e;' * 500",
    ),
    "billion laughs (10 levels of 10)": (
        "doctype(b'<!ENTITY l0 \"lol\">' + b''.join(b'<!ENTITY l%d \"' % i"
        " + (b'&l%d;' % (i - 1)) * 10 + b'\">' for i in range(1, 10)))",
        "b'&l9;' * 100",
    ),
    "3 MB: 1M undefined entity references": ("b''", "b'&e;' * 1_000_000"),
    "3 MB: 1M unclosed tags": ("b''", "b'<b>' * 1_000_000"),
    "an item of 28,000 unclosed <script (escaped HTML)": ("b''", "b'&lt;script' * 28_000"),
    "an item of 50,000 unclosed <!-- (escaped HTML)": ("b''", "b'&lt;!--' * 50_000"),
    "JSON Feed nested 100,000 deep": (None, "b'{\"a\":' * 100_000"),
}

CHILD = """
import json, resource, sys, time
from bot.errors import FeedError
from bot.sources.parse import parse_feed

def doctype(decls):
    return b'<!DOCTYPE rss [' + decls + b']>'

prolog, content = {prolog}, {content}
if prolog is None:
    body = content
else:
    body = (b'<?xml version="1.0"?>' + prolog + b'<rss version="2.0"><channel><title>T</title>'
            b'<item><title>S</title><link>https://a.example/1</link><description>' + content
            + b'</description></item></channel></rss>')
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    parsed = parse_feed(body)
    outcome = f"{{len(parsed.entries)}} item(s), text {{max((len(e.text) for e in parsed.entries), default=0)}} chars"
except FeedError as exc:
    outcome = f"FeedError: {{exc}}"
took = time.perf_counter() - start
grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({{"size": len(body), "seconds": took, "mb": grew / 1024, "outcome": outcome}}))
"""


def main() -> None:
    print("| case | body | time | memory growth | outcome |")
    print("| --- | --- | --- | --- | --- |")
    for name, (prolog, content) in CASES.items():
        code = CHILD.format(prolog=prolog or "None", content=content)
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        row = json.loads(out.stdout)
        print(
            f"| {name} | {row['size'] / 1e6:.1f} MB | {row['seconds']:.2f} s | "
            f"{row['mb']:.0f} MB | {row['outcome'][:70]} |"
        )


if __name__ == "__main__":
    main()
