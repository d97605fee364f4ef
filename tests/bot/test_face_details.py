"""Per-face details: the in-memory store (TTL and bounds on an injected clock) and the bar chart (decoded PNG)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.charts import BACKGROUND, COLOURS, INK
from bot.face_details import (
    FACES_PER_CHART,
    MAX_HEIGHT_PX,
    FaceDetailsStore,
    FaceEmotions,
    chart_pages,
    render_face_details,
)
from inference.labels import FERPLUS_LABELS
from inference.types import Face
from tests.bar_chart import bar_groups, decode, hex_rgb
from tests.clock import Clock

LABELS = FERPLUS_LABELS



def face(index: int, **probabilities: float) -> Face:
    rest = (1.0 - sum(probabilities.values())) / (len(LABELS) - len(probabilities))
    emotions = {label: probabilities.get(label, rest) for label in LABELS}
    return Face(index=index, box=(0, 0, 10, 10), landmarks=(), detection_score=0.9, emotions=emotions)


def crowd(n: int) -> list[Face]:
    tops = ("happiness", "sadness", "surprise", "neutral", "anger")
    return [face(i + 1, **{tops[i % 5]: 0.5, tops[(i + 1) % 5]: 0.3, tops[(i + 2) % 5]: 0.12}) for i in range(n)]


# ---------------------------------------------------------------- store


def test_remember_keeps_top_three_per_face_in_picture_order() -> None:
    store = FaceDetailsStore()
    store.remember(7, 100, [face(2, sadness=0.6, fear=0.2, neutral=0.1), face(1, happiness=0.9, surprise=0.05)])
    faces = store.get(7, 100)
    assert faces is not None
    assert [f.index for f in faces] == [1, 2]
    assert list(faces[0].emotions)[:2] == ["happiness", "surprise"]
    assert len(faces[0].emotions) == 3 and faces[0].emotions["happiness"] == pytest.approx(0.9)
    assert list(faces[1].emotions) == ["sadness", "fear", "neutral"]
    assert store.get(7, 101) is None and store.get(8, 100) is None


def test_details_expire_after_the_ttl() -> None:
    clock = Clock(0.0)
    store = FaceDetailsStore(ttl_s=60, timer=clock)
    store.remember(1, 1, crowd(2))
    clock.now = 59.0
    assert store.get(1, 1) is not None
    clock.now = 60.5
    assert store.get(1, 1) is None
    assert len(store) == 0


def test_store_is_bounded_by_faces_and_drops_the_oldest() -> None:
    store = FaceDetailsStore(max_faces=10, timer=Clock(0.0))
    for message_id in range(1, 6):  # 5 replies x 3 faces = 15 faces > 10
        store.remember(1, message_id, crowd(3))
    assert store.get(1, 1) is None and store.get(1, 2) is None
    assert all(store.get(1, m) is not None for m in (3, 4, 5))


def test_a_crowd_bigger_than_the_store_keeps_its_first_faces() -> None:
    store = FaceDetailsStore(max_faces=4)
    store.remember(1, 1, crowd(9))
    faces = store.get(1, 1)
    assert faces is not None and [f.index for f in faces] == [1, 2, 3, 4]


def test_no_faces_are_not_remembered() -> None:
    store = FaceDetailsStore()
    store.remember(1, 1, [])
    assert store.get(1, 1) is None and len(store) == 0


# ---------------------------------------------------------------- chart


@pytest.mark.parametrize("n", [1, 3, 6])
def test_one_column_chart_has_one_group_of_three_bars_per_face(n: int) -> None:
    pixels = decode(render_face_details(crowd(n), title="Top 3 moods per face"))
    height, width = pixels.shape[:2]
    assert width <= 1280 and height <= MAX_HEIGHT_PX
    assert bar_groups(pixels) == [3] * n


def test_two_column_chart_for_many_faces_stays_within_phone_bounds() -> None:
    n = FACES_PER_CHART
    pixels = decode(render_face_details(crowd(n), title="Top 3"))
    height, width = pixels.shape[:2]
    assert width <= 1280 and height <= MAX_HEIGHT_PX
    assert bar_groups(pixels) == [3] * (n // 2)  # two faces side by side per group of rows
    left, right = pixels[:, : width // 2], pixels[:, width // 2:]
    assert bar_groups(left) == [3] * (n // 2) == bar_groups(right)


def test_chart_is_not_blank_and_uses_each_faces_top_emotion_colour() -> None:
    pixels = decode(render_face_details([face(1, happiness=0.8), face(2, sadness=0.7)]))
    background = hex_rgb(BACKGROUND)
    assert (np.abs(pixels - background).sum(axis=2) > 30).mean() > 0.05
    for emotion in ("happiness", "sadness"):
        assert (np.abs(pixels - hex_rgb(COLOURS[emotion])).sum(axis=2) <= 6).sum() > 2000, emotion


def test_bars_are_as_long_as_the_probabilities() -> None:
    pixels = decode(render_face_details([face(1, happiness=0.8, surprise=0.1, neutral=0.05)]))
    lengths = {e: int((np.abs(pixels - hex_rgb(COLOURS[e])).sum(axis=2) <= 6).sum(axis=1).max())
               for e in ("happiness", "surprise")}
    assert lengths["happiness"] == pytest.approx(8 * lengths["surprise"], rel=0.1)


def test_names_translate_the_labels_and_do_not_change_the_bars() -> None:
    faces = crowd(2)
    english = render_face_details(faces)
    german = render_face_details(faces, {"happiness": "Freude", "sadness": "Traurigkeit", "surprise": "Überraschung"})
    assert english != german
    assert bar_groups(decode(german)) == [3, 3]


def test_chart_pages_split_big_crowds_and_render_refuses_too_many() -> None:
    faces = crowd(FACES_PER_CHART * 2 + 3)
    pages = chart_pages(faces)
    assert [len(p) for p in pages] == [FACES_PER_CHART, FACES_PER_CHART, 3]
    assert [f.index for p in pages for f in p] == list(range(1, len(faces) + 1))
    with pytest.raises(ValueError, match="at most"):
        render_face_details(faces)
    with pytest.raises(ValueError, match="at least one"):
        render_face_details([])


def test_face_emotions_of_ranks_by_probability() -> None:
    ranked = FaceEmotions.of(face(4, fear=0.5, anger=0.3, contempt=0.1))
    assert ranked.index == 4 and list(ranked.emotions) == ["fear", "anger", "contempt"]


def test_a_long_title_is_shrunk_to_fit_not_cut() -> None:
    title = "Три самых сильных настроения для каждого лица на этой фотографии"
    pixels = decode(render_face_details(crowd(1), title=title))
    ink = np.abs(pixels[:100] - hex_rgb(INK)).sum(axis=2) <= 60  # the title band
    columns = np.flatnonzero(ink.any(axis=0))
    assert columns.size and columns[0] > 5 and columns[-1] < pixels.shape[1] - 5
