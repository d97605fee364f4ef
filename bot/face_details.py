"""Per-face details: each face's top emotions, kept briefly in memory and drawn as one small bar chart.

The "details" button under a reply needs the faces after the reply has gone out. They are kept here, in
process memory only, keyed by (chat id, message id) and for at most ``DETAILS_TTL_S``: never written to the
database, no user ids, no pictures, only each face's number and its top-3 probabilities. A restart forgets
them; the button then says kindly that the details are gone.

The chart uses matplotlib's object API like :mod:`bot.charts` (no pyplot), so it can be drawn in a worker
thread. Per face one group of ``TOP_N`` horizontal bars, labelled with the number drawn on the annotated
picture; up to ``FACES_PER_CHART`` faces per picture (:func:`chart_pages` splits bigger crowds).
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from cachetools import TTLCache

from advice import KNOWN_EMOTIONS, emotion_name
from bot.charts import BACKGROUND, COLOURS, DPI, EXTRA_COLOURS, INK

DETAILS_TTL_S = 24 * 3600.0
DETAILS_MAX_FACES = 20_000  # memory bound over all remembered replies: a kept face is ~0.35 kB, so ~7 MB
TOP_N = 3
FACES_PER_CHART = 16
WIDTH_PX = 1080
MAX_HEIGHT_PX = 1280
TRACK = "#EFE3D6"  # the pale rail behind each bar, so a 2 % bar still reads as a bar
ENGLISH_NAMES: Mapping[str, str] = {e: emotion_name(e, "en", capitalize=True) for e in KNOWN_EMOTIONS}

_TITLE_PX = 110
_ROW_PX = 140  # one face: three bars and the gaps around them
_BOTTOM_PX = 20


class HasEmotions(Protocol):
    """What a face needs for the details: :class:`inference.types.Face` and :class:`FaceEmotions` both fit."""

    @property
    def index(self) -> int: ...

    @property
    def emotions(self) -> Mapping[str, float]: ...


@dataclass(frozen=True, slots=True)
class FaceEmotions:
    """One face's number on the picture and its top emotions (label -> probability, highest first)."""

    index: int
    emotions: Mapping[str, float]

    @classmethod
    def of(cls, face: HasEmotions, top_n: int = TOP_N) -> FaceEmotions:
        ranked = sorted(face.emotions.items(), key=lambda kv: kv[1], reverse=True)[:top_n]
        return cls(index=face.index, emotions={label: float(p) for label, p in ranked})


def _faces_count(faces: tuple[FaceEmotions, ...]) -> int:
    return max(1, len(faces))


class FaceDetailsStore:
    """(chat id, message id) -> the faces of that reply, for ``ttl_s`` seconds, at most ``max_faces`` faces.

    ``timer`` is injectable for tests (cachetools' ``timer``); the default is ``time.monotonic``.
    """

    def __init__(
        self, ttl_s: float = DETAILS_TTL_S, max_faces: int = DETAILS_MAX_FACES,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache: TTLCache[tuple[int, int], tuple[FaceEmotions, ...]] = TTLCache(
            maxsize=max_faces, ttl=ttl_s, timer=timer, getsizeof=_faces_count)

    def remember(self, chat_id: int, message_id: int, faces: Iterable[HasEmotions]) -> None:
        """Keep the top emotions of ``faces`` (ordered by their number); no faces: nothing is kept."""
        kept = tuple(FaceEmotions.of(f) for f in sorted(faces, key=lambda f: f.index))
        if not kept:
            return
        if len(kept) > self._cache.maxsize:  # a crowd bigger than the whole store: keep the first ones
            kept = kept[: int(self._cache.maxsize)]
        self._cache[(chat_id, message_id)] = kept

    def get(self, chat_id: int, message_id: int) -> tuple[FaceEmotions, ...] | None:
        """The faces remembered for this reply, or ``None`` when never remembered or expired."""
        return self._cache.get((chat_id, message_id))

    def __len__(self) -> int:
        return len(self._cache)


def chart_pages(faces: Sequence[HasEmotions], per_chart: int = FACES_PER_CHART) -> list[Sequence[HasEmotions]]:
    """``faces`` in pictures of at most ``per_chart`` faces (one picture for all but big crowds)."""
    return [faces[i: i + per_chart] for i in range(0, len(faces), per_chart)]


def _layout(n: int) -> tuple[int, int]:
    """(columns, rows) for ``n`` faces: one column up to 6 faces, then two."""
    columns = 1 if n <= 6 else 2
    return columns, math.ceil(n / columns)


def _colour(label: str) -> str:
    if label in COLOURS:
        return COLOURS[label]
    return EXTRA_COLOURS[sum(map(ord, label)) % len(EXTRA_COLOURS)]


def _percent(value: float) -> str:
    return "<1 %" if value < 0.005 else f"{round(100 * value)} %"


def render_face_details(faces: Sequence[HasEmotions], names: Mapping[str, str] = ENGLISH_NAMES,
                        title: str = "") -> bytes:
    """A PNG, ``WIDTH_PX`` wide and at most ``MAX_HEIGHT_PX`` high: per face a group of its top-3 emotions as
    horizontal bars with percentages, headed by the face's number. ``names`` maps labels to display names
    (unknown labels are capitalised). At most ``FACES_PER_CHART`` faces; use :func:`chart_pages` for more."""
    if not faces:
        raise ValueError("render_face_details needs at least one face")
    if len(faces) > FACES_PER_CHART:
        raise ValueError(f"at most {FACES_PER_CHART} faces per chart, got {len(faces)}; use chart_pages()")
    columns, rows = _layout(len(faces))
    top_px = _TITLE_PX if title else 30
    height_px = top_px + rows * _ROW_PX + _BOTTOM_PX
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # on first use (see bot.charts)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI, facecolor=BACKGROUND)
    canvas = FigureCanvasAgg(fig)
    if title:
        heading = fig.text(0.5, 1 - 55 / height_px, title, ha="center", va="center", fontsize=34, color=INK,
                           fontweight="bold")
        width = heading.get_window_extent(renderer=canvas.get_renderer()).width
        if width > 0.95 * WIDTH_PX:  # a long title in some language: shrink it to fit instead of cutting it
            heading.set_fontsize(34 * 0.95 * WIDTH_PX / width)
    # fractions of a column: number centre, rail start, rail width (two columns: smaller type, shorter rails)
    label_size, number_size, number_x, rail_x, rail_w = (
        (24, 40, 0.045, 0.30, 0.56) if columns == 1 else (18, 30, 0.065, 0.50, 0.30))
    col_w = 1 / columns
    cell_h = _ROW_PX / height_px
    for i, face in enumerate(faces):
        column, row = i % columns, i // columns
        top = 1 - (top_px + row * _ROW_PX) / height_px
        left = column * col_w
        fig.text(left + col_w * number_x, top - cell_h / 2, str(face.index), ha="center", va="center",
                 fontsize=number_size, color=INK, fontweight="bold")
        ax = fig.add_axes((left + col_w * rail_x, top - cell_h * 0.92, col_w * rail_w, cell_h * 0.84))
        ranked = FaceEmotions.of(face).emotions
        labels = list(ranked)
        ys = list(range(len(labels)))[::-1]  # the strongest on top
        values = [ranked[label] for label in labels]
        ax.barh(ys, [1.0] * len(ys), height=0.62, color=TRACK)
        ax.barh(ys, values, height=0.62, color=[_colour(label) for label in labels])
        for y, value in zip(ys, values, strict=True):  # percentages in a column right of the rails
            ax.text(1.04, y, _percent(value), transform=ax.get_yaxis_transform(), va="center",
                    fontsize=label_size, color=INK)
        ax.set_yticks(ys, [names.get(label, label.capitalize()) for label in labels])
        ax.tick_params(axis="y", length=0, labelsize=label_size, colors=INK, pad=8)
        ax.set_xlim(0, 1.0)
        ax.set_ylim(-0.5, TOP_N - 0.5)
        ax.set_facecolor(BACKGROUND)
        ax.xaxis.set_visible(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor=BACKGROUND)
    return out.getvalue()
