"""`radar eval --moves`: the move extractor's scores per split and language, and its mistakes."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.core.models import Move
from bot.errors import InputError
from bot.evaluation_moves import FIELDS, MOVES_DIR, evaluate_moves, load_moves, splits_in


def _show(move: Move | None) -> str:
    if move is None:
        return "no move"
    return f"{move.line()} [{move.kind}]"


def print_move_eval(console: Console, mistakes: int, folder: Path = MOVES_DIR) -> None:
    if not folder.is_dir():
        raise InputError(f"--moves-dir: {folder} is not a folder of *.jsonl move items")
    rows = load_moves(folder)
    if not rows:
        raise InputError(f"--moves-dir: {folder} holds no *.jsonl move items")
    report = evaluate_moves(rows)
    table = Table(title=f"Moves: {len(rows)} items", header_style="bold")
    columns = ("split", "lang", "moves", "all right", *FIELDS, "no move", "kept")
    for col in columns:
        table.add_column(col, justify="left" if col in ("split", "language") else "right")
    for split in splits_in(report):
        for lang in sorted(
            {lang for s, lang in report.scores if s == split}, key=lambda x: (x == "all", x)
        ):
            s = report.scores[(split, lang)]
            table.add_row(
                split,
                lang,
                str(s.moves),
                f"{s.all_right_share:.3f}",
                *(f"{s.accuracy(f):.3f}" for f in FIELDS),
                str(s.no_move),
                f"{s.no_move_precision:.3f}" if s.no_move else "—",
            )
    console.print(table)
    console.print(
        Text(
            "all right: people, origin and destination all right; kept (no-move precision): share of "
            "items that report no move for which no move was invented",
            style="dim",
        )
    )
    if report.mistakes:
        console.print(Text(f"Mistakes ({len(report.mistakes)}):", style="bold"))
    for m in report.mistakes[:mistakes]:
        expected = _show(m.item.expected)
        line = Text(f"  {m.item.id} {m.item.lang} ({', '.join(m.wrong)}) ")
        line.append(m.item.title)
        console.print(line)
        console.print(
            Text(f"      expected {expected}\n      got      {_show(m.got)}", style="dim")
        )
