"""Chaos: `radar run` killed with SIGKILL at random moments, over and over, while feeds keep
publishing and the chat platforms answer a random share of 500s, 429s and slow answers.

At the end, with the faults off, a last process drains the outbox, and every flagged story must
have reached every channel exactly once: the JSONL file, Slack (found by the delivery key in each
message's metadata) and Discord in bot mode (through the message ids Radar stored, and the buttons'
story ids), each thread reply once too. The Discord stand-in has no gateway: `radar run` logs in
over REST and posts alerts without one, as it does when the gateway cannot open.

Every random choice comes from one seed, printed at the start; replay a failure with
RADAR_CHAOS_SEED=<seed> uv run pytest tests/e2e/test_chaos.py. RADAR_CHAOS_KILLS sets the
number of kills (default 22).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.outputs.once import EVENT_TYPE
from tests.discordapi import DiscordAPI, _Fault
from tests.feeds import Item, rss
from tests.feedserver import FeedServer
from tests.slackapi import Fault, SlackAPI

SECRET = "chaos-signing-secret"
KILLS = int(os.environ.get("RADAR_CHAOS_KILLS", "22"))
DRAIN_WITHIN = 60.0  # seconds for the last, fault-free process to empty the outbox
CHANNEL = "C0CHAOS"

PEOPLE = [
    "Ada Lin", "Bruno Keller", "Chen Wei", "Dana Okafor", "Elif Sahin", "Farid Nasser",
    "Greta Holm", "Hiro Tanaka", "Ines Moreau", "Jonas Berg", "Kira Patel", "Luca Romano",
    "Maya Cohen", "Nils Eriksen", "Omar Haddad", "Priya Nair", "Quinn Walsh", "Rosa Delgado",
    "Sven Larsen", "Tara Quinn", "Ugo Bianchi", "Vera Novak", "Wen Zhou", "Yara Haddad",
]  # fmt: skip
LABS = [
    "OpenAI", "Anthropic", "Google DeepMind", "Meta", "xAI", "Mistral", "Microsoft AI",
    "Apple", "Safe Superintelligence", "Thinking Machines Lab",
]  # fmt: skip
HEADLINES = [
    "{p} leaves {a} to join {b}'s superintelligence team",
    "{b} poaches {a} researcher {p} with a $100 million pay package",
    "{a} chief scientist {p} departs for {b}",
    "{p}, a top {a} researcher, defects to {b} in the AI talent war",
]


# -- the world: publishers and platforms with faults ----------------------------------------------


@dataclass
class Chaos:
    """What the stand-ins do wrong, decided by one random generator shared under a lock."""

    rng: random.Random
    on: bool = True
    error_share: float = 0.08  # HTTP 500
    limit_share: float = 0.10  # HTTP 429 with Retry-After
    slow_share: float = 0.15  # a pause before answering
    lock: threading.Lock = field(default_factory=threading.Lock)
    posts: int = 0  # messages the platforms stored: the moment to kill "after the post"

    def pick(self) -> str:
        with self.lock:
            if not self.on:
                return "ok"
            roll = self.rng.random()
        if roll < self.error_share:
            return "500"
        if roll < self.error_share + self.limit_share:
            return "429"
        if roll < self.error_share + self.limit_share + self.slow_share:
            return "slow"
        return "ok"

    def pause(self, most: float) -> float:
        with self.lock:
            return self.rng.uniform(0.05, most) if self.on else 0.0

    def posted(self) -> None:
        with self.lock:
            self.posts += 1


FAULTY_SLACK = {
    "chat.postMessage",
    "chat.update",
    "conversations.history",
    "conversations.replies",
    "conversations.list",
}


class ChaosSlack(SlackAPI):
    """The Slack stand-in, answering a random share of calls with 500, 429 or a slow answer, and
    holding a posted message's answer back a little: a kill then lands between the post and
    the moment Radar learns of it."""

    def __init__(self, chaos: Chaos, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.chaos = chaos
        self._pick: dict[int, str] = {}

    def _take_fault(self, method: str) -> Fault | None:
        fault = super()._take_fault(method)
        if fault is not None or method not in FAULTY_SLACK:
            return fault
        kind = self.chaos.pick()
        if kind == "500":
            return Fault(500, 0, "internal_error", 1)
        if kind == "429":
            return Fault(429, 1, "ratelimited", 1)
        return None

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method in FAULTY_SLACK and self.chaos.pick() == "slow":
            await asyncio.sleep(self.chaos.pause(0.8))
        before = len(self.posted)
        response = await super()._handle_api(request)
        if len(self.posted) > before:
            self.chaos.posted()
            await asyncio.sleep(self.chaos.pause(0.3))
        return response


class ChaosDiscord(DiscordAPI):
    """The Discord stand-in with the same faults on the calls that post, edit and thread."""

    def __init__(self, chaos: Chaos) -> None:
        super().__init__()
        self.chaos = chaos

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        fault = super()._take_fault(method, path)
        if fault is not None or not path.startswith("/channels/") or method == "GET":
            return fault
        kind = self.chaos.pick()
        if kind == "500":
            return _Fault(method, path, 500, 0, 0, 1, False)
        if kind == "429":
            return _Fault(method, path, 429, 0.3, None, 1, False)
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/api/v10/channels/") and self.chaos.pick() == "slow":
            await asyncio.sleep(self.chaos.pause(0.8))
        response = await super()._handle(request)
        posted = request.method == "POST" and request.path.endswith("/messages")
        if posted and response.status == 200:
            self.chaos.posted()
            await asyncio.sleep(self.chaos.pause(0.3))
        return response


class Publisher(threading.Thread):
    """Two outlets: a wire that publishes a new flagged story every ~0.6 s, and an outlet that
    now and then covers one of the wire's stories under its own link (a thread reply)."""

    def __init__(self, server: FeedServer, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.rng = rng
        self.wire: list[Item] = []
        self.echo: list[Item] = []
        self.wire_route = server.add("/wire.xml", body=rss([], title="AI Wire"))
        self.echo_route = server.add("/echo.xml", body=rss([], title="Echo"))
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def publish_one(self) -> None:
        with self.lock:
            n = len(self.wire)
            a, b = self.rng.sample(LABS, 2)
            person = f"{PEOPLE[n % len(PEOPLE)]} {n // len(PEOPLE) + 1}".removesuffix(" 1")
            title = HEADLINES[n % len(HEADLINES)].format(p=person, a=a, b=b)
            item = Item(title, f"https://wire.example/{n}", published=datetime.now(UTC))
            self.wire.append(item)
            self.wire_route.body = rss(self.wire, title="AI Wire")
            if n % 3 == 1:
                echo = Item(title, f"https://echo.example/{n}", published=item.published)
                self.echo.append(echo)
                self.echo_route.body = rss(self.echo, title="Echo")

    def run(self) -> None:
        while not self.stop.wait(self.rng.uniform(0.3, 0.9)):
            self.publish_one()

    def fetches(self) -> int:
        return self.wire_route.hits + self.echo_route.hits

    @property
    def links(self) -> set[str]:
        with self.lock:
            return {i.link for i in (*self.wire, *self.echo)}


# -- the process --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(tmp_path: Path, feeds: FeedServer, channel: int) -> None:
    (tmp_path / "radar.toml").write_text(
        f"""
[storage]
url = "sqlite:///radar.db"
[poll]
interval = "2s"
jitter = "0s"
[slack]
host = "127.0.0.1"
port = {free_port()}
per_channel_interval = "0s"
[[feeds]]
url = "{feeds.url("/wire.xml")}"
name = "AI Wire"
[[feeds]]
url = "{feeds.url("/echo.xml")}"
name = "Echo"
[[outputs]]
type = "jsonl"
path = "alerts.jsonl"
topics = ["talent_war", "agi"]
[[outputs]]
type = "slack"
channel = "{CHANNEL}"
topics = ["talent_war", "agi"]
[[outputs]]
type = "discord"
channel = {channel}
topics = ["talent_war", "agi"]
""",
        encoding="utf-8",
    )


def start(tmp_path: Path, env: dict[str, str], run: int) -> subprocess.Popen[bytes]:
    with (tmp_path / f"run-{run:02d}.log").open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "-c", "radar.toml"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_until(check: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def more_than(count: Callable[[], int], proc: subprocess.Popen[bytes]) -> Callable[[], bool]:
    """True once `count` has grown (or the process has ended)."""
    start = count()
    return lambda: count() > start or proc.poll() is not None


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return list(conn.execute(sql))


def latest_retry(db: Path) -> float:
    """Seconds until the last retry the outbox scheduled (a send that failed backs off 15 s,
    30 s, 60 s…): the drain may need that long, rarely more than DRAIN_WITHIN."""
    [(latest,)] = rows(db, "SELECT MAX(next_attempt_at) FROM deliveries WHERE status = 'pending'")
    if latest is None:
        return 0.0
    when = datetime.fromisoformat(latest).replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def settled(db: Path, links: set[str]) -> bool:
    """Every published article stored, and no delivery left to send."""
    try:
        stored = {r[0] for r in rows(db, "SELECT COALESCE(url, link) FROM items")}
        open_rows = rows(
            db, "SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'sending')"
        )
    except sqlite3.Error:
        return False
    return links <= stored and open_rows[0][0] == 0


# -- the test -----------------------------------------------------------------------------------


@pytest.fixture
def seed() -> int:
    value = int(os.environ.get("RADAR_CHAOS_SEED") or random.SystemRandom().randrange(10**9))
    print(f"\nchaos seed: {value} (replay: RADAR_CHAOS_SEED={value})", flush=True)
    return value


@pytest.fixture
def world(seed: int) -> Iterator[tuple[Chaos, ChaosSlack, ChaosDiscord, FeedServer]]:
    chaos = Chaos(random.Random(seed ^ 0x5EED))
    slack = ChaosSlack(chaos, channels={"chaos": CHANNEL}).start()
    discord = ChaosDiscord(chaos).start()
    feeds = FeedServer().start()
    try:
        yield chaos, slack, discord, feeds
    finally:
        feeds.stop()
        discord.stop()
        slack.stop()


def test_kills_and_platform_faults_lose_and_double_nothing(
    tmp_path: Path,
    seed: int,
    world: tuple[Chaos, ChaosSlack, ChaosDiscord, FeedServer],
) -> None:
    chaos, slack, discord, feeds = world
    rng = random.Random(seed)
    publisher = Publisher(feeds, random.Random(seed + 1))
    for _ in range(3):
        publisher.publish_one()
    channel = discord.add_channel()
    write_config(tmp_path, feeds, channel)
    env = dict(os.environ)
    for name in ("SLACK_APP_TOKEN", "RADAR_CONFIG", "DISCORD_GUILD_ID"):
        env.pop(name, None)
    env.update(
        SLACK_BOT_TOKEN=slack.token,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.base_url,
        DISCORD_TOKEN=discord.bot_token,
        DISCORD_API_BASE_URL=discord.base_url,
    )
    db = tmp_path / "radar.db"
    context = f"seed {seed}; logs in {tmp_path}"

    publisher.start()
    began = time.monotonic()
    moments: Counter[str] = Counter()
    try:
        # A third of the kills each: right after a platform stored a post (before Radar could
        # mark it sent), right after a feed was fetched (parse and ingest transaction), any time.
        plan = [("after a post", "after a fetch", "any time")[i % 3] for i in range(KILLS)]
        rng.shuffle(plan)
        for run, moment in enumerate(plan):
            proc = start(tmp_path, env, run)
            if moment == "after a post":
                wait_until(more_than(lambda: chaos.posts, proc), 6.0)
                time.sleep(rng.uniform(0.0, 0.05))
            elif moment == "after a fetch":  # the cycle parses, then ingests in a transaction
                wait_until(more_than(publisher.fetches, proc), 6.0)
                time.sleep(rng.uniform(0.0, 0.4))
            else:
                time.sleep(rng.uniform(0.3, 3.0))
            assert proc.poll() is None, f"radar run exited by itself ({context}, run {run})"
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            moments[moment] += 1
    finally:
        publisher.stop.set()
        publisher.join(5)

    # The last process: no faults, no kill, until every article is stored and every alert sent.
    with chaos.lock:
        chaos.on = False
    links = publisher.links
    killed = time.monotonic()
    within = max(DRAIN_WITHIN, latest_retry(db) + 30.0)
    proc = start(tmp_path, env, KILLS)
    try:
        drained = wait_until(lambda: settled(db, links), within)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert drained, f"the outbox did not drain ({context})"
    timing = f"kills {killed - began:.0f} s, drain {time.monotonic() - killed:.0f} s"

    flagged = {r[0] for r in rows(db, "SELECT id FROM stories WHERE flagged")}
    # Every article published is about the talent war: each joined a flagged story.
    joined = rows(db, "SELECT COALESCE(url, link), story_id FROM items")
    assert {link for link, story in joined if story in flagged} == links, context
    assert len(flagged) >= 10, context
    failed = rows(db, "SELECT id, destination, last_error FROM deliveries WHERE status != 'sent'")
    assert failed == [], f"deliveries not sent: {failed} ({context})"
    alerts = rows(
        db, "SELECT story_id, destination, message_ref FROM deliveries WHERE kind = 'alert'"
    )
    followups = rows(
        db,
        "SELECT story_id, item_id, destination, message_ref FROM deliveries WHERE kind = 'followup'",
    )
    destinations = {"jsonl", f"slack:{CHANNEL}", f"discord:{channel}"}
    assert {d.partition(":")[0] for _, d, _ in alerts} <= {"jsonl", "slack", "discord"}
    for key in destinations:
        got = {s for s, d, _ in alerts if d.split(":")[0] == key.split(":")[0]}
        assert got == flagged, f"{key}: flagged stories without an alert row ({context})"

    # JSONL: each flagged story once.
    lines = [
        json.loads(line)
        for line in (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    jsonl = Counter(int(a["story_id"]) for a in lines)
    assert set(jsonl) == flagged, f"JSONL misses stories ({context})"
    assert max(jsonl.values()) == 1, f"JSONL doubles: {+(jsonl - Counter(set(jsonl)))} ({context})"

    # Slack: each alert once in the channel, each reply once in its thread, found by metadata.
    top = slack.messages(CHANNEL)
    keys = Counter(m["metadata"]["event_payload"]["delivery"] for m in top)
    assert all(m["metadata"]["event_type"] == EVENT_TYPE for m in top)
    assert {int(k) for k in keys} == flagged, f"Slack misses stories ({context})"
    assert max(keys.values()) == 1, f"Slack doubles: {+(keys - Counter(set(keys)))} ({context})"
    refs = {ref for _, d, ref in alerts if d.startswith("slack:")}
    assert refs == {f"{CHANNEL}:{m['ts']}" for m in top}, f"Slack refs differ ({context})"
    replies = Counter(
        m["metadata"]["event_payload"]["delivery"]
        for m in slack.posted
        if m.get("thread_ts") not in (None, m["ts"])
    )
    wanted = {f"{s}/{i}" for s, i, d, _ in followups if d.startswith("slack:")}
    assert set(replies) == wanted, f"Slack thread replies differ ({context})"
    assert not replies or max(replies.values()) == 1, f"Slack doubles a reply ({context})"

    # Discord bot mode: each alert once (the buttons carry the story id), at the stored ids.
    posted = discord.messages(channel)
    stories = Counter(
        int(row["components"][0]["components"][0]["custom_id"].rpartition(":")[2]) for row in posted
    )
    assert set(stories) == flagged, f"Discord misses stories ({context})"
    assert max(stories.values()) == 1, f"Discord doubles: {+(stories - Counter(set(stories)))}"
    stored = {ref for _, d, ref in alerts if d.startswith("discord:")}
    assert stored == {m["id"] for m in posted}, f"Discord ids differ ({context})"
    for story, _, dest, ref in followups:
        if not dest.startswith("discord:"):
            continue
        parent = next(r for s, d, r in alerts if s == story and d == dest)
        thread = [m["id"] for m in discord.messages(int(parent))]
        assert ref in thread, f"Discord reply {ref} not in its thread ({context})"
    thread_posts = sum(len(discord.messages(int(m["id"]))) for m in posted)
    assert thread_posts == sum(1 for f in followups if f[2].startswith("discord:")), context

    logs = [log.read_text(encoding="utf-8", errors="replace") for log in tmp_path.glob("run-*.log")]
    adopted = sum(text.count("was already posted") for text in logs)
    # Nothing leaves 127.0.0.1: the gateway is the one the stand-in's API names (none).
    assert not any("discord.gg" in text for text in logs), context
    print(
        f"chaos: {adopted} in-doubt sends found already posted and adopted; {KILLS} kills ({dict(moments)}), {len(links)} articles, {len(flagged)} flagged "
        f"stories, {len(followups)} thread replies, 0 lost, 0 doubled; {timing}",
        flush=True,
    )
