"""Time a whole `radar poll --once` over N synthetic feeds on 127.0.0.1: a cold pass, then a 304 pass.

Usage: uv run python bench/poll_cycle.py [N=1000]
Prints wall time, CPU time (user+sys of the radar process) and peak RSS for each pass.
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


def run_pass(config: Path, cwd: Path) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "-q", "poll", "--once", "-c", str(config)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"radar failed:\n{proc.stderr}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2),
        "peak_rss_mb": round(after.ru_maxrss / 1024, 1),  # high-water mark of the children so far
        "summary": proc.stderr.strip().splitlines()[-2:],  # type: ignore[dict-item]
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(HERE / "serve.py"), str(count), str(port)], cwd=HERE
    )
    try:
        wait_for_port(port)
        with tempfile.TemporaryDirectory(prefix="radar-bench-") as tmp:
            folder = Path(tmp)
            feeds = "\n".join(
                f'[[feeds]]\nurl = "http://127.0.0.1:{port}/feed/{i}.xml"\n' for i in range(count)
            )
            config = folder / "bench.toml"
            config.write_text(
                f'[storage]\nurl = "sqlite:///{folder}/bench.db"\n\n[poll]\nconcurrency = 100\nper_host = 100\n'
                f'first_poll_window = "30d"\n\n[[outputs]]\ntype = "jsonl"\npath = "{folder}/alerts.jsonl"\n\n{feeds}'
            )
            cold = run_pass(config, folder)
            warm = run_pass(config, folder)
            alerts = (
                sum(1 for _ in (folder / "alerts.jsonl").open())
                if (folder / "alerts.jsonl").exists()
                else 0
            )
        result = {
            "feeds": count,
            "items": count * 50,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "cold": cold,
            "not_modified": warm,
            "alerts": alerts,
        }
        print(json.dumps(result, indent=2, ensure_ascii=False))
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
