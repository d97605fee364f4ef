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

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

if TYPE_CHECKING:
    from bot.storage.types import MoodSummary

SIZE_PX = 1080
DPI = 100
BACKGROUND = "#FFF6EE"  # warm shell white
INK = "#1F3B4D"  # deep sea text

EMOTION_ORDER = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt")
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

EMOTION_NAMES = {
    "de": {
        "neutral": "neutral",
        "happiness": "Freude",
        "surprise": "Überraschung",
        "sadness": "Traurigkeit",
        "anger": "Ärger",
        "disgust": "Ekel",
        "fear": "Angst",
        "contempt": "Verachtung",
    },
}
TEXTS = {
    "en": {"faces": "{n} faces", "people": "{n} people", "trend": "Last 30 days", "empty": "No moods recorded yet"},
    "de": {
        "faces": "{n} Gesichter",
        "people": "{n} Personen",
        "trend": "Letzte 30 Tage",
        "empty": "Noch keine Stimmungen erfasst",
    },
}
DATE_FORMAT = {"en": "%b %d", "de": "%d.%m."}


def emotion_label(emotion: str, language: str = "en") -> str:
    name = EMOTION_NAMES.get(language, {}).get(emotion, emotion)
    return name[:1].upper() + name[1:]


def _text(language: str, key: str, **values: object) -> str:
    return TEXTS.get(language, TEXTS["en"])[key].format(**values)


def _ordered(summary: MoodSummary) -> list[str]:
    known = [e for e in EMOTION_ORDER if summary.counts.get(e)]
    return known + sorted(e for e in summary.counts if e not in EMOTION_ORDER and summary.counts[e])


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
    bars = ax.barh([emotion_label(e, language) for e in shown], values, color=[colours[e] for e in shown])
    total = max(summary.total, 1)
    ax.bar_label(bars, labels=[f" {round(100 * v / total)}%" for v in values], fontsize=22, color=INK, padding=4)
    ax.set_xlim(0, max(values) * 1.25)
    ax.set_ylim(len(shown) - 0.5 - max(len(shown), 5), len(shown) - 0.5)  # few emotions: keep bars slim, on top
    ax.xaxis.set_visible(False)
    ax.spines["bottom"].set_visible(False)


def _trend(ax: Axes, summary: MoodSummary, emotions: list[str], colours: dict[str, str], language: str) -> None:
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
    ax.set_xticks(ticks, [days[i].strftime(DATE_FORMAT.get(language, DATE_FORMAT["en"])) for i in ticks])
    ax.set_xlim(-0.8, max(len(days), 7) - 0.2)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.set_title(_text(language, "trend"), fontsize=24, color=INK, loc="left")


def render_mood_chart(summary: MoodSummary, title: str, language: str = "en") -> bytes:
    """A 1080×1080 PNG: distribution bars, plus stacked daily bars (the trend) when ``summary.trend`` has data."""
    language = language if language in TEXTS else "en"
    fig = Figure(figsize=(SIZE_PX / DPI, SIZE_PX / DPI), dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(fig)
    fig.suptitle(title, fontsize=36, color=INK, fontweight="bold", y=0.97)
    subtitle = _text(language, "faces", n=summary.total)
    if summary.contributors > 1:
        subtitle += " · " + _text(language, "people", n=summary.contributors)
    fig.text(0.5, 0.905, subtitle, ha="center", fontsize=22, color=INK)
    emotions = _ordered(summary)
    if not emotions:
        fig.text(0.5, 0.5, _text(language, "empty"), ha="center", va="center", fontsize=30, color=INK)
    else:
        colours = _colours(emotions)
        if summary.trend:
            top, bottom = fig.subplots(2, 1, height_ratios=(3, 2))
            _bars(top, summary, emotions, colours, language)
            _trend(bottom, summary, emotions, colours, language)
            fig.subplots_adjust(left=0.27, right=0.95, top=0.87, bottom=0.07, hspace=0.3)
        else:
            _bars(fig.add_subplot(), summary, emotions, colours, language)
            fig.subplots_adjust(left=0.27, right=0.95, top=0.87, bottom=0.05)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor=BACKGROUND)
    return out.getvalue()
