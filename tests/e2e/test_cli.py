"""The real `radar` console script in subprocesses: exit codes, output, files, signals, restarts.

Every test runs `python -m bot.cli ...` in its own temporary folder, against the real feed server of
tests/feedserver.py (reachable from subprocesses) and a real SQLite file.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import read_alerts
from tests.feeds import AGI_TAX, ARC, FOOTBALL, META_HIRE, PRODUCT, Item, recent, rss
from tests.feedserver import FeedServer, Route

REPO = Path(__file__).resolve().parents[2]
SHIPPED_CONFIG = REPO / "config" / "radar.toml"
FLAGGED_TITLES = {META_HIRE.title, ARC.title}
TIMEOUT = 60.0

MINIMAL_CONFIG = """\
[storage]
url = "sqlite:///radar.db"

[[feeds]]
url = "http://127.0.0.1:PORT/en-0.xml"

[[outputs]]
type = "jsonl"
path = "alerts.jsonl"
topics = ["talent_war", "agi"]
"""


# -- helpers ----------------------------------------------------------------------------------


def radar_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("RADAR_CONFIG", None)
    # Wide enough that rich never wraps a table row, and UTF-8 whatever the locale.
    env.update(COLUMNS="220", PYTHONIOENCODING="utf-8")
    env.update(extra)
    return env


def radar(
    cwd: Path,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=env or radar_env(),
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )


def radar_many(
    cwd: Path, commands: Sequence[Sequence[str]], env: dict[str, str] | None = None
) -> list[subprocess.CompletedProcess[str]]:
    """Independent commands side by side (each one still a separate, real process)."""
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return list(pool.map(lambda args: radar(cwd, *args, env=env), commands))


def popen(cwd: Path, *args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=cwd,
            env=radar_env(),
            stdin=subprocess.DEVNULL,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )


def show(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def assert_ok(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 0, show(proc)
    assert "Traceback" not in proc.stderr, show(proc)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """A user mistake: non-zero exit, no traceback, one line on stderr naming what is wrong."""
    assert proc.returncode != 0, show(proc)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, show(proc)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, show(proc)
    line = lines[0]
    assert line.startswith("radar: error:"), show(proc)
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


def cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"[┃│|]", line) if c.strip()]


def poll_summary(stdout: str) -> dict[str, int]:
    """The 'Poll cycle' table of `radar poll` (its output, on stdout), as {column: value}."""
    lines = stdout.splitlines()
    for i, line in enumerate(lines):
        if "polled" in line and "not modified" in line:
            header = cells(line)
            for row in lines[i + 1 :]:
                values = cells(row)
                if len(values) == len(header) and all(v.isdigit() for v in values):
                    return dict(zip(header, map(int, values), strict=True))
    raise AssertionError(f"no poll summary table on stdout:\n{stdout}")


def write_config(folder: Path, server: FeedServer, *paths: str, extra: str = "") -> Path:
    """The issue's minimal config, with one [[feeds]] per path on the feed server."""
    head, feed, outputs = MINIMAL_CONFIG.split("\n\n")
    feeds = "\n\n".join(
        feed.replace("http://127.0.0.1:PORT/en-0.xml", server.url(p)) for p in paths
    )
    text = "\n\n".join(part for part in (head, extra.strip(), feeds, outputs) if part)
    path = folder / "radar.toml"
    path.write_text(text, encoding="utf-8")
    return path


def serve_news(server: FeedServer, path: str = "/en-0.xml", etag: str = '"v1"') -> Route:
    items = [
        Item(i.title, i.link, i.description, published=recent())
        for i in (META_HIRE, ARC, FOOTBALL, AGI_TAX, PRODUCT)
    ]
    return server.add(path, body=rss(items), etag=etag)


def unique_alerts(path: Path) -> list[dict[str, Any]]:
    alerts = read_alerts(path)
    ids = [a["story_id"] for a in alerts]
    assert len(ids) == len(set(ids)), f"duplicate story_id in {path}: {ids}"
    return alerts


def db_rows(db: Path, query: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """The shared feed server, also recording the status of every response it gives."""
    srv = FeedServer()
    statuses: list[tuple[str, int]] = []
    handle = srv._handle

    async def recording(request: Any) -> Any:
        response = await handle(request)
        statuses.append((request.path, response.status))
        return response

    srv._handle = recording  # type: ignore[method-assign]
    srv.statuses = statuses  # type: ignore[attr-defined]
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


# -- 1. the minimal config, poll --once twice ------------------------------------------------------


def test_minimal_config_poll_once_then_304(server: FeedServer, tmp_path: Path) -> None:
    route = serve_news(server)
    (tmp_path / "radar.toml").write_text(
        MINIMAL_CONFIG.replace("PORT", str(server.port)), encoding="utf-8"
    )

    first = radar(tmp_path, "poll", "--once", "-c", "radar.toml")
    assert_ok(first)
    alerts = unique_alerts(tmp_path / "alerts.jsonl")
    assert len(alerts) == 2, alerts
    assert {a["title"] for a in alerts} == FLAGGED_TITLES
    assert (tmp_path / "radar.db").exists()  # relative to the working directory
    summary = poll_summary(first.stdout)
    for column in ("polled", "not modified", "failed", "new items"):
        assert column in summary, show(first)
    assert summary["polled"] == 1 and summary["failed"] == 0 and summary["not modified"] == 0
    assert summary["new items"] == 5
    assert summary.get("alerts sent") == 2
    content = (tmp_path / "alerts.jsonl").read_bytes()

    second = radar(tmp_path, "poll", "--once", "-c", "radar.toml")
    assert_ok(second)
    assert route.conditional_hits == 1
    assert server.statuses == [("/en-0.xml", 200), ("/en-0.xml", 304)]  # type: ignore[attr-defined]
    assert (tmp_path / "alerts.jsonl").read_bytes() == content
    summary = poll_summary(second.stdout)
    assert summary["not modified"] == 1 and summary["new items"] == 0, show(second)
    assert summary["polled"] == 0 and summary["failed"] == 0


# -- 2. one failing feed --------------------------------------------------------------------------


def test_failing_feed_does_not_fail_the_poll(server: FeedServer, tmp_path: Path) -> None:
    serve_news(server)
    server.add("/broken.xml", status=500, body=b"boom")
    write_config(tmp_path, server, "/en-0.xml", "/broken.xml")
    broken = server.url("/broken.xml")

    proc = radar(tmp_path, "poll", "--once", "-c", "radar.toml")
    assert_ok(proc)
    summary = poll_summary(proc.stdout)
    assert (summary["polled"], summary["failed"]) == (1, 1), show(proc)
    output = proc.stdout + proc.stderr
    assert re.search(rf"{re.escape(broken)}\S*:? .*500", output), show(proc)
    assert {a["title"] for a in unique_alerts(tmp_path / "alerts.jsonl")} == FLAGGED_TITLES

    listing = radar(tmp_path, "feeds", "list", "-c", "radar.toml")
    assert_ok(listing)
    rows = [line for line in listing.stdout.splitlines() if "/broken.xml" in line]
    assert len(rows) == 1, show(listing)
    assert "500" in rows[0] and "failing" in rows[0], show(listing)
    ok_rows = [line for line in listing.stdout.splitlines() if "/en-0.xml" in line]
    assert len(ok_rows) == 1 and "500" not in ok_rows[0], show(listing)


# -- 3. configuration errors ---------------------------------------------------------------------


def test_config_errors_are_one_actionable_line(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('[storage\nurl = "sqlite:///radar.db"\n', encoding="utf-8")
    (tmp_path / "unknown.toml").write_text(
        '[storage]\nurl = "sqlite:///radar.db"\ncolour = "red"\n', encoding="utf-8"
    )
    (tmp_path / "badval.toml").write_text('[poll]\ninterval = "abc"\n', encoding="utf-8")
    (tmp_path / "good.toml").write_text(MINIMAL_CONFIG.replace("PORT", "8080"), encoding="utf-8")

    missing, invalid, unknown, bad_value, poll_missing, run_bad, shipped = radar_many(
        tmp_path,
        [
            ["check-config", "-c", "nope.toml"],
            ["check-config", "-c", "bad.toml"],
            ["check-config", "-c", "unknown.toml"],
            ["check-config", "-c", "badval.toml"],
            ["poll", "--once", "-c", "nope.toml"],
            ["run", "-c", "badval.toml"],
            ["check-config", "-c", str(SHIPPED_CONFIG)],
        ],
    )
    assert_one_line_error(missing, "nope.toml", "not found")
    assert_one_line_error(invalid, "bad.toml", "TOML", "line 1")
    assert_one_line_error(unknown, "unknown.toml", "storage.colour", "unknown key")
    assert_one_line_error(bad_value, "badval.toml", "poll.interval", "abc")
    assert_one_line_error(poll_missing, "nope.toml", "not found")
    assert_one_line_error(run_bad, "badval.toml", "poll.interval")
    assert not (tmp_path / "radar.db").exists()  # nothing ran on a bad config

    assert_ok(shipped)
    feeds = len(tomllib.loads(SHIPPED_CONFIG.read_text(encoding="utf-8"))["feeds"])
    assert "ok" in shipped.stdout and str(SHIPPED_CONFIG) in shipped.stdout, show(shipped)
    assert f"{feeds} feeds" in shipped.stdout, show(shipped)

    # RADAR_CONFIG selects the file when --config is absent.
    env_bad, env_good = (
        radar(tmp_path, "check-config", env=radar_env(RADAR_CONFIG=name))
        for name in ("badval.toml", "good.toml")
    )
    assert_one_line_error(env_bad, "badval.toml", "poll.interval")
    assert_ok(env_good)
    assert "ok" in env_good.stdout and "good.toml" in env_good.stdout, show(env_good)
    assert "1 feeds" in env_good.stdout, show(env_good)


# -- 4. classify -----------------------------------------------------------------------------------

CLASSIFY_INPUT = [
    {
        "id": "a",
        "title": META_HIRE.title,
        "summary": (
            '<p>Meta has hired <b>OpenAI</b> researchers Jason Wei and Hyung Won Chung to join <a href="'
            'https://meta.example/msl">Meta Superintelligence Labs</a>, according to people familiar '
            "with the matter.</p><p>The pair, known for their work on chain-of-thought prompting and "
            "reasoning models, are the latest in a string of high-profile departures from OpenAI to "
            "Meta, which has offered pay packages worth tens of millions of dollars.</p>"
        ),
    },
    {"id": "b", "title": FOOTBALL.title, "summary": FOOTBALL.description},
    {"id": "c", "title": AGI_TAX.title, "summary": AGI_TAX.description},
    {
        "id": "d",
        "title": "Yann LeCun quitte Meta pour fonder sa start-up",
        "summary": "Le directeur scientifique de l'IA de Meta, Yann LeCun, quitte le groupe pour "
        "fonder sa propre start-up.",
        "lang": "fr",
    },
]


def test_classify_contract(tmp_path: Path) -> None:
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in CLASSIFY_INPUT)
    (tmp_path / "items.jsonl").write_text(lines, encoding="utf-8")
    bad_input = lines.splitlines()[0] + "\n" + '{"id": "x", "title": oops}\n'
    commands: list[tuple[list[str], str | None]] = [
        (["classify"], lines),
        (["classify", "items.jsonl"], None),
        (["classify", META_HIRE.title], None),
        (["classify"], bad_input),
    ]
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        from_stdin, from_file, headline, malformed = pool.map(
            lambda c: radar(tmp_path, *c[0], stdin=c[1]), commands
        )

    assert_ok(from_stdin)
    out = [json.loads(line) for line in from_stdin.stdout.splitlines() if line.strip()]
    assert [o["id"] for o in out] == ["a", "b", "c", "d"]
    for o in out:
        assert set(o) == {"id", "labels", "scores", "reasons", "move", "summary"}, o
        assert set(o["scores"]) == {"talent_war", "agi"}, o
        for score in o["scores"].values():
            assert isinstance(score, float) and 0.0 <= score <= 1.0, o
        assert isinstance(o["reasons"], dict), o
        assert all(isinstance(v, list) for v in o["reasons"].values()), o
        assert o["move"] is None or isinstance(o["move"], dict), o
        assert isinstance(o["summary"], str) and 0 < len(o["summary"]) <= 280, o
        assert not re.search(r"<[a-zA-Z/][^>]*>", o["summary"]), o
    meta, football, tax, french = out
    assert set(meta["labels"]) == {"talent_war", "agi"}
    assert meta["move"]["people"] == ["Jason Wei", "Hyung Won Chung"]
    assert (meta["move"]["from"], meta["move"]["to"]) == ("OpenAI", "Meta")
    assert meta["reasons"]["talent_war"] and meta["reasons"]["agi"]
    assert "Jason Wei" in meta["summary"]
    assert football["labels"] == [] and tax["labels"] == []
    assert football["move"] is None and tax["move"] is None
    assert french["labels"] == ["talent_war"]
    assert french["move"]["people"] == ["Yann LeCun"] and french["move"]["from"] == "Meta"

    assert_ok(from_file)
    assert from_file.stdout == from_stdin.stdout

    assert_ok(headline)
    assert re.search(r"FLAGGED\s+Talent war\s+\d\.\d\d", headline.stdout), show(headline)
    assert re.search(r"FLAGGED\s+AGI race\s+\d\.\d\d", headline.stdout), show(headline)
    assert "Jason Wei, Hyung Won Chung: OpenAI → Meta" in headline.stdout, show(headline)

    assert_one_line_error(malformed, "line 2")


# -- 5. eval ---------------------------------------------------------------------------------------


def test_eval_reports_scores_per_label_and_language(tmp_path: Path) -> None:
    proc = radar(tmp_path, "eval")
    assert_ok(proc)
    text = proc.stdout
    for word in ("precision", "recall", "F1"):
        assert word in text, show(proc)
    seen = set()
    for line in text.splitlines():
        row = cells(line)
        if len(row) >= 5 and row[0] in ("talent_war", "agi"):
            precision, recall, f1 = (float(v) for v in row[2:5])
            assert all(0.0 <= v <= 1.0 for v in (precision, recall, f1)), line
            seen.add((row[0], row[1]))
    assert {("talent_war", "en"), ("talent_war", "fr"), ("agi", "en"), ("agi", "fr")} <= seen
    match = re.search(r"Mistakes \((\d+)\)", text)
    assert match, show(proc)
    listed = re.findall(
        r"^\s+(?:false positive|missed)\s+(?:talent_war|agi)\s+\d\.\d\d (?:en|fr) \S",
        text,
        re.MULTILINE,
    )
    assert len(listed) == min(int(match.group(1)), 50) > 0, show(proc)


# -- 6. demo ---------------------------------------------------------------------------------------


def test_demo_runs_offline_quickly(tmp_path: Path) -> None:
    started = time.monotonic()
    plain, kept = radar_many(tmp_path, [["demo"], ["demo", "--keep", "keep"]])
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"demo took {elapsed:.1f}s"

    for proc in (plain, kept):
        assert_ok(proc)
        text = proc.stdout
        assert re.search(r"╭─+ .*Talent war", text), show(proc)
        assert re.search(r"╭─+ AGI race", text), show(proc)
        # The Meta hire is one story covered by several outlets: one panel, not one per outlet.
        assert text.count("Move: Jason Wei, Hyung Won Chung: OpenAI → Meta") == 1, show(proc)
        assert "Digest" in text and "Top stories" in text, show(proc)
        assert re.search(r"^\s*1\. \[", text, re.MULTILINE), show(proc)

    alerts = unique_alerts(tmp_path / "keep" / "alerts.jsonl")
    assert alerts
    meta = [a for a in alerts if "Jason Wei" in a["title"]]
    assert len(meta) == 1, [a["title"] for a in alerts]
    assert len(meta[0]["also"]) >= 1 and meta[0]["url"] not in meta[0]["also"], meta[0]
    assert {a["language"] for a in alerts} == {"en", "fr"}
    assert not list(tmp_path.glob("*.db"))  # the plain demo leaves nothing behind


# -- 7. digest, why, moves -------------------------------------------------------------------------


def test_digest_why_and_moves_after_a_poll(server: FeedServer, tmp_path: Path) -> None:
    serve_news(server)
    write_config(tmp_path, server, "/en-0.xml")
    assert_ok(radar(tmp_path, "poll", "--once", "-c", "radar.toml"))
    alerts = {a["title"]: a for a in unique_alerts(tmp_path / "alerts.jsonl")}
    meta = alerts[META_HIRE.title]
    sid = str(meta["story_id"])

    (
        digest_day,
        digest_agi,
        digest_talent,
        why_id,
        why_url,
        moves,
        banana,
        no_story,
    ) = radar_many(
        tmp_path,
        [
            ["digest", "--since", "24h", "-c", "radar.toml"],
            ["digest", "--since", "7d", "--topic", "agi", "-c", "radar.toml"],
            ["digest", "--since", "7d", "--topic", "talent", "-c", "radar.toml"],
            ["why", sid, "-c", "radar.toml"],
            ["why", META_HIRE.link, "-c", "radar.toml"],
            ["moves", "--since", "30d", "-c", "radar.toml"],
            ["digest", "--since", "banana", "-c", "radar.toml"],
            ["why", "999999", "-c", "radar.toml"],
        ],
    )

    assert_ok(digest_day)
    assert "24h" in digest_day.stdout
    assert META_HIRE.title in digest_day.stdout and ARC.title in digest_day.stdout
    for negative in (FOOTBALL, AGI_TAX, PRODUCT):
        assert negative.title not in digest_day.stdout, show(digest_day)
    assert "Jason Wei, Hyung Won Chung: OpenAI → Meta" in digest_day.stdout

    assert_ok(digest_agi)
    assert "AGI race" in digest_agi.stdout
    assert ARC.title in digest_agi.stdout and META_HIRE.title in digest_agi.stdout
    assert_ok(digest_talent)
    assert META_HIRE.title in digest_talent.stdout and ARC.title not in digest_talent.stdout

    for proc in (why_id, why_url):
        assert_ok(proc)
        assert f"Story {sid}:" in proc.stdout, show(proc)
        for reason in meta["reasons"]["talent_war"] + meta["reasons"]["agi"]:
            assert reason in proc.stdout, show(proc)
        assert "Jason Wei, Hyung Won Chung: OpenAI → Meta" in proc.stdout, show(proc)
    assert why_id.stdout == why_url.stdout

    assert_ok(moves)
    assert "Jason Wei" in moves.stdout and "Net flow" in moves.stdout, show(moves)
    flow = {row[0]: row[1:] for row in map(cells, moves.stdout.splitlines()) if len(row) == 4}
    assert flow.get("Meta") == ["2", "0", "+2"], show(moves)
    assert flow.get("OpenAI") == ["0", "2", "-2"], show(moves)

    assert_one_line_error(banana, "--since", "banana")
    assert_one_line_error(no_story, "999999")


# -- 8. the outbox survives a crash ------------------------------------------------------------


def test_killed_during_delivery_then_restart_delivers_each_story_once(
    server: FeedServer, tmp_path: Path
) -> None:
    serve_news(server)
    write_config(tmp_path, server, "/en-0.xml")
    fifo = tmp_path / "alerts.jsonl"
    os.mkfifo(fifo)  # opening it blocks: the process hangs inside delivery
    db = tmp_path / "radar.db"

    def pending() -> bool:
        try:
            return bool(db_rows(db, "SELECT id FROM deliveries WHERE status = 'pending'"))
        except sqlite3.Error:  # not created or not migrated yet
            return False

    proc = popen(tmp_path, "poll", "--once", "-c", "radar.toml", log=tmp_path / "poll.log")
    try:
        wait_for(pending, 30, "pending deliveries")
        assert proc.poll() is None, (tmp_path / "poll.log").read_text()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    flagged = db_rows(db, "SELECT id, title FROM stories WHERE flagged")
    assert {title for _, title in flagged} == FLAGGED_TITLES
    queued = db_rows(db, "SELECT story_id, status FROM deliveries")
    # Nothing was sent; the row the dead sender had claimed is 'sending' under its lease.
    assert sorted(sid for sid, _ in queued) == sorted(sid for sid, _ in flagged)
    assert {status for _, status in queued} <= {"pending", "sending"}

    fifo.unlink()
    again = radar(tmp_path, "poll", "--once", "-c", "radar.toml")
    assert_ok(again)
    alerts = unique_alerts(tmp_path / "alerts.jsonl")
    assert len(alerts) == 2 and {a["title"] for a in alerts} == FLAGGED_TITLES
    assert {a["story_id"] for a in alerts} == {sid for sid, _ in flagged}
    assert db_rows(db, "SELECT DISTINCT status FROM deliveries") == [("sent",)]
    assert poll_summary(again.stdout)["alerts sent"] == 2


# -- 9. radar run as a service ---------------------------------------------------------------


def test_run_is_a_service_stopped_by_signals(server: FeedServer, tmp_path: Path) -> None:
    route = serve_news(server)
    # A short interval, so that the second start finds the feed due and fetches it again.
    write_config(tmp_path, server, "/en-0.xml", extra='[poll]\ninterval = "2s"\njitter = "0s"')
    alerts_path = tmp_path / "alerts.jsonl"
    log = tmp_path / "run.log"

    proc = popen(tmp_path, "run", "-c", "radar.toml", log=log)
    try:
        wait_for(lambda: len(read_alerts(alerts_path)) >= 2, 30, "the alerts of `radar run`")
        assert proc.poll() is None, log.read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, log.read_text()
    finally:
        stop(proc)
    text = log.read_text(encoding="utf-8")
    assert "stopping" in text.lower() and "Traceback" not in text, text
    content = alerts_path.read_bytes()
    assert {a["title"] for a in unique_alerts(alerts_path)} == FLAGGED_TITLES

    # Restart with a changed ETag: the whole feed comes back, yet no story alerts twice.
    route.etag = '"v2"'
    hits, before = route.hits, len(server.statuses)  # type: ignore[attr-defined]
    log2 = tmp_path / "run2.log"
    proc = popen(tmp_path, "run", "-c", "radar.toml", log=log2)
    try:
        wait_for(
            lambda: "running" in log2.read_text(encoding="utf-8") and route.hits > hits,
            30,
            "the second `radar run` to poll",
        )
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0, log2.read_text()
    finally:
        stop(proc)
    text = log2.read_text(encoding="utf-8")
    assert "stopping" in text.lower() and "Traceback" not in text, text
    assert ("/en-0.xml", 200) in server.statuses[before:]  # type: ignore[attr-defined]
    assert alerts_path.read_bytes() == content


# -- chat outputs in check-config ---------------------------------------------------------------


def test_check_config_names_chat_outputs_it_must_skip(tmp_path: Path) -> None:
    (tmp_path / "radar.toml").write_text(
        '[[outputs]]\ntype = "discord_webhook"\nurl_env = "RADAR_NO_SUCH_VARIABLE"\n'
        '[[outputs]]\ntype = "slack"\nchannel = "#ai-news"\n',
        encoding="utf-8",
    )
    env = radar_env()
    for name in ("SLACK_BOT_TOKEN", "DISCORD_TOKEN", "RADAR_NO_SUCH_VARIABLE"):
        env.pop(name, None)
    missing = radar(tmp_path, "check-config", "-c", "radar.toml", env=env)
    assert_one_line_error(missing, "RADAR_NO_SUCH_VARIABLE", "is not set")

    env["RADAR_NO_SUCH_VARIABLE"] = (
        "https://discord.com/api/webhooks/123456789012345678/" + "t" * 30
    )
    ok = radar(tmp_path, "check-config", "-c", "radar.toml", env=env)
    assert_ok(ok)
    assert "skipped output slack:#ai-news: its token is not set" in ok.stdout
    assert "t" * 30 not in ok.stdout + ok.stderr
