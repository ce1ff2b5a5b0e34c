"""Talent flow end to end: on the bundled demo feeds, a move reported by several outlets in English
and French is one ledger row per person with all its sources, one alert and one line in the chart;
the same in either arrival order from a real feed server; `radar moves` exports and draws it."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import build
from bot.core.talent import flow_chart
from bot.outputs.talent_chart import draw
from bot.runtime.cycle import Radar
from bot.terminal.demo import demo_settings
from tests.conftest import read_alerts
from tests.e2e.test_cli import assert_ok, assert_one_line_error, radar, radar_many
from tests.feeds import META_HIRE, Item, recent, rss
from tests.feedserver import FeedServer

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
FRENCH = Item(
    "Meta débauche Jason Wei et Hyung Won Chung, deux chercheurs vedettes d'OpenAI",
    "https://numerique.example/fr/meta-wei-chung",
    "Les deux chercheurs rejoignent le laboratoire de superintelligence de Meta.",
)
ENGLISH_ARC = Item(
    "AI system tops 85% on ARC-AGI-2, clearing the prize threshold for the first time",
    "https://techwire.example/arc-agi-2",
    "An open-source entry scored 86.1% on ARC-AGI-2, the benchmark built to measure progress "
    "toward artificial general intelligence.",
)
FRENCH_ARC = Item(
    "Un système d'IA dépasse 85 % sur ARC-AGI-2 et franchit le seuil du prix",
    "https://numerique.example/fr/arc-agi-2",
    "Une entrée open source a obtenu 86,1 % sur ARC-AGI-2, le test conçu pour mesurer les progrès "
    "vers une intelligence artificielle générale.",
)


def svg_texts(svg: bytes) -> list[str]:
    """The text a drawn SVG shows (matplotlib writes real <text> with svg.fonttype 'none')."""
    found = re.findall(r"<text[^>]*>(.*?)</text>", svg.decode("utf-8"), flags=re.S)
    return [re.sub(r"<[^>]+>", "", t).replace("&gt;", ">").strip() for t in found]


@pytest.fixture
async def demo(tmp_path: Path) -> Any:
    radar = build(demo_settings(tmp_path))
    try:
        await radar.poll()
        await radar.deliver()
        yield radar
    finally:
        await radar.aclose()
        radar.store.close()


async def test_demo_move_in_two_languages_is_one_row_one_alert_one_chart_line(
    demo: Radar, tmp_path: Path
) -> None:
    moves = demo.store.ledger.moves(EPOCH)
    wei = [m for m in moves if m.person == "Jason Wei"]
    assert len(wei) == 1, [m.line() for m in moves]
    [move] = wei
    assert (move.from_org, move.to_org, move.kind) == ("OpenAI", "Meta", "hire")
    assert {s.language for s in move.sources} == {"en", "fr"}
    assert "Numérique Hebdo (démo)" in move.outlets() and "TechWire" in move.outlets()
    assert len(move.outlets()) == 4
    # The earliest report (TechWire, 16:05), whichever feed was ingested first.
    assert move.published_at == datetime(2026, 11, 28, 16, 5, tzinfo=UTC), "earliest report's date"
    assert move.published_at == min(s.published_at for s in move.sources if s.published_at)

    alerts = read_alerts(tmp_path / "alerts.jsonl")
    meta = [a for a in alerts if "Jason Wei" in a["title"]]
    assert len(meta) == 1, [a["title"] for a in alerts]
    # Whichever language's report created the story (feeds are stored as they finish), the one
    # alert links the other language's outlet too.
    links = [meta[0]["url"], *meta[0]["also"]]
    assert any("numerique-hebdo.example" in link for link in links), meta[0]
    assert any("techwire.example" in link for link in links), meta[0]
    arc = [a for a in alerts if "ARC-AGI-2" in a["title"]]
    assert len(arc) == 1, "the French ARC-AGI-2 report joins the English story"

    chart = flow_chart(moves, "Talent flow")
    assert [
        (f.origin, f.destination, f.people) for f in chart.flows if f.destination == "Meta"
    ] == [("OpenAI", "Meta", 2)]
    assert sum("Jason Wei" in line for line in chart.lines) == 1
    texts = svg_texts(draw(chart, "svg"))
    assert texts.count("OpenAI → Meta") == 1, texts
    assert sum(t.startswith("Nov 28") and "Jason Wei: OpenAI → Meta" in t for t in texts) == 1
    # Each panel writes its organisation labels, then the value drawn at each bar, in one order:
    # what the picture says can be read back and compared with the ledger.
    flows = {f"{f.origin} → {f.destination}": str(f.people) for f in chart.flows}
    n = len(flows)
    assert dict(zip(texts[:n], texts[n : 2 * n], strict=True)) == flows
    assert flows["OpenAI → Meta"] == "2"
    start = texts.index("Who gained whom, from where") + 1
    m = len(chart.net)
    drawn_net = dict(zip(texts[start : start + m], texts[start + m : start + 2 * m], strict=True))
    assert drawn_net == {
        org: f"{gained - lost:+d} ({gained} in, {lost} out)" for org, gained, lost in chart.net
    }
    assert drawn_net["Meta"] == "+0 (2 in, 2 out)" and drawn_net["OpenAI"] == "-1 (1 in, 2 out)"


@pytest.mark.parametrize("order", ["english-first", "french-first"])
async def test_either_arrival_order_gives_one_story_and_one_ledger_row(
    order: str, radar_factory: Any, feed_server: FeedServer, tmp_path: Path
) -> None:
    english = [
        Item(META_HIRE.title, META_HIRE.link, META_HIRE.description, published=recent()),
        Item(ENGLISH_ARC.title, ENGLISH_ARC.link, ENGLISH_ARC.description, published=recent()),
    ]
    french = [
        Item(FRENCH.title, FRENCH.link, FRENCH.description, published=recent()),
        Item(FRENCH_ARC.title, FRENCH_ARC.link, FRENCH_ARC.description, published=recent()),
    ]
    feed_server.add("/en.xml", body=rss(english, title="AI Wire"))
    feed_server.add("/fr.xml", body=rss(french, title="Numérique", language="fr"))
    first, second = ("/en.xml", "/fr.xml") if order == "english-first" else ("/fr.xml", "/en.xml")
    radar: Radar = radar_factory([feed_server.url(first)])
    await radar.poll()
    radar.store.add_feed(feed_server.url(second), "config")
    await radar.poll()
    await radar.deliver()

    alerts = read_alerts(tmp_path / "alerts.jsonl")
    assert len(alerts) == 2, [a["title"] for a in alerts]  # the hire and the benchmark
    first_language = "en" if order == "english-first" else "fr"
    assert {a["language"] for a in alerts} == {first_language}
    for alert in alerts:
        assert len(alert["also"]) == 1, alert  # the other language's page
    moves = radar.store.ledger.moves(EPOCH)
    assert sorted(m.person for m in moves) == ["Hyung Won Chung", "Jason Wei"]
    for move in moves:
        assert {s.language for s in move.sources} == {"en", "fr"}


def test_radar_moves_exports_csv_and_json_and_draws_the_chart(tmp_path: Path) -> None:
    assert_ok(radar(tmp_path, "demo", "--keep", "keep"))
    config = tmp_path / "radar.toml"
    config.write_text(
        f'[storage]\nurl = "sqlite:///{tmp_path / "keep" / "demo.db"}"\n\n'
        '[[outputs]]\ntype = "console"\n',
        encoding="utf-8",
    )
    base = ["moves", "--since", "3650d", "-c", str(config)]
    as_csv, as_json, org, png, svg, bad_format, bad_chart = radar_many(
        tmp_path,
        [
            [*base, "--format", "csv"],
            [*base, "--format", "json"],
            [*base, "--org", "FAIR"],
            [*base, "--chart", "flow.png"],
            [*base, "--format", "json", "--chart", "flow.svg"],
            [*base, "--format", "xml"],
            [*base, "--chart", "flow.gif"],
        ],
    )
    for proc in (as_csv, as_json, org, png, svg):
        assert_ok(proc)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    wei = [r for r in rows if r["person"] == "Jason Wei"]
    assert len(wei) == 1 and (wei[0]["from"], wei[0]["to"]) == ("OpenAI", "Meta")
    assert wei[0]["sources"] == "4" and wei[0]["languages"] == "en; fr"
    assert wei[0]["published"] == "2026-11-28"
    data = json.loads(as_json.stdout)
    assert {m["person"] for m in data} == {r["person"] for r in rows}
    [jason] = [m for m in data if m["person"] == "Jason Wei"]
    assert len(jason["sources"]) == 4 and {s["language"] for s in jason["sources"]} == {"en", "fr"}
    assert json.loads(svg.stdout) == data, "--chart does not change the export"

    assert "Julien Marchetti" in org.stdout and "Jason Wei" in org.stdout  # FAIR is Meta
    assert "Daniel Okafor" not in org.stdout
    assert (tmp_path / "flow.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "OpenAI → Meta" in svg_texts((tmp_path / "flow.svg").read_bytes())
    assert_one_line_error(bad_format, "--format", "xml")
    assert_one_line_error(bad_chart, "--chart", ".png or .svg")
