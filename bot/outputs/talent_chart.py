"""Draw a talent-flow chart (bot.core.talent.FlowChart) as a PNG or SVG with matplotlib.

matplotlib costs about half a second to import, so only this module imports it, and only the
commands that draw a chart import this module."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Literal

from bot.core.talent import FlowChart

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MAX_BARS = 10  # per panel: more would not read on a phone
GAIN, LOSS, FLOW, INK, MUTED = "#1a7f37", "#cf222e", "#0969da", "#1f2328", "#656d76"


def draw(chart: FlowChart, fmt: Literal["png", "svg"] = "png") -> bytes:
    """The chart as image bytes: flows between organisations, net flow per organisation, and the
    list of moves below. Portrait and large type, for a phone screen."""
    import matplotlib

    matplotlib.use("Agg")  # no display, no GUI toolkit: safe in a service and in tests
    from matplotlib import pyplot as plt

    flows = chart.flows[:MAX_BARS]
    net = chart.net[:MAX_BARS]
    list_lines = [*chart.lines, *([f"… and {chart.more} more"] if chart.more else [])]
    heights = [max(1.2, 0.45 * len(flows) + 0.6), max(1.2, 0.45 * len(net) + 0.6)]
    text_height = 0.24 * (len(list_lines) + 1)
    with plt.rc_context(
        {"svg.fonttype": "none", "font.size": 12, "axes.titlesize": 14, "axes.titleweight": "bold"}
    ):
        fig = plt.figure(figsize=(7.2, sum(heights) + text_height + 1.0), dpi=150)
        grid = fig.add_gridspec(
            3, 1, height_ratios=[*heights, text_height], hspace=0.45, left=0.4, right=0.9
        )
        fig.suptitle(chart.title, fontsize=16, fontweight="bold", x=0.03, ha="left", color=INK)
        ax_flow = fig.add_subplot(grid[0])
        _flows(ax_flow, chart)
        ax_net = fig.add_subplot(grid[1])
        _net(ax_net, chart)
        ax_list = fig.add_subplot(grid[2])
        ax_list.axis("off")
        ax_list.set_title("Moves", loc="left", color=INK, x=-0.45)
        body = "\n".join(list_lines) if list_lines else "No moves in this period."
        ax_list.text(
            -0.45,
            1.0,
            body,
            va="top",
            ha="left",
            fontsize=11,
            color=INK,
            transform=ax_list.transAxes,
        )
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, facecolor="white", bbox_inches="tight", pad_inches=0.3)
        plt.close(fig)
    return buffer.getvalue()


def _flows(ax: Axes, chart: FlowChart) -> None:
    flows = list(reversed(chart.flows[:MAX_BARS]))
    ax.set_title("Who gained whom, from where", loc="left", color=INK, x=-0.45)
    if not flows:
        ax.axis("off")
        ax.text(0, 0.5, "No moves in this period.", color=MUTED, transform=ax.transAxes)
        return
    labels = [f"{f.origin} → {f.destination}" for f in flows]
    counts = [f.people for f in flows]
    bars = ax.barh(range(len(flows)), counts, color=FLOW, height=0.6)
    ax.set_yticks(range(len(flows)), labels)
    ax.bar_label(bars, labels=[str(c) for c in counts], padding=4, color=INK)
    _tidy(ax, max(counts))


def _net(ax: Axes, chart: FlowChart) -> None:
    rows = list(reversed(chart.net[:MAX_BARS]))
    ax.set_title("Net flow per organisation", loc="left", color=INK, x=-0.45)
    if not rows:
        ax.axis("off")
        return
    nets = [gained - lost for _, gained, lost in rows]
    colours = [GAIN if n > 0 else LOSS if n < 0 else MUTED for n in nets]
    ax.barh(range(len(rows)), nets, color=colours, height=0.6)
    ax.set_yticks(range(len(rows)), [org for org, _, _ in rows])
    span = max(1, *(abs(n) for n in nets))
    # Every label to the right of the zero line (or of a gain's bar), so that a long loss bar
    # never pushes its label into the organisation's name.
    for y, (n, (_, gained, lost)) in enumerate(zip(nets, rows, strict=True)):
        ax.text(
            max(n, 0) + span * 0.05,
            y,
            f"{n:+d} ({gained} in, {lost} out)",
            va="center",
            ha="left",
            color=INK,
            fontsize=10,
        )
    ax.axvline(0, color=MUTED, linewidth=0.8)
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(-span * 1.1, span * 2.6)
    ax.set_xticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)


def _tidy(ax: Axes, most: int) -> None:
    ax.set_xlim(0, most * 1.25 + 0.5)
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
