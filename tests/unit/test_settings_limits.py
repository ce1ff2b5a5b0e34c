"""Settings refuse what the service cannot run or use: bounds, paths, deep TOML, wrong models; and
report every problem at once. Also the CLI's option hoisting and the log filters."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.core.classify import LinearModel
from bot.core.durations import format_duration, parse_duration
from bot.errors import ConfigError
from bot.settings import environment_problems, load_settings, settings_from_dict


def problem(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as err:
        settings_from_dict(data)
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("poll", "expected"),
    [
        ({"interval": "0s"}, "poll.interval: 0s is too short: use at least 2s"),
        ({"interval": 1}, "poll.interval: 1s is too short: use at least 2s"),
        ({"interval": 1.5}, "use at least 2s"),
        ({"interval": 1e308}, "poll.interval: 1e+308 is too long a duration"),
        ({"interval": float("inf")}, "too long a duration"),
        ({"interval": float("nan")}, "too long a duration"),
        ({"interval": "99999999999d"}, "poll.interval: '99999999999d' is too long a duration"),
        ({"interval": "400d"}, "poll.interval: 400d is too long: use at most 365d"),
        ({"timeout": 0}, "poll.timeout: 0s is too short: use at least 0.1s"),
        ({"timeout": "0s"}, "poll.timeout"),
        ({"timeout": -1}, "poll.timeout: a duration cannot be negative"),
        ({"timeout": "2h"}, "poll.timeout: 2h is too long: use at most 10m"),
        ({"connect_timeout": 0}, "poll.connect_timeout"),
        ({"jitter": "2d"}, "poll.jitter: 2d is too long"),
        ({"max_backoff": "0s"}, "poll.max_backoff"),
        ({"max_body": 0}, "poll.max_body"),
        ({"max_body": "10GB"}, "poll.max_body"),
    ],
)
def test_poll_values_the_service_cannot_run_are_refused(
    poll: dict[str, Any], expected: str
) -> None:
    assert expected in problem({"poll": poll})


def test_feed_intervals_and_other_durations_have_bounds_too() -> None:
    assert "feeds[0].interval: 1s is too short" in problem(
        {"feeds": [{"url": "http://example.com/f", "interval": "1s"}]}
    )
    assert "stories.window" in problem({"stories": {"window": "0s"}})
    assert "slack.per_channel_interval" in problem({"slack": {"per_channel_interval": "1h"}})


def test_the_bounds_themselves_are_accepted() -> None:
    settings = settings_from_dict(
        {
            "poll": {"interval": "2s", "timeout": "10m", "jitter": 0, "first_poll_window": "3650d"},
            "feeds": [{"url": "http://example.com/f", "interval": "365d"}],
        }
    )
    assert (settings.poll.interval, settings.poll.timeout) == (2.0, 600.0)
    assert settings.feeds[0].interval == 365 * 86400.0


def test_durations_are_finite_and_spelt_back_in_the_users_units() -> None:
    assert parse_duration("10m") == 600.0
    for bad in (1e999, "99999999999d", "999999999999999999999w"):
        with pytest.raises(ValueError, match="too long"):
            parse_duration(bad)
    assert [format_duration(s) for s in (2, 90, 600, 7200, 86400 * 365, 0.5)] == [
        "2s",
        "90s",
        "10m",
        "2h",
        "365d",
        "0.5s",
    ]


def test_every_problem_is_reported_not_the_first_and_a_count() -> None:
    message = problem(
        {
            "outputs": [
                {"type": "slack", "channel": "#ai", "digest": {"at": "25:99", "timezone": "Mars/X"}}
            ]
        }
    )
    assert "outputs[0].digest.at: '25:99' is not a time like 09:00" in message
    assert "outputs[0].digest.timezone: 'Mars/X' is not a time zone name" in message
    assert "more" not in message
    many = problem({"feeds": [{"url": "http://"} for _ in range(15)]})
    assert many.count("has no host name") == 10 and many.endswith("and 5 more")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"storage": {"url": "sqlite:////etc/passwd/radar.db"}},
            "/etc/passwd is a file, not a folder",
        ),
        (
            {"storage": {"url": "sqlite:////etc/passwd/a/b.db"}},
            "/etc/passwd is a file, not a folder",
        ),
        ({"storage": {"url": "sqlite:////no/such/folder/r.db"}}, "folder /no/such/folder does not"),
        ({"storage": {"url": "sqlite:////tmp"}}, "storage.url: /tmp is a folder, not a file"),
        ({"storage": {"url": "sqlite:////dev/full"}}, "/dev/full is not a regular file"),
        ({"storage": {"url": "sqlite:////tmp/a\x00.db"}}, "storage.url: contains a NUL byte"),
        ({"storage": {"url": "postgresql://x/y"}}, "only sqlite:/// URLs"),
        ({"feeds": [{"url": "http://"}]}, "feeds[0].url: 'http://' has no host name"),
        ({"feeds": [{"url": "https:///path"}]}, "has no host name"),
        ({"feeds": [{"url": "http://a b.com/"}]}, "contains spaces"),
        ({"feeds": [{"url": "http://example.com:99999/"}]}, "is not a valid URL"),
        ({"feeds": [{"url": "/tmp"}]}, "feeds[0].url: /tmp is a folder, not a file"),
        ({"feeds": [{"url": "file:///tmp"}]}, "feeds[0].url: /tmp is a folder"),
        ({"feeds": [{"url": "feed\x00.xml"}]}, "feeds[0].url: contains a NUL byte"),
        ({"outputs": [{"type": "jsonl", "path": "/tmp"}]}, "outputs[0].path: /tmp is a folder"),
        ({"outputs": [{"type": "jsonl", "path": "/etc/passwd/a.jsonl"}]}, "/etc/passwd is a file"),
        ({"outputs": [{"type": "jsonl", "path": "a\x00.jsonl"}]}, "path: contains a NUL byte"),
        ({"classifier": {"model": "/dev/zero"}}, "classifier.model: /dev/zero is not a regular"),
        ({"classifier": {"model": "m\x00.json"}}, "classifier.model: contains a NUL byte"),
    ],
)
def test_paths_that_cannot_be_used_are_refused(data: dict[str, Any], expected: str) -> None:
    assert expected in problem(data)


def test_deep_or_huge_toml_is_one_line(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_settings(deep)
    with pytest.raises(ConfigError, match="is not a regular file"):
        load_settings("/dev/zero")


def test_environment_problems_are_what_check_config_adds(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text("<rss/>", encoding="utf-8")
    settings = settings_from_dict(
        {
            "feeds": [
                {"url": "not a url"},
                {"url": str(tmp_path / "feed.xml")},
                {"url": f"file://{tmp_path}/gone.xml"},
                {"url": "file:///dev/zero"},
                {"url": "http://example.com/f"},
                {"url": "disabled.xml", "enabled": False},
            ],
            "outputs": [
                {"type": "jsonl", "path": "/dev/full"},
                {"type": "jsonl", "path": str(tmp_path / "new" / "alerts.jsonl")},
            ],
        },
        source=tmp_path / "radar.toml",
    )
    problems = environment_problems(settings)
    assert problems == [
        f"{tmp_path / 'radar.toml'}: feeds[0].url: 'not a url' is neither an http(s):// URL "
        "nor an existing file",
        f"{tmp_path / 'radar.toml'}: feeds[2].url: 'file://{tmp_path}/gone.xml' is neither an "
        "http(s):// URL nor an existing file",
        f"{tmp_path / 'radar.toml'}: feeds[3].url: /dev/zero is not a regular file "
        "(a device, pipe or socket)",
        f"{tmp_path / 'radar.toml'}: outputs[0].path: /dev/full is not a regular file "
        "(a device, pipe or socket)",
    ]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("[1, 2]", "expected a JSON object"),
        (
            '{"weights": [1], "bias": {}, "thresholds": {"agi": 1, "talent_war": 1}}',
            "'weights' must be an object",
        ),
        ('{"weights": {}, "bias": {}, "thresholds": {"agi": 0.5}}', "no threshold for talent_war"),
        (
            '{"weights": {"agi": {"x": "heavy"}}, "bias": {}, '
            '"thresholds": {"agi": 0.5, "talent_war": 0.5}}',
            "weights.agi must map names to numbers",
        ),
        ("not json", "not a JSON model file"),
    ],
)
def test_a_model_file_of_the_wrong_shape_is_a_value_error(
    tmp_path: Path, payload: str, expected: str
) -> None:
    path = tmp_path / "model.json"
    path.write_text(payload, encoding="utf-8")
    with pytest.raises(ValueError, match=expected):
        LinearModel.load(path)


def test_check_config_loads_the_model_as_the_service_would(tmp_path: Path) -> None:
    from bot.app import build_understander

    (tmp_path / "model.json").write_text(json.dumps({"weights": {}, "bias": 1}), encoding="utf-8")
    settings = settings_from_dict({"classifier": {"model": str(tmp_path / "model.json")}})
    with pytest.raises(ConfigError, match=r"classifier.model: cannot load .*not a model"):
        build_understander(settings)


# -- the command line's global options ---------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["check-config", "-c", "x.toml"], ["-c", "x.toml", "check-config"]),
        (["--config", "x", "check-config"], ["--config", "x", "check-config"]),
        (["feeds", "list", "-q", "--config=y"], ["-q", "--config=y", "feeds", "list"]),
        (["demo", "-vv", "--keep", "d"], ["-vv", "demo", "--keep", "d"]),
        (["classify", "--", "-q"], ["classify", "--", "-q"]),
        (["digest", "--since", "7d", "-v"], ["-v", "digest", "--since", "7d"]),
    ],
)
def test_global_options_move_in_front_of_the_subcommand(
    argv: list[str], expected: list[str]
) -> None:
    from bot.cli import hoist_global_options

    assert hoist_global_options(argv) == expected


# -- library noise ----------------------------------------------------------------------------


@pytest.mark.parametrize("verbosity", [0, 2])
async def test_known_library_warnings_are_dropped_unless_debugging(
    verbosity: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real libraries, built as Radar builds them: discord.py warns about voice and intents,
    Bolt about a token it will not use. Debug output (-vv) keeps them."""
    import discord
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.logs import setup_logging

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token-for-bolt")
    # discord.py warns about voice once per process; let this test's client be the first.
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)
    stream = io.StringIO()
    setup_logging(verbosity)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        client = discord.Client(intents=discord.Intents.none())
        AsyncApp(
            client=AsyncWebClient(token="xoxb-test-token-for-bolt"),
            signing_secret="s" * 32,
            logger=logging.getLogger("radar.slack.bolt"),
        )
        logging.getLogger("radar.cycle").warning("a warning Radar means to show")
        await client.close()
    finally:
        setup_logging(0)
    text = stream.getvalue()
    assert "a warning Radar means to show" in text
    noise = ("voice will NOT be supported", "Guilds intent", "`token` will be unused")
    if verbosity < 2:
        assert not any(words in text for words in noise), text
    else:
        assert all(words in text for words in noise), text


def test_secret_files_must_be_small_regular_files(tmp_path: Path) -> None:
    from bot.settings import Secrets

    big = tmp_path / "big"
    big.write_bytes(b"x" * 100_000)
    latin = tmp_path / "latin"
    latin.write_bytes(b"caf\xe9-token")
    for path, expected in [
        ("/dev/zero", "SLACK_BOT_TOKEN_FILE: /dev/zero is not a regular file"),
        (str(tmp_path), "is a folder"),
        (str(big), "too large to hold a secret"),
        (str(latin), "not UTF-8"),
    ]:
        with pytest.raises(ConfigError, match=expected):
            Secrets.from_env({"SLACK_BOT_TOKEN_FILE": path})


def test_logging_set_up_never_reads_a_device_given_as_a_secret_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os

    from bot.logs import SECRET_VARIABLES, Redact

    for name in SECRET_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it for reading would block for ever
    monkeypatch.setenv("DISCORD_TOKEN_FILE", str(fifo))
    monkeypatch.setenv("SLACK_BOT_TOKEN_FILE", "/dev/zero")
    assert Redact.from_env().values == []
