"""Time a whole `radar poll --once` over N synthetic feeds on 127.0.0.1, side by side with the
reference loop (bench/reference.py: aiohttp, the fast parser, bulk SQLite inserts, nothing else) on
the same feeds in the same run, and report the ratio.

Usage: uv run python bench/poll_cycle.py [N=1000] [RUNS=3] [--cycles C] [--scenario S]
  --cycles C        C cold cycles in a row on one database (each one a new edition of every feed:
                    all new items), each followed by an all-304 cycle. Targets: the last cold
                    cycle within 1.2x of the first; the 304 cycles flat.
  --scenario normal about one item in twenty about the talent war or AGI (the default)
  --scenario bignews a big news day: most items about AI, compared with a normal cold cycle of the
                    same feeds in the same run. Target: within 3x.
Each pass reports wall time, the CPU time of the radar process, and peak resident memory: of the
largest single process, and of radar plus its worker processes together (sampled every 200 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"feed server did not start on port {port}")


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants (the worker pool included)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status") as fh:
                total += sum(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
        except OSError:
            continue
    return total / 1024


def run_pass(config: Path, cwd: Path, reference: bool = False) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    command = (
        [sys.executable, str(HERE / "reference.py"), str(config), str(cwd / "reference.db")]
        if reference
        else [sys.executable, "-m", "bot.cli", "-q", "poll", "--once", "-c", str(config)]
    )
    proc = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak_tree = 0.0
    while proc.poll() is None:
        peak_tree = max(peak_tree, tree_rss_mb(proc.pid))
        time.sleep(0.2)
    _, stderr = proc.communicate()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{'reference' if reference else 'radar'} failed:\n{stderr}")
    return {
        "wall_s": round(wall, 2),
        # The radar process's own CPU; its workers run under a fork server and are not counted.
        "cpu_s_main": round(
            (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2
        ),
        "peak_rss_mb_all_processes": round(peak_tree, 1),
    }


def side_by_side(config: Path, cwd: Path) -> dict[str, Any]:
    radar = run_pass(config, cwd)
    reference = run_pass(config, cwd, reference=True)
    return {
        "radar": radar,
        "reference": reference,
        "ratio": round(radar["wall_s"] / max(reference["wall_s"], 0.01), 2),
    }


def write_config(folder: Path, count: int, port: int) -> Path:
    feeds = "\n".join(
        f'[[feeds]]\nurl = "http://127.0.0.1:{port}/feed/{i}.xml"\n' for i in range(count)
    )
    config = folder / "bench.toml"
    config.write_text(
        f'[storage]\nurl = "sqlite:///{folder}/bench.db"\n\n'
        '[poll]\nconcurrency = 100\nper_host = 100\nfirst_poll_window = "30d"\n\n'
        f'[[outputs]]\ntype = "jsonl"\npath = "{folder}/alerts.jsonl"\n\n{feeds}'
    )
    return config


def advance(port: int) -> None:
    """A new edition of every feed: the next poll of each is cold again."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/advance", timeout=600) as answer:
        answer.read()


def one_run(count: int, port: int, cycles: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="radar-bench-") as tmp:
        folder = Path(tmp)
        config = write_config(folder, count, port)
        cold, warm = [], []
        for cycle in range(cycles):
            if cycle:
                advance(port)
            cold.append(side_by_side(config, folder))
            # Then every feed answers 304: this must cost the same however big the database is.
            warm.append(side_by_side(config, folder))
        alerts_file = folder / "alerts.jsonl"
        alerts = sum(1 for _ in alerts_file.open()) if alerts_file.exists() else 0
        # What each command costs before it polls anything (imports, migrations, the model): a
        # config without feeds on a new database. A cycle is roughly a pass minus this.
        empty = Path(tmp) / "empty"
        empty.mkdir()
        startup = side_by_side(write_config(empty, 0, 9), empty)
    return {"cold": cold, "not_modified": warm, "startup": startup, "alerts": alerts}


class Server:
    def __init__(self, count: int, flagged: float) -> None:
        self.port = free_port()
        args = [sys.executable, str(HERE / "serve.py"), str(count), str(self.port), str(flagged)]
        self.proc = subprocess.Popen(args, cwd=HERE)
        wait_for_port(self.port)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("feeds", nargs="?", type=int, default=1000)
    parser.add_argument("runs", nargs="?", type=int, default=3)
    parser.add_argument("--cycles", type=int, default=1)
    parser.add_argument("--scenario", choices=("normal", "bignews"), default="normal")
    args = parser.parse_args()
    count = args.feeds
    summary: dict[str, Any] = {
        "feeds": count,
        "items_per_cycle": count * 50,
        "scenario": args.scenario,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    shares = {"normal": 0.05} if args.scenario == "normal" else {"normal": 0.05, "bignews": 0.6}
    for name, share in shares.items():
        server = Server(count, share)
        try:
            results = [one_run(count, server.port, args.cycles) for _ in range(args.runs)]
        finally:
            server.close()
        # Shared virtual machines vary from run to run: report every run, and the medians.
        summary[f"{name}_runs"] = results
        cold = [r["cold"] for r in results]
        summary[f"{name}_cold_wall_s_median"] = [
            median([c[i]["radar"]["wall_s"] for c in cold]) for i in range(args.cycles)
        ]
        summary[f"{name}_cold_ratio_median"] = [
            median([c[i]["ratio"] for c in cold]) for i in range(args.cycles)
        ]
        warm = [r["not_modified"] for r in results]
        summary[f"{name}_304_wall_s_median"] = [
            median([w[i]["radar"]["wall_s"] for w in warm]) for i in range(args.cycles)
        ]
        summary[f"{name}_304_ratio_median"] = [
            median([w[i]["ratio"] for w in warm]) for i in range(args.cycles)
        ]
        summary[f"{name}_startup_s_median"] = {
            side: median([r["startup"][side]["wall_s"] for r in results])
            for side in ("radar", "reference")
        }
        if args.cycles > 1:
            summary[f"{name}_last_over_first_cycle"] = [
                round(c[-1]["radar"]["wall_s"] / c[0]["radar"]["wall_s"], 2) for c in cold
            ]
    if args.scenario == "bignews":
        summary["bignews_over_normal_cold"] = round(
            summary["bignews_cold_wall_s_median"][0] / summary["normal_cold_wall_s_median"][0],
            2,
        )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
