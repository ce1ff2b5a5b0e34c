"""`radar classify` input: what the argument names, and each malformed JSON line by its number."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.core.understand import Understander
from bot.errors import InputError
from bot.terminal.classify_io import classify_lines, classify_source


def test_the_argument_is_a_headline_a_file_or_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "items.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    assert classify_source(None) == classify_source("-") == "stdin"
    assert classify_source("items.jsonl") == "file"
    assert classify_source("Meta hires OpenAI's Jason Wei") == "headline"
    assert classify_source("OpenAI/Microsoft deal reworked") == "headline"  # words: a headline
    for arg, expected in [
        ("", "nothing to classify"),
        ("   ", "nothing to classify"),
        ("itmes.jsonl", "itmes.jsonl: no such file"),
        ("data/items.json", "no such file"),
        ("folder", "folder is a folder"),
        ("/dev/zero", "not a regular file"),
        ("a\x00b", "NUL byte"),
    ]:
        with pytest.raises(InputError, match=expected):
            classify_source(arg)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (b'{"id": 1, "title": "ok"}\n{"id": 2, "title": "caf\xe9"}\n', "line 2: not UTF-8"),
        (b'{"title": "no id"}\n', "line 1: no 'id'"),
        (b'{"id": null, "title": "t"}\n', "line 1: 'id' must be a string or an integer"),
        (b'{"id": true, "title": "t"}\n', "'id' must be a string or an integer"),
        (b'{"id": 1}\n', "line 1: 'title' must be a string"),
        (b'{"id": 1, "title": 42}\n', "line 1: 'title' must be a string"),
        (b'{"id": 1, "title": "t", "summary": 3}\n', "line 1: 'summary' must be a string"),
        (b'{"id": 1, "title": "t", "lang": "de"}\n', "line 1: 'lang' 'de' is not supported"),
        (b'\n\n{"id": 1, "title": "t", "lang": 1}\n', "line 3: 'lang' 1 is not supported"),
        (b"[1, 2]\n", "line 1: expected a JSON object"),
        (b"{oops}\n", "line 1: not JSON"),
        (b"[" * 100_000 + b"\n", "line 1"),
    ],
)
def test_each_malformed_line_is_named(lines: bytes, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        classify_lines(io.BytesIO(lines), io.StringIO(), Understander())


def test_good_lines_give_one_verdict_each_in_order() -> None:
    source = io.BytesIO(
        b'{"id": "a", "title": "Meta hires OpenAI researcher", "lang": "en"}\n'
        b'{"id": 7, "title": "Le club recrute un attaquant", "lang": null}\n'
    )
    sink = io.StringIO()
    assert classify_lines(source, sink, Understander()) == 2
    assert [line.split(",")[0] for line in sink.getvalue().splitlines()] == [
        '{"id": "a"',
        '{"id": 7',
    ]
