"""The real `radar` command against bad configuration, bad input and unusable storage: one line
naming the problem, a non-zero exit, nothing done first; `check-config` finds every case."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_cli import (
    REPO,
    SHIPPED_CONFIG,
    assert_ok,
    assert_one_line_error,
    poll_summary,
    radar,
    radar_env,
    radar_many,
    serve_news,
    show,
    write_config,
)
from tests.feedserver import FeedServer

FEED = '[[feeds]]\nurl = "{url}"\n'
JSONL = '[[outputs]]\ntype = "jsonl"\npath = "{path}"\n'


def config(folder: Path, text: str, name: str = "radar.toml") -> str:
    (folder / name).write_text(text, encoding="utf-8")
    return name


def storage(url: str) -> str:
    return f'[storage]\nurl = "{url}"\n'


# -- storage Radar cannot open -------------------------------------------------------------------


def make_database(folder: Path, name: str = "radar.db") -> Path:
    """A real Radar database (made as every command makes it), checkpointed into one file."""
    from bot.store.repository import Store

    db = folder / name
    Store.open(f"sqlite:///{db}").close()
    config(folder, storage(f"sqlite:///{name}"), f"{Path(name).stem}.toml")
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file read-only for this user, root included (chattr +i), and undo it."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode:
            pytest.skip("running as root without chattr: cannot make a file read-only")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)


def test_storage_radar_cannot_open_is_one_line_in_check_config_and_commands(
    tmp_path: Path,
) -> None:
    """The CLI path; every kind of unusable URL is in tests/unit/test_storage_health.py."""
    (tmp_path / "text.db").write_text("hello, I am not a database\n" * 200, encoding="utf-8")
    config(tmp_path, storage("sqlite:////proc/radar.db"), "proc.toml")
    config(tmp_path, storage("sqlite:///text.db"), "text.toml")
    check_proc, digest_proc, check_text, digest_text = radar_many(
        tmp_path,
        [
            ["check-config", "-c", "proc.toml"],
            ["digest", "-c", "proc.toml"],
            ["check-config", "-c", "text.toml"],
            ["digest", "-c", "text.toml"],
        ],
    )
    assert_one_line_error(check_proc, "proc.toml", "storage.url", "/proc")
    assert_one_line_error(digest_proc, "storage.url", "/proc/radar.db")
    assert_one_line_error(check_text, "text.toml", "storage.url", "not a database")
    assert_one_line_error(digest_text, "storage.url", "not a database")


def test_corrupt_or_read_only_database_fails_check_config_and_start(tmp_path: Path) -> None:
    corrupt = make_database(tmp_path, "corrupt.db")
    data = bytearray(corrupt.read_bytes())
    assert len(data) > 16384
    for i in range(4096, len(data), 7):  # every page but the header page
        data[i] = 0x5A
    corrupt.write_bytes(data)
    locked = make_database(tmp_path, "locked.db")
    with read_only(locked):
        check_corrupt, poll_corrupt, check_locked, poll_locked = radar_many(
            tmp_path,
            [
                ["check-config", "-c", "corrupt.toml"],
                ["poll", "--once", "-c", "corrupt.toml"],
                ["check-config", "-c", "locked.toml"],
                ["poll", "--once", "-c", "locked.toml"],
            ],
        )
    assert_one_line_error(check_corrupt, "storage.url", "malformed", "restore a backup")
    assert_one_line_error(poll_corrupt, "storage.url", "malformed")
    assert_one_line_error(check_locked, "storage.url", "readonly", "read-only for this user")
    assert_one_line_error(poll_locked, "storage.url", "readonly")


def test_full_disk_at_start_is_one_line(tmp_path: Path) -> None:
    """A full disk, for this process: no file may grow past 1 KB (RLIMIT_FSIZE)."""
    make_database(tmp_path)
    config(tmp_path, storage("sqlite:///radar.db") + FEED.format(url="feed.xml"), "full.toml")
    (tmp_path / "feed.xml").write_text("<rss><channel></channel></rss>", encoding="utf-8")

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "poll", "--once", "-c", "full.toml"],
        cwd=tmp_path,
        env=radar_env(),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=full_disk,
    )
    # SQLite reports a write past the limit as an I/O error (EFBIG), a full disk as "full".
    assert_one_line_error(proc, "storage.url", "disk", "full")


# -- the poll interval, timeouts and other bounds ------------------------------------------------


def test_an_interval_the_scheduler_cannot_run_stops_run_before_it_starts(tmp_path: Path) -> None:
    """The CLI path; each bound is in tests/unit/test_settings_limits.py."""
    config(tmp_path, storage("sqlite:///radar.db") + '[poll]\ninterval = "0s"\ntimeout = 0\n')
    check, run = radar_many(
        tmp_path, [["check-config", "-c", "radar.toml"], ["run", "-c", "radar.toml"]]
    )
    for proc in (check, run):
        assert_one_line_error(
            proc, "radar.toml", "poll.interval: 0s is too short: use at least 2s", "poll.timeout"
        )
    assert not (tmp_path / "radar.db").exists()


# -- paths and files that are not what they should be ---------------------------------------------


def test_check_config_finds_what_poll_would_hit(tmp_path: Path) -> None:
    """Problems only this machine can show, all in one line; each case alone is a unit test."""
    (tmp_path / "outdir").mkdir()
    config(
        tmp_path,
        FEED.format(url="not a url")
        + FEED.format(url="feeds/missing.xml")
        + FEED.format(url="file:///dev/zero")
        + JSONL.format(path="/dev/full"),
        "machine.toml",
    )
    config(tmp_path, FEED.format(url="http://") + JSONL.format(path="outdir"), "file.toml")
    machine, file_ = radar_many(
        tmp_path, [["check-config", "-c", "machine.toml"], ["check-config", "-c", "file.toml"]]
    )
    assert_one_line_error(
        machine,
        "feeds[0].url: 'not a url' is neither an http(s):// URL nor an existing file",
        "feeds[1].url: 'feeds/missing.xml'",
        "feeds[2].url: /dev/zero is not a regular file",
        "outputs[0].path: /dev/full is not a regular file",
    )
    assert_one_line_error(
        file_, "feeds[0].url: 'http://' has no host name", "outputs[0].path: outdir is a folder"
    )


def test_deeply_nested_toml_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "deep.toml").write_text("a = " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert_one_line_error(
        radar(tmp_path, "check-config", "-c", "deep.toml"), "deep.toml", "nested too deeply"
    )


def test_every_problem_of_a_digest_table_is_reported(tmp_path: Path) -> None:
    config(
        tmp_path,
        '[[outputs]]\ntype = "slack"\nchannel = "#ai"\n'
        '[outputs.digest]\nat = "25:99"\ntimezone = "Mars/Olympus"\n',
    )
    line = assert_one_line_error(
        radar(tmp_path, "check-config", "-c", "radar.toml"),
        "outputs[0].digest.at: '25:99' is not a time",
        "outputs[0].digest.timezone: 'Mars/Olympus' is not a time zone",
    )
    assert "more" not in line


def test_a_classifier_model_of_the_wrong_shape_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_text(json.dumps({"weights": [1, 2], "bias": 3}))
    config(tmp_path, '[classifier]\nmodel = "model.json"\n')
    check, classify = radar_many(
        tmp_path,
        [["check-config", "-c", "radar.toml"], ["classify", "-c", "radar.toml", "OpenAI hires"]],
    )
    assert_one_line_error(check, "classifier.model", "not a model")
    assert_one_line_error(classify, "classifier.model", "not a model")


# -- options before or after the subcommand ------------------------------------------------------


def test_config_and_verbosity_options_work_in_every_position(tmp_path: Path) -> None:
    config(tmp_path, storage("sqlite:///radar.db"), "mine.toml")
    runs = radar_many(
        tmp_path,
        [
            ["--config", "mine.toml", "check-config"],
            ["-c", "mine.toml", "-q", "check-config"],
            ["check-config", "-v", "--config=mine.toml"],
            ["feeds", "list", "-q", "-c", "mine.toml"],
            ["-v", "digest", "--since", "7d", "-c", "mine.toml"],
        ],
    )
    for proc in runs:
        assert_ok(proc)
    for proc in runs[:3]:
        assert "ok mine.toml" in proc.stdout, show(proc)
    # The shipped config's own instruction, word for word.
    assert "`radar --config PATH ...`" in SHIPPED_CONFIG.read_text(encoding="utf-8")
    shipped = radar(REPO, "--config", str(SHIPPED_CONFIG), "check-config")
    assert_ok(shipped)


def test_demo_accepts_the_global_options(tmp_path: Path) -> None:
    config(tmp_path, storage("sqlite:///radar.db"), "mine.toml")
    proc = radar(tmp_path, "demo", "-q", "-c", "mine.toml", "--keep", "kept")
    assert_ok(proc)
    assert (tmp_path / "kept" / "alerts.jsonl").stat().st_size > 0


# -- classify, demo --keep, train --out -----------------------------------------------------------


def test_classify_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    """The CLI path; each malformed record is in tests/unit/test_classify_input.py."""
    (tmp_path / "latin1.jsonl").write_bytes(
        json.dumps({"id": 1, "title": "ok"}).encode() + b"\n" + b'{"id": 2, "title": "caf\xe9"}\n'
    )
    (tmp_path / "folder").mkdir()
    latin1, missing, folder, empty = radar_many(
        tmp_path,
        [
            ["classify", "latin1.jsonl"],
            ["classify", "missing.jsonl"],
            ["classify", "folder"],
            ["classify", ""],
        ],
    )
    no_lang = radar(tmp_path, "classify", stdin='{"id": "a", "title": "t", "lang": "de"}\n')
    assert_one_line_error(latin1, "line 2", "not UTF-8")
    assert_one_line_error(missing, "missing.jsonl", "no such file")
    assert_one_line_error(folder, "folder is a folder")
    assert_one_line_error(empty, "nothing to classify")
    assert_one_line_error(no_lang, "line 1", "'lang' 'de' is not supported")


def test_demo_keep_needs_a_folder_it_can_write(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "odd" / "demo.db").mkdir(parents=True)  # a folder where the demo's file goes
    file_, under_file, proc_, odd = radar_many(
        tmp_path,
        [
            ["demo", "--keep", "afile"],
            ["demo", "--keep", "afile/sub"],
            ["demo", "--keep", "/proc/radar-demo/sub"],
            ["demo", "--keep", "odd"],
        ],
    )
    assert_one_line_error(file_, "--keep", "afile is a file")
    assert_one_line_error(under_file, "--keep", "afile is a file")
    assert_one_line_error(proc_, "--keep", "/proc/radar-demo")
    assert_one_line_error(odd, "--keep", "demo.db")
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "x"


def test_train_checks_its_output_path_before_training(tmp_path: Path) -> None:
    """Training takes minutes: a bad --out must fail first (the subprocess timeout would catch a
    traceback that only came after training)."""
    config(tmp_path, storage("sqlite:///radar.db"))
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    folder, under_file, device = radar_many(
        tmp_path,
        [
            ["train", "-c", "radar.toml", "--out", str(tmp_path)],
            ["train", "-c", "radar.toml", "--out", "afile/model.json"],
            ["train", "-c", "radar.toml", "--out", "/dev/full"],
        ],
    )
    assert_one_line_error(folder, "train --out", "is a folder")
    assert_one_line_error(under_file, "train --out", "afile is a file")
    assert_one_line_error(device, "train --out", "/dev/full is not a regular file")


# -- poll --once output ----------------------------------------------------------------------------


def test_poll_summary_on_stdout_and_each_failure_once(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    serve_news(feed_server)
    feed_server.add("/broken.xml", status=500, body=b"boom")
    write_config(tmp_path, feed_server, "/en-0.xml", "/broken.xml")
    broken = feed_server.url("/broken.xml")
    proc = radar(tmp_path, "poll", "--once", "-c", "radar.toml")
    assert_ok(proc)
    assert poll_summary(proc.stdout)["failed"] == 1
    assert "polled" not in proc.stderr, show(proc)
    assert (proc.stdout + proc.stderr).count(broken) == 1, show(proc)
