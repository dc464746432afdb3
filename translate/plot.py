"""A picture of an evaluation report, for people who would rather look than read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402

PLOT_METRICS: tuple[tuple[str, str], ...] = (("bleu", "BLEU"), ("chrf", "chrF"))


def _score(report: Mapping[str, Any] | None, suite: str, metric: str) -> float | None:
    if report is None:
        return None
    entry = report.get("suites", {}).get(suite, {}).get("scores", {}).get(metric)
    return float(entry["score"]) if entry else None


def plot_report(
    report: Mapping[str, Any],
    baseline: Mapping[str, Any] | None,
    path: str | Path,
    metrics: Sequence[tuple[str, str]] = PLOT_METRICS,
) -> Path:
    """Grouped bars, one panel per metric: each suite's current score beside the baseline's."""
    suites = list(report["suites"])
    if not suites:
        raise ValueError("report has no suites to plot")
    series = [("current", report, "#1f77b4")]
    if baseline is not None:
        series.insert(0, ("baseline", baseline, "#bbbbbb"))
    width = 0.8 / len(series)
    fig, axes = plt.subplots(1, len(metrics), figsize=(max(6.0, 2.2 * len(suites) * len(metrics)), 4.2),
                             squeeze=False)
    for ax, (metric, label) in zip(axes[0], metrics):
        for k, (name, rep, colour) in enumerate(series):
            xs = [i + (k - (len(series) - 1) / 2) * width for i in range(len(suites))]
            values = [_score(rep, s, metric) for s in suites]
            bars = ax.bar(xs, [v or 0.0 for v in values], width, label=name, color=colour)
            for bar, v in zip(bars, values):
                text = "n/a" if v is None else f"{v:.1f}"
                ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points")
        ax.set_xticks(range(len(suites)), suites)
        ax.set_title(label)
        ax.set_ylim(0, 100)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    axes[0][0].set_ylabel("score (0-100)")
    axes[0][-1].legend(loc="upper right", fontsize=8)
    model = report.get("model", {}).get("id", "?")
    limit = report.get("limit")
    fig.suptitle(f"nlen eval: {model}" + (f" (first {limit} lines)" if limit else ""), fontsize=10)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
