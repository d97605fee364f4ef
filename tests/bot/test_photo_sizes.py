"""Which Telegram photo size Shelly reads, and when she reads a bigger one again.

Unit tests of the size choice (``bot.handlers.delivery``) and of the escalation decision (``bot.photo_service``),
then the whole policy (800 px first, 1280 px again for no face or small faces) on the repo's composites with the
real models: it must find the same faces as reading the full-size photo."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import numpy as np
import pytest
from telegram import PhotoSize

from benchmarks.photos import matched, pipeline_set
from bot.emulator.payloads import photo_sizes
from bot.handlers.delivery import larger_photo_size, pick_photo_size
from bot.metrics import Metrics
from bot.photo_service import (
    SMALL_FACE_PX,
    FetchFailed,
    OutcomeKind,
    PhotoRequest,
    PhotoService,
    wants_more_pixels,
)
from bot.settings import MODELS_DIR
from bot.storage import ChatSettings
from inference.labels import FERPLUS_LABELS
from inference.types import Analysis, Face
from tests import photos


def sizes_of(*dims: tuple[int, int]) -> list[PhotoSize]:
    return [PhotoSize(f"f{w}x{h}", f"u{w}x{h}", w, h) for w, h in dims]


def longer(size: PhotoSize | None) -> int | None:
    return None if size is None else max(size.width, size.height)


# ----------------------------------------------------------------------------------------------- the size choice
@pytest.mark.parametrize(("dims", "first", "more"), [
    # 4:3 selfie: the 800×600 size first (the old rule, shorter side ≥ 640, took 1280×960)
    ([(90, 68), (320, 240), (800, 600), (1280, 960)], 800, 1280),
    ([(68, 90), (240, 320), (600, 800), (960, 1280)], 800, 1280),  # portrait orientation
    ([(90, 51), (320, 180), (800, 450), (1280, 720)], 800, 1280),  # 16:9: chosen by the longer side too
    ([(90, 23), (320, 80), (800, 200), (1280, 320)], 800, 1280),  # panorama
    ([(90, 90), (320, 320), (512, 512)], 512, None),  # a small original is the largest: nothing bigger
    ([(90, 68), (320, 240), (800, 600), (900, 675)], 800, None),  # 900 px is not worth a second reading
    ([(90, 68), (320, 240), (800, 600), (1000, 750)], 800, 1000),  # 1.25× the longer side is
    ([(90, 68), (320, 240), (800, 600), (1280, 960), (2560, 1920)], 800, 1280),  # never more than 1280 px
])
def test_the_800_px_size_first_and_a_much_bigger_one_for_a_second_reading(
        dims: list[tuple[int, int]], first: int, more: int | None) -> None:
    sizes = sizes_of(*dims)
    chosen = pick_photo_size(sizes)
    assert longer(chosen) == first
    assert longer(larger_photo_size(sizes, chosen)) == more
    assert longer(pick_photo_size(list(reversed(sizes)))) == first  # the order Telegram lists them in is no matter


# ------------------------------------------------------------------------------------ the escalation decision
def face(width: float, height: float | None = None, index: int = 1, top: str = "happiness") -> Face:
    emotions = {label: (0.93 if label == top else 0.01) for label in FERPLUS_LABELS}
    return Face(index=index, box=(10.0 * index, 10.0, width, height if height is not None else width * 1.3),
                landmarks=((0.0, 0.0),) * 5, detection_score=0.9, emotions=emotions)


def analysis(*faces: Face, size: tuple[int, int] = (800, 600)) -> Analysis:
    return Analysis(faces=faces, image_size=size, model_version="test", annotated_jpeg=b"\xff\xd8jpeg")


def test_no_face_or_a_face_too_small_for_the_classifier_asks_for_more_pixels() -> None:
    assert SMALL_FACE_PX == 36
    assert wants_more_pixels(analysis()) == "no_face"
    assert wants_more_pixels(analysis(face(35.9))) == "small_face"
    assert wants_more_pixels(analysis(face(200), face(30, index=2))) == "small_face"  # the smallest face decides
    assert wants_more_pixels(analysis(face(50, 30))) == "small_face"  # the box's shorter side (a sideways face)
    assert wants_more_pixels(analysis(face(36))) is None
    assert wants_more_pixels(analysis(face(200), face(40, index=2))) is None


class Store:
    """The part of storage the photo flow reads, empty."""

    async def is_opted_out(self, user_id: int) -> bool:
        return False

    async def recent_user_emotions(self, user_id: int, since: timedelta) -> list[str]:
        return []

    def record_analysis(self, *, update_id: int, user_id: int, chat_id: int, chat_type: str,
                        emotions: list[tuple[str, float]], model_version: str, when: datetime) -> None:
        pass


class Readings:
    """An analyzer that answers a prepared reading per photo (bytes)."""

    def __init__(self, readings: Mapping[bytes, Analysis | Exception]) -> None:
        self.readings = readings
        self.seen: list[bytes] = []
        self.thorough: list[bool] = []

    async def analyze(self, data: bytes, annotate: bool = True,
                      label_names: Mapping[str, str] | None = None, thorough: bool = True) -> Analysis:
        self.seen.append(data)
        self.thorough.append(thorough)
        reading = self.readings[data]
        if isinstance(reading, Exception):
            raise reading
        return reading


class Downloads:
    """``fetch`` callables that count their calls."""

    def __init__(self) -> None:
        self.calls: list[bytes] = []

    def of(self, data: bytes | Exception) -> Any:
        async def fetch() -> bytes:
            self.calls.append(data if isinstance(data, bytes) else b"!")
            if isinstance(data, Exception):
                raise data
            return data
        return fetch


def request(update_id: int = 1, annotate: bool = True) -> PhotoRequest:
    return PhotoRequest(update_id=update_id, chat_id=11, chat_type="private", subject_id=11, asker_id=11,
                        language="en", explicit=False,
                        chat_settings=ChatSettings(user_cooldown_s=0, chat_cooldown_s=0, annotate=annotate))


def service(analyzer: Any, metrics: Metrics | None = None) -> PhotoService:
    return PhotoService(analyzer, Store(), capacity=4, max_image_bytes=20 * 1024 * 1024, metrics=metrics or Metrics())


def escalations(metrics: Metrics, reason: str) -> float:
    return metrics.registry.get_sample_value("shelly_photo_escalations_total", {"reason": reason}) or 0.0


async def test_a_big_face_is_answered_from_the_first_size_with_one_download() -> None:
    downloads, metrics = Downloads(), Metrics()
    svc = service(Readings({b"800": analysis(face(180))}), metrics)
    outcome = await svc.handle(request(), downloads.of(b"800"), downloads.of(b"1280"))
    assert outcome.kind is OutcomeKind.ANSWER and outcome.reason == "answered" and len(outcome.faces) == 1
    assert downloads.calls == [b"800"]
    assert escalations(metrics, "small_face") == escalations(metrics, "no_face") == 0


@pytest.mark.parametrize(("first", "reason"), [((), "no_face"), ((face(20), face(24, index=2)), "small_face")])
async def test_no_face_or_small_faces_are_read_again_from_the_bigger_size(first: tuple[Face, ...],
                                                                          reason: str) -> None:
    downloads, metrics = Downloads(), Metrics()
    second = analysis(face(32), face(38, index=2), face(35, index=3, top="surprise"), size=(1280, 960))
    readings = Readings({b"800": analysis(*first), b"1280": second})
    outcome = await service(readings, metrics).handle(request(), downloads.of(b"800"), downloads.of(b"1280"))
    assert downloads.calls == readings.seen == [b"800", b"1280"]
    assert outcome.kind is OutcomeKind.ANSWER and outcome.faces == second.faces  # the answer: the second reading
    assert outcome.picture == second.annotated_jpeg and [e for e, _ in outcome.emotions][2] == "surprise"
    assert escalations(metrics, reason) == 1


async def test_without_a_bigger_size_there_is_no_second_reading() -> None:  # documents, small photos
    downloads, readings = Downloads(), Readings({b"doc": analysis()})
    outcome = await service(readings).handle(request(), downloads.of(b"doc"))
    assert outcome.reason == "no_face" and downloads.calls == [b"doc"]
    assert readings.thorough == [True]  # the only copy: the full search at once


async def test_the_first_look_is_quick_and_without_the_bigger_copy_the_full_search_runs_on_the_first() -> None:
    downloads, readings = Downloads(), Readings({b"800": analysis()})
    outcome = await service(readings).handle(request(), downloads.of(b"800"), downloads.of(FetchFailed("502")))
    assert readings.thorough == [False, True] and readings.seen == [b"800", b"800"]
    assert outcome.kind is OutcomeKind.ANSWER and outcome.reason == "no_face"


@pytest.mark.parametrize("failure", ["download", "analysis"])
async def test_a_failed_second_reading_answers_from_the_first(failure: str) -> None:
    downloads, metrics = Downloads(), Metrics()
    first = analysis(face(24))
    readings: dict[bytes, Analysis | Exception] = {b"800": first, b"1280": RuntimeError("worker fell over")}
    more = downloads.of(FetchFailed("502") if failure == "download" else b"1280")
    outcome = await service(Readings(readings), metrics).handle(request(), downloads.of(b"800"), more)
    assert outcome.kind is OutcomeKind.ANSWER and outcome.faces == first.faces
    assert len(downloads.calls) == 2 and escalations(metrics, "small_face") == 1


async def test_a_second_reading_without_the_faces_of_the_first_keeps_the_first() -> None:
    first = analysis(face(24))
    readings = Readings({b"800": first, b"1280": analysis(size=(1280, 960))})
    outcome = await service(readings).handle(request(), Downloads().of(b"800"), Downloads().of(b"1280"))
    assert outcome.faces == first.faces and outcome.reason == "answered"


# ------------------------------------------------------ the whole policy on real photos: no face is lost
class Direct:
    """The pipeline in this thread (an analyzer without the pool)."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline

    async def analyze(self, data: bytes, annotate: bool = True,
                      label_names: Mapping[str, str] | None = None, thorough: bool = True) -> Analysis:
        result: Analysis = self.pipeline.analyze(data, annotate=annotate, label_names=label_names, thorough=thorough)
        return result


@cache
def real_pipeline() -> Any:
    from inference.pipeline import Pipeline, PipelineConfig

    models = (MODELS_DIR / "centerface.onnx", MODELS_DIR / "shelly-emotion.onnx")
    if missing := [p.name for p in models if not p.exists()]:
        pytest.skip(f"models missing: {missing}")
    return Pipeline.from_config(PipelineConfig(detector="centerface", detector_model=models[0],
                                               emotion_model=models[1]))


def scenes() -> list[tuple[str, np.ndarray, list[tuple[float, float, float]] | None]]:
    """The pipeline benchmark's scenes (groups, a crowd of 54 small faces, no face) and small faces in 16:9."""
    extra: list[tuple[str, np.ndarray, list[tuple[float, float, float]] | None]] = [
        (f"4 faces ~{px} px, 1280×720", photos.small_faces_photo(px), None) for px in (20, 30, 40)]
    extra.append(("group of 3, 1704×512", photos.group_photo(), None))
    return [*pipeline_set(), *extra]


def centred_on(small: Face, big: Face, k: float) -> bool:
    x, y, w, h = (v * k for v in small.box)
    bx, by, bw, bh = big.box
    return bool(np.hypot(x + w / 2 - bx - bw / 2, y + h / 2 - by - bh / 2) < 0.5 * bw)


@pytest.mark.slow
async def test_the_size_policy_finds_the_faces_the_full_size_photo_shows() -> None:
    """800 px first, 1280 px again when asked: every scene's answer holds the faces (and top moods) a reading of
    the largest size finds, and as many true faces."""
    pipeline = real_pipeline()
    escalated = []
    for i, (name, image, truth) in enumerate(scenes()):
        stored = photo_sizes(photos.jpeg(image))  # Telegram's sizes, as the emulator makes them
        by_id = {f"f{n}": data for n, (_, _, data) in enumerate(stored)}
        sizes = [PhotoSize(f"f{n}", f"u{n}", w, h) for n, (w, h, _) in enumerate(stored)]
        first = pick_photo_size(sizes)
        more = larger_photo_size(sizes, first)
        downloads = Downloads()
        outcome = await service(Direct(pipeline)).handle(
            request(i, annotate=False), downloads.of(by_id[first.file_id]),
            downloads.of(by_id[more.file_id]) if more is not None else None)
        assert outcome.kind is OutcomeKind.ANSWER, name
        largest = max(sizes, key=lambda s: s.width)
        full = pipeline.analyze(by_id[largest.file_id], annotate=False)
        read_size = (first if len(downloads.calls) == 1 else more)
        assert read_size is not None
        k = largest.width / read_size.width
        if len(downloads.calls) == 2:
            escalated.append(name)
        assert len(outcome.faces) == len(full.faces), (name, len(outcome.faces), len(full.faces))
        for a, b in zip(outcome.faces, full.faces, strict=True):  # both numbered left to right
            assert centred_on(a, b, k), (name, a.box, b.box)
            assert a.top_emotion == b.top_emotion, (name, a.index)
        if truth is not None:
            found = [tuple(v * k for v in f.box) for f in outcome.faces]
            assert matched(found, truth) >= matched([f.box for f in full.faces], truth), name
    # what paid for a second reading: no face, the crowd, small faces, and nothing else
    assert set(escalated) == {"no face 1280×960", "crowd of 54 small faces, 1280×960", "4 faces ~20 px, 1280×720",
                              "4 faces ~30 px, 1280×720", "4 faces ~40 px, 1280×720"}, escalated
