"""A PNG of the week: cases per day stacked by outcome, and cases by Outlook version.

matplotlib is imported inside ``chart_png`` (with the Agg backend, no display needed),
so importing this module, and starting the bot, stays fast.
"""

from __future__ import annotations

import io
from pathlib import Path

from bot.summary import OUTCOMES, WeekSummary

WIDTH_IN, HEIGHT_IN, DPI = 10.0, 4.0, 100  # 1000 x 400 pixels
COLOURS = {"resolved": "#2e7d32", "unresolved": "#f9a825", "escalated": "#c62828",
           "open": "#90a4ae"}  # fmt: skip
OUTCOME_LABELS = {"resolved": "resolved", "unresolved": "not resolved", "escalated": "escalated",
                  "open": "still open"}  # fmt: skip
VERSION_LABELS = {"2013+": "2013+", "other": "other", "unknown": "not given"}


def chart_png(summary: WeekSummary) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    # A bare Figure (not pyplot) keeps no global state between calls or threads.
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    per_day, per_version = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    _per_day(per_day, summary)
    _per_version(per_version, summary)
    fig.suptitle(f"Email status cases, week {summary.week} ({summary.tz})")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def write_chart(summary: WeekSummary, path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(chart_png(summary))
    return target


def _per_day(ax, summary: WeekSummary) -> None:  # type: ignore[no-untyped-def]
    labels = [f"{d.day:%a}\n{d.day:%d %b}" for d in summary.days]
    bottom = [0] * len(summary.days)
    for outcome in OUTCOMES:
        values = [getattr(d, outcome) for d in summary.days]
        ax.bar(labels, values, bottom=bottom, color=COLOURS[outcome],
               label=OUTCOME_LABELS[outcome])  # fmt: skip
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title("Cases per day, by outcome")
    ax.set_ylabel("cases")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="upper right", fontsize="small")
    if not any(bottom):
        ax.text(0.5, 0.5, "no cases this week", ha="center", va="center", transform=ax.transAxes)


def _per_version(ax, summary: WeekSummary) -> None:  # type: ignore[no-untyped-def]
    names = [VERSION_LABELS.get(v, v) for v, _ in summary.by_version] or ["none"]
    counts = [n for _, n in summary.by_version] or [0]
    ax.barh(names[::-1], counts[::-1], color="#1565c0")
    ax.set_title("Cases by Outlook version")
    ax.xaxis.get_major_locator().set_params(integer=True)
