"""The talent-flow commands: /radar moves, who, org and moves fix, answered from the moves ledger."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.chat.replies import Caller, Image, Reply
from bot.core.talent import COUNTED_KINDS, LedgerMove, flow_chart, top_counts
from bot.store.ledger import Fix, FixError, MovesLedger

PERIODS = {"7d": timedelta(days=7), "30d": timedelta(days=30), "90d": timedelta(days=90)}
ORG_WINDOW = timedelta(days=365)
LINES = 10
FIX_KEYS = {"person": "person", "from": "from_org", "to": "to_org", "kind": "kind"}


def _line(move: LedgerMove) -> str:
    outlets = move.outlets()
    shown = ", ".join(outlets[:3]) + (f" +{len(outlets) - 3}" if len(outlets) > 3 else "")
    return f"#{move.id} {move.published_at:%Y-%m-%d}  {move.line()} ({move.kind}) · {shown}"


def _problem(name: str, text: str) -> Reply:
    from bot.chat.handlers import usage

    return usage(name, text)


async def chart_image(moves: Sequence[LedgerMove], title: str) -> Image:
    """The chart drawn off the event loop: matplotlib takes a few hundred ms of CPU."""
    from bot.outputs.talent_chart import draw

    data = await asyncio.to_thread(draw, flow_chart(moves, title))
    return Image("talent-flow.png", data, title)


async def moves_reply(ledger: MovesLedger, now: datetime, args: Sequence[str]) -> Reply:
    period = "30d"
    words = list(args)
    if words and words[0].lower() in PERIODS:
        period = words.pop(0).lower()
    elif words and words[0][:1].isdigit():
        return _problem("moves", f"{words[0]!r} is not a period: use 7d, 30d or 90d.")
    org = " ".join(words).strip() or None
    title = f"Talent flow, last {period}" + (f": {org}" if org else "")
    return await flow_reply(ledger, now - PERIODS[period], title, org)


async def flow_reply(
    ledger: MovesLedger, since: datetime, title: str, org: str | None = None
) -> Reply:
    """The moves since a date, the net flow per organisation and the chart: /radar moves and the
    scheduled talent-flow digest."""
    found = ledger.moves(since, org=org)
    if not found:
        return Reply(title=title, paragraphs=("No moves in this period.",))
    chart = flow_chart(found, title)
    fields = tuple(
        (org_name, f"{gained - lost:+d} ({gained} in, {lost} out)")
        for org_name, gained, lost in chart.net[:8]
    )
    newest = sorted(found, key=lambda m: (m.published_at, m.id), reverse=True)
    lines = tuple(_line(m) for m in newest[:LINES])
    more = (
        f"…and {len(found) - LINES} more: `radar moves --format csv`"
        if len(found) > LINES
        else None
    )
    return Reply(
        title=title,
        paragraphs=lines,
        fields=fields,
        footer=more or f"{len(found)} moves · each person counted once per move",
        image=await chart_image(found, title),
    )


def who_reply(ledger: MovesLedger, args: Sequence[str]) -> Reply:
    name = " ".join(args).strip()
    if not name:
        return _problem("who", "Give a name.")
    found = ledger.person_moves(name)
    if found is None:
        return Reply(
            title="Radar", paragraphs=(f"Radar knows no moves of {name}.",), ephemeral=True
        )
    person, moves = found
    fields = tuple(
        (
            f"{m.published_at:%Y-%m-%d}: {m.from_org or '?'} → {m.to_org or '?'} ({m.kind})",
            f"#{m.id} · " + ", ".join(m.outlets()) + (f" · {m.role}" if m.role else ""),
        )
        for m in sorted(moves, key=lambda m: m.published_at, reverse=True)[:LINES]
    )
    return Reply(title=person, fields=fields)


def org_reply(ledger: MovesLedger, now: datetime, args: Sequence[str]) -> Reply:
    name = " ".join(args).strip()
    if not name:
        return _problem("org", "Give an organisation's name.")
    canonical, moves = ledger.org_moves(name, now - ORG_WINDOW)
    if not moves:
        return Reply(
            title=canonical, paragraphs=("No arrivals or departures in the last 12 months.",)
        )
    arrivals = [m for m in moves if m.to_org == canonical]
    departures = [m for m in moves if m.from_org == canonical]

    def counted(names: list[tuple[str, int]]) -> str:
        return ", ".join(f"{n} ({c})" for n, c in names) or "—"

    fields = (
        ("Arrivals", str(len(arrivals))),
        ("Departures", str(len(departures))),
        ("Top origins", counted(top_counts([m.from_org for m in arrivals]))),
        ("Top destinations", counted(top_counts([m.to_org for m in departures]))),
    )
    newest = sorted(moves, key=lambda m: (m.published_at, m.id), reverse=True)
    return Reply(
        title=f"{canonical}: talent flow, last 12 months",
        fields=fields,
        paragraphs=tuple(_line(m) for m in newest[:LINES]),
    )


def parse_fix(args: Sequence[str]) -> tuple[int, Fix] | str:
    """'12 person=Jason Wei to=Meta' → (12, Fix(...)); a value runs until the next key=."""
    if not args or not args[0].lstrip("#").isdigit() or len(args[0]) > 12:
        return "Give the move's number (from /radar moves), then what to correct."
    values: dict[str, list[str]] = {}
    current: str | None = None
    for word in args[1:]:
        key, eq, rest = word.partition("=")
        if eq and key.lower() in FIX_KEYS:
            current = FIX_KEYS[key.lower()]
            values[current] = [rest] if rest else []
        elif current is None:
            return f"{word!r} is not a correction: write person=…, from=…, to= or kind=…."
        else:
            values[current].append(word)
    if not values:
        return "Say what to correct: person=…, from=…, to=… or kind=…."
    fix = Fix(**{k: " ".join(v).strip()[:200] for k, v in values.items()})
    if fix.kind is not None and fix.kind not in COUNTED_KINDS:
        return f"kind must be one of {', '.join(sorted(COUNTED_KINDS))}."
    return int(args[0].lstrip("#")), fix


def fix_reply(ledger: MovesLedger, caller: Caller, now: datetime, args: Sequence[str]) -> Reply:
    if not caller.may_manage_feeds:
        return Reply(
            title="Radar",
            paragraphs=("Only workspace admins may correct moves.",),
            ephemeral=True,
            error=True,
        )
    parsed = parse_fix(args)
    if isinstance(parsed, str):
        return _problem("moves fix", parsed)
    move_id, fix = parsed
    try:
        fixed = ledger.fix(move_id, fix, f"{caller.platform}:{caller.user}", now)
    except FixError as exc:
        return _problem("moves fix", f"{exc}.")
    return Reply(
        title="Move corrected",
        paragraphs=(
            _line(fixed),
            "Later stories that name the wrong person or organisation follow this correction.",
        ),
    )
