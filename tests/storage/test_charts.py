"""Mood charts: PNG of the fixed size, English and German, with and without a trend."""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta

import pytest
from PIL import Image

from bot.charts import SIZE_PX, emotion_label, render_mood_chart
from bot.storage import MoodSummary

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


@pytest.mark.parametrize("language", ["en", "de"])
def test_chart_with_trend(language: str) -> None:
    assert _size(render_mood_chart(SUMMARY, "Stimmung" if language == "de" else "Mood", language)) == (SIZE_PX,) * 2


@pytest.mark.parametrize("language", ["en", "de", "xx"])
def test_chart_without_trend_and_empty(language: str) -> None:
    bars_only = MoodSummary(counts={"anger": 3}, total=3, contributors=1)
    assert _size(render_mood_chart(bars_only, "Your mood", language)) == (SIZE_PX, SIZE_PX)
    assert _size(render_mood_chart(MoodSummary(counts={}, total=0, contributors=0), "-", language)) == (SIZE_PX,) * 2


def test_german_emotion_names() -> None:
    assert [emotion_label(e, "de") for e in ("happiness", "surprise", "anger", "neutral")] == [
        "Freude",
        "Überraschung",
        "Ärger",
        "Neutral",
    ]
    assert emotion_label("sadness", "en") == "Sadness"


def test_charts_render_in_threads() -> None:
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(render_mood_chart(SUMMARY, "t", "de"))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and all(_size(png) == (SIZE_PX, SIZE_PX) for png in results)
