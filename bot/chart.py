"""A picture of the week: cases per day stacked by outcome, cases by Outlook version and
cases by article.

An empty week is a clean card that says so (no axes around nothing). ``write_chart``
writes the format the file's extension names (PNG, SVG, PDF, JPEG, WebP) or refuses.

matplotlib is imported inside ``render`` (with the Agg backend, no display needed), so
importing this module, and starting the bot, stays fast.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from bot.summary import OUTCOMES, WeekSummary

WIDTH_IN, HEIGHT_IN, DPI = 12.0, 4.0, 100  # 1200 x 400 pixels
EMPTY_HEIGHT_IN = 2.0
# Settled outcomes in strong colours, "answered" (no outcome yet) in grey.
COLOURS = {"resolved": "#2e7d32", "unresolved": "#f9a825", "escalated": "#c62828",
           "rejected": "#6a1b9a", "answered": "#90a4ae"}  # fmt: skip
OUTCOME_LABELS = {"resolved": "resolved", "unresolved": "unresolved", "escalated": "escalated",
                  "rejected": "rejected", "answered": "answered, no outcome yet"}  # fmt: skip
CHART_VERSION_LABELS = {"2013+": "2013+", "other": "other", "unknown": "not given"}
# Extension → matplotlib format; anything else is refused rather than mislabelled.
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf", ".jpg": "jpeg", ".jpeg": "jpeg",
           ".webp": "webp"}  # fmt: skip


def chart_png(summary: WeekSummary) -> bytes:
    return render(summary, "png")


def render(summary: WeekSummary, fmt: str = "png") -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    # A bare Figure (not pyplot) keeps no global state between calls or threads.
    if summary.headline.cases == 0:
        fig = Figure(figsize=(WIDTH_IN, EMPTY_HEIGHT_IN), dpi=DPI)
        _empty(fig, summary)
    else:
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
        per_day, per_version, per_article = fig.subplots(
            1, 3, gridspec_kw={"width_ratios": [3, 1, 1]}
        )
        _per_day(per_day, summary)
        _ranked_bars(
            per_version, summary.by_version, "Cases by Outlook version", CHART_VERSION_LABELS
        )
        _ranked_bars(per_article, summary.by_article, "Cases by article", {})
        fig.suptitle(f"Email status cases, week {summary.week} ({summary.tz})")
        fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=DPI)
    return buffer.getvalue()


def chart_format(path: str | Path) -> str:
    """The format a file name asks for; ValueError for an extension we don't write."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise ValueError(f"'{Path(path).name}': the chart can be written as {known}")
    return FORMATS[suffix]


def write_chart(summary: WeekSummary, path: str | Path) -> Path:
    target = Path(path)
    fmt = chart_format(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(render(summary, fmt))
    return target


def _empty(fig: Any, summary: WeekSummary) -> None:
    fig.text(0.5, 0.62, "No cases this week", ha="center", va="center", fontsize=20,
             color="#37474f")  # fmt: skip
    detail = f"Week {summary.week}, {summary.start:%d %b} – {summary.end:%d %b %Y} ({summary.tz})"
    if summary.headline.gaps:
        detail += f" · {summary.headline.gaps} knowledge gaps"
    fig.text(0.5, 0.35, detail, ha="center", va="center", fontsize=11, color="#607d8b")


def _per_day(ax: Any, summary: WeekSummary) -> None:
    labels = [f"{d.day:%a}\n{d.day:%d %b}" for d in summary.days]
    bottom = [0] * len(summary.days)
    for outcome in OUTCOMES:
        values = [getattr(d, outcome) for d in summary.days]
        # Every outcome keeps its legend entry, with the week's count: a 0 is news too.
        label = f"{OUTCOME_LABELS[outcome]} ({sum(values)})"
        ax.bar(labels, values, bottom=bottom, color=COLOURS[outcome], label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title("Cases per day, by outcome")
    ax.set_ylabel("cases")
    ax.set_ylim(0, max(bottom) * 1.6)  # room for the legend rows above the tallest day
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="upper left", fontsize="small", ncols=2, frameon=False)


def _ranked_bars(
    ax: Any, counts: tuple[tuple[str, int], ...], title: str, labels: dict[str, str]
) -> None:
    names = [labels.get(key, key) for key, _ in counts]
    values = [n for _, n in counts]
    ax.barh(names[::-1], values[::-1], color="#1565c0")
    ax.set_title(title)
    ax.xaxis.get_major_locator().set_params(integer=True)
