"""/metrics, /healthz and /readyz through a real HTTP client: against a real `radar run` process,
and in-process against the real store and scheduler for the cases that make a replica unready."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.errors import ConfigError
from bot.runtime.ops_server import OpsServer
from bot.runtime.scheduler import FeedScheduler
from bot.settings import MetricsSettings, load_settings
from bot.store.repository import Store
from tests.e2e.test_cli import assert_one_line_error, popen, radar, stop, write_config
from tests.feeds import ARC, FOOTBALL, META_HIRE, Item, recent, rss
from tests.feedserver import FeedServer

NEW_HIRE = Item(
    title="Google DeepMind hires Anthropic's head of pretraining to lead its Gemini team",
    link="https://news.example/2026/deepmind-hires-pretraining-lead",
    description="DeepMind has hired a senior Anthropic researcher, poaching talent in the AI war.",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page, keyed by name and sorted labels."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(
    page: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return page.get((name, tuple(sorted(labels.items()))), 0.0)


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp:
        return resp.status, await resp.text()


async def until(check: Any, within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = await check()
        except aiohttp.ClientError:
            last = None
        if last:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out after {within:.0f}s waiting for {what}")


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()


async def test_radar_run_serves_metrics_that_move_with_polls_and_deliveries(
    feeds: FeedServer, tmp_path: Path
) -> None:
    route = feeds.add(
        "/en-0.xml",
        body=rss(
            [
                Item(i.title, i.link, i.description, published=recent())
                for i in (META_HIRE, ARC, FOOTBALL)
            ]
        ),
        etag='"v1"',
    )
    port = free_port()
    extra = f'[metrics]\nport = {port}\n\n[poll]\ninterval = "2s"\njitter = "0s"'
    write_config(tmp_path, feeds, "/en-0.xml", extra=extra)
    proc = popen(tmp_path, "run", "-c", "radar.toml", log=tmp_path / "run.log")
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:

            async def healthy() -> bool:
                return (await get(session, f"{base}/healthz"))[0] == 200

            async def ready() -> bool:
                return (await get(session, f"{base}/readyz"))[0] == 200

            async def page() -> dict[Any, float]:
                status, text = await get(session, f"{base}/metrics")
                assert status == 200
                return samples(text)

            await until(healthy, 30, "/healthz to answer 200")
            await until(ready, 30, "/readyz to answer 200 once the first cycle is done")
            status, body = await get(session, f"{base}/readyz")
            assert status == 200 and '"scheduler": "running"' in body, body

            async def delivered() -> dict[Any, float] | None:
                found = await page()
                return (
                    found
                    if value(found, "radar_alerts_sent_total", platform="jsonl") >= 2
                    else None
                )

            first = await until(delivered, 30, "two alerts sent to the jsonl output")
            assert value(first, "radar_polls_total", outcome="ok") >= 1
            assert value(first, "radar_items_total") >= 3
            assert value(first, "radar_flagged_items_total", topic="talent_war") >= 1
            assert value(first, "radar_flagged_items_total", topic="agi") >= 1
            assert value(first, "radar_stories_total") >= 2
            assert value(first, "radar_alerts_queued_total", kind="alert") >= 2
            assert value(first, "radar_fetch_seconds_count", status="ok") >= 1
            assert value(first, "radar_cycle_seconds_count") >= 1
            assert value(first, "radar_classify_seconds_count") >= 1
            assert value(first, "radar_send_seconds_count", platform="jsonl") >= 2
            assert value(first, "radar_database_up") == 1
            assert value(first, "radar_outbox_oldest_pending_seconds") == 0

            # Later polls: 304s count as not_modified; a new flagged item moves the counters again.
            await until(
                lambda: _above(page, "radar_polls_total", {"outcome": "not_modified"}, 0),
                30,
                "a 304 poll",
            )
            items = [META_HIRE, ARC, FOOTBALL, NEW_HIRE]
            route.body = rss(
                [Item(i.title, i.link, i.description, published=recent()) for i in items]
            )
            route.etag = '"v2"'
            sent = value(first, "radar_alerts_sent_total", platform="jsonl")
            later = await until(
                lambda: _above(page, "radar_alerts_sent_total", {"platform": "jsonl"}, sent),
                30,
                "the new item's alert",
            )
            assert value(later, "radar_flagged_items_total", topic="talent_war") > value(
                first, "radar_flagged_items_total", topic="talent_war"
            )
            assert value(later, "radar_items_total") == value(first, "radar_items_total") + 1
    finally:
        stop(proc)


async def _above(
    page: Any, name: str, labels: dict[str, str], floor: float
) -> dict[Any, float] | None:
    found: dict[Any, float] = await page()
    return found if value(found, name, **labels) > floor else None


# -- readiness, in-process with the real store and scheduler ------------------------------------


async def _ready(server: OpsServer) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        return await get(session, f"http://127.0.0.1:{server.port}/readyz")


async def test_readyz_follows_the_scheduler_and_the_database(
    radar_factory: Any, feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.add(
        "/en-0.xml", body=rss([Item(FOOTBALL.title, FOOTBALL.link, published=recent())])
    )
    radar = radar_factory([feed_server.url("/en-0.xml")])
    scheduler = FeedScheduler(radar)
    settings = MetricsSettings(port=free_port())
    server = OpsServer(settings, radar.store, lambda: scheduler.scheduler.running, radar.clock)
    await server.start()
    try:
        status, body = await _ready(server)
        assert status == 503 and '"scheduler": "not running"' in body, body
        async with aiohttp.ClientSession() as session:
            assert (await get(session, f"http://127.0.0.1:{server.port}/healthz"))[0] == 200

        await scheduler.start()
        status, body = await _ready(server)
        assert status == 200, body
        assert '"database": "ok"' in body and '"outbox": "ok"' in body

        # The database file is replaced by something that is not a database: unreachable.
        db = tmp_path / "radar.db"
        radar.store.engine.dispose()
        db.rename(tmp_path / "radar.db.moved")
        db.write_bytes(b"this is not a database" * 100)
        status, body = await _ready(server)
        assert status == 503 and '"database": "unreachable' in body, body
        async with aiohttp.ClientSession() as session:
            code, text = await get(session, f"http://127.0.0.1:{server.port}/metrics")
        assert code == 200 and value(samples(text), "radar_database_up") == 0

        await scheduler.shutdown()
        (tmp_path / "radar.db.moved").replace(db)
        radar.store.engine.dispose()
        status, body = await _ready(server)
        assert status == 503 and '"scheduler": "not running"' in body and '"database": "ok"' in body
    finally:
        await server.aclose()
        await scheduler.shutdown()


async def test_readyz_says_the_outbox_is_stuck_when_a_due_delivery_waits_too_long(
    radar_factory: Any, feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.add(
        "/en-0.xml",
        body=rss(
            [Item(META_HIRE.title, META_HIRE.link, META_HIRE.description, published=recent())]
        ),
    )
    radar = radar_factory([feed_server.url("/en-0.xml")])
    await radar.poll()  # queues the alert; nothing sends it
    later = [datetime.now(UTC) + timedelta(minutes=20)]
    server = OpsServer(
        MetricsSettings(port=free_port()), radar.store, lambda: True, lambda: later[0]
    )
    await server.start()
    try:
        status, body = await _ready(server)
        assert status == 503 and '"outbox": "stuck: a delivery has been due for' in body, body
        async with aiohttp.ClientSession() as session:
            text = (await get(session, f"http://127.0.0.1:{server.port}/metrics"))[1]
        page = samples(text)
        assert value(page, "radar_outbox_pending", platform="jsonl") == 1
        assert value(page, "radar_outbox_oldest_pending_seconds") >= 20 * 60 - 5

        later[0] = datetime.now(UTC) + timedelta(minutes=5)  # due, but not for long: not stuck
        status, body = await _ready(server)
        assert status == 200, body

        await radar.deliver()
        later[0] = datetime.now(UTC) + timedelta(minutes=20)
        status, body = await _ready(server)
        assert status == 200, body
        text = ""
        async with aiohttp.ClientSession() as session:
            text = (await get(session, f"http://127.0.0.1:{server.port}/metrics"))[1]
        assert value(samples(text), "radar_outbox_pending", platform="jsonl") == 0
    finally:
        await server.aclose()


async def test_a_taken_metrics_port_is_one_clear_error(radar_factory: Any) -> None:
    radar = radar_factory([])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = OpsServer(MetricsSettings(port=port), radar.store, lambda: True, radar.clock)
        with pytest.raises(ConfigError, match=rf"\[metrics\] cannot listen on 127.0.0.1:{port}"):
            await server.start()


def test_an_empty_outbox_reads_as_nothing_waiting(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        from bot.store.outbox_state import outbox_state

        state = outbox_state(store, datetime.now(UTC))
        assert (
            state.waiting == {} and state.oldest_created_at is None and state.oldest_due_at is None
        )
    finally:
        store.close()


# -- the Docker HEALTHCHECK and the compose configs ---------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def healthcheck_code() -> str:
    """The Python the Dockerfile's HEALTHCHECK runs (its `python -c "…"` argument)."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(x for x in text.splitlines() if x.startswith("HEALTHCHECK"))
    return line.split('python -c "', 1)[1].rsplit('"', 1)[0]


async def run_healthcheck(config: Path) -> int:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        healthcheck_code(),
        env={**os.environ, "RADAR_CONFIG": str(config)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(proc.wait(), 30)


async def test_the_docker_healthcheck_passes_only_when_ready(
    radar_factory: Any, tmp_path: Path
) -> None:
    radar = radar_factory([])
    running = [False]
    server = OpsServer(
        MetricsSettings(port=free_port()), radar.store, lambda: running[0], radar.clock
    )
    await server.start()
    config = tmp_path / "health.toml"
    config.write_text(f"[metrics]\nport = {server.port}\n", encoding="utf-8")
    try:
        assert await run_healthcheck(config) != 0  # 503: the scheduler is not running
        running[0] = True
        assert await run_healthcheck(config) == 0
    finally:
        await server.aclose()
    assert await run_healthcheck(config) != 0  # nothing listens any more
    off = tmp_path / "off.toml"
    off.write_text("[storage]\nurl = 'sqlite:///radar.db'\n", encoding="utf-8")
    assert await run_healthcheck(off) == 0  # no endpoint configured: nothing to ask


def test_the_compose_configs_are_what_the_compose_file_expects() -> None:
    sqlite = load_settings(REPO / "config" / "compose-sqlite.toml")
    assert sqlite.metrics.port == 9464 and sqlite.metrics.host == "0.0.0.0"
    assert sqlite.storage.url == "sqlite:///radar.db"  # in /data, the image's working directory
    # The PostgreSQL variant is written for the planned backend; today the settings refuse it.
    with pytest.raises(ConfigError, match="only sqlite"):
        load_settings(REPO / "config" / "compose.toml")
    compose = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    for name in ("compose.toml", "compose-sqlite.toml", "PGPASSWORD", "9464"):
        assert name in compose


def test_radar_run_with_a_taken_metrics_port_is_one_line_and_a_failing_exit(
    feeds: FeedServer, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        write_config(tmp_path, feeds, extra=f"[metrics]\nport = {port}")
        proc = radar(tmp_path, "-q", "run", "-c", "radar.toml")
    assert_one_line_error(
        proc, f"[metrics] cannot listen on 127.0.0.1:{port}", "change [metrics] port"
    )


def test_metrics_are_off_by_default_in_the_shipped_config_and_the_demo(tmp_path: Path) -> None:
    from bot.terminal.demo import demo_settings

    assert load_settings(REPO / "config" / "radar.toml").metrics.port is None
    assert demo_settings(tmp_path).metrics.port is None
