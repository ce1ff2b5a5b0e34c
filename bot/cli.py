"""The `radar` command line: run, poll, demo, digest, feeds, check-config, classify, eval, train, why, moves."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer
from rich.console import Console
from rich.table import Table

from bot.errors import ConfigError, InputError, RadarError
from bot.logs import setup_logging

app = typer.Typer(
    name="radar",
    help="Radar watches AI news feeds for the AI talent war and the race to AGI, and alerts your team.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
feeds_app = typer.Typer(
    help="List, check, add, remove, import (OPML) and export (OPML) feeds.", no_args_is_help=True
)
app.add_typer(feeds_app, name="feeds")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ConfigOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs the Optional spelling on 3.11
    typer.Option(
        "--config", "-c", help="Configuration file (default: $RADAR_CONFIG or config/radar.toml)."
    ),
]
_state: dict[str, Any] = {"verbose": 0}


@app.callback()
def _main(
    config: ConfigOption = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")
    ] = 0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only warnings and errors in the log.")
    ] = False,
) -> None:
    _state["verbose"] = -1 if quiet else verbose
    _state["config"] = config
    setup_logging(_state["verbose"])


def _config(config: Path | None) -> Path | None:
    """The --config given after the subcommand, else the one given before it."""
    return config or _state.get("config")


def _settings(config: Path | None) -> Any:
    from bot.settings import load_settings

    return load_settings(_config(config))


def _duration(value: str, name: str = "--since") -> timedelta:
    from bot.core.durations import parse_duration

    try:
        return timedelta(seconds=parse_duration(value))
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from None
    except OverflowError:
        raise InputError(f"{name}: {value!r} is too long a period") from None


@contextmanager
def _radar(config: Path | None) -> Iterator[Any]:
    from bot.app import build

    radar = build(_settings(config))
    try:
        yield radar
    finally:
        asyncio.run(radar.aclose())
        radar.store.close()


# -- run and poll ------------------------------------------------------------------------------


@app.command()
def run(config: ConfigOption = None) -> None:
    """Run the service: poll due feeds now, then on their schedule, and deliver alerts."""
    from bot.runtime.service import serve

    settings = _settings(config)
    asyncio.run(serve(settings))


@app.command()
def poll(
    config: ConfigOption = None,
    once: Annotated[
        bool, typer.Option("--once", help="Poll every feed once and exit (the default).")
    ] = True,
) -> None:
    """Poll every feed once, flag new stories, deliver alerts to every output, print a summary."""
    from bot.logs import feed_failures_held
    from bot.terminal.progress import poll_with_progress

    with _radar(config) as radar, feed_failures_held():
        report, sent = asyncio.run(
            poll_with_progress(radar, radar.store.list_feeds(include_disabled=False), err)
        )
    _print_report(report, sent)


def _print_report(report: Any, sent: int) -> None:
    table = Table(title="Poll cycle", show_header=True, header_style="bold")
    for col in ("polled", "not modified", "failed", "new items", "alerts queued", "alerts sent"):
        table.add_column(col, justify="right")
    table.add_row(
        str(report.polled),
        str(report.not_modified),
        str(report.failed),
        str(report.new_items),
        str(report.alerts),
        str(sent),
    )
    # The summary is the command's output (stdout); each failure is listed here once, the log
    # line the cycle would also write being held back (bot.logs.feed_failures_held).
    out.print(table)
    for url, error in list(report.errors.items())[:20]:
        out.print(f"[red]failed[/red] {_esc(url)}: {_esc(error)}")
    if len(report.errors) > 20:
        out.print(f"… and {len(report.errors) - 20} more failed feeds (see `radar feeds list`)")


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# -- demo ---------------------------------------------------------------------------------------


@app.command()
def demo(
    keep: Annotated[
        Path | None, typer.Option(help="Keep the demo database and alerts in this folder.")
    ] = None,
) -> None:
    """Run the whole job offline on bundled sample feeds (English and French), alerts in the terminal."""
    from bot.terminal.demo import run_demo

    run_demo(out, err, keep)


# -- digest, why, moves -------------------------------------------------------------------------


@app.command()
def digest(
    config: ConfigOption = None,
    since: Annotated[str, typer.Option(help="Period, e.g. 24h, 7d, 30d.")] = "24h",
    topic: Annotated[Optional[str], typer.Option(help="talent_war (or talent) or agi.")] = None,  # noqa: UP045
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
) -> None:
    """Print the top flagged stories of a period."""
    from bot.terminal.views import print_digest

    period = _duration(since)
    chosen = _topic(topic)
    with _radar(config) as radar:
        print_digest(out, radar.store, period, chosen, limit, since)


def _topic(value: str | None) -> str | None:
    if value is None:
        return None
    aliases = {
        "talent": "talent_war",
        "talent_war": "talent_war",
        "talent-war": "talent_war",
        "agi": "agi",
    }
    if value.lower() not in aliases:
        raise InputError(f"--topic: {value!r} is not a topic; use talent_war or agi")
    return aliases[value.lower()]


@app.command()
def why(
    target: Annotated[str, typer.Argument(help="A story id or a link.")],
    config: ConfigOption = None,
) -> None:
    """Show the reasons behind a story's verdicts."""
    from bot.terminal.views import print_why

    with _radar(config) as radar:
        if not print_why(out, radar.store, target):
            raise InputError(
                f"no story matches {target!r} (give a story id or a link Radar has seen)"
            )


@app.command()
def moves(
    config: ConfigOption = None,
    since: Annotated[str, typer.Option(help="Period, e.g. 30d.")] = "30d",
    org: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Only moves to or from this organisation."),
    ] = None,
    fmt: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--format", help="Print the moves as csv or json instead of tables."),
    ] = None,
    chart: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Also draw the talent-flow chart to this .png or .svg file."),
    ] = None,
) -> None:
    """The talent moves of a period from the moves ledger, the net flow per organisation, and
    optionally a chart or a CSV/JSON export."""
    from datetime import UTC, datetime

    from bot.terminal.talent import export, print_moves, write_chart

    period = _duration(since)
    if fmt is not None and fmt not in ("csv", "json"):
        raise InputError(f"--format: {fmt!r} is not a format; use csv or json")
    with _radar(config) as radar:
        found = radar.store.ledger.moves(datetime.now(UTC) - period, org=org)
    label = since + (f", {org}" if org else "")
    if fmt is not None:
        sys.stdout.write(export(found, fmt))
    else:
        print_moves(out, found, label)
    if chart is not None:
        write_chart(found, f"Talent flow, last {label}", chart)
        if fmt is None:
            out.print(f"Chart written to {chart}")


# -- feeds and config ---------------------------------------------------------------------------


@feeds_app.command("list")
def feeds_list(config: ConfigOption = None) -> None:
    """Every feed with its last poll, last error and next poll."""
    from bot.terminal.views import print_feeds

    with _radar(config) as radar:
        print_feeds(out, radar.store.list_feeds())


@feeds_app.command("check")
def feeds_check(config: ConfigOption = None) -> None:
    """Fetch and parse every configured feed without storing anything; exit 1 if any fails."""
    from bot.terminal.views import check_feeds

    settings = _settings(config)
    if not asyncio.run(check_feeds(out, settings)):
        raise typer.Exit(1)


@feeds_app.command("add")
def feeds_add(
    url: Annotated[str, typer.Argument(help="The feed's http(s) address.")],
    config: ConfigOption = None,
    name: Annotated[Optional[str], typer.Option(help="A name (default: the feed's title).")] = None,  # noqa: UP045
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Fetch and parse it once before adding.")
    ] = True,
) -> None:
    """Poll one more feed (kept in the database; the config file is not changed)."""
    from bot.terminal.feed_admin import add_feed

    with _radar(config) as radar:
        asyncio.run(add_feed(out, radar, url, name, check))


@feeds_app.command("remove")
def feeds_remove(
    url: Annotated[str, typer.Argument(help="The address, as `radar feeds list` shows it.")],
    config: ConfigOption = None,
) -> None:
    """Stop polling a feed added with `feeds add`, `feeds import` or from chat."""
    from bot.terminal.feed_admin import remove_feed

    with _radar(config) as radar:
        remove_feed(out, radar.store, url)


@feeds_app.command("import")
def feeds_import(
    file: Annotated[Path, typer.Argument(help="An OPML subscription list.")],
    config: ConfigOption = None,
) -> None:
    """Add every feed of an OPML file that is not polled yet."""
    from bot.terminal.feed_admin import import_opml

    with _radar(config) as radar:
        import_opml(out, radar.store, file)


@feeds_app.command("export")
def feeds_export(
    config: ConfigOption = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--out", "-o", help="Write to this file (default: standard output)."),
    ] = None,
) -> None:
    """Every polled feed as an OPML 2.0 subscription list."""
    from bot.terminal.feed_admin import export_opml

    with _radar(config) as radar:
        export_opml(radar.store, output)


@app.command("check-config")
def check_config(config: ConfigOption = None) -> None:
    """Validate the configuration, the environment and this machine (feed files, outputs, database), then exit."""
    from bot.app import Chat, build_outputs, build_understander
    from bot.settings import ChatEnvironment, Secrets, environment_problems
    from bot.store.health import check_storage

    settings = _settings(config)
    secrets = Secrets.from_env()
    chat = Chat(settings, secrets, ChatEnvironment.from_env())
    build_understander(settings)
    outputs = build_outputs(settings, chat=chat)
    problems = environment_problems(settings)
    storage = check_storage(settings.storage.url)
    if storage is not None:
        problems.append(f"{settings.source_path}: {storage}")
    if problems:
        raise ConfigError("; ".join(problems))
    out.print(
        f"[green]ok[/green] {_esc(str(settings.source_path))}: {len(settings.feeds)} feeds, "
        f"{len(outputs)} outputs, storage {_esc(settings.storage.url)}"
    )
    if chat.slack is not None:
        mode = "Socket Mode" if secrets.slack_app_token else "HTTP mode"
        commands = secrets.slack_app_token or secrets.slack_signing_secret
        out.print(f"Slack: {mode}" + ("" if commands else ", alerts only (no signing secret)"))
    if chat.discord is not None:
        out.print("Discord: bot token set")
    skipped = {spec.key for spec in settings.outputs} - set(outputs)
    for key in sorted(skipped):
        out.print(f"[yellow]skipped[/yellow] output {_esc(key)}: its token is not set")


# -- classifier ---------------------------------------------------------------------------------


@app.command()
def classify(
    source: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(
            help="A headline, a JSON-lines file, or '-' / nothing for JSON lines on stdin."
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Classify items: JSON lines in (id, title, summary[, lang, source, url]), JSON lines out."""
    from bot.terminal.classify_io import classify_headline, classify_lines, classify_source

    kind = classify_source(source)  # before loading the model: a typo fails at once
    understander = _understander(config)
    if kind == "headline":
        assert source is not None
        classify_headline(out, understander, source)
        return
    if kind == "stdin":
        classify_lines(sys.stdin.buffer, sys.stdout, understander)
        return
    assert source is not None
    try:
        with Path(source).open("rb") as stream:
            classify_lines(stream, sys.stdout, understander)
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror}") from None


def _understander(config: Path | None) -> Any:
    from bot.app import build_understander
    from bot.settings import Settings, resolve_config_path

    config = _config(config)
    path = resolve_config_path(config)
    settings = _settings(config) if config or path.exists() else Settings()
    return build_understander(settings)


@app.command("eval")
def evaluate_cmd(
    config: ConfigOption = None,
    mistakes: Annotated[int, typer.Option(help="How many mistakes to list.")] = 50,
    moves: Annotated[
        bool, typer.Option("--moves", help="Score the move extractor on the labelled move set.")
    ] = False,
    moves_dir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--moves-dir", help="Folder of *.jsonl move items (default: the shipped set)."
        ),
    ] = None,
) -> None:
    """Precision, recall and F1 per label and language on the dev split, and the mistakes."""
    if moves:
        from bot.evaluation_moves import MOVES_DIR
        from bot.terminal.move_eval import print_move_eval

        print_move_eval(out, mistakes, moves_dir or MOVES_DIR)
        return
    from bot.terminal.views import print_eval

    print_eval(out, _understander(config).classifier, mistakes)


@app.command()
def train(
    config: ConfigOption = None,
    output: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the model (default: the configured one)."),
    ] = None,
) -> None:
    """Rebuild the classifier from the labelled corpus plus the team's 👍/👎 feedback."""
    from bot.terminal.paths import writable_file_problem
    from bot.terminal.views import retrain

    settings = _settings(config)
    target = output or settings.classifier.model
    if target is None:
        raise InputError(
            "train: give --out PATH, or set [classifier] model in the config so the service loads it"
        )
    # Checked first: training takes a while, and its result must have somewhere to go.
    problem = writable_file_problem(Path(target))
    if problem is not None:
        raise InputError(f"train --out: {problem}")
    retrain(out, settings, Path(target), progress=err)


GLOBAL_FLAGS = frozenset(("-v", "-vv", "-vvv", "--verbose", "-q", "--quiet"))
GLOBAL_WITH_VALUE = frozenset(("-c", "--config"))


def hoist_global_options(args: list[str]) -> list[str]:
    """Move --config/-c and -v/-q to the front, so that they work before or after the subcommand
    (and on every command, `demo` included); arguments after `--` stay where they are."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in GLOBAL_FLAGS:
            front.append(arg)
        elif arg in GLOBAL_WITH_VALUE and i + 1 < len(args):
            front.extend(args[i : i + 2])
            i += 1
        elif arg.startswith("--config="):
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def _fail(message: str) -> NoReturn:
    err.print(f"[bold red]radar: error:[/bold red] {_esc(message)}")
    sys.exit(2)


def _database_error(exc: BaseException) -> bool:
    """A SQLAlchemy driver error, checked without importing SQLAlchemy for commands that never
    loaded it (it costs start-up time)."""
    module = sys.modules.get("sqlalchemy.exc")
    return module is not None and isinstance(exc, module.DBAPIError)


def main() -> None:
    """Entry point: one-line errors for the user's mistakes, tracebacks only for our bugs."""
    try:
        app(args=hoist_global_options(sys.argv[1:]), prog_name="radar")
    except RadarError as exc:
        _fail(str(exc))
    except Exception as exc:
        if not _database_error(exc):
            raise
        # The database failed after a good start (disk full, file made read-only, removed).
        from bot.settings import load_settings
        from bot.store.health import storage_message

        try:
            url = load_settings(_state.get("config")).storage.url
        except RadarError:
            url = "the database"
        _fail(storage_message(url, str(getattr(exc, "orig", exc))))
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
