"""Plain text out of feed HTML, shortening at word boundaries, canonical links, language."""

from __future__ import annotations

import pytest

from bot.core.lang import detect_language, normalise_language
from bot.core.links import canonical_url
from bot.core.text import html_to_text, sentences, shorten, strip_boilerplate


def test_html_to_text_decodes_entities_and_drops_markup() -> None:
    html = "<p>Meta&#8217;s <b>new</b> lab&nbsp;&amp; <a href='x'>OpenAI</a></p><script>alert(1)</script>"
    assert html_to_text(html) == "Meta’s new lab & OpenAI"


def test_html_to_text_handles_double_escaped_html() -> None:
    assert html_to_text("&lt;p&gt;Hello &amp;amp; bye&lt;/p&gt;") == "Hello & bye"


def test_html_to_text_removes_terminal_controls() -> None:
    assert html_to_text("red\x1b[31m alert\u202e") == "red [31m alert"


def test_boilerplate_tails_are_removed() -> None:
    text = "Big news today. The post Big news appeared first on TechWire."
    assert strip_boilerplate(text) == "Big news today."
    assert (
        strip_boilerplate("Une annonce. L'article Une annonce est apparu en premier sur Numerama.")
        == "Une annonce."
    )


@pytest.mark.parametrize("limit", [10, 25, 40, 280])
def test_shorten_never_cuts_a_word(limit: int) -> None:
    text = "Jason Wei and Hyung Won Chung join Meta Superintelligence Labs after years at OpenAI"
    short = shorten(text, limit)
    assert len(short) <= limit
    words = set(text.split())
    for word in short.rstrip("…").split():
        assert word in words


def test_sentences_split_on_sentence_ends_only() -> None:
    assert sentences("Meta hired him. He starts Monday! Is it big? Yes.") == [
        "Meta hired him.",
        "He starts Monday!",
        "Is it big?",
        "Yes.",
    ]
    assert sentences("OpenAI's o1 vs. GPT-4o is 3.5x faster.") == [
        "OpenAI's o1 vs. GPT-4o is 3.5x faster."
    ]


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        (
            "https://www.Example.com/a/?utm_source=x&utm_medium=rss&id=3#top",
            "https://example.com/a?id=3",
        ),
        ("http://example.com:80/story?fbclid=abc&gclid=1", "https://example.com/story"),
        ("https://example.com/story?b=2&a=1", "https://example.com/story?a=1&b=2"),
        ("https://example.com", "https://example.com/"),
        ("tag:example.com,2026:1", "tag:example.com,2026:1"),
        ("", None),
    ],
)
def test_canonical_url(raw: str, canonical: str | None) -> None:
    assert canonical_url(raw) == canonical


def test_language_detection() -> None:
    assert detect_language("Meta hires two researchers from OpenAI for its new lab") == "en"
    assert (
        detect_language(
            "Yann LeCun quitte Meta pour fonder sa propre start-up d'intelligence artificielle"
        )
        == "fr"
    )
    assert normalise_language("fr-FR") == "fr"
    assert normalise_language("en_us") == "en"
    assert normalise_language("de") is None
