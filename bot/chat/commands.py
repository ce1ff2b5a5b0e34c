"""Parse '/radar <subcommand> [args]' into a Command, the same way for every platform."""

from __future__ import annotations

from dataclasses import dataclass

SUBCOMMANDS: dict[str, str] = {
    "help": "help: what Radar can do",
    "digest": "digest [24h|7d|30d] [talent|agi]: the top stories of a period",
    "summary": "summary <url>: read an article and summarise it",
    "search": "search <words>: stories whose title or summary has these words",
    "subscribe": "subscribe <talent|agi|all> [min score]: send alerts to this channel",
    "unsubscribe": "unsubscribe: stop alerts in this channel",
    "feeds": "feeds [list|add <url>|remove <url>]: the polled feeds",
    "status": "status: feed health, the last poll, alerts today",
    "why": "why <link>: the reasons behind a verdict",
    "moves": "moves [7d|30d|90d] [organisation]: who moved where, with a chart",
    "who": "who <name>: a person's moves, with dates and sources",
    "org": "org <name>: an organisation's arrivals and departures",
    "moves fix": "moves fix <move id> [person=…] [from=…] [to=…] [kind=…]: correct a move (admins)",
}
# No command takes more words than this; the rest of a longer text is ignored (a search for
# thousands of words would build a query SQLite refuses).
MAX_ARGS = 16
MAX_TEXT = 4000  # Slack's own limit on a slash command's text
# Subcommands whose work may outlast the 3 s a platform gives to acknowledge a command.
SLOW = frozenset({"summary", "feeds", "moves"})


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: tuple[str, ...] = ()

    @property
    def slow(self) -> bool:
        return self.name in SLOW


def parse_command(text: str) -> Command:
    """Split the text after '/radar'. An empty text is 'help'; unknown names are kept for the
    handler to answer with usage (so every platform words that answer the same way)."""
    words = text[:MAX_TEXT].split(maxsplit=MAX_ARGS + 1)[: MAX_ARGS + 1]
    if not words:
        return Command("help")
    name = words[0].lower().lstrip("/")
    args = tuple(_unwrap(w) for w in words[1:])
    return Command(name, args)


def _unwrap(word: str) -> str:
    """Slack sends links as <https://x|label> or <https://x>: keep the URL."""
    if word.startswith("<") and word.endswith(">"):
        return word[1:-1].split("|", 1)[0]
    return word
