"""The corpus files: complete, consistent between languages, valid templates."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from typing import Any

import pytest
from babel import Locale
from telegram.constants import BotCommandLimit, CallbackQueryLimit, MessageLimit

from advice.corpus import (
    BETWEEN_STYLES,
    COMMAND_SCOPES,
    COUNT_NOUNS,
    GROUP_LINE_KINDS,
    LEVELS,
    MOOD_LINE_STYLES,
    available_languages,
    load,
)
from advice.emotions import GENERIC, KNOWN_EMOTIONS
from advice.messages import MESSAGE_KEYS, MESSAGE_PLACEHOLDERS, placeholders, text

LANGUAGES = available_languages()
SHIPPED = ("en", "de", "es", "fr", "pt", "ru")
MIN_PER_EMOTION = 12
MIN_GROUP_PER_EMOTION = 6
MOOD_FIELDS = {"adjective", "noun", "with_article", "soft", "percent"}
SECOND_FIELDS = {"adjective2", "noun2", "with_article2", "soft2", "percent2"}
UNKNOWN_FIELDS = {"label", "percent"}
CAPTION_KEYS = {"stats_caption", "no_face"}  # may be sent as a photo caption
ALERT_KEYS = {"not_admin", "details_expired"}  # shown as callback-query alerts
BUTTON_KEYS = {"forget_yes", "forget_no", "details_button",
               "settings_mode_off", "settings_mode_on_request", "settings_mode_every_photo",
               "settings_annotate_on", "settings_annotate_off", "settings_language_auto"}
BUTTON_MAX = 40  # our own limit: a phone shows about this much of a button


def raw(language: str) -> dict[str, Any]:
    return tomllib.loads(resources.files("advice.corpus").joinpath(f"{language}.toml").read_text("utf-8"))


def key_tree(node: object) -> object:
    """The nested key structure of a TOML document, values replaced by their kind; the plural forms under
    ``counts`` differ by language and are checked on their own."""
    if isinstance(node, dict):
        return {k: "plural forms" if k in COUNT_NOUNS else key_tree(v) for k, v in node.items()}
    return type(node).__name__


def all_strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in all_strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in all_strings(v)]
    return [node] if isinstance(node, str) else []


def test_all_six_languages_are_shipped() -> None:
    assert set(SHIPPED) <= set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_enough_advice_per_emotion(language: str) -> None:
    corpus = load(language)
    for emotion in KNOWN_EMOTIONS:
        assert len(corpus.advice[emotion]) >= MIN_PER_EMOTION, emotion
        assert len(corpus.group_advice[emotion]) >= MIN_GROUP_PER_EMOTION, emotion
        assert emotion in corpus.moods
    assert corpus.advice[GENERIC] and corpus.group_advice[GENERIC]


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_advice_slot_of_english_is_filled(language: str) -> None:
    corpus, english = load(language), load("en")
    for pools, reference in ((corpus.advice, english.advice), (corpus.group_advice, english.group_advice),
                             (corpus.wellbeing, english.wellbeing)):
        assert {k: set(v) for k, v in pools.items()} == {k: set(v) for k, v in reference.items()}


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_forms_follow_the_language_rules(language: str) -> None:
    """Every counted noun has exactly the CLDR plural categories of the language (Russian: one, few, many)."""
    categories = set(Locale.parse(language).plural_form.tags) | {"other"}
    for noun in COUNT_NOUNS:
        forms = load(language).counts[noun]
        assert set(forms) == categories, (noun, sorted(forms))
        assert all(placeholders(form) == {"count"} for form in forms.values()), noun


@pytest.mark.parametrize("language", LANGUAGES)
def test_command_menus_match_english_and_telegram_limits(language: str) -> None:
    corpus, english = load(language), load("en")
    for scope in COMMAND_SCOPES:
        assert list(corpus.commands[scope]) == list(english.commands[scope]), scope
        for command, description in corpus.commands[scope].items():
            assert BotCommandLimit.MIN_COMMAND <= len(command) <= BotCommandLimit.MAX_COMMAND
            assert BotCommandLimit.MIN_DESCRIPTION <= len(description) <= BotCommandLimit.MAX_DESCRIPTION


@pytest.mark.parametrize("language", LANGUAGES)
def test_message_lengths_fit_telegram(language: str) -> None:
    values = {"max_mb": 20, "seconds": 10, "shown": 10, "total": 14, "photos": 1234, "faces": 12345, "days": 30,
              "count": 1234, "people": 3, "name": "Português", "mode": "x" * 30, "annotate": "x" * 10,
              "user_cooldown": "5 min", "chat_cooldown": "30 s", "chat_language": "x" * 30, "mood": "x" * 20,
              "share": "100 %", "day": "20.11.", "more_faces": 12345, "moods": "x" * 90}
    for key in MESSAGE_KEYS:
        rendered = text(key, language, **values)
        assert len(rendered) <= MessageLimit.MAX_TEXT_LENGTH, key
        if key in CAPTION_KEYS:
            assert len(rendered) <= MessageLimit.CAPTION_LENGTH, key
        if key in ALERT_KEYS:
            assert len(rendered) <= CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH, key
        if key in BUTTON_KEYS:
            assert len(rendered) <= BUTTON_MAX, key


@pytest.mark.parametrize("language", LANGUAGES)
def test_between_line_placeholders(language: str) -> None:
    corpus = load(language)
    for style in BETWEEN_STYLES:
        for template in corpus.between_lines[style]:
            fields = placeholders(template)
            assert {"percent", "percent2"} <= fields, template
            if style == "gentle":  # others read along: never name a mood
                assert fields <= {"soft", "soft2", "percent", "percent2"}, template
            else:
                assert fields <= MOOD_FIELDS | SECOND_FIELDS, template


@pytest.mark.parametrize("language", LANGUAGES)
def test_ids_unique_and_named_after_their_pool(language: str) -> None:
    corpus = load(language)
    seen: list[str] = []
    for emotion, pool in corpus.advice.items():
        assert all(re.fullmatch(rf"{emotion}-\d{{2}}", i) for i in pool), pool.keys()
        seen += pool
    for emotion, pool in corpus.group_advice.items():
        assert all(re.fullmatch(rf"group-{emotion}-\d{{2}}", i) for i in pool), pool.keys()
        seen += pool
    for kind, pool in corpus.wellbeing.items():
        prefix = "wellbeing-" if kind == "solo" else f"wellbeing-{kind}-"
        assert all(re.fullmatch(rf"{prefix}\d{{2}}", i) for i in pool), pool.keys()
        seen += pool
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_empty_strings(language: str) -> None:
    strings = all_strings(raw(language))
    assert strings
    assert all(s.strip() for s in strings)


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_same_keys_as_english(language: str) -> None:
    assert key_tree(raw(language)) == key_tree(raw("en"))
    assert set(load(language).messages) == set(load("en").messages)


@pytest.mark.parametrize("language", LANGUAGES)
def test_message_keys_match_the_documented_set(language: str) -> None:
    assert set(load(language).messages) == set(MESSAGE_KEYS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_mood_line_placeholders(language: str) -> None:
    corpus = load(language)
    for style in MOOD_LINE_STYLES:
        allowed = UNKNOWN_FIELDS if style.startswith("unknown") else MOOD_FIELDS
        for level in LEVELS:
            for template in corpus.mood_lines[style][level]:
                fields = placeholders(template)
                assert fields <= allowed, (style, level, template)
                assert "percent" in fields, template
    assert placeholders(corpus.percent) == {"value"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_gentle_lines_never_name_the_mood(language: str) -> None:
    for level in LEVELS:
        for template in load(language).mood_lines["gentle"][level]:
            assert placeholders(template) <= {"soft", "percent"}, template


@pytest.mark.parametrize("language", LANGUAGES)
def test_group_line_placeholders(language: str) -> None:
    corpus = load(language)
    for kind in GROUP_LINE_KINDS:
        allowed = {"adjective", "count"} if kind in {"uniform", "mostly"} else {"count"}
        for template in corpus.group_lines[kind]:
            assert placeholders(template) <= allowed, (kind, template)
            template.format(adjective="x", count=3)


@pytest.mark.parametrize("language", LANGUAGES)
def test_advice_texts_have_no_placeholders(language: str) -> None:
    corpus = load(language)
    pools = [*corpus.advice.values(), *corpus.group_advice.values(), *corpus.wellbeing.values()]
    for pool in pools:
        for advice_id, advice in pool.items():
            assert "{" not in advice and "}" not in advice, advice_id


@pytest.mark.parametrize("language", LANGUAGES)
def test_message_placeholders(language: str) -> None:
    corpus = load(language)
    for key, template in corpus.messages.items():
        assert placeholders(template) <= MESSAGE_PLACEHOLDERS[key], (key, template)
        assert placeholders(template) == placeholders(load("en").messages[key]), key


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", MESSAGE_KEYS)
def test_text_formats_every_key(language: str, key: str) -> None:
    values = {"max_mb": 20, "seconds": 10, "shown": 10, "total": 14, "photos": 7, "faces": 9, "days": 30,
              "count": 3, "people": 3, "name": "Deutsch", "mode": "on", "annotate": "on", "user_cooldown": "10 s",
              "chat_cooldown": "3 s", "chat_language": "English", "mood": "Happy", "share": "50 %", "day": "Nov 20",
              "more_faces": 44, "moods": "mostly calm",
              # group admin controls
              "who": "everyone", "quiet": "off", "autodelete": "off", "topics": "all", "start": "22:00",
              "end": "07:00", "zone": "UTC", "hour": "22:00", "delay": "5 min", "until": "07:00",
              "pulse": "on", "top": "calm"}
    rendered = text(key, language, **values)
    assert rendered.strip()
    assert "{" not in rendered


def test_text_resolves_codes_and_rejects_unknown_keys() -> None:
    assert text("busy", "de-AT") == load("de").messages["busy"]
    assert text("busy", "pt-BR") == load("pt").messages["busy"]
    assert text("busy", "xx") == load("en").messages["busy"]
    with pytest.raises(KeyError):
        text("no_such_key", "en")


def test_text_keeps_missing_placeholders_visible() -> None:
    assert "{seconds}" in text("cooldown", "en")
    assert "20 MB" in text("too_large", "en", max_mb=20)


@pytest.mark.parametrize("language", LANGUAGES)
def test_start_and_help_cover_data_and_commands(language: str) -> None:
    for key in ("start", "help"):
        message = text(key, language)
        for command in ("/forget", "/optout", "/help" if key == "start" else "/start"):
            assert command in message, (key, command)
    english = text("start", "en").lower() + text("help", "en").lower()
    assert "medical" in english and "anonymous" in english


@pytest.mark.parametrize("language", LANGUAGES)
def test_advice_is_never_clinical(language: str) -> None:
    corpus = load(language)
    clinical = re.compile(r"depress|disorder|symptom|diagnos|anxiety|therap|calm down|beruhig dich", re.IGNORECASE)
    pools = [*corpus.advice.values(), *corpus.group_advice.values(), *corpus.wellbeing.values()]
    for pool in pools:
        for advice_id, advice in pool.items():
            assert not clinical.search(advice), advice_id
