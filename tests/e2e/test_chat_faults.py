"""Chat platforms that fail in odd ways, against real `radar` processes: the real slack_sdk,
slack-bolt and discord.py talk to the stand-ins on 127.0.0.1. One output's fault never stops the
others, never ends the process, and a signal always stops it within seconds."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import read_alerts
from tests.discordapi import DiscordAPI
from tests.e2e.test_slack import SECRET, command_body, signed
from tests.e2e.test_slack_service import free_port, http_post, wait_for
from tests.feeds import ARC, META_HIRE, Item, recent, rss
from tests.feedserver import FeedServer
from tests.slackapi import SlackAPI

APP_TOKEN = "xapp-1-A0RADAR-faults"
CHAT_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_API_URL",
    "DISCORD_TOKEN",
    "DISCORD_API_BASE_URL",
    "DISCORD_GUILD_ID",
    "RADAR_CONFIG",
)


@pytest.fixture
def slack() -> Iterator[SlackAPI]:
    api = SlackAPI(channels={"ai-news": "C0AINEWS"}, app_token=APP_TOKEN).start()
    try:
        yield api
    finally:
        api.stop()


def two_stories(feed_server: FeedServer) -> str:
    items = [Item(i.title, i.link, i.description, published=recent()) for i in (META_HIRE, ARC)]
    feed_server.add("/wire.xml", body=rss(items, title="AI Wire"))
    return feed_server.url("/wire.xml")


def write_config(tmp_path: Path, feed: str, outputs: str, slack: str = "") -> None:
    """A config whose chat outputs come first: their rows are tried before the JSONL file's."""
    (tmp_path / "radar.toml").write_text(
        f"""
[storage]
url = "sqlite:///radar.db"
[poll]
interval = "60s"
jitter = "0s"
[slack]
host = "127.0.0.1"
per_channel_interval = "0s"
{slack}
[[feeds]]
url = "{feed}"
name = "AI Wire"
{outputs}
[[outputs]]
type = "jsonl"
path = "alerts.jsonl"
topics = ["talent_war", "agi"]
""",
        encoding="utf-8",
    )


SLACK_OUTPUT = """
[[outputs]]
type = "slack"
channel = "#ai-news"
topics = ["talent_war", "agi"]
"""


def environment(**chat: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CHAT_VARIABLES}
    env.update(COLUMNS="200", **chat)
    return env


def deliveries(tmp_path: Path, platform: str) -> list[dict[str, Any]]:
    with sqlite3.connect(tmp_path / "radar.db") as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT status, attempts, last_error FROM deliveries WHERE destination LIKE ?",
            (f"{platform}:%",),
        ).fetchall()
    return [dict(r) for r in rows]


class Service:
    """`radar run` as a real process, its log in a file."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.log = cwd / "radar.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run", "-c", "radar.toml"],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, within: float = 15.0) -> tuple[int, float]:
        """Send `sig`; the exit code and how long the process took to end."""
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(within)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"radar run ignored the signal:\n{self.output()}") from None
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.running():
            self.proc.kill()
            self.proc.wait()


# -- Slack answers a 5xx whose body is not JSON ---------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ("<html><body>503 Service Temporarily Unavailable</body></html>", "text/plain"),
        ('{"ok": true, "channel": "C0AINEWS", "ts": "17', "application/json"),  # cut off
    ],
)
def test_poll_once_delivers_to_the_other_outputs_when_slack_answers_junk(
    tmp_path: Path, feed_server: FeedServer, slack: SlackAPI, raw: str, content_type: str
) -> None:
    write_config(tmp_path, two_stories(feed_server), SLACK_OUTPUT)
    slack.fail_next("chat.postMessage", status=503, raw=raw, content_type=content_type, times=99)
    env = environment(SLACK_BOT_TOKEN=slack.token, SLACK_API_URL=slack.base_url)
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "poll", "--once", "-c", "radar.toml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(read_alerts(tmp_path / "alerts.jsonl")) == 2  # the file got both stories
    rows = deliveries(tmp_path, "slack")
    assert len(rows) == 2
    for row in rows:  # each Slack alert: one counted attempt, waiting for its retry
        assert row["status"] == "pending"
        assert row["attempts"] == 1
        assert "not JSON" in row["last_error"]


def test_radar_run_polls_while_slack_cannot_start_then_starts_it(
    tmp_path: Path, feed_server: FeedServer, slack: SlackAPI
) -> None:
    port = free_port()
    write_config(tmp_path, two_stories(feed_server), SLACK_OUTPUT, slack=f"port = {port}")
    slack.fail_next("auth.test", status=503, raw="upstream connect error", times=2)
    env = environment(
        SLACK_BOT_TOKEN=slack.token, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.base_url
    )
    service = Service(tmp_path, env)
    try:
        wait_for(lambda: len(read_alerts(tmp_path / "alerts.jsonl")) == 2, "the JSONL alerts")
        wait_for(lambda: len(slack.messages("C0AINEWS")) == 2, "the Slack alerts")
        wait_for(lambda: "listening on" in service.output(), "the Slack app, on a retry")
        body = command_body(slack, "help")
        assert http_post(port, body, signed(body))[0] == 200
        assert service.running()
        code, _ = service.stop()
    finally:
        service.kill()
    output = service.output()
    assert code == 0, output
    assert "Traceback" not in output, output
    assert output.count("Slack app not started yet") == 2, output


# -- Discord refuses the bot token ----------------------------------------------------------------


def test_a_refused_discord_token_leaves_the_other_outputs_delivering(
    tmp_path: Path, feed_server: FeedServer, slack: SlackAPI
) -> None:
    discord_api = DiscordAPI().start()
    try:
        channel = discord_api.add_channel()
        outputs = f"""
[[outputs]]
type = "discord"
channel = {channel}
topics = ["talent_war", "agi"]
{SLACK_OUTPUT}"""
        write_config(tmp_path, two_stories(feed_server), outputs)
        env = environment(
            DISCORD_TOKEN="not-the-bot-token",
            DISCORD_API_BASE_URL=discord_api.base_url,
            SLACK_BOT_TOKEN=slack.token,
            SLACK_API_URL=slack.base_url,
        )
        service = Service(tmp_path, env)
        try:
            wait_for(lambda: len(read_alerts(tmp_path / "alerts.jsonl")) == 2, "the JSONL alerts")
            wait_for(lambda: len(slack.messages("C0AINEWS")) == 2, "the Slack alerts")
            wait_for(lambda: len(deliveries(tmp_path, "discord")) == 2, "the Discord rows")
            wait_for(
                lambda: all(r["attempts"] == 1 for r in deliveries(tmp_path, "discord")),
                "the Discord attempts",
            )
            assert service.running()
            code, _ = service.stop()
        finally:
            service.kill()
        assert discord_api.messages(channel) == []
    finally:
        discord_api.stop()
    output = service.output()
    assert code == 0, output
    assert "Traceback" not in output, output
    assert output.count("DISCORD_TOKEN") == 1, output  # one line says it, for every channel
    assert "not-the-bot-token" not in output
    for row in deliveries(tmp_path, "discord"):
        assert row["status"] == "pending"  # waits in the outbox for a fixed token


# -- Socket Mode whose WebSocket cannot be reached ------------------------------------------------


class UnreachableSocket(SlackAPI):
    """apps.connections.open hands out a WebSocket URL where nothing listens."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dead_port = free_port()

    def _connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.dead_port}/socket?ticket=nowhere"}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_an_unreachable_socket_neither_blocks_polling_nor_a_signal(
    tmp_path: Path, feed_server: FeedServer, sig: int
) -> None:
    slack = UnreachableSocket(channels={"ai-news": "C0AINEWS"}, app_token=APP_TOKEN).start()
    try:
        write_config(tmp_path, two_stories(feed_server), SLACK_OUTPUT)
        env = environment(
            SLACK_BOT_TOKEN=slack.token, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=slack.base_url
        )
        service = Service(tmp_path, env)
        try:
            wait_for(lambda: len(read_alerts(tmp_path / "alerts.jsonl")) == 2, "the JSONL alerts")
            wait_for(lambda: len(slack.messages("C0AINEWS")) == 2, "the Slack alerts")
            wait_for(lambda: bool(slack.calls_to("apps.connections.open")), "the socket attempt")
            time.sleep(0.5)  # the client is now in its connect-and-retry loop
            code, took = service.stop(sig)
        finally:
            service.kill()
    finally:
        slack.stop()
    output = service.output()
    assert code == 0, output
    assert took < 12, output
    assert "Traceback" not in output, output


# -- a chat call that hangs while the service is asked to stop -------------------------------------


def test_a_signal_stops_the_service_while_a_chat_call_hangs(
    tmp_path: Path, feed_server: FeedServer, slack: SlackAPI
) -> None:
    write_config(tmp_path, two_stories(feed_server), SLACK_OUTPUT)
    # Longer than the test lets the service take to stop; the stand-in's own teardown waits it out.
    slack.delays["chat.postMessage"] = 12.0
    env = environment(SLACK_BOT_TOKEN=slack.token, SLACK_API_URL=slack.base_url)
    service = Service(tmp_path, env)
    try:
        wait_for(lambda: bool(slack.calls_to("chat.postMessage")), "a hanging Slack call")
        code, took = service.stop()
    finally:
        service.kill()
    output = service.output()
    assert code == 0, output
    assert took < 10, output
    assert "Traceback" not in output, output
    # The stand-in answers the abandoned call before it can shut down.
    wait_for(lambda: all(c.response for c in slack.calls_to("chat.postMessage")), "the answer")
