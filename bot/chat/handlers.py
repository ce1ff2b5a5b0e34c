"""The /radar subcommands and alert buttons, answered once for every chat platform.

Handlers take a Caller and a parsed Command and return a neutral Reply; Slack and Discord only
acknowledge, render and send. Nothing here imports a chat SDK.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.chat import talent
from bot.chat.actions import Action
from bot.chat.commands import SUBCOMMANDS, Command
from bot.chat.replies import Caller, HomeView, Reply, StoryLine
from bot.core.digest import topic_label
from bot.core.links import canonical_url, display_host
from bot.core.models import TOPIC_TITLES, TOPICS, Alert
from bot.core.understand import Understander
from bot.errors import FeedError
from bot.runtime.cycle import Radar
from bot.sources.article import extract_article
from bot.sources.fetch import FetchResult, check_literal_host
from bot.sources.offload import off_loop
from bot.sources.parse import parse_feed
from bot.store.repository import FeedRow, Store, StoryRow

log = logging.getLogger("radar.chat")

PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
TOPIC_WORDS = {
    "talent": ("talent_war",),
    "talent_war": ("talent_war",),
    "talent-war": ("talent_war",),
    "agi": ("agi",),
    "all": TOPICS,
}
SEARCH_WINDOW = timedelta(days=90)
LIST_LIMIT = 10


def usage(name: str, problem: str | None = None) -> Reply:
    """A short, private answer to bad input: what went wrong and how the command is written."""
    line = SUBCOMMANDS.get(name, "")
    paragraphs = (problem, f"Usage: /radar {line}") if problem else (f"Usage: /radar {line}",)
    return Reply(title="Radar", paragraphs=paragraphs, ephemeral=True, error=True)


def story_line(story: StoryRow) -> StoryLine:
    return StoryLine(
        story_id=story.id,
        title=story.title,
        url=story.url or (story.links[0] if story.links else ""),
        topics=tuple(story.topics),
        score=max((story.scores.get(t, 0.0) for t in story.topics), default=0.0),
        source=story.source or "",
        sources_count=max(story.item_count, len(story.links)),
        move=story.move.line() if story.move else None,
        published=story.published_at or story.first_seen_at,
    )


def _health(feed: FeedRow) -> str:
    if feed.disabled_reason:
        return f"disabled: {feed.disabled_reason}"
    if feed.error_count:
        return f"failing ({feed.error_count}×): {feed.last_error or 'unknown error'}"
    return "new, not polled yet" if feed.last_ok_at is None else "ok"


def _public_http_url(raw: str) -> str | None:
    """The URL when it is an http(s) URL whose host is not a private address literal.

    Host names are checked again when they resolve, and after every redirect (the fetcher's
    public-only resolver): this early check only gives a clear answer to the obvious cases."""
    url = raw.strip()
    if not url.lower().startswith(("http://", "https://")):
        return None
    check_literal_host(url)
    return url


def digest_reply(store: Store, since: datetime, topic: str | None, label: str) -> Reply:
    """The top stories of a period: the /radar digest answer and the scheduled digest alike."""
    stories = store.top_stories(since, topic, LIST_LIMIT)
    title = f"Radar digest, last {label}" + (f": {TOPIC_TITLES[topic]}" if topic else "")
    if not stories:
        return Reply(title=title, paragraphs=("No flagged stories in this period.",))
    return Reply(title=title, stories=tuple(story_line(s) for s in stories))


class Handlers:
    """One instance per process, shared by every chat platform."""

    def __init__(self, radar: Radar, understander: Understander, public_only: bool = True) -> None:
        self.radar = radar
        self.store = radar.store
        self.understander = understander
        # Links from chat are fetched only from public addresses. Tests that serve an article on
        # 127.0.0.1 turn this off; nothing in the product does.
        self.public_only = public_only

    async def execute(self, caller: Caller, command: Command) -> Reply:
        handler = getattr(self, f"_cmd_{command.name}", None)
        if handler is None:
            return Reply(
                title="Radar",
                paragraphs=(f"Unknown command {command.name!r}.", self._help_text()),
                ephemeral=True,
                error=True,
            )
        try:
            reply: Reply = await handler(caller, command.args)
        except Exception:  # a chat user must get an answer, never a silent failure
            log.exception("/radar %s failed", command.name)
            return Reply(
                title="Radar",
                paragraphs=("Something went wrong on Radar's side; the log has the details.",),
                ephemeral=True,
                error=True,
            )
        return reply

    def _link(self, command: str, raw: str) -> str | Reply:
        """The link a command may fetch, or the usage answer that says why not."""
        try:
            url = _public_http_url(raw) if self.public_only else raw.strip()
        except FeedError as exc:
            return usage(command, f"Radar will not fetch that link: {exc}.")
        if url is None or not url.lower().startswith(("http://", "https://")):
            return usage(command, "The link must start with http:// or https://.")
        return url

    async def _fetch(self, url: str) -> FetchResult:
        async with self.radar.fetcher(public_only=self.public_only) as fetcher:
            return await fetcher.fetch(url)

    # -- commands -----------------------------------------------------------------------------

    @staticmethod
    def _help_text() -> str:
        return "\n".join(f"/radar {line}" for line in SUBCOMMANDS.values())

    async def _cmd_help(self, caller: Caller, args: Sequence[str]) -> Reply:
        return Reply(
            title="Radar: AI talent war and AGI race news",
            paragraphs=(self._help_text(),),
            ephemeral=True,
        )

    async def _cmd_digest(self, caller: Caller, args: Sequence[str]) -> Reply:
        period_word, topic = "24h", None
        for arg in args:
            word = arg.lower()
            if word in PERIODS:
                period_word = word
            elif word in TOPIC_WORDS and word != "all":
                topic = TOPIC_WORDS[word][0]
            elif word != "all":
                return usage("digest", f"{arg!r} is neither a period (24h, 7d, 30d) nor a topic.")
        return self.digest(PERIODS[period_word], topic, period_word)

    def digest(self, period: timedelta, topic: str | None, label: str) -> Reply:
        return digest_reply(self.store, self.radar.clock() - period, topic, label)

    async def _cmd_summary(self, caller: Caller, args: Sequence[str]) -> Reply:
        if len(args) != 1:
            return usage("summary", "Give one link.")
        url = self._link("summary", args[0])
        if isinstance(url, Reply):
            return url
        result = await self._fetch(url)
        if result.status != "ok":
            return Reply(
                title="Radar",
                paragraphs=(f"Could not read {url}: {result.error or result.status}.",),
                ephemeral=True,
                error=True,
            )
        try:
            # Off the event loop: an untrusted page must not hold up other commands.
            article = await off_loop(extract_article, result.body, result.content_type)
            und = await off_loop(
                self.understander.understand, article.title, article.text, article.language
            )
        except FeedError as exc:
            return Reply(
                title="Radar",
                paragraphs=(f"Could not read {url}: {exc}.",),
                ephemeral=True,
                error=True,
            )
        verdict_lines = [
            f"{TOPIC_TITLES[t]}: {v.score:.2f} {'(flagged)' if v.flagged else '(not flagged)'}"
            for t, v in und.verdicts.items()
        ]
        alert = Alert(
            story_id=0,
            url=url,
            title=article.title,
            topics=tuple(und.labels),
            scores=und.scores,
            reasons={t: list(v.reasons) for t, v in und.verdicts.items() if v.flagged},
            summary=und.summary,
            source=_host(url),
            published=None,
            language=und.language,
            move=und.move,
        )
        return Reply(title="Summary", alert=alert, footer=" · ".join(verdict_lines))

    async def _cmd_search(self, caller: Caller, args: Sequence[str]) -> Reply:
        words = [w for w in args if w.strip()]
        if not words:
            return usage("search", "Give at least one word.")
        found = self.store.search(words, self.radar.clock() - SEARCH_WINDOW, LIST_LIMIT)
        title = f"Search: {' '.join(words)}"
        if not found:
            return Reply(title=title, paragraphs=("No flagged story matches.",), ephemeral=True)
        return Reply(title=title, stories=tuple(story_line(s) for s in found))

    async def _cmd_subscribe(self, caller: Caller, args: Sequence[str]) -> Reply:
        if not caller.may_subscribe:
            return _refused("subscribe this channel")
        if not args or args[0].lower() not in TOPIC_WORDS or len(args) > 2:
            return usage("subscribe")
        topics = TOPIC_WORDS[args[0].lower()]
        min_score = 0.0
        if len(args) == 2:
            try:
                min_score = float(args[1])
            except ValueError:
                min_score = -1.0
            if not 0.0 <= min_score <= 1.0:
                return usage("subscribe", "The minimum score is a number from 0 to 1.")
        self.store.subscribe(caller.platform, caller.workspace, caller.channel, topics, min_score)
        bar = f" with a score of at least {min_score:.2f}" if min_score else ""
        return Reply(
            title="Subscribed",
            paragraphs=(f"This channel now gets {topic_label(topics)} alerts{bar}.",),
        )

    async def _cmd_unsubscribe(self, caller: Caller, args: Sequence[str]) -> Reply:
        if not caller.may_subscribe:
            return _refused("unsubscribe this channel")
        if args:
            return usage("unsubscribe")
        if self.store.unsubscribe(caller.platform, caller.channel):
            return Reply(title="Unsubscribed", paragraphs=("This channel gets no more alerts.",))
        return Reply(
            title="Radar",
            paragraphs=("This channel had no subscription.",),
            ephemeral=True,
        )

    async def _cmd_feeds(self, caller: Caller, args: Sequence[str]) -> Reply:
        action = args[0].lower() if args else "list"
        if action == "list" and len(args) <= 1:
            feeds = self.store.list_feeds()
            shown = [(f.display_name, _health(f)) for f in feeds if f.disabled_reason is None]
            return Reply(
                title=f"Feeds ({len(shown)} polled)",
                fields=tuple(shown[:25]),
                footer=f"…and {len(shown) - 25} more" if len(shown) > 25 else None,
                ephemeral=True,
            )
        if action not in ("add", "remove") or len(args) != 2:
            return usage("feeds")
        if not caller.may_manage_feeds:
            return _refused(f"{action} feeds")
        url = self._link("feeds", args[1])
        if isinstance(url, Reply):
            return url
        return await (self._add_feed(url) if action == "add" else self._remove_feed(url))

    async def _add_feed(self, url: str) -> Reply:
        known = self.store.feed_by_url(url)
        if known is not None and known.disabled_reason is None:
            return Reply(title="Radar", paragraphs=(f"{url} is already polled.",), ephemeral=True)
        result = await self._fetch(url)
        problem = result.error if result.status != "ok" else None
        title = ""
        if problem is None:
            try:
                parsed = await off_loop(parse_feed, result.body, result.content_type, url)
                title = parsed.title
            except FeedError as exc:
                problem = f"not a feed: {exc}"
        if problem is not None:
            return Reply(
                title="Radar",
                paragraphs=(f"Not added: {url}: {problem}.",),
                ephemeral=True,
                error=True,
            )
        if known is None:
            self.store.add_feed(url, "chat", name=title[:200] or None)
        elif known.origin == "chat":
            self.store.enable_feed(url)
        elif known.origin != "config":  # an operator's (`radar feeds add`), removed by one
            return Reply(
                title="Radar",
                paragraphs=(f"{url} was removed by an operator; ask them to add it again.",),
                ephemeral=True,
            )
        else:
            return Reply(
                title="Radar",
                paragraphs=(f"{url} is disabled in the config file; enable it there.",),
                ephemeral=True,
            )
        log.info("feed added from chat: %s", url)
        return Reply(
            title="Feed added",
            paragraphs=(f"{title or url} will be polled from the next cycle on.",),
        )

    async def _remove_feed(self, url: str) -> Reply:
        known = self.store.feed_by_url(url)
        if known is not None and known.origin == "config":
            return Reply(
                title="Radar",
                paragraphs=(f"{url} comes from the config file; remove it there.",),
                ephemeral=True,
            )
        if known is not None and known.origin == "operator" and known.disabled_reason is None:
            return Reply(
                title="Radar",
                paragraphs=(f"{url} was added by an operator; `radar feeds remove` removes it.",),
                ephemeral=True,
            )
        if not self.store.remove_feed(url):
            return Reply(title="Radar", paragraphs=(f"{url} is not polled.",), ephemeral=True)
        log.info("feed removed from chat: %s", url)
        return Reply(title="Feed removed", paragraphs=(f"{url} is no longer polled.",))

    async def _cmd_status(self, caller: Caller, args: Sequence[str]) -> Reply:
        if args:
            return usage("status")
        now = self.radar.clock()
        feeds = [f for f in self.store.list_feeds() if f.disabled_reason is None]
        failing = [f for f in feeds if f.error_count]
        last_poll = self.store.last_poll()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        fields: list[tuple[str, str]] = [
            ("Feeds", f"{len(feeds) - len(failing)} healthy, {len(failing)} failing"),
            ("Last poll", _when(last_poll, now)),
            ("Alerts today (UTC)", str(self.store.sent_since(midnight))),
            ("Waiting in the outbox", str(_waiting(self.store.delivery_counts()))),
        ]
        fields += [(f"Failing: {f.display_name}", f.last_error or "error") for f in failing[:5]]
        problems = self.store.delivery_problems(now - timedelta(days=1))
        fields += [(f"Delivery to {dest}", err) for dest, err in sorted(problems.items())[:5]]
        return Reply(title="Radar status", fields=tuple(fields), ephemeral=True)

    async def _cmd_why(self, caller: Caller, args: Sequence[str]) -> Reply:
        if len(args) != 1:
            return usage("why", "Give one link (or a story number).")
        target = args[0].strip()
        story = None
        if target.isdecimal() and len(target) < 19:  # isdigit() is true for "²", int() is not
            story = self.store.story(int(target))
        if story is None:
            story = self.store.story_by_link(target)
        if story is None:
            canonical = canonical_url(target)
            story = self.store.story_by_link(canonical) if canonical else None
        if story is None:
            return Reply(
                title="Radar",
                paragraphs=(f"No story Radar has seen matches {target}.",),
                ephemeral=True,
            )
        fields: list[tuple[str, str]] = []
        for topic in TOPICS:
            state = "flagged" if topic in story.topics else "not flagged"
            reasons = "; ".join(story.reasons.get(topic, [])) or "no strong signal"
            fields.append(
                (f"{TOPIC_TITLES[topic]}: {story.scores.get(topic, 0.0):.2f}, {state}", reasons)
            )
        if story.move is not None:
            fields.append((f"Move ({story.move.kind})", story.move.line()))
        return Reply(
            title=f"Why: {story.title}",
            fields=tuple(fields),
            stories=(story_line(story),),
            ephemeral=True,
        )

    # -- talent flow (bot/chat/talent.py) -----------------------------------------------------

    async def _cmd_moves(self, caller: Caller, args: Sequence[str]) -> Reply:
        if args[:1] and args[0].lower() == "fix":
            return talent.fix_reply(self.store.ledger, caller, self.radar.clock(), args[1:])
        return await talent.moves_reply(self.store.ledger, self.radar.clock(), args)

    async def _cmd_who(self, caller: Caller, args: Sequence[str]) -> Reply:
        return talent.who_reply(self.store.ledger, args)

    async def _cmd_org(self, caller: Caller, args: Sequence[str]) -> Reply:
        return talent.org_reply(self.store.ledger, self.radar.clock(), args)

    # -- buttons and home ---------------------------------------------------------------------

    async def act(self, caller: Caller, action: Action) -> Reply:
        """A button under an alert: a vote (stored as training feedback) or muting its source."""
        story = self.store.story(action.story_id)
        if story is None:
            return Reply(title="Radar", paragraphs=("That story is gone.",), ephemeral=True)
        if action.verb in ("up", "down"):
            self.store.record_vote(
                story.id, caller.platform, caller.user, 1 if action.verb == "up" else -1
            )
            word = "relevant" if action.verb == "up" else "not relevant"
            return Reply(
                title="Thanks",
                paragraphs=(f"Your vote ({word}) is saved; `radar train` learns from votes.",),
                ephemeral=True,
            )
        source = story.source or ""
        if not source:
            return Reply(title="Radar", paragraphs=("This story has no source.",), ephemeral=True)
        self.store.mute(caller.platform, caller.channel, source, caller.user)
        log.info("source %r muted in %s:%s", source, caller.platform, caller.channel)
        return Reply(
            title="Source muted",
            paragraphs=(f"Alerts from {source} will no longer be posted in this channel.",),
            ephemeral=True,
        )

    def home(self, caller: Caller) -> HomeView:
        now = self.radar.clock()
        stories = self.store.top_stories(now - timedelta(days=7), None, LIST_LIMIT)
        stories.sort(key=lambda s: s.first_seen_at, reverse=True)
        subs = tuple(
            (
                str(row["channel"]),
                topic_label(row["topics"])
                + (f" ≥ {row['min_score']:.2f}" if row["min_score"] else ""),
            )
            for row in self.store.subscriptions(caller.platform)
            if row["workspace"] in ("", caller.workspace)
        )
        feeds = tuple(
            (f.display_name, _health(f)) for f in self.store.list_feeds() if not f.disabled_reason
        )
        return HomeView(
            stories=tuple(story_line(s) for s in stories), subscriptions=subs, feeds=feeds
        )


def _refused(what: str) -> Reply:
    return Reply(
        title="Radar",
        paragraphs=(f"Only workspace admins may {what}.",),
        ephemeral=True,
        error=True,
    )


def _host(url: str) -> str:
    return display_host(url) or url


def _when(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "never"
    minutes = int((now - value).total_seconds() // 60)
    return f"{value:%Y-%m-%d %H:%M} UTC ({minutes} min ago)" if minutes >= 0 else f"{value:%H:%M}"


def _waiting(counts: Mapping[str, int]) -> int:
    # 'sending' rows wait too: claimed right now, or left in doubt by a sender that died.
    return counts.get("pending", 0) + counts.get("sending", 0)
