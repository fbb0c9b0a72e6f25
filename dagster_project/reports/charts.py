"""Charts for the HTML reports: matplotlib figures serialised as inline SVG.

Text stays text (`svg.fonttype = none`): the browser draws the Chinese labels with its own
fonts, so the SVG needs no embedded font and stays small. Output is deterministic (fixed hash
salt, no date metadata), so the same data gives the same page.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "lantian",
    "font.family": ["Noto Sans CJK SC", "sans-serif"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
# The SVG names the families and the reader's browser draws the text, with the reader's fonts:
# the build machine's fonts only size the layout. A CJK family missing there is no fault of the
# page, and matplotlib's warning for it (one per lookup, dozens a build) would bury the build log.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#7f7f7f")


def to_svg(fig: plt.Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: inline in HTML


def stacked_bars(
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    ylabel: str,
    *,
    horizontal: bool = False,
    width: float = 7.5,
    height: float = 3.0,
    limit: tuple[float, str] | None = None,
) -> str:
    """Bars per category, one stacked segment per series."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(width, height))
        base = [0.0] * len(categories)
        pos = range(len(categories))
        for i, (name, values) in enumerate(series.items()):
            vals = [float(v or 0) for v in values]
            if horizontal:
                ax.barh(pos, vals, left=base, label=name, color=PALETTE[i % len(PALETTE)])
            else:
                ax.bar(pos, vals, bottom=base, label=name, color=PALETTE[i % len(PALETTE)])
            base = [b + v for b, v in zip(base, vals, strict=True)]
        if horizontal:
            ax.set_yticks(list(pos), list(categories))
            ax.invert_yaxis()
            ax.set_xlabel(ylabel)
        else:
            ax.set_xticks(list(pos), list(categories), rotation=45, ha="right")
            ax.set_ylabel(ylabel)
        if limit is not None:
            (ax.axvline if horizontal else ax.axhline)(
                limit[0], color="#d62728", linestyle="--", linewidth=1, label=limit[1]
            )
        if len(series) > 1 or limit is not None:
            ax.legend(fontsize=8, frameon=False, ncols=min(len(series) + 1, 6))
        return to_svg(fig)


def lines(
    x: Sequence[str],
    series: dict[str, Sequence[float | None]],
    ylabel: str,
    *,
    width: float = 7.5,
    height: float = 2.8,
    limit: tuple[float, str] | None = None,
) -> str:
    """One line per series over categorical x (months)."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(width, height))
        for i, (name, values) in enumerate(series.items()):
            ys = [float("nan") if v is None else float(v) for v in values]
            ax.plot(
                list(x), ys, marker="o", markersize=3, label=name, color=PALETTE[i % len(PALETTE)]
            )
        if limit is not None:
            ax.axhline(limit[0], color="#d62728", linestyle="--", linewidth=1, label=limit[1])
        ax.set_ylabel(ylabel)
        ax.tick_params(axis="x", rotation=45)
        ax.legend(fontsize=7, frameon=False, ncols=4)
        return to_svg(fig)


def heatmap(
    rows: Sequence[str],
    cols: Sequence[str],
    values: Sequence[Sequence[float | None]],
    label: str,
    *,
    threshold: float | None = None,
    width: float = 7.5,
) -> str:
    """A coloured grid with the value in each cell; values above `threshold` in bold."""
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, ax = plt.subplots(figsize=(width, 0.28 * len(rows) + 1.0))
        grid = [[float("nan") if v is None else float(v) for v in r] for r in values]
        image = ax.imshow(grid, cmap="YlOrBr", aspect="auto")
        ax.set_xticks(range(len(cols)), list(cols), rotation=45, ha="right")
        ax.set_yticks(range(len(rows)), list(rows))
        for i, r in enumerate(grid):
            for j, v in enumerate(r):
                if v == v:
                    bold = threshold is not None and v > threshold
                    ax.text(
                        j,
                        i,
                        f"{v:.1f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        fontweight="bold" if bold else "normal",
                        color="#b00" if bold else "#222",
                    )
        fig.colorbar(image, ax=ax, label=label, shrink=0.8)
        return to_svg(fig)


def histogram(values: Sequence[float], xlabel: str, *, line: tuple[float, str]) -> str:
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.5, 2.6))
        ax.hist([float(v) for v in values], bins=20, range=(0, 1), color=PALETTE[0])
        ax.axvline(line[0], color="#d62728", linestyle="--", linewidth=1, label=line[1])
        ax.set_xlabel(xlabel)
        ax.set_ylabel("count")
        ax.legend(fontsize=8, frameon=False)
        return to_svg(fig)
