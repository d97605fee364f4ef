"""Shelly's vocabulary outside the advice texts: emotion display names, counted nouns, dates, command menus.

Everything comes from the corpus (``advice/corpus/<code>.toml``), so a mood has the same name in the reply, on
the annotated picture and in /stats. Plural forms follow the language's CLDR rules via Babel (Russian: one, few,
many).
"""

from __future__ import annotations

from datetime import date
from functools import cache

from babel import Locale
from babel.numbers import format_decimal
from babel.units import format_unit

from advice.corpus import COMMAND_SCOPES, COUNT_NOUNS, load
from advice.emotions import ALIASES, KNOWN_EMOTIONS, canonical
from advice.language import resolve_language

__all__ = [
    "COMMAND_SCOPES",
    "COUNT_NOUNS",
    "command_menu",
    "duration",
    "emotion_name",
    "emotion_names",
    "percent",
    "plural_category",
    "quantity",
    "short_date",
]


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def emotion_names(language: str) -> dict[str, str]:
    """Display name of every known emotion label, and of its common aliases, in ``language`` (a raw Telegram
    code is fine), lower-case as used mid-sentence: ``{"happiness": "happy", "happy": "happy", ...}``.

    The photo flow passes this to ``InferencePool.analyze(..., label_names=...)`` so the annotated picture uses
    the reply's words."""
    moods = load(resolve_language(language)).moods
    names = {emotion: moods[emotion].label for emotion in KNOWN_EMOTIONS}
    return {**{alias: names[emotion] for alias, emotion in ALIASES.items()}, **names}


def emotion_name(label: str, language: str, *, capitalize: bool = False) -> str:
    """Display name of one model label (``"happiness"`` → ``"happy"``); unknown labels come back tidied."""
    emotion = canonical(label)
    name = emotion_names(language).get(emotion, emotion)
    return name[:1].upper() + name[1:] if capitalize else name


def plural_category(count: int, language: str) -> str:
    """The CLDR plural category of ``count`` in ``language``: ``"one"``, ``"few"``, ``"many"`` or ``"other"``."""
    return str(_locale(resolve_language(language)).plural_form(count))


def quantity(noun: str, count: int, language: str) -> str:
    """``count`` with ``noun`` in the right plural form: ``quantity("photos", 1, "en")`` → ``"1 photo"``,
    ``quantity("photos", 3, "ru")`` → ``"3 фотографии"``. Nouns: :data:`COUNT_NOUNS`."""
    language = resolve_language(language)
    forms = load(language).counts[noun]
    template = forms.get(plural_category(count, language), forms["other"])
    return template.format(count=format_decimal(count, locale=_locale(language)))


def duration(seconds: float, language: str) -> str:
    """A short duration for menus: whole minutes as minutes, otherwise seconds (``"5 min"``, ``"30 s"``)."""
    language = resolve_language(language)
    whole = int(seconds)
    unit, value = ("duration-minute", whole // 60) if whole >= 60 and whole % 60 == 0 else ("duration-second", whole)
    return str(format_unit(value, unit, length="short", locale=_locale(language)))


def percent(value: float, language: str) -> str:
    """``value`` (0–100) rounded, in the language's percent style (``"82 %"``)."""
    return load(resolve_language(language)).percent.format(value=round(value))


def short_date(day: date, language: str) -> str:
    """``day`` in the language's short date style (the corpus' ``date_format``)."""
    return day.strftime(load(resolve_language(language)).date_format)


def command_menu(language: str, scope: str) -> list[tuple[str, str]]:
    """``(command, description)`` pairs of one Telegram command menu: ``scope`` is ``"private"``, ``"group"`` or
    ``"admin"`` (the commands group admins see in addition to the group menu)."""
    if scope not in COMMAND_SCOPES:
        raise KeyError(f"unknown command menu {scope!r}")
    return list(load(resolve_language(language)).commands[scope].items())
