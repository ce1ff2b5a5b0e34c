"""End to end: poll real feeds, take the team's 👍/👎 on the alerts, retrain, and run on the new model.

Training on the whole corpus takes about a minute of pure Python on a small machine, so this test
passes `retrain` a sixth of the corpus's train split through its `corpus` argument. Everything else
is the real path: Radar.poll()/deliver() over HTTP, votes in SQLite, `retrain` reading them back,
the model file, and a Radar built on that file.
"""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from sqlalchemy import select

from bot import evaluation
from bot.core.classify import Classifier, LinearModel
from bot.core.understand import Understander
from bot.evaluation import facts_of
from bot.store.schema import items, verdicts
from bot.terminal import views
from tests.conftest import read_alerts
from tests.feeds import ARC, FOOTBALL, META_HIRE, PRODUCT, Item, recent, rss

POACH = Item(
    title="Google DeepMind poaches Anthropic's head of research John Smith",
    link="https://news.example/deepmind-poaches-smith",
    description="Google DeepMind hired Anthropic research chief John Smith, the company said.",
)
EGGS = Item(
    title="The only poached eggs recipe you'll ever need",
    link="https://food.example/poached-eggs",
    description="Simmer water with a splash of vinegar and slide in the egg.",
)


def fresh(*sample: Item) -> list[Item]:
    return [Item(i.title, i.link, i.description, published=recent()) for i in sample]


async def test_votes_retrain_the_model_and_radar_runs_on_it(
    feed_server, radar_factory, tmp_path: Path
) -> None:
    feed_server.add("/news.xml", body=rss(fresh(META_HIRE, ARC, FOOTBALL, PRODUCT)))
    radar = radar_factory([feed_server.url("/news.xml")])
    report = await radar.poll()
    assert await radar.deliver() == 2
    assert (report.polled, report.new_items, report.alerts) == (1, 4, 2)
    alerted = {a["title"]: a["story_id"] for a in read_alerts(tmp_path / "alerts.jsonl")}
    assert set(alerted) == {META_HIRE.title, ARC.title}
    meta_id, arc_id = alerted[META_HIRE.title], alerted[ARC.title]

    # The team: two people say the Meta story is noise for them, one confirms the ARC story.
    radar.store.record_vote(meta_id, "slack", "U1", -1)
    radar.store.record_vote(meta_id, "slack", "U2", -1)
    radar.store.record_vote(arc_id, "slack", "U1", 1)

    # Votes become training examples: 👎 means "no topic", 👍 confirms the story's topics; 3× each.
    meta, arc = radar.store.story(meta_id), radar.store.story(arc_id)
    assert meta is not None and arc is not None
    assert arc.topics == ["agi"]
    examples = evaluation.feedback_training_examples(radar.store)
    assert sorted(examples, key=lambda e: sorted(e[1])) == sorted(
        [(facts_of(meta.title, meta.summary), frozenset())] * 3
        + [(facts_of(arc.title, arc.summary), frozenset(arc.topics))] * 3,
        key=lambda e: sorted(e[1]),
    )

    # The real retrain, on a sixth of the train split so the test stays quick (a full fit takes
    # about a minute on two cores); the votes come from the database as in `radar train`.
    subset = [r for r in evaluation.load_corpus() if r.split == "train"][::6]
    stream = io.StringIO()
    target = tmp_path / "models" / "model.json"
    views.retrain(
        Console(file=stream, width=400, no_color=True), radar.settings, target, corpus=subset
    )

    printed = stream.getvalue()
    assert "trained on the corpus and 2 voted stories" in printed, printed
    assert str(target) in printed

    assert target.is_file()
    model = LinearModel.load(target)
    assert set(model.weights) == set(model.bias) == set(model.thresholds) == {"talent_war", "agi"}
    assert all(model.weights[t] for t in model.weights)
    shipped = LinearModel.load()
    assert model.weights != shipped.weights, "a new model, not a copy of the shipped one"

    # A Radar configured with the new model file uses it for its next poll.
    feed_server.add("/more.xml", body=rss(fresh(POACH, EGGS)))
    radar2 = radar_factory(
        [feed_server.url("/news.xml"), feed_server.url("/more.xml")],
        classifier={"model": str(target)},
    )
    assert radar2.stages.understander.classifier.model == model
    report2 = await radar2.poll()
    assert (report2.polled, report2.failed, report2.new_items) == (1, 0, 2), report2.errors
    assert report2.alerts == 1
    assert await radar2.deliver() == 1
    titles = [a["title"] for a in read_alerts(tmp_path / "alerts.jsonl")]
    assert sorted(titles[:2]) == sorted([META_HIRE.title, ARC.title])
    assert titles[2:] == [POACH.title]

    # The stored scores are the new model's, not the shipped one's.
    with radar2.store.engine.connect() as conn:
        stored = dict(
            conn.execute(
                select(verdicts.c.topic, verdicts.c.score)
                .join(items, items.c.id == verdicts.c.item_id)
                .where(items.c.url == POACH.link)
            ).all()
        )
    expected = Understander(Classifier(model)).understand(POACH.title, POACH.description, "en")
    default = Understander().understand(POACH.title, POACH.description, "en")
    assert stored == expected.scores
    assert stored != default.scores
