"""One vocabulary: mood names shared by replies, picture and /stats; plurals; close calls; menus per language."""

from __future__ import annotations

import random
from datetime import date

import pytest

from advice import (
    CLOSE_CALL_MARGIN,
    AdviceContext,
    command_menu,
    compose,
    emotion_name,
    emotion_names,
    quantity,
    supported_languages,
    text,
)
from advice.corpus import load
from advice.emotions import KNOWN_EMOTIONS, NEGATIVE_EMOTIONS
from bot.handlers.settings_menu import language_keyboard, menu_keyboard, menu_text
from bot.handlers.stats import format_summary, stats_caption
from bot.storage.types import ChatSettings, MoodSummary
from inference.labels import FERPLUS_LABELS
from inference.training.ferplus import FERPLUS_LABELS as TRAINING_LABELS
from tests.advice.factories import analysis, face

LANGUAGES = supported_languages()


def test_one_label_order_for_model_training_and_advice() -> None:
    assert KNOWN_EMOTIONS is FERPLUS_LABELS and TRAINING_LABELS is FERPLUS_LABELS


@pytest.mark.parametrize("language", LANGUAGES)
def test_emotion_names_cover_every_label_and_alias(language: str) -> None:
    names = emotion_names(language)
    moods = load(language).moods
    assert {e: names[e] for e in KNOWN_EMOTIONS} == {e: moods[e].label for e in KNOWN_EMOTIONS}
    assert names["happy"] == names["happiness"] and names["calm"] == names["neutral"]
    assert len(set(names[e] for e in KNOWN_EMOTIONS)) == len(KNOWN_EMOTIONS)  # no two moods share a name


@pytest.mark.parametrize("language", ["en", "de"])
def test_picture_and_stats_use_the_reply_words(language: str) -> None:
    """English and German name a mood with the adjective of the reply ("You look happy")."""
    for emotion in KNOWN_EMOTIONS:
        assert emotion_names(language)[emotion] == load(language).moods[emotion].adjective


def test_emotion_name_examples() -> None:
    assert emotion_names("en")["neutral"] == "calm"
    assert emotion_name("happiness", "de-AT", capitalize=True) == "Fröhlich"
    assert emotion_name("sadness", "ru") == load("ru").moods["sadness"].label
    assert emotion_name("Bored_Face", "en") == "bored face"  # custom labels come back tidied


@pytest.mark.parametrize(
    ("noun", "count", "language", "expected"),
    [
        ("photos", 1, "en", "1 photo"),
        ("photos", 3, "en", "3 photos"),
        ("faces", 1, "de", "1 Gesicht"),
        ("faces", 10, "de", "10 Gesichter"),
        ("photos", 1, "ru", "1 фотография"),
        ("photos", 3, "ru", "3 фотографии"),
        ("photos", 5, "ru", "5 фотографий"),
        ("photos", 21, "ru", "21 фотография"),
        ("faces", 22, "ru", "22 лица"),
        ("faces", 11, "ru", "11 лиц"),
        ("photos", 1, "es", "1 foto"),
        ("photos", 2, "es", "2 fotos"),
        ("photos", 0, "fr", "0 photo"),
        ("people", 3, "pt-BR", "3 pessoas"),
    ],
)
def test_quantity_uses_real_plurals(noun: str, count: int, language: str, expected: str) -> None:
    assert quantity(noun, count, language) == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_counted_placeholders_are_worded(language: str) -> None:
    one = text("cooldown", language, seconds=1)
    assert quantity("seconds", 1, language) in one
    assert quantity("seconds", 6, language) in text("cooldown", language, seconds=6)


def _stats_summary(photos: int, faces: int) -> MoodSummary:
    return MoodSummary(counts={"happiness": faces - 1, "neutral": 1}, total=faces, contributors=1, photos=photos,
                       trend=[(date(2026, 11, 20), {"happiness": faces - 1, "neutral": 1})])


@pytest.mark.parametrize("language", LANGUAGES)
def test_stats_caption_counts_photos_and_faces(language: str) -> None:
    caption = stats_caption(_stats_summary(photos=3, faces=10), language)
    assert quantity("photos", 3, language) in caption and quantity("faces", 10, language) in caption
    single = stats_caption(_stats_summary(photos=1, faces=2), language)
    assert quantity("photos", 1, language) in single


@pytest.mark.parametrize("language", LANGUAGES)
def test_stats_text_names_moods_like_the_replies(language: str) -> None:
    lines = format_summary(_stats_summary(photos=3, faces=10), language).splitlines()
    assert lines[0].startswith(emotion_name("happiness", language, capitalize=True))
    assert lines[0].endswith("(9)") and "90" in lines[0]
    assert lines[1].startswith(emotion_name("neutral", language, capitalize=True))
    assert lines[-1].endswith(f"{emotion_name('happiness', language)} (10)")


def _close_call(top: str, second: str, p_top: float, p_second: float) -> dict[str, float]:
    rest = [e for e in FERPLUS_LABELS if e not in (top, second)]
    return {top: p_top, second: p_second, **{e: (1 - p_top - p_second) / len(rest) for e in rest}}


@pytest.mark.parametrize("language", LANGUAGES)
def test_close_call_names_both_moods(language: str) -> None:
    """Calm 48 %, sad 40 %: in private, the line names both ("somewhere between calm and a little sad")."""
    corpus = load(language)
    calm, sad = corpus.moods["neutral"], corpus.moods["sadness"]
    for seed in range(6):
        reply = compose(analysis(face(1, **_close_call("neutral", "sadness", 0.48, 0.40))),
                        AdviceContext(language, in_group=False), random.Random(seed))
        (answer,) = reply.faces
        line = answer.mood_line.lower()
        assert answer.emotion == "neutral" and answer.close_to == "sadness"
        assert any(word.lower() in line for word in (calm.adjective, calm.noun, calm.with_article)), line
        assert any(word.lower() in line for word in (sad.adjective, sad.noun, sad.with_article)), line
        assert corpus.percent.format(value=48) in answer.mood_line
        assert corpus.percent.format(value=40) in answer.mood_line


@pytest.mark.parametrize("language", LANGUAGES)
def test_close_call_in_a_group_never_names_a_heavy_mood(language: str) -> None:
    corpus = load(language)
    calm, sad = corpus.moods["neutral"], corpus.moods["sadness"]
    for seed in range(6):
        reply = compose(analysis(face(1, **_close_call("neutral", "sadness", 0.45, 0.41))),
                        AdviceContext(language, in_group=True), random.Random(seed))
        line = reply.faces[0].mood_line
        assert calm.soft.lower() in line.lower() and sad.soft.lower() in line.lower(), line
        assert sad.adjective not in line and sad.noun not in line


def test_clear_readings_and_unknown_runners_up_are_not_close_calls() -> None:
    clear = compose(analysis(face(1, **_close_call("neutral", "sadness", 0.60, 0.60 - CLOSE_CALL_MARGIN - 0.01))),
                    AdviceContext("en", in_group=False), random.Random(0))
    assert clear.faces[0].close_to is None
    assert "sad" not in clear.faces[0].mood_line
    custom = compose(analysis(face(1, neutral=0.45, bored=0.40, happiness=0.15)), AdviceContext("en", False))
    assert custom.faces[0].close_to is None


def test_close_call_between_two_light_moods_in_a_group_names_them() -> None:
    reply = compose(analysis(face(1, **_close_call("happiness", "surprise", 0.44, 0.40))),
                    AdviceContext("en", in_group=True), random.Random(0))
    assert "happy" in reply.faces[0].mood_line and "surprised" in reply.faces[0].mood_line
    assert not NEGATIVE_EMOTIONS & {"happiness", "surprise"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_command_menus_exist_in_every_language(language: str) -> None:
    commands = [c for c, _ in command_menu(language, "private")]
    assert {"start", "help", "stats", "language", "forget"} <= set(commands)
    assert [c for c, _ in command_menu(language, "admin")] == ["settings", "language"]
    if language != "en":
        assert command_menu(language, "group") != command_menu("en", "group")  # really translated


def test_language_keyboard_offers_all_six() -> None:
    keyboard = language_keyboard(ChatSettings(language="ru"))
    buttons = [b for row in keyboard.inline_keyboard for b in row]
    assert {b.callback_data for b in buttons} == {f"lang:{c}" for c in ("en", "de", "es", "fr", "pt", "ru")}
    assert {b.text for b in buttons} >= {"English", "Deutsch", "Español", "Français", "Português", "• Русский"}
    assert all(len(row) <= 3 for row in keyboard.inline_keyboard)
    settings_buttons = [b.callback_data for row in menu_keyboard(ChatSettings(), "fr").inline_keyboard for b in row]
    assert {f"set:lang:{c}" for c in LANGUAGES} | {"set:lang:auto"} <= set(settings_buttons)


@pytest.mark.parametrize("language", LANGUAGES)
def test_settings_menu_is_worded_in_the_chat_language(language: str) -> None:
    settings = ChatSettings(mode="every_photo", annotate=False, user_cooldown_s=300, chat_cooldown_s=3, language="de")
    shown = menu_text(settings, language)
    assert text("settings_mode_every_photo", language) in shown and "Deutsch" in shown
    assert "{" not in shown
    if language != "en":
        assert shown != menu_text(settings, "en")
