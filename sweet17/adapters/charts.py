"""PNG charts for the drive's reports (matplotlib, Agg backend: no display needed).

Every function takes plain data and already translated labels, writes one PNG (atomically:
a temporary file, then a rename) and returns its path. Colours are the same across charts
so that a reader learns them once: roster grey, eligible blue, recorded green, printed orange,
delivered purple.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

COLOURS = {
    "roster": "#9e9e9e",
    "eligible": "#4f81bd",
    "recorded": "#2e9e4f",
    "synced": "#7fbf7f",
    "printed": "#f28e2b",
    "delivered": "#8064a2",
    "target": "#c0504d",
    "history": "#7f7f7f",
}
DPI = 150


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:  # type: ignore[no-untyped-def]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp, dpi=DPI, bbox_inches="tight", metadata={"Software": "sweet17"})
    _plt().close(fig)
    os.replace(tmp, path)
    return path


@dataclass(frozen=True)
class Bar:
    label: str
    values: dict[str, float]        # series key -> value


def grouped_bars(bars: Sequence[Bar], series: Sequence[tuple[str, str]], path: Path, *, title: str,
                 xlabel: str = "", rates: Sequence[str | None] | None = None,
                 reference: tuple[float, str] | None = None) -> Path:
    """Horizontal grouped bars (one group per label, one bar per series ``(key, label)``).

    ``rates`` are printed at the end of each group (e.g. the recording rate); ``reference`` draws a
    vertical line (value, label).
    """
    plt = _plt()
    n, k = len(bars), len(series)
    height = 0.8 / max(k, 1)
    fig, ax = plt.subplots(figsize=(8.5, min(7.5, max(2.6, 0.12 * n * max(k, 2) + 1.6))))
    for j, (key, label) in enumerate(series):
        ys = [i + (j - (k - 1) / 2) * height for i in range(n)]
        ax.barh(ys, [b.values.get(key, 0) for b in bars], height=height * 0.95, label=label,
                color=COLOURS.get(key, None))
    ax.set_yticks(range(n), [b.label for b in bars])
    ax.invert_yaxis()
    if rates:
        top = max((max(b.values.values(), default=0) for b in bars), default=0)
        for i, r in enumerate(rates):
            if r:
                ax.text(top * 1.02, i, r, va="center", fontsize=8)
        ax.set_xlim(0, top * 1.18 if top else 1)
    if reference is not None:
        ax.axvline(reference[0], color=COLOURS["target"], linestyle="--", linewidth=1, label=reference[1])
    ax.set_title(title, loc="left", fontsize=11, pad=22)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=len(series) + (reference is not None),
              frameon=False, borderaxespad=0.2)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    return _save(fig, path)


def progress(days: Sequence[date], series: Sequence[tuple[str, str, Sequence[float]]], path: Path, *,
             title: str, ylabel: str, target: tuple[float, str] | None = None,
             daily: tuple[str, Sequence[float]] | None = None) -> Path:
    """Cumulative lines over the drive's days (``series``: key, label, values), a target line, and
    optionally the daily counts as bars on a second axis."""
    plt = _plt()
    import matplotlib.dates as mdates

    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    if daily is not None:
        ax2 = ax.twinx()
        ax2.bar(days, daily[1], color=COLOURS["eligible"], alpha=0.25, width=0.8, label=daily[0])
        ax2.set_ylabel(daily[0], fontsize=8)
        ax2.tick_params(axis="y", labelsize=8)
        ax.set_zorder(ax2.get_zorder() + 1)
        ax.patch.set_visible(False)
    for key, label, values in series:
        ax.plot(days, values, marker="o", markersize=3, linewidth=2, color=COLOURS.get(key), label=label)
    if target is not None:
        ax.axhline(target[0], color=COLOURS["target"], linestyle="--", linewidth=1, label=target[1])
    ax.set_title(title, loc="left", fontsize=11, pad=22)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    span = max((max(days) - min(days)).days, 1) if days else 1
    ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, span // 12)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if daily is not None:
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=len(handles),
              frameon=False, borderaxespad=0.2)
    fig.autofmt_xdate()
    return _save(fig, path)


def rates_by_year(years: Sequence[str], rates: Sequence[float], path: Path, *, title: str,
                  highlight_last: bool = True) -> Path:
    """Bars of a rate (0-1) per year, as percentages; the last (this drive) highlighted."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    colours = [COLOURS["history"]] * len(years)
    if highlight_last and colours:
        colours[-1] = COLOURS["recorded"]
    ax.bar(years, [r * 100 for r in rates], color=colours)
    for i, r in enumerate(rates):
        ax.text(i, r * 100 + 1, f"{r * 100:.1f}%", ha="center", fontsize=9)
    ax.set_ylim(0, max([r * 100 for r in rates] + [10]) * 1.2)
    ax.set_ylabel("%")
    ax.set_title(title, loc="left", fontsize=11)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    return _save(fig, path)


def element_scores(labels: Sequence[str], values: Sequence[float | None], path: Path, *, title: str,
                   weakest: Sequence[int] = (), thresholds: Sequence[tuple[float, str]] = ()) -> Path:
    """IKM element averages (1-4) as horizontal bars; the weakest in red; category thresholds dashed."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8.5, 0.42 * len(labels) + 1.3))
    vals = [v or 0 for v in values]
    colours = [COLOURS["target"] if i in weakest else COLOURS["eligible"] for i in range(len(labels))]
    ax.barh(range(len(labels)), vals, color=colours)
    for i, v in enumerate(values):
        ax.text((v or 0) + 0.03, i, "-" if v is None else f"{v:.2f}", va="center", fontsize=8)
    for x, name in thresholds:
        ax.axvline(x, color=COLOURS["history"], linestyle=":", linewidth=1)
        ax.text(x, -0.75, name, ha="center", fontsize=7, color=COLOURS["history"])
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(1, 4.3)
    ax.set_title(title, loc="left", fontsize=11, pad=14)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    return _save(fig, path)


def histogram(values: Sequence[float], path: Path, *, title: str, xlabel: str, bins: Sequence[float],
              reference: tuple[float, str] | None = None) -> Path:
    """A histogram (e.g. NFIQ 2 scores 0-100) with an optional reference line (the threshold)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    from matplotlib.ticker import MaxNLocator

    ax.hist(values, bins=list(bins), color=COLOURS["recorded"], edgecolor="white")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if reference is not None:
        ax.axvline(reference[0], color=COLOURS["target"], linestyle="--", linewidth=1, label=reference[1])
        ax.legend(fontsize=8, frameon=False)
    ax.set_title(title, loc="left", fontsize=11)
    ax.set_xlabel(xlabel)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    return _save(fig, path)


def simple_bars(labels: Sequence[str], values: Sequence[float], path: Path, *, title: str, xlabel: str = "",
                key: str = "eligible", fmt: str = "{:g}") -> Path:
    """One series of horizontal bars with the value printed at each bar's end."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 0.38 * len(labels) + 1.2))
    ax.barh(range(len(labels)), values, color=COLOURS.get(key, key))
    top = max(values, default=0) or 1
    for i, v in enumerate(values):
        ax.text(v + top * 0.01, i, fmt.format(v), va="center", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.15)
    ax.set_title(title, loc="left", fontsize=11)
    ax.set_xlabel(xlabel)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    return _save(fig, path)
