"""Move extraction by error class (sentences that are not in the labelled move set), the move's
publication date, the seed story in both languages, and the `radar eval --moves` report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from bot.cli import app
from bot.core.models import Destination, Entry, Move
from bot.core.moves import canonical_org, extract_move
from bot.core.stories import StoryIndex
from bot.core.understand import Understander
from bot.errors import InputError
from bot.evaluation_moves import MOVES_DIR, evaluate_moves, load_moves
from bot.runtime.workers import understand_all
from bot.sources.parse import parse_feed
from bot.store.repository import NewItem, Store
from bot.terminal.demo import DEMO_FEEDS
from bot.terminal.move_eval import print_move_eval
from bot.terminal.talent import print_moves

Expected = tuple[tuple[str, ...], str | None, str | None, str]


def _got(title: str, body: str = "") -> Expected | None:
    move = extract_move(title, body)
    if move is None:
        return None
    return move.people, move.from_org, move.to_org, move.kind


def _check(
    title: str, body: str, people: tuple[str, ...], src: str | None, dst: str | None, kind: str
) -> None:
    assert _got(title, body) == (people, src, dst, kind)


# -- moves without a classic move verb ---------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "body", "people", "src", "dst", "kind"),
    [
        ("Gemma Ortiz will oversee model training at Cohere, leaving Google after nine years", "",
         ("Gemma Ortiz",), "Google", "Cohere", "hire"),
        ("Noor Haddad is now at Anthropic", "The former OpenAI researcher confirmed it on Bluesky.",
         ("Noor Haddad",), "OpenAI", "Anthropic", "hire"),
        ("Back at Google, Sam Porter to lead Gemini post-training", "Porter spent two years at xAI.",
         ("Sam Porter",), "xAI", "Google", "hire"),
        ("Jonah Reyes and Mia Lopez to co-lead Amazon's new agents lab", "Both join from Meta.",
         ("Jonah Reyes", "Mia Lopez"), "Meta", "Amazon", "hire"),
        ("Career update: Meta -> OpenAI", "Posted by Tariq Aziz",
         ("Tariq Aziz",), "Meta", "OpenAI", "hire"),
        ("Mistral AI récupère Bastien Giraud, venu de Meta", "",
         ("Bastien Giraud",), "Meta", "Mistral AI", "hire"),
        ("Sarah Cohen de retour chez OpenAI", "Elle avait rejoint Anthropic en 2024.",
         ("Sarah Cohen",), "Anthropic", "OpenAI", "hire"),
        ("Paul Rivière prendra la tête de la recherche de Kyutai",
         "Il était jusqu'ici chercheur chez Google DeepMind.",
         ("Paul Rivière",), "Google DeepMind", "Kyutai", "hire"),
    ],
)  # fmt: skip
def test_moves_without_a_move_verb(
    title: str, body: str, people: tuple[str, ...], src: str, dst: str, kind: str
) -> None:
    _check(title, body, people, src, dst, kind)


# -- origins away from the verb -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "body", "people", "src", "dst"),
    [
        ("A former DeepMind researcher, Ines Duarte, lands at xAI", "",
         ("Ines Duarte",), "Google DeepMind", "xAI"),
        ("Anthropic hires a Microsoft alum to run its enterprise research",
         "Tom Hale spent ten years at Microsoft.", ("Tom Hale",), "Microsoft", "Anthropic"),
        ("Cohere hires Ana Belo", "Belo led a translation team at Google. Belo starts next month.",
         ("Ana Belo",), "Google", "Cohere"),
        # an earlier employer is not the one left now
        ("Nadia Petrova, a Google alumna who most recently ran research at Cohere, joins Mistral AI",
         "", ("Nadia Petrova",), "Cohere", "Mistral AI"),
        ("Hugo Lenz joins Poolside", "Lenz, a Meta veteran, spent the last year at Sakana AI before "
         "joining the Paris startup.", ("Hugo Lenz",), "Sakana AI", "Poolside"),
    ],
)  # fmt: skip
def test_origins_away_from_the_verb(
    title: str, body: str, people: tuple[str, ...], src: str, dst: str
) -> None:
    _check(title, body, people, src, dst, "hire")


# -- destinations (and origins) Radar does not know ---------------------------------------------


@pytest.mark.parametrize(
    ("title", "body", "people", "src", "dst", "kind"),
    [
        ("Ex-Anthropic engineers launch Corvid AI to build agent infrastructure",
         "Marta Silva and Jon Berg left Anthropic in March.",
         ("Marta Silva", "Jon Berg"), "Anthropic", "Corvid AI", "founding"),
        ("Orbit Robotics names ex-Nvidia scientist Dana Whitaker its first chief AI officer", "",
         ("Dana Whitaker",), "Nvidia", "Orbit Robotics", "hire"),
        ("Hugging Face poaches Ai2's top researcher Nora Lind", "",
         ("Nora Lind",), "Ai2", "Hugging Face", "hire"),
        ("Google DeepMind's new materials unit hires Basil Grant from Periodic Labs", "",
         ("Basil Grant",), "Periodic Labs", "Google DeepMind", "hire"),
        ("Deux anciennes de Meta fondent Atelier IA Labs à Lyon",
         "Inès Vidal et Rose Bonnet ont quitté Meta en juin.",
         ("Inès Vidal", "Rose Bonnet"), "Meta", "Atelier IA Labs", "founding"),
    ],
)  # fmt: skip
def test_organisations_outside_the_lexicon(
    title: str, body: str, people: tuple[str, ...], src: str, dst: str, kind: str
) -> None:
    _check(title, body, people, src, dst, kind)


# -- people ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "body", "people"),
    [
        ("Co-Founder Kai Müller Leaves Aleph Alpha for OpenAI", "", ("Kai Müller",)),
        ("Vela Labs Appoints Dr. Wen Zhao as Head of Research",
         "Zhao was previously a principal scientist at Meta.", ("Wen Zhao",)),
        ("OpenAI CEO Sam Altman welcomes Ruth Adler from Google", "", ("Ruth Adler",)),
        ("Meta poaches Apple's Tom Reed, analyst Jane Roe says Apple must respond", "",
         ("Tom Reed",)),
        ("Le Français Hugo Marin quitte Mistral AI pour Anthropic", "", ("Hugo Marin",)),
        ("Nvidia lures Intel's Ada Fox", "Fox will report to Jensen Huang. Fox leaves Intel after "
         "a decade.", ("Ada Fox",)),
    ],
)  # fmt: skip
def test_people_are_the_movers_only(title: str, body: str, people: tuple[str, ...]) -> None:
    move = extract_move(title, body)
    assert move is not None and move.people == people


def test_a_company_name_is_not_a_person() -> None:
    assert _got("Quill Robotics appoints Google veteran Ivo Stein as CTO") == (
        ("Ivo Stein",),
        "Google",
        "Quill Robotics",
        "hire",
    )


@pytest.mark.parametrize(
    ("title", "body", "people", "src", "dst", "kind"),
    [
        ("xAI's Grok lead snapped up by OpenAI - Business Insider",
         "Tom Ng, who led Grok's reasoning work, starts at OpenAI next week.",
         ("Tom Ng",), "xAI", "OpenAI", "hire"),
        ("Kai Brandt was poached by Meta from Google DeepMind", "",
         ("Kai Brandt",), "Google DeepMind", "Meta", "hire"),
        ("Mistral AI : arrivée de Hugo Blanc, ex-Google", "",
         ("Hugo Blanc",), "Google", "Mistral AI", "hire"),
        ("Meta names Apple's former Siri chief as head of AI products",
         "John Giannini left Apple last year.", ("John Giannini",), "Apple", "Meta", "hire"),
        ("Samsung's AI lab in Montreal loses its director to Cohere",
         "Yves Tremblay will lead Cohere's new Montreal office.",
         ("Yves Tremblay",), "Samsung", "Cohere", "hire"),
        ("Meta's Yuri Volkov exits for startup he co-founded, Lattice Minds", "",
         ("Yuri Volkov",), "Meta", "Lattice Minds", "founding"),
    ],
)  # fmt: skip
def test_suffixes_passives_units_and_losers(
    title: str, body: str, people: tuple[str, ...], src: str, dst: str, kind: str
) -> None:
    _check(title, body, people, src, dst, kind)


@pytest.mark.parametrize(
    ("title", "body", "people", "src", "dst", "kind"),
    [
        ("Former Nvidia director Paula Weiss is now head of research at Cohere", "",
         ("Paula Weiss",), "Nvidia", "Cohere", "hire"),
        ("Adieu Meta, bonjour Mistral AI : Luc Faure change de cap", "",
         ("Luc Faure",), "Meta", "Mistral AI", "hire"),
        ("xAI's Grok co-lead Ben Ray departs for Meta", "", ("Ben Ray",), "xAI", "Meta", "hire"),
        # a company's past founding is not the news
        ("Cohere loses co-founder Ivan Zhang",
         "Zhang, who helped start the company in 2019, is leaving Cohere.",
         ("Ivan Zhang",), "Cohere", None, "departure"),
        ("Ada Wu and Ben Lee, now at Google, leave to found Sextant Labs", "",
         ("Ada Wu", "Ben Lee"), "Google", "Sextant Labs", "founding"),
        ("Anthropic recrute Nour Saïd, chercheur d'OpenAI", "",
         ("Nour Saïd",), "OpenAI", "Anthropic", "hire"),
        # a product is not an employer, however recent
        ("Apple veteran Zoe Lin to run research at Cohere", "Lin worked most recently on Siri.",
         ("Zoe Lin",), "Apple", "Cohere", "hire"),
        ("Meta hires founders of voice startup Callisto",
         "The deal includes a licence for Callisto's models; CEO Rui Costa joins Meta.",
         ("Rui Costa",), "Callisto", "Meta", "acquihire"),
    ],
)  # fmt: skip
def test_role_nouns_idioms_and_current_employers(
    title: str, body: str, people: tuple[str, ...], src: str | None, dst: str | None, kind: str
) -> None:
    _check(title, body, people, src, dst, kind)


@pytest.mark.parametrize(
    ("title", "body", "people", "src", "dst", "kind"),
    [
        ("Mistral AI : la directrice Anna Roy quitte l'entreprise", "",
         ("Anna Roy",), "Mistral AI", None, "departure"),
        ("Google DeepMind's Veo research lead Ken Obi joins Runway", "",
         ("Ken Obi",), "Google DeepMind", "Runway", "hire"),
        ("Dr Ama Boateng now leads Cohere's agents group", "She spent a decade at Google.",
         ("Ama Boateng",), "Google", "Cohere", "hire"),
        ("Three Meta founding engineers depart to launch Kiln AI",
         "Ida Lund and Per Holm announced Kiln AI on Tuesday.",
         ("Ida Lund", "Per Holm"), "Meta", "Kiln AI", "founding"),
        # a company's name is not a person, even where it looks like one
        ("Meta pays $1bn to license Vireo Voice's models and hire its founders",
         "Vireo Voice founders Tom Ash and Li Qin join Meta.",
         ("Tom Ash", "Li Qin"), "Vireo Voice", "Meta", "acquihire"),
        ("I've accepted a position as research lead at Cohere! - Maya Fox", "",
         ("Maya Fox",), None, "Cohere", "hire"),
        ("Nvidia's CEO praises new hire Ada Moss, formerly of Intel", "",
         ("Ada Moss",), "Intel", "Nvidia", "hire"),
        ("xAI pique à Tesla son responsable de l'autonomie, Marc Joly", "",
         ("Marc Joly",), "Tesla", "xAI", "hire"),
        ("Une figure d'Apple, Lou Bernard, rejoint OpenAI", "",
         ("Lou Bernard",), "Apple", "OpenAI", "hire"),
        ("La cheffe de produit IA de Cohere part chez Mistral AI", "Nora Blanc rejoint Mistral AI.",
         ("Nora Blanc",), "Cohere", "Mistral AI", "hire"),
    ],
)  # fmt: skip
def test_units_role_phrases_arrivals_and_takings(
    title: str, body: str, people: tuple[str, ...], src: str | None, dst: str | None, kind: str
) -> None:
    _check(title, body, people, src, dst, kind)


@pytest.mark.parametrize(
    ("title", "body", "people", "src", "dst", "kind"),
    [
        # the boss named through a possessive is not a mover
        ("Cohere founder Aidan Gomez's chief of staff, Rhea Lal, joins Anthropic", "",
         ("Rhea Lal",), "Cohere", "Anthropic", "hire"),
        # what comes before a colon does not make the name after it a company
        ("What I learned at Google: Omar Diaz on joining Mistral AI", "",
         ("Omar Diaz",), "Google", "Mistral AI", "hire"),
        ("Le cofondateur de Kyutai Patrick Perez rejoint Google DeepMind", "",
         ("Patrick Perez",), "Kyutai", "Google DeepMind", "hire"),
        ("Amazon signs licensing deal with Nimbus Labs and hires its founders, Ada Grey and Ben Holt",
         "", ("Ada Grey", "Ben Holt"), "Nimbus Labs", "Amazon", "acquihire"),
        ("Inès Rocher prendra la direction de l'ingénierie de Hugging Face",
         "Elle quitte Google après dix ans.", ("Inès Rocher",), "Google", "Hugging Face", "hire"),
        ("Priya Rao takes the helm of research at Cohere", "Rao spent six years at Meta.",
         ("Priya Rao",), "Meta", "Cohere", "hire"),
    ],
)  # fmt: skip
def test_possessive_bosses_colons_deals_and_helms(
    title: str, body: str, people: tuple[str, ...], src: str, dst: str, kind: str
) -> None:
    _check(title, body, people, src, dst, kind)


@pytest.mark.parametrize(
    ("title", "body", "people", "src", "dst", "kind"),
    [
        ("Former Apple engineer Tia Moss now works on agents at Cohere", "",
         ("Tia Moss",), "Apple", "Cohere", "hire"),
        # first names that are also words or particles
        ("Perplexity lands former Google researcher Will Hart", "",
         ("Will Hart",), "Google", "Perplexity", "hire"),
        ("Tencent poaches Baidu's Ernie lead Bin Zhao", "", ("Bin Zhao",), "Baidu", "Tencent", "hire"),
        # someone saying they move is a move; a comment about others is not (below)
        ("Jane Roe says she is leaving OpenAI for Anthropic", "",
         ("Jane Roe",), "OpenAI", "Anthropic", "hire"),
        ("Anthropic recrute Léo Faure, co-créateur de Llama chez Meta", "",
         ("Léo Faure",), "Meta", "Anthropic", "hire"),
        ("Google embauche les fondateurs de la jeune pousse lyonnaise Brume IA grâce à un accord de "
         "licence", "Les cofondateurs Ana Roux et Tom Gilet rejoignent Google.",
         ("Ana Roux", "Tom Gilet"), "Brume IA", "Google", "acquihire"),
        ("Mistral AI accueille Hélène Blanc, ancienne chercheuse de Google DeepMind", "",
         ("Hélène Blanc",), "Google DeepMind", "Mistral AI", "hire"),
    ],
)  # fmt: skip
def test_works_at_first_names_sayers_and_welcomes(
    title: str, body: str, people: tuple[str, ...], src: str, dst: str, kind: str
) -> None:
    _check(title, body, people, src, dst, kind)


@pytest.mark.parametrize(
    ("title", "body", "people", "src", "dst", "kind"),
    [
        ("L'Allemand Jonas Weber quitte Aleph Alpha pour Mistral AI", "",
         ("Jonas Weber",), "Aleph Alpha", "Mistral AI", "hire"),
        # a team's or a place's name is neither a person nor an employer
        ("Apple taps Google's Omar Hale to run its Zurich team", "",
         ("Omar Hale",), "Google", "Apple", "hire"),
        ("Kai Berg to lead Gemini team at Google DeepMind", "Berg spent three years at OpenAI.",
         ("Kai Berg",), "OpenAI", "Google DeepMind", "hire"),
        ("Clara Moretti, ex-Meta, dirigera l'équipe Phi de Microsoft à Paris", "",
         ("Clara Moretti",), "Meta", "Microsoft", "hire"),
        ("Naomi Park, ex-Google, réapparaît chez Cohere", "", ("Naomi Park",), "Google", "Cohere", "hire"),
        # "poursuit" is a lawsuit against someone, not a campaign that goes on
        ("Meta poursuit sa campagne de recrutement et attire Jin Wu, chercheur d'OpenAI", "",
         ("Jin Wu",), "OpenAI", "Meta", "hire"),
        ("Scale AI co-founder Ana Fox departs, plans new startup", "",
         ("Ana Fox",), "Scale AI", None, "founding"),
    ],
)  # fmt: skip
def test_nationalities_team_names_and_french_verbs(
    title: str, body: str, people: tuple[str, ...], src: str, dst: str | None, kind: str
) -> None:
    _check(title, body, people, src, dst, kind)


@pytest.mark.parametrize(
    "title",
    [
        "Mistral AI poursuit un ancien salarié parti chez Meta",
        "OpenAI's chief of staff says few researchers left for Meta",
        "Anthropic CTO Rahul Patil says the company lost few engineers to xAI",
        "Google co-founder Sergey Brin returns to Google to work on Gemini",
        "Anthropic CEO says more hires from Google are coming",
    ],
)
def test_no_move_within_one_company_or_in_plans(title: str) -> None:
    assert extract_move(title, "") is None


def test_an_arrow_with_nobody_named_still_gives_the_two_places() -> None:
    assert _got("New gig: Cohere → Mistral AI") == ((), "Cohere", "Mistral AI", "hire")


# -- no move ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Meta offers OpenAI researchers $300m pay packages",
        "OpenAI sues Meta over researcher poaching",
        "xAI is hiring: senior research engineer, Palo Alto",
        "Is Meta winning the AI talent war?",
        "How the talent war changed AI research",
        "Apple's AI brain drain, explained in five charts",
        "Les primes de rétention d'OpenAI dépassent deux millions",
        "Procès : xAI accuse un ancien ingénieur d'avoir emporté des secrets chez OpenAI",
    ],
)
def test_no_move_is_invented(title: str) -> None:
    assert (
        extract_move(title, "Analysts say Meta, OpenAI and Google compete for researchers.") is None
    )


def test_a_pay_story_gets_no_move_through_understand() -> None:
    und = Understander().understand(
        "OpenAI hands researchers $1.5m retention bonuses as Meta poaching war rages",
        "OpenAI told staff the one-off grants would vest over two years.",
    )
    assert und.move is None


# -- canonical names ------------------------------------------------------------------------------


def test_known_orgs_get_their_canonical_name_and_unknown_ones_a_clean_surface() -> None:
    assert canonical_org("Meta Superintelligence Labs") == "Meta"
    assert canonical_org("Google Brain") == "Google DeepMind"
    assert canonical_org("Inflection") == "Inflection AI"
    assert canonical_org("Acme Robotics Inc") == "Acme Robotics"


# -- the move's date and the seed story --------------------------------------------------------


def test_the_move_carries_the_publication_date_and_round_trips() -> None:
    published = datetime(2026, 11, 28, 16, 5, tzinfo=UTC)
    und = Understander().understand(
        "Meta hires OpenAI's Jason Wei and Hyung Won Chung", "", published=published
    )
    assert und.move is not None and und.move.published == published
    stored = json.loads(json.dumps(und.move.to_dict()))
    assert stored["published"] == "2026-11-28T16:05:00+00:00"
    assert Move.from_dict(stored) == und.move
    assert Move.from_dict({**stored, "published": "yesterday"}).published is None


FRENCH_SEED = (
    "Meta débauche Jason Wei et Hyung Won Chung, deux chercheurs vedettes d'OpenAI",
    "Le groupe de Mark Zuckerberg a recruté les deux chercheurs, connus pour leurs travaux sur le "
    "raisonnement, pour son laboratoire Meta Superintelligence Labs.",
)


def test_the_seed_story_gives_one_move_in_both_languages() -> None:
    understander = Understander()
    entries = [
        entry
        for name in ("techwire-en.xml", "labwatch-en.atom", "aggregator-en.xml")
        for entry in parse_feed((DEMO_FEEDS / name).read_bytes(), url=name).entries
        if "Jason Wei" in entry.title
    ]
    assert len(entries) == 3  # the demo feeds' English coverage
    moves = [
        understander.understand(e.title, e.text, e.language, published=e.published).move
        for e in entries
    ]
    french = understander.understand(*FRENCH_SEED, language="fr").move
    for move in [*moves, french]:
        assert move is not None
        assert move.line() == "Jason Wei, Hyung Won Chung: OpenAI → Meta"
    assert all(
        m is not None and m.published == e.published for m, e in zip(moves, entries, strict=True)
    )


# -- the report -----------------------------------------------------------------------------------


def _write(folder: Path, rows: list[dict[str, object]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "small.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return folder


SMALL = [
    {  # right
        "id": "a", "lang": "en", "split": "held", "title": "Anthropic hires OpenAI's Ada Lin",
        "summary": "", "move": {"people": ["Ada Lin"], "from": "OpenAI", "to": "Anthropic",
                                "kind": "hire"},
    },
    {  # origin wrong on purpose: the label says Google
        "id": "b", "lang": "fr", "split": "held", "title": "Meta recrute Léo Roy, chercheur d'OpenAI",
        "summary": "", "move": {"people": ["Léo Roy"], "from": "Google", "to": "Meta",
                                "kind": "hire"},
    },
    {  # no move, none invented
        "id": "c", "lang": "en", "split": "held", "title": "Meta's pay packages explained",
        "summary": "", "move": None,
    },
    {  # no move expected, but the headline reports one: an invented move in the report
        "id": "d", "lang": "en", "split": "held", "title": "Jo Kim leaves xAI for Apple",
        "summary": "", "move": None,
    },
]  # fmt: skip


def test_the_report_scores_each_field_and_lists_the_mistakes(tmp_path: Path) -> None:
    report = evaluate_moves(load_moves(_write(tmp_path, SMALL)))
    total = report.scores[("held", "all")]
    assert (total.moves, total.all_right, total.no_move, total.no_move_kept) == (2, 1, 2, 1)
    assert total.right == {"people": 2, "from": 1, "to": 2, "kind": 2}
    assert report.scores[("held", "fr")].all_right_share == 0.0
    assert report.scores[("held", "en")].all_right_share == 1.0
    assert report.scores[("held", "en")].no_move_precision == 0.5
    assert [(m.item.id, m.wrong) for m in report.mistakes] == [
        ("b", ("from",)),
        ("d", ("invented",)),
    ]


def test_the_report_prints_per_split_and_language_with_expected_and_got(tmp_path: Path) -> None:
    console = Console(record=True, width=200)
    print_move_eval(console, 10, _write(tmp_path, SMALL))
    text = console.export_text()
    assert "held" in text and "0.500" in text
    assert "expected Léo Roy: Google → Meta [hire]" in text
    assert "got      Léo Roy (chercheur): OpenAI → Meta [hire]" in text
    assert "expected no move" in text and "got      Jo Kim: xAI → Apple [hire]" in text


def test_a_bad_move_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.jsonl line 1"):
        load_moves(tmp_path)
    result = CliRunner().invoke(app, ["eval", "--moves", "--moves-dir", str(tmp_path / "nope")])
    assert result.exit_code != 0 and isinstance(result.exception, InputError)


def test_the_cli_reports_the_shipped_move_set() -> None:
    result = CliRunner().invoke(app, ["eval", "--moves", "--mistakes", "0"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    splits = {row.split for row in load_moves(MOVES_DIR)}
    for split in splits:
        assert split in result.output
    assert "all right" in result.output and "people" in result.output


def test_a_stored_move_is_dated_by_publication_not_by_polling(tmp_path: Path) -> None:
    """The poll cycle's path: understand the feed's entries, store the story, list the moves."""
    published = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    polled = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    entry = Entry(
        guid=None,
        url="https://news.example/wei",
        link="https://news.example/wei",
        title="Meta hires OpenAI's Jason Wei and Hyung Won Chung",
        text="Meta has hired OpenAI researchers Jason Wei and Hyung Won Chung.",
        published=published,
        language="en",
    )
    (und,) = understand_all(Understander(), [entry], None)
    store = Store.open(f"sqlite:///{tmp_path}/radar.db")
    try:
        feed = store.add_feed("https://feeds.example/a.xml", "chat").id
        index = StoryIndex(timedelta(hours=72))
        everything = Destination("all", frozenset({"talent_war", "agi"}))
        store.ingest(feed, "Wire", [NewItem(entry, und, True)], (everything,), index, polled)
        (story,) = store.moves_since(polled - timedelta(days=30))
        assert story.move is not None and story.move.published == published
        console = Console(record=True, width=200)
        print_moves(console, store.ledger.moves(polled - timedelta(days=3650)), "all time")
    finally:
        store.close()
    text = console.export_text()
    assert "2026-11-20" in text and "2026-11-28" not in text
