"""`radar run` in Slack HTTP mode, as a real process: the Slack issue's "done when" check.

SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_API_URL point at the Slack stand-in on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tests.e2e.test_slack import ALT_HEADLINE, SECRET, command_body, signed
from tests.feeds import META_HIRE, Item, recent, rss
from tests.feedserver import FeedServer
from tests.payloads import strings
from tests.slackapi import SlackAPI


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], what: str, within: float = 45.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def http_post(port: int, body: str, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_radar_run_in_slack_http_mode(
    tmp_path: Path, feed_server: FeedServer, slack: SlackAPI
) -> None:
    feed_server.add(
        "/wire.xml",
        body=rss(
            [Item(META_HIRE.title, META_HIRE.link, META_HIRE.description, published=recent())]
        ),
    )
    other = feed_server.add("/other.xml", body=rss([], title="Other Outlet"))
    port = free_port()
    (tmp_path / "radar.toml").write_text(
        f"""
[storage]
url = "sqlite:///radar.db"
[poll]
interval = "2s"
jitter = "0s"
[slack]
host = "127.0.0.1"
port = {port}
per_channel_interval = "0s"
[[feeds]]
url = "{feed_server.url("/wire.xml")}"
name = "AI Wire"
[[feeds]]
url = "{feed_server.url("/other.xml")}"
name = "Other Outlet"
[[outputs]]
type = "slack"
channel = "#ai-news"
topics = ["talent_war", "agi"]
""",
        encoding="utf-8",
    )
    env = dict(os.environ)
    env.pop("SLACK_APP_TOKEN", None)
    env.update(
        SLACK_BOT_TOKEN=slack.token, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.base_url
    )
    log = tmp_path / "radar.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "-c", "radar.toml"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: len(slack.messages("C0AINEWS")) == 1, "the Block Kit alert")
        [alert] = slack.messages("C0AINEWS")
        assert any(b["type"] == "header" for b in alert["blocks"])
        assert any("Jason Wei" in s for s in strings(alert["blocks"]))

        body = command_body(slack, "help")
        status, text = http_post(port, body, signed(body))
        assert status == 200, text
        assert any("/radar subscribe" in s for s in strings(json.loads(text)))
        unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
        assert http_post(port, body, unsigned)[0] == 401

        link = "https://other.example/wei-chung-depart"
        other.body = rss([Item(ALT_HEADLINE, link, published=recent())], title="Other Outlet")
        wait_for(lambda: bool(slack.thread("C0AINEWS", alert["ts"])), "the thread reply")
        [reply] = slack.thread("C0AINEWS", alert["ts"])
        assert any(link in s for s in strings(reply))
        wait_for(
            lambda: any(
                "+1 source" in s
                for s in strings((slack.message("C0AINEWS", alert["ts"]) or {}).get("blocks"))
            ),
            "the '+1 source' edit",
        )
        assert len(slack.messages("C0AINEWS")) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    output = log.read_text(encoding="utf-8", errors="replace")
    assert code == 0, output
    assert "Traceback" not in output, output
    assert slack.token not in output and SECRET not in output  # secrets never reach the log
