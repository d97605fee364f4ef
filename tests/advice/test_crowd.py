"""Crowd photos: the first ``max_faces`` faces answered one by one, every other face counted in one crowd line."""

from __future__ import annotations

import random
import re

import pytest
from pydantic import ValidationError

from advice import CAPTION_LIMIT, MESSAGE_LIMIT, AdviceContext, compose, quantity, text
from advice.corpus import available_languages, load
from advice.crowd import MAX_NAMED_MOODS, QUIET, MoodShare, crowd_line, mood_shares
from advice.emotions import NEGATIVE_EMOTIONS
from bot.settings import Settings
from inference.types import Analysis
from tests.advice.factories import analysis, face, spread

LANGUAGES = available_languages()
FIRST_TEN = ["happiness", "sadness", "neutral", "surprise", "anger", "neutral", "fear", "happiness", "disgust",
             "contempt"]
REST = ["neutral"] * 26 + ["happiness"] * 12 + ["surprise"] * 6  # 44 faces: 59 % calm, 27 % happy, 14 % surprised
NUMBERED = re.compile(r"^\d+\. ", re.MULTILINE)


def crowd_photo(emotions: list[str], shuffle: bool = True) -> Analysis:
    """One face per emotion, indexed 1… in list order; handed over in a scrambled order like a detector's."""
    faces = [face(i + 1, **spread(emotion, 0.8)) for i, emotion in enumerate(emotions)]
    if shuffle:
        random.Random(0).shuffle(faces)
    return analysis(*faces)


def fifty_four() -> Analysis:
    return crowd_photo(FIRST_TEN + REST)


def test_54_faces_ten_answered_the_other_44_summed_up() -> None:
    reply = compose(fifty_four(), AdviceContext("en", in_group=True), random.Random(0))
    assert [f.index for f in reply.faces] == list(range(1, 11))
    assert [f.emotion for f in reply.faces] == FIRST_TEN
    assert reply.crowd == tuple(REST)
    assert reply.crowd_line == "…and 44 more faces: mostly calm, some happy, a few surprised."
    assert len(reply.used_ids) == len(set(reply.used_ids)) == 10
    rendered = reply.render()
    assert len(NUMBERED.findall(rendered)) == 10
    assert rendered.splitlines()[-1] == reply.crowd_line


def test_default_limit_is_ten_and_small_photos_are_answered_whole() -> None:
    assert AdviceContext("en", False).max_faces == 10 == Settings().max_faces_in_reply
    ten = compose(crowd_photo(FIRST_TEN), AdviceContext("en", True), random.Random(0))
    assert len(ten.faces) == 10 and ten.crowd == () and ten.crowd_line is None
    eleven = compose(crowd_photo([*FIRST_TEN, "fear"]), AdviceContext("en", True), random.Random(0))
    assert len(eleven.faces) == 10
    assert eleven.crowd_line == "…and 1 more face: thoughtful."


@pytest.mark.parametrize("limit", [1, 3, 54])
def test_the_limit_is_the_context_setting(limit: int) -> None:
    reply = compose(fifty_four(), AdviceContext("de", True, max_faces=limit), random.Random(0))
    assert [f.index for f in reply.faces] == list(range(1, limit + 1))
    assert len(reply.crowd) == 54 - limit
    assert (reply.crowd_line is None) == (limit == 54)


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_faces"):
        AdviceContext("en", True, max_faces=0)
    with pytest.raises(ValidationError):
        Settings(max_faces_in_reply=0)


def test_one_answered_face_with_a_crowd_is_still_a_numbered_list() -> None:
    reply = compose(crowd_photo(["happiness", "neutral", "neutral"]), AdviceContext("en", False, max_faces=1))
    lines = reply.render().split("\n\n")[1].splitlines()
    assert lines[0].startswith("1. ") and lines[1] == "…and 2 more faces: all calm."


def test_group_line_counts_every_face() -> None:
    reply = compose(crowd_photo(["happiness"] * 6), AdviceContext("en", True, max_faces=1), random.Random(0))
    assert len(reply.faces) == 1
    uniform = {t.format(adjective="happy", count=6) for t in load("en").group_lines["uniform"]}
    assert reply.group_line in uniform
    heavy = compose(crowd_photo(["happiness", *["sadness"] * 7]), AdviceContext("en", True, max_faces=2))
    mixed = {t.format(count=8) for t in load("en").group_lines["mixed"]}
    assert heavy.group_line in mixed


def test_wellbeing_considers_the_crowd_too() -> None:
    photo = crowd_photo(["happiness", "neutral", "sadness"])
    reply = compose(photo, AdviceContext("en", True, sad_streak=3, max_faces=2), random.Random(0))
    assert reply.crowd == ("sadness",)
    assert reply.wellbeing_line in load("en").wellbeing["group"].values()


@pytest.mark.parametrize(
    ("emotions", "expected"),
    [
        (["neutral"] * 5 + ["happiness"] * 5, [("neutral", 5, "some"), ("happiness", 5, "some")]),  # tie at 50 %
        (["happiness"] * 3 + ["neutral"] * 3 + ["surprise"] * 3,
         [("neutral", 3, "some"), ("happiness", 3, "some"), ("surprise", 3, "some")]),  # ties: label order
        (["surprise"] * 6 + ["neutral"] * 2 + ["happiness"] * 2,
         [("surprise", 6, "mostly"), ("neutral", 2, "some"), ("happiness", 2, "some")]),
        (["neutral"] * 10 + ["happiness"], [("neutral", 10, "mostly"), ("happiness", 1, "few")]),
        (["neutral"] * 4 + ["happiness"] * 3 + ["surprise"] * 2 + ["bored"],
         [("neutral", 4, "some"), ("happiness", 3, "some"), ("surprise", 2, "some")]),  # only three named
        (["sadness", "anger", "fear", "disgust", "neutral", "neutral"], [(QUIET, 4, "mostly"), ("neutral", 2, "some")]),
        (["contempt", "contempt"], [(QUIET, 2, "all")]),
        (["fear"], [(QUIET, 1, "one")]),
    ],
)
def test_mood_shares(emotions: list[str], expected: list[tuple[str, int, str]]) -> None:
    assert mood_shares(emotions) == [MoodShare(*share) for share in expected]
    assert len(mood_shares(emotions)) <= MAX_NAMED_MOODS


def test_all_unknown_labels() -> None:
    assert mood_shares(["bored", "Very_Sleepy", "bored"]) == [MoodShare("bored", 2, "mostly"),
                                                              MoodShare("very sleepy", 1, "some")]
    reply = compose(analysis(*(face(i, bored=0.7, tired=0.3) for i in range(1, 13))), AdviceContext("en", True))
    assert all(f.advice_id.startswith("group-generic-") for f in reply.faces)
    assert reply.crowd_line == "…and 2 more faces: all bored."
    assert reply.group_line


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_names_the_majority_and_never_a_heavy_mood(language: str) -> None:
    corpus = load(language)
    reply = compose(fifty_four(), AdviceContext(language, True), random.Random(1))
    line = reply.crowd_line
    assert line is not None and "{" not in line
    assert quantity("more_faces", 44, language) in line
    assert text("crowd_mostly", language, mood=corpus.moods["neutral"].label) in line
    assert text("crowd_some", language, mood=corpus.moods["happiness"].label) in line
    assert text("crowd_few", language, mood=corpus.moods["surprise"].label) in line
    heavy = crowd_line(["sadness"] * 5 + ["anger"] * 3 + ["fear", "disgust", "contempt", "neutral"], language)
    assert text("crowd_mostly", language, mood=text("crowd_quiet", language)) in heavy
    for emotion in NEGATIVE_EMOTIONS:
        mood = corpus.moods[emotion]
        for word in {mood.label, mood.adjective, mood.noun}:
            assert not re.search(rf"\b{re.escape(word)}\b", heavy, re.IGNORECASE), (emotion, heavy)


@pytest.mark.parametrize(
    ("language", "count", "phrase"),
    [
        ("en", 1, "…and 1 more face:"), ("en", 34, "…and 34 more faces:"),
        ("de", 1, "…und 1 weiteres Gesicht:"), ("de", 34, "…und 34 weitere Gesichter:"),
        ("es", 1, "…y 1 cara más:"), ("es", 34, "…y 34 caras más:"),
        ("fr", 1, "…et 1 autre visage :"), ("fr", 34, "…et 34 autres visages :"),
        ("pt", 1, "…e mais 1 rosto:"), ("pt", 34, "…e mais 34 rostos:"),
        ("ru", 1, "…и ещё 1 лицо:"), ("ru", 21, "…и ещё 21 лицо:"), ("ru", 22, "…и ещё 22 лица:"),
        ("ru", 25, "…и ещё 25 лиц:"), ("ru", 44, "…и ещё 44 лица:"), ("ru", 111, "…и ещё 111 лиц:"),
    ],
)
def test_the_count_has_real_plurals(language: str, count: int, phrase: str) -> None:
    line = crowd_line(["neutral"] * count, language)
    assert line.startswith(phrase)
    word = text("crowd_all", language, mood=load(language).moods["neutral"].label)
    assert line.endswith(f": {word}." if count > 1 else f": {load(language).moods['neutral'].label}.")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("in_group", [False, True])
def test_54_faces_fit_telegram_in_every_language(language: str, in_group: bool) -> None:
    """The whole answer fits one follow-up message; squeezed into a caption it keeps all ten numbered lines,
    the group, crowd and wellbeing lines."""
    for seed in range(3):
        reply = compose(fifty_four(), AdviceContext(language, in_group, sad_streak=3), random.Random(seed))
        assert reply.crowd_line is not None and reply.group_line and reply.wellbeing_line
        assert CAPTION_LIMIT < len(reply.render()) <= MESSAGE_LIMIT
        caption = reply.render(CAPTION_LIMIT)
        assert len(caption) <= CAPTION_LIMIT
        assert caption.startswith(reply.group_line) and caption.endswith(reply.wellbeing_line)
        assert len(NUMBERED.findall(caption)) == 10
        assert reply.crowd_line in caption.splitlines()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("limit", [CAPTION_LIMIT, 400])
def test_faces_that_do_not_fit_join_the_crowd_line(language: str, limit: int) -> None:
    """With a limit above what fits, the last answered faces move into the crowd line: none is dropped."""
    reply = compose(fifty_four(), AdviceContext(language, True, max_faces=54), random.Random(2))
    assert reply.crowd == ()
    shown = reply.render(limit)
    assert len(shown) <= limit
    answered = len(NUMBERED.findall(shown))
    assert 1 <= answered < 54
    assert [int(n) for n in re.findall(r"^(\d+)\. ", shown, re.MULTILINE)] == list(range(1, answered + 1))
    assert crowd_line([f.emotion for f in reply.faces[answered:]], language) in shown.splitlines()
