"""Mood charts as PNG bytes, sized for a phone screen.

Uses matplotlib's object API (``Figure`` + ``FigureCanvasAgg``) and never pyplot: no backend switch, no global
figure registry and no rcParams changes, so charts can be rendered from worker threads concurrently.

Shelly's palette (sea and coral, one colour per FER+ emotion; other labels get ``EXTRA_COLOURS`` in turn):
neutral #8FA8B8 sea mist, happiness #FF7F50 coral, surprise #FFC857 sand gold, sadness #2E6F95 deep sea,
anger #D7263D red coral, disgust #5C946E kelp, fear #6C4F8C sea urchin, contempt #B5838D shell pink.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import TYPE_CHECKING

from advice import KNOWN_EMOTIONS, emotion_name, percent, quantity, resolve_language, short_date, text

if TYPE_CHECKING:  # matplotlib is imported when the first chart is drawn: a bot that draws none never pays for it
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from bot.storage.types import MoodSummary

SIZE_PX = 1080
DPI = 100
BACKGROUND = "#FFF6EE"  # warm shell white
INK = "#1F3B4D"  # deep sea text

COLOURS = {
    "neutral": "#8FA8B8",
    "happiness": "#FF7F50",
    "surprise": "#FFC857",
    "sadness": "#2E6F95",
    "anger": "#D7263D",
    "disgust": "#5C946E",
    "fear": "#6C4F8C",
    "contempt": "#B5838D",
}
EXTRA_COLOURS = ("#4FB3BF", "#F4A259", "#9BC1BC", "#E07A5F")


def _ordered(summary: MoodSummary) -> list[str]:
    known = [e for e in KNOWN_EMOTIONS if summary.counts.get(e)]
    return known + sorted(e for e in summary.counts if e not in KNOWN_EMOTIONS and summary.counts[e])


def _colours(emotions: list[str]) -> dict[str, str]:
    extra = iter(EXTRA_COLOURS * (len(emotions) // len(EXTRA_COLOURS) + 1))
    return {e: COLOURS.get(e) or next(extra) for e in emotions}


def _style(ax: Axes) -> None:
    ax.set_facecolor(BACKGROUND)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=INK, labelsize=22)


def _bars(ax: Axes, summary: MoodSummary, emotions: list[str], colours: dict[str, str], language: str) -> None:
    _style(ax)
    shown = list(reversed(emotions))  # largest category order top-down
    values = [summary.counts[e] for e in shown]
    names = [emotion_name(e, language, capitalize=True) for e in shown]
    bars = ax.barh(names, values, color=[colours[e] for e in shown])
    total = max(summary.total, 1)
    shares = [" " + percent(100 * v / total, language) for v in values]
    ax.bar_label(bars, labels=shares, fontsize=22, color=INK, padding=4)
    ax.set_xlim(0, max(values) * 1.25)
    ax.set_ylim(len(shown) - 0.5 - max(len(shown), 5), len(shown) - 0.5)  # few emotions: keep bars slim, on top
    ax.xaxis.set_visible(False)
    ax.spines["bottom"].set_visible(False)


def _trend(
    ax: Axes, summary: MoodSummary, emotions: list[str], colours: dict[str, str], language: str, days_shown: int
) -> None:
    """Stacked daily bars (days without data stay empty, so gaps read as gaps)."""
    _style(ax)
    by_day = dict(summary.trend)
    first, last = min(by_day), max(by_day)
    days: list[date] = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    xs = list(range(len(days)))
    bottom = [0] * len(days)
    for emotion in emotions:
        heights = [by_day.get(d, {}).get(emotion, 0) for d in days]
        ax.bar(xs, heights, bottom=bottom, color=colours[emotion], width=0.85)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ticks = sorted({0, len(days) - 1, (len(days) - 1) // 2})
    ax.set_xticks(ticks, [short_date(days[i], language) for i in ticks])
    ax.set_xlim(-0.8, max(len(days), 7) - 0.2)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.set_title(text("chart_trend", language, days=days_shown), fontsize=24, color=INK, loc="left")


def render_mood_chart(summary: MoodSummary, title: str, language: str = "en", days: int = 30) -> bytes:
    """A 1080×1080 PNG: distribution bars, plus stacked daily bars (the trend) when ``summary.trend`` has data.
    Every word comes from the advice corpus of ``language``; ``days`` is the period the summary covers."""
    out = io.BytesIO()
    mood_chart_figure(summary, title, language, days).savefig(out, format="png", dpi=DPI, facecolor=BACKGROUND)
    return out.getvalue()


def mood_chart_figure(summary: MoodSummary, title: str, language: str = "en", days: int = 30) -> Figure:
    """The figure behind :func:`render_mood_chart` (its texts can be inspected)."""
    language = resolve_language(language)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(SIZE_PX / DPI, SIZE_PX / DPI), dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(fig)
    fig.suptitle(title, fontsize=36, color=INK, fontweight="bold", y=0.97)
    if summary.contributors > 1:
        subtitle = text("chart_subtitle", language, faces=summary.total, people=summary.contributors)
    else:
        subtitle = quantity("faces", summary.total, language)
    fig.text(0.5, 0.905, subtitle, ha="center", fontsize=22, color=INK)
    emotions = _ordered(summary)
    if not emotions:
        fig.text(0.5, 0.5, text("chart_empty", language), ha="center", va="center", fontsize=30, color=INK)
    else:
        colours = _colours(emotions)
        if summary.trend:
            top, bottom = fig.subplots(2, 1, height_ratios=(3, 2))
            _bars(top, summary, emotions, colours, language)
            _trend(bottom, summary, emotions, colours, language, days)
            fig.subplots_adjust(left=0.27, right=0.95, top=0.87, bottom=0.07, hspace=0.3)
        else:
            _bars(fig.add_subplot(), summary, emotions, colours, language)
            fig.subplots_adjust(left=0.27, right=0.95, top=0.87, bottom=0.05)
    return fig
