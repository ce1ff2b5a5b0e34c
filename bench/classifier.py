"""Classifier speed on one core: start-up time (fresh process to first verdict) and items per second.

Usage: uv run python bench/classifier.py
Items are the labelled corpus (title + description), cycled; the figure includes moves for flagged
items and summaries for every item, as `radar classify` produces them.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time

STARTUP = (
    "import time; t=time.perf_counter();"
    "from bot.core.understand import Understander;"
    "u=Understander(); u.understand('Meta hires OpenAI researcher Jason Wei', '');"
    "print(time.perf_counter()-t)"
)


def main() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    starts = []
    for _ in range(3):
        begin = time.perf_counter()
        inner = float(
            subprocess.run(
                [sys.executable, "-c", STARTUP], capture_output=True, text=True, check=True
            ).stdout
        )
        starts.append((time.perf_counter() - begin, inner))

    cli = []
    for _ in range(3):
        begin = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "classify", "Meta hires OpenAI researcher Jason Wei"],
            capture_output=True,
            check=True,
        )
        cli.append(time.perf_counter() - begin)

    from bot.core.text import html_to_text, strip_boilerplate
    from bot.core.understand import Understander
    from bot.evaluation import load_corpus

    understander = Understander()
    items = [
        (html_to_text(r.title), strip_boilerplate(html_to_text(r.summary)), r.lang)
        for r in load_corpus()
    ]
    rounds = 5
    begin = time.perf_counter()
    for _ in range(rounds):
        for title, text, lang in items:
            understander.understand(title, text, lang)
    elapsed = time.perf_counter() - begin
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {os.cpu_count()} cores (pinned to 1), Python {platform.python_version()}",
                "startup_s_process_total": round(min(s for s, _ in starts), 2),
                "startup_s_import_and_model": round(min(i for _, i in starts), 2),
                "radar_classify_headline_s": round(min(cli), 2),
                "items": len(items) * rounds,
                "items_per_s_one_core": round(len(items) * rounds / elapsed),
                "us_per_item": round(elapsed / (len(items) * rounds) * 1e6, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
