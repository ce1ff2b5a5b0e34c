"""Configuration: the documented default and the minimal file load; errors name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import Secrets, load_settings

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = """
[storage]
url = "sqlite:///radar.db"

[[feeds]]
url = "http://127.0.0.1:8765/en-0.xml"

[[outputs]]
type = "jsonl"            # and "console"; chat outputs come in their issues
path = "alerts.jsonl"
topics = ["talent_war", "agi"]
"""


def test_shipped_config_is_valid_and_bilingual() -> None:
    settings = load_settings(ROOT / "config" / "radar.toml")
    languages = {f.language for f in settings.feeds}
    assert languages == {"en", "fr"}
    assert all(f.name for f in settings.feeds)
    assert settings.poll.interval == 600


def test_minimal_config_works_as_written(tmp_path: Path) -> None:
    path = tmp_path / "radar.toml"
    path.write_text(MINIMAL)
    settings = load_settings(path)
    assert settings.feeds[0].url == "http://127.0.0.1:8765/en-0.xml"
    assert settings.outputs[0].type == "jsonl"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[poll]\ninterval = 'soon'\n", "poll.interval"),
        ("[storage]\nurll = 'x'\n", "storage.urll: unknown key"),
        ("[[outputs]]\ntype = 'jsonl'\n", "outputs[0].path"),
        ("[[outputs]]\ntype = 'jsonl'\npath = 'a'\ntopics = ['sports']\n", "outputs[0].topics[0]"),
        ("[[feeds]]\nurl = 'ftp://x'\n", "feeds[0].url"),
        ("[[feeds]]\nurl = 'a.xml'\n[[feeds]]\nurl = 'a.xml'\n", "listed twice"),
        ("[poll\n", "invalid TOML"),
    ],
)
def test_errors_name_the_file_and_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    assert str(path) in message
    assert expected in message
    assert "\n" not in message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.toml")


def test_secrets_come_from_environment_or_files(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("xoxb-from-file\n")
    secrets = Secrets.from_env({"SLACK_BOT_TOKEN_FILE": str(token_file), "DISCORD_TOKEN": "abc"})
    assert secrets.slack_bot_token is not None
    assert secrets.slack_bot_token.get_secret_value() == "xoxb-from-file"
    assert "xoxb" not in repr(secrets)
    assert secrets.discord_token is not None and secrets.discord_token.get_secret_value() == "abc"
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN_FILE"):
        Secrets.from_env({"SLACK_BOT_TOKEN_FILE": str(tmp_path / "missing")})


def test_the_shipped_chat_output_examples_are_valid_when_uncommented(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[2] / "config" / "radar.toml"
    lines = shipped.read_text(encoding="utf-8").splitlines()
    start = lines.index("# [[outputs]]")
    end = lines.index("[slack]")
    example = "\n".join(line.removeprefix("#").removeprefix(" ") for line in lines[start:end])
    config = tmp_path / "chat.toml"
    config.write_text(example, encoding="utf-8")
    settings = load_settings(config)
    kinds = [o.type for o in settings.outputs]
    assert kinds == ["slack", "discord", "discord_webhook"]
    slack = settings.outputs[0]
    assert slack.digest is not None and slack.digest.timezone == "Europe/Paris"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ({"type": "slack", "channel": "ai news"}, "outputs[0].channel: give a channel ID"),
        ({"type": "discord", "channel": 0}, "outputs[0].channel"),
        (
            {"type": "discord_webhook", "url": "https://discord.com/api/nothooks/1/x"},
            "must look like https://discord.com/api/webhooks/<id>/<token>",
        ),
        ({"type": "discord_webhook"}, "give either url or url_env"),
    ],
)
def test_chat_output_errors_are_one_line(
    tmp_path: Path, output: dict[str, object], expected: str
) -> None:
    from bot.settings import settings_from_dict

    with pytest.raises(ConfigError) as err:
        settings_from_dict({"outputs": [output]}, source=tmp_path / "radar.toml")
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_webhook_keys_never_hold_the_token() -> None:
    from bot.settings import settings_from_dict

    url = "https://discord.com/api/webhooks/123456789012345678/s3cr3t-token-value-xxxxxxxxxxxxxxxx"
    settings = settings_from_dict({"outputs": [{"type": "discord_webhook", "url": url}]})
    assert settings.outputs[0].key == "discord_webhook:123456789012345678"
    assert "s3cr3t" not in repr(settings)


def test_chat_environment(tmp_path: Path) -> None:
    from bot.settings import ChatEnvironment

    env = ChatEnvironment.from_env(
        {"SLACK_API_URL": "http://127.0.0.1:9/api/", "DISCORD_GUILD_ID": "42"}
    )
    assert (env.slack_api_url, env.discord_api_base_url, env.discord_guild_id) == (
        "http://127.0.0.1:9/api/",
        None,
        42,
    )
    with pytest.raises(ConfigError, match="DISCORD_GUILD_ID must be a server ID"):
        ChatEnvironment.from_env({"DISCORD_GUILD_ID": "my-server"})
    with pytest.raises(ConfigError, match="SLACK_API_URL must be an http"):
        ChatEnvironment.from_env({"SLACK_API_URL": "slack.example/api"})


def test_log_lines_never_carry_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    from bot.logs import setup_logging

    secret_file = tmp_path / "signing"
    secret_file.write_text("f1e2d3c4b5a697887766554433221100\n", encoding="utf-8")
    monkeypatch.setenv("SLACK_SIGNING_SECRET_FILE", str(secret_file))
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-pattern-but-a-secret")
    setup_logging(2)
    try:
        logging.getLogger("discord.webhook").debug(
            "Webhook ID %s with POST %s has returned 200",
            123,
            "https://discord.com/api/v10/webhooks/123456789012345678/AbC-def_ghi.jkl",
        )
        logging.getLogger("radar.test").warning(
            "tokens %s %s, secret %s and %s",
            "xoxb-1234-5678-abcdef",
            "xapp-1-A0-99-abc",
            "f1e2d3c4b5a697887766554433221100",
            "not-a-pattern-but-a-secret",
        )
    finally:
        setup_logging(0)
    err = capsys.readouterr().err
    assert "/webhooks/123456789012345678/(redacted)" in err
    for secret in ("AbC-def", "xoxb-1234", "xapp-1-A0", "f1e2d3c4", "not-a-pattern"):
        assert secret not in err
    assert "tokens (redacted token) (redacted token), secret (redacted) and (redacted)" in err
