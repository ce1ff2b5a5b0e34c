"""Time a whole `radar poll --once` over N synthetic feeds on 127.0.0.1: a cold pass, then a 304 pass.

Usage: uv run python bench/poll_cycle.py [N=1000]
Each pass reports wall time, the CPU time of the radar process, and peak resident memory: of the
largest single process, and of radar plus its worker processes together (sampled every 200 ms).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def run_pass(config: Path, cwd: Path) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "-q", "poll", "--once", "-c", str(config)],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak_tree = 0.0
    while proc.poll() is None:
        peak_tree = max(peak_tree, tree_rss_mb(proc.pid))
        time.sleep(0.2)
    _, stderr = proc.communicate()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"radar failed:\n{stderr}")
    return {
        "wall_s": round(wall, 2),
        # The radar process's own CPU; its workers run under a fork server and are not counted.
        "cpu_s_main": round(
            (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2
        ),
        "peak_rss_mb_largest_process": round(after.ru_maxrss / 1024, 1),
        "peak_rss_mb_all_processes": round(peak_tree, 1),
    }


def one_run(count: int, port: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="radar-bench-") as tmp:
        folder = Path(tmp)
        feeds = "\n".join(
            f'[[feeds]]\nurl = "http://127.0.0.1:{port}/feed/{i}.xml"\n' for i in range(count)
        )
        config = folder / "bench.toml"
        config.write_text(
            f'[storage]\nurl = "sqlite:///{folder}/bench.db"\n\n'
            '[poll]\nconcurrency = 100\nper_host = 100\nfirst_poll_window = "30d"\n\n'
            f'[[outputs]]\ntype = "jsonl"\npath = "{folder}/alerts.jsonl"\n\n{feeds}'
        )
        cold = run_pass(config, folder)
        warm = run_pass(config, folder)
        alerts_file = folder / "alerts.jsonl"
        alerts = sum(1 for _ in alerts_file.open()) if alerts_file.exists() else 0
    return {"cold": cold, "not_modified": warm, "alerts": alerts}


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(HERE / "serve.py"), str(count), str(port)], cwd=HERE
    )
    try:
        wait_for_port(port)
        results = [one_run(count, port) for _ in range(runs)]
    finally:
        server.terminate()
        server.wait(10)
    # Shared virtual machines vary from run to run: report every run, and the median.
    summary: dict[str, object] = {
        "feeds": count,
        "items": count * 50,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "runs": results,
    }
    for phase in ("cold", "not_modified"):
        walls = sorted(float(r[phase]["wall_s"]) for r in results)  # type: ignore[index]
        summary[f"{phase}_wall_s_median"] = walls[len(walls) // 2]
        summary[f"{phase}_wall_s_best"] = walls[0]
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
