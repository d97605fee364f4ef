"""Mood charts: PNG of the fixed size, English and German, with and without a trend."""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta

import pytest
from PIL import Image, ImageChops

from advice import emotion_name, quantity, text
from bot.charts import SIZE_PX, mood_chart_figure, render_mood_chart
from bot.storage import MoodSummary
from inference.labels import FERPLUS_LABELS

SUMMARY = MoodSummary(
    counts={"happiness": 12, "sadness": 4, "neutral": 9, "surprise": 2, "contempt": 1, "sleepy": 1},
    total=29,
    contributors=4,
    trend=[
        (date(2026, 11, 1) + timedelta(days=d), {"happiness": d % 3 + 1, "sadness": d % 2}) for d in range(0, 30, 3)
    ],
)


def _size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        return image.size


@pytest.mark.parametrize("language", ["en", "de", "ru"])
def test_chart_with_trend(language: str) -> None:
    assert _size(render_mood_chart(SUMMARY, "Stimmung" if language == "de" else "Mood", language)) == (SIZE_PX,) * 2


@pytest.mark.parametrize("language", ["en", "de", "xx"])
def test_chart_without_trend_and_empty(language: str) -> None:
    bars_only = MoodSummary(counts={"anger": 3}, total=3, contributors=1)
    assert _size(render_mood_chart(bars_only, "Your mood", language)) == (SIZE_PX, SIZE_PX)
    assert _size(render_mood_chart(MoodSummary(counts={}, total=0, contributors=0), "-", language)) == (SIZE_PX,) * 2


@pytest.mark.parametrize("language", ["en", "de", "es", "fr", "pt", "ru"])
def test_chart_words_come_from_the_corpus(language: str) -> None:
    """Bars carry the reply's mood names; subtitle, trend title and percentages are in the chat's language."""
    fig = mood_chart_figure(SUMMARY, "t", language, days=30)
    bars, trend = fig.axes
    names = [label.get_text() for label in bars.get_yticklabels()]
    assert names[::-1][:5] == [emotion_name(e, language, capitalize=True)
                               for e in ("neutral", "happiness", "surprise", "sadness", "contempt")]
    assert names[0] == "Sleepy"  # a custom label keeps its own name
    texts = {t.get_text() for t in fig.texts}
    assert text("chart_subtitle", language, faces=29, people=4) in texts
    assert quantity("faces", 29, language) in text("chart_subtitle", language, faces=29, people=4)
    assert trend.get_title(loc="left") == text("chart_trend", language, days=30)


def test_charts_render_in_threads() -> None:
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(render_mood_chart(SUMMARY, "t", "de"))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and all(_size(png) == (SIZE_PX, SIZE_PX) for png in results)


FER_PLUS = FERPLUS_LABELS
Rgb = tuple[int, int, int]


def _areas(png: bytes) -> tuple[dict[Rgb, int], int]:
    """Solid colours covering at least 1 % of the picture (the bars), without the background; and how
    many pixels are not background at all (text, axes, bars)."""
    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
        colours = sorted(rgb.getcolors(maxcolors=rgb.width * rgb.height) or [], reverse=True)
    total = rgb.width * rgb.height
    (background_pixels, _), rest = colours[0], colours[1:]
    assert background_pixels > total // 2, "the background is not the most common colour"
    return {c: n for n, c in rest if n >= total // 100}, sum(n for n, _ in rest)


def _chart(counts: dict[str, int], language: str = "en") -> bytes:
    return render_mood_chart(MoodSummary(counts=counts, total=sum(counts.values()), contributors=3), "Mood", language)


def test_each_emotion_has_its_own_bar_colour_and_bars_are_sized_by_count() -> None:
    colour = {}
    for emotion in (*FER_PLUS, "sleepy"):
        bars, _ = _areas(_chart({emotion: 3}))
        assert len(bars) == 1, (emotion, bars)  # one bar, one solid colour
        colour[emotion] = next(iter(bars))
    assert len(set(colour.values())) == len(colour)  # unknown labels get a colour of their own too
    bars, _ = _areas(_chart({"happiness": 12, "sadness": 4}))
    assert set(bars) == {colour["happiness"], colour["sadness"]}
    assert 2.7 < bars[colour["happiness"]] / bars[colour["sadness"]] < 3.3  # bar length follows the count
    # with a trend the same colours stack per day below the bars: more of each colour, no new ones
    bars_only, _ = _areas(_chart({"happiness": 12, "sadness": 4}))
    with_trend, _ = _areas(render_mood_chart(SUMMARY, "Mood", "en"))
    assert {colour[e] for e in ("happiness", "sadness")} <= set(with_trend) <= {colour[e] for e in SUMMARY.counts}
    assert with_trend[colour["sadness"]] > bars_only[colour["sadness"]]


@pytest.mark.parametrize("language", ["en", "de"])
def test_an_empty_chart_has_text_but_no_bars(language: str) -> None:
    bars, drawn = _areas(render_mood_chart(MoodSummary(counts={}, total=0, contributors=0), "Mood", language))
    assert bars == {}
    assert drawn > 1000  # title and the "nothing yet" line are there: not a blank picture


def test_german_chart_keeps_the_colours_and_changes_the_words() -> None:
    counts = {"happiness": 5, "anger": 2}
    english, german = _chart(counts, "en"), _chart(counts, "de")
    assert _areas(english)[0].keys() == _areas(german)[0].keys()
    with Image.open(io.BytesIO(english)) as en, Image.open(io.BytesIO(german)) as de:
        assert ImageChops.difference(en.convert("RGB"), de.convert("RGB")).getbbox() is not None
