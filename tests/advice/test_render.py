"""Rendering a reply to plain text within Telegram's limits."""

from __future__ import annotations

import random
import re

import pytest

from advice import CAPTION_LIMIT, AdviceContext, FaceAdvice, Reply, compose
from advice.textfit import ELLIPSIS, cut_words, shorten
from inference.types import Face
from tests.advice.factories import analysis, face

EMOTIONS = ["happiness", "sadness", "anger", "neutral", "surprise", "fear", "disgust", "contempt", "bored", "happiness"]


def ten_faces() -> tuple[Face, ...]:
    return tuple(
        face(i + 1, **{e: 0.8, ("neutral" if e != "neutral" else "happiness"): 0.2}) for i, e in enumerate(EMOTIONS)
    )


def check_shortened(original: str, shown: str) -> None:
    """``shown`` is ``original``, empty, whole sentences of it, or a word-boundary prefix plus an ellipsis."""
    if shown in ("", original):
        return
    if shown.endswith(ELLIPSIS):
        prefix = shown[: -len(ELLIPSIS)]
        assert original.startswith(prefix)
        assert original[len(prefix)] in " ,;:-–—" or not prefix[-1:].isalnum(), (original, shown)
    else:
        assert original.startswith(shown) and shown[-1] in ".!?…" and original[len(shown)] == " ", (original, shown)


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("in_group", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_ten_faces_fit_a_caption_and_keep_numbering(language: str, in_group: bool, seed: int) -> None:
    reply = compose(analysis(*ten_faces()), AdviceContext(language, in_group, sad_streak=3), random.Random(seed))
    full = reply.render()
    assert len(full) > CAPTION_LIMIT  # otherwise this test proves nothing
    rendered = reply.render(CAPTION_LIMIT)
    assert len(rendered) <= CAPTION_LIMIT
    assert reply.group_line is not None and rendered.startswith(reply.group_line)
    assert reply.wellbeing_line is not None and rendered.endswith(reply.wellbeing_line)
    numbered = [line for line in rendered.splitlines() if re.match(r"\d+\. ", line)]
    assert len(numbered) == 10
    for answer, line in zip(reply.faces, numbered, strict=True):
        head = f"{answer.index}. {answer.mood_line}"
        assert line.startswith(head)
        check_shortened(answer.advice, line[len(head) :].strip())


def test_render_without_limit_lists_everything() -> None:
    reply = compose(
        analysis(face(1, happiness=0.9, neutral=0.1), face(2, neutral=0.6, happiness=0.4)),
        AdviceContext("en", False),
        random.Random(0),
    )
    rendered = reply.render()
    assert reply.group_line is not None
    assert rendered == "\n\n".join(
        [reply.group_line, "\n".join(f"{f.index}. {f.mood_line} {f.advice}" for f in reply.faces)]
    )


def test_short_enough_is_untouched() -> None:
    reply = compose(analysis(face(1, happiness=0.9, neutral=0.1)), AdviceContext("en", False), random.Random(0))
    assert reply.render(CAPTION_LIMIT) == reply.render()


@pytest.mark.parametrize("limit", [40, 120, 300, 600])
def test_any_limit_is_respected(limit: int) -> None:
    reply = compose(analysis(*ten_faces()), AdviceContext("de", True, sad_streak=4), random.Random(1))
    assert len(reply.render(limit)) <= limit
    no_face = compose(analysis(), AdviceContext("en", False))
    assert len(no_face.render(limit)) <= limit


def test_single_face_advice_is_shortened_first() -> None:
    answer = FaceAdvice(
        1,
        "happiness",
        0.9,
        "You look happy (90 %).",
        "First sentence here. Second sentence is a lot longer than the first one.",
        "happiness-01",
    )
    reply = Reply((answer,), None, None, False, ("happiness-01",))
    assert reply.render(50) == "You look happy (90 %). First sentence here."


def test_shorten_and_cut_words() -> None:
    assert shorten("One two three. Four five six.", 20) == "One two three."
    assert shorten("Alpha beta gamma delta epsilon", 17) == "Alpha beta gamma…"
    assert cut_words("Supercalifragilistic", 6) == "Super…"
    assert shorten("short", 10) == "short"
    assert all(len(shorten("word " * 40, n)) <= n for n in range(0, 60))
