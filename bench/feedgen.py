"""Synthetic feeds for the benchmarks: N feeds of 50 items, ~1 KB of HTML per description and content."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

_LABS = [
    "Meta",
    "OpenAI",
    "Google DeepMind",
    "Anthropic",
    "Mistral AI",
    "Apple",
    "Microsoft",
    "xAI",
    "Nvidia",
]
_FIRMS = [
    "a regional bank",
    "the city council",
    "a Paris start-up",
    "Arsenal",
    "a carmaker",
    "a retailer",
    "an airline",
]
_FIRST = [
    "Jason",
    "Ada",
    "Hyung",
    "Lucas",
    "Priya",
    "Tom",
    "Julie",
    "Omar",
    "Mei",
    "Karl",
    "Ines",
    "Raj",
    "Sofia",
    "Yuki",
]
_LAST = [
    "Wei",
    "Morel",
    "Chung",
    "Bernard",
    "Raman",
    "Okafor",
    "Martin",
    "Haddad",
    "Lin",
    "Berg",
    "Costa",
    "Patel",
]
_THINGS = [
    "app",
    "laptop",
    "chip",
    "data centre",
    "subscription",
    "feature",
    "update",
    "tablet",
    "browser",
    "camera",
]
_VERBS = [
    "launches",
    "rolls out",
    "delays",
    "prices",
    "reviews",
    "tests",
    "recalls",
    "updates",
    "ships",
    "unveils",
]
# About one item in twenty is about the talent war or AGI, as on a general tech feed.
_FLAGGED = [
    "{lab} hires {person} from {other} to lead its superintelligence effort",
    "{person} leaves {other} to found a new AI lab",
    "{person} says AGI could arrive by 2030 and urges labs to slow down",
]
_PLAIN = [
    "{firm} {verb} a new {thing}",
    "{lab} {verb} a new {thing} for {n} markets",
    "{firm} names a new chief financial officer",
    "How the standard deduction changes your AGI in {n} steps",
    "Survey: {n}% of workers expect AI to change their job",
    "{lab} raises ${n} million for a new {thing}",
]
_FILLER = (
    "The company said in a statement that the change would take effect next quarter, and analysts expect "
    "competitors to respond. According to people familiar with the matter, negotiations lasted several weeks "
    "and involved senior leadership on both sides. "
)


# A big news day's headlines: short, so two of them share at most a lab or two and a verb, and
# each names its own person: many stories, where the templates above make a few big ones.
_BIG_NEWS = [
    "{lab} hires {person} from {other}",
    "{person} leaves {other} for {lab}",
    "{person} joins {lab} to work on AGI",
    "{lab} poaches {person}, a top {other} researcher",
]


def _title(rng: random.Random, flagged: float, people: Sequence[str] = ()) -> str:
    hot = _BIG_NEWS if people else _FLAGGED
    template = rng.choice(hot) if rng.random() < flagged else rng.choice(_PLAIN)
    lab, other = rng.sample(_LABS, 2)
    return template.format(
        lab=lab,
        other=other,
        firm=rng.choice(_FIRMS),
        verb=rng.choice(_VERBS),
        thing=rng.choice(_THINGS),
        person=rng.choice(people) if people else f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
        n=rng.randrange(2, 500),
    )


def _html(rng: random.Random, words: str) -> str:
    paragraphs = [
        f'<p>{escape(words)} <a href="https://example.com/{rng.randrange(10**6)}">More</a></p>'
    ]
    while sum(len(p) for p in paragraphs) < 1000:
        paragraphs.append(f"<p>{escape(_FILLER)}<em>{rng.randrange(10**4)}</em></p>")
    return "".join(paragraphs)


_SYLLABLES = ["ka", "lo", "mi", "ra", "ven", "to", "sa", "ni", "do", "re", "lu", "ta", "be", "gor"]


def made_up_people(count: int, seed: int) -> list[str]:
    """`count` distinct names of people nobody has heard of, for a big news day's many stories."""
    rng = random.Random(seed)
    names: set[str] = set()
    while len(names) < count:
        first = "".join(rng.choice(_SYLLABLES) for _ in range(2)).capitalize()
        last = "".join(rng.choice(_SYLLABLES) for _ in range(3)).capitalize()
        names.add(f"{first} {last}")
    return sorted(names)


def make_feed(
    index: int,
    items: int = 50,
    seed: int = 0,
    flagged: float = 0.05,
    people: Sequence[str] = (),
) -> bytes:
    """One feed; `seed` is its edition (a new seed: all new items), `flagged` the share of items
    about the talent war or AGI (0.05 as on a general tech feed; most of them on a big news day),
    `people` who the flagged items are about (default: a dozen well-worn names)."""
    rng = random.Random(seed * 100_003 + index)
    now = datetime.now(UTC)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>',
        f"<title>Bench feed {index}</title><link>https://feed{index}.example/</link><language>en</language>",
    ]
    for n in range(items):
        title = _title(rng, flagged, people)
        link = f"https://feed{index}.example/{n}-{rng.randrange(10**9)}"
        summary = f"{title}. {_FILLER}"
        out.append(
            "<item>"
            f"<title>{escape(title)}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{format_datetime(now - timedelta(minutes=n * 7))}</pubDate>"
            f"<description>{escape(_html(rng, summary))}</description>"
            f"<content:encoded><![CDATA[{_html(rng, summary)}]]></content:encoded>"
            "</item>"
        )
    out.append("</channel></rss>")
    return "\n".join(out).encode()
