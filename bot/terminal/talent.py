"""`radar moves`: the ledger's moves of a period as a table, CSV or JSON, and the flow chart as a file."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.core.talent import CSV_COLUMNS, LedgerMove, csv_row, flow_chart
from bot.errors import InputError


def print_moves(console: Console, moves: Sequence[LedgerMove], label: str) -> None:
    table = Table(title=f"Talent moves, last {label}", header_style="bold")
    for col in ("id", "when", "who", "from", "to", "kind", "sources"):
        table.add_column(col)
    for m in moves:
        table.add_row(
            str(m.id),
            m.published_at.strftime("%Y-%m-%d"),
            m.person,
            m.from_org or "?",
            m.to_org or ("new company" if m.kind == "founding" else "?"),
            m.kind,
            str(len(m.sources)),
        )
    console.print(table)
    flow = Table(title="Net flow of people", header_style="bold")
    for col in ("organisation", "in", "out", "net"):
        flow.add_column(col, justify="right" if col != "organisation" else "left")
    for org, gained, lost in flow_chart(moves, "").net:
        net = gained - lost
        flow.add_row(
            org,
            str(gained),
            str(lost),
            Text(f"{net:+d}", style="green" if net > 0 else "red" if net < 0 else ""),
        )
    console.print(flow)


def export(moves: Sequence[LedgerMove], fmt: str) -> str:
    """The moves as CSV (one row per person and move) or JSON (with every source)."""
    if fmt == "json":
        return json.dumps([m.to_dict() for m in moves], ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_row(m) for m in moves)
        return buffer.getvalue()
    raise InputError(f"--format: {fmt!r} is not a format; use csv or json")


def write_chart(moves: Sequence[LedgerMove], title: str, path: Path) -> None:
    from bot.outputs.talent_chart import draw

    if path.suffix.lower() not in (".png", ".svg"):
        raise InputError(f"--chart: {path.name} must end in .png or .svg")
    fmt: Literal["png", "svg"] = "svg" if path.suffix.lower() == ".svg" else "png"
    try:
        path.write_bytes(draw(flow_chart(moves, title), fmt))
    except OSError as exc:
        raise InputError(f"--chart: cannot write {path}: {exc.strerror or exc}") from None
