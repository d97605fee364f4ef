"""Shelly's words, one TOML file per language (``<code>.toml`` next to this module), loaded into typed values.

File layout (see ``en.toml`` for the reference; every language must have the same keys):

- ``[meta]``: ``language``, ``name``, ``percent`` (template with ``{value}``), ``date_format`` (``strftime``,
  numeric outside English: month names would come out in English)
- ``[moods.<emotion>]``: ``label`` (the display name on the picture, in /stats and its chart), ``adjective``,
  ``noun``, ``with_article``, ``soft`` (gentle stand-alone phrase)
- ``[mood_lines.<style>]``: ``confident`` / ``medium`` / ``low`` template lists; styles ``solo``, ``group``,
  ``gentle`` (negative moods when others can read along), ``unknown_solo``, ``unknown_group``
- ``[between_lines]``: ``solo`` / ``group`` / ``gentle`` template lists for a close call between the two most
  likely moods (the same fields, plus ``adjective2`` ``noun2`` ``soft2`` ``percent2`` for the runner-up)
- ``[counts.<noun>]``: ``{count}`` templates per CLDR plural category of the language (``one``, ``few``,
  ``many``, ``other``: exactly the categories Babel lists for it, plus ``other``)
- ``[commands.<scope>]``: ``command = "menu description"`` for the Telegram command menus (``private``,
  ``group``, and ``admin``: the extra commands group admins see)
- ``[advice.<emotion|generic>]`` and ``[group_advice.<emotion|generic>]``: ``"<id>" = "text"``
- ``[group_lines]``: ``uniform``, ``uniform_heavy``, ``mostly``, ``mixed`` template lists
- ``[wellbeing.solo]`` / ``[wellbeing.group]``: ``"<id>" = "text"``
- ``[messages]``: ``key = "text"`` (see :mod:`advice.messages`)
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

LEVELS: tuple[str, ...] = ("confident", "medium", "low")
MOOD_LINE_STYLES: tuple[str, ...] = ("solo", "group", "gentle", "unknown_solo", "unknown_group")
GROUP_LINE_KINDS: tuple[str, ...] = ("uniform", "uniform_heavy", "mostly", "mixed")
WELLBEING_KINDS: tuple[str, ...] = ("solo", "group")
BETWEEN_STYLES: tuple[str, ...] = ("solo", "group", "gentle")
COUNT_NOUNS: tuple[str, ...] = ("photos", "faces", "more_faces", "people", "days", "seconds")
COMMAND_SCOPES: tuple[str, ...] = ("private", "group", "admin")
MOOD_FIELDS: tuple[str, ...] = ("label", "adjective", "noun", "with_article", "soft")


class CorpusError(ValueError):
    """A language file is missing or malformed."""


@dataclass(frozen=True)
class Mood:
    """How one emotion is named in a language."""

    label: str  # "happy" — the display name: annotated picture, /stats text and chart
    adjective: str  # "happy" — "You look happy"
    noun: str  # "happiness" — "a hint of happiness"
    with_article: str  # "a happy face"
    soft: str  # "a quieter look" — gentle, stand-alone, used when others read along


@dataclass(frozen=True)
class Corpus:
    """Everything Shelly can say in one language."""

    language: str
    name: str
    percent: str
    date_format: str  # strftime for short dates ("%d.%m.")
    moods: Mapping[str, Mood]
    mood_lines: Mapping[str, Mapping[str, tuple[str, ...]]]  # style -> level -> templates
    advice: Mapping[str, Mapping[str, str]]  # emotion or "generic" -> id -> text
    group_advice: Mapping[str, Mapping[str, str]]
    group_lines: Mapping[str, tuple[str, ...]]
    wellbeing: Mapping[str, Mapping[str, str]]  # "solo" | "group" -> id -> text
    messages: Mapping[str, str]
    between_lines: Mapping[str, tuple[str, ...]]  # "solo" | "group" | "gentle" -> templates
    counts: Mapping[str, Mapping[str, str]]  # noun -> plural category -> "{count} …"
    commands: Mapping[str, Mapping[str, str]]  # scope -> command -> description


@cache
def available_languages() -> tuple[str, ...]:
    """Language codes that have a corpus file, sorted (read once: every message asks)."""
    root = resources.files(__package__)
    return tuple(sorted(p.name.removesuffix(".toml") for p in root.iterdir() if p.name.endswith(".toml")))


@cache
def load(language: str) -> Corpus:
    """Load and validate the corpus for ``language`` (cached)."""
    if language not in available_languages():
        raise CorpusError(f"no corpus for language {language!r}")
    raw = tomllib.loads(resources.files(__package__).joinpath(f"{language}.toml").read_text("utf-8"))
    try:
        return _parse(language, raw)
    except (KeyError, TypeError) as exc:
        raise CorpusError(f"{language}.toml: malformed ({exc!r})") from exc


def _parse(language: str, raw: dict[str, Any]) -> Corpus:
    meta = raw["meta"]
    return Corpus(
        language=language,
        name=_str(meta["name"]),
        percent=_str(meta["percent"]),
        date_format=_str(meta["date_format"]),
        moods={k: Mood(**{f: _str(v[f]) for f in MOOD_FIELDS}) for k, v in raw["moods"].items()},
        mood_lines={
            style: {level: _strs(raw["mood_lines"][style][level]) for level in LEVELS} for style in MOOD_LINE_STYLES
        },
        advice={k: _texts(v) for k, v in raw["advice"].items()},
        group_advice={k: _texts(v) for k, v in raw["group_advice"].items()},
        group_lines={kind: _strs(raw["group_lines"][kind]) for kind in GROUP_LINE_KINDS},
        wellbeing={kind: _texts(raw["wellbeing"][kind]) for kind in WELLBEING_KINDS},
        messages=_texts(raw["messages"]),
        between_lines={style: _strs(raw["between_lines"][style]) for style in BETWEEN_STYLES},
        counts={noun: _texts(raw["counts"][noun]) for noun in COUNT_NOUNS},
        commands={scope: _texts(raw["commands"][scope]) for scope in COMMAND_SCOPES},
    )


def _str(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"expected a non-empty string, got {value!r}")
    return value.strip()


def _strs(values: object) -> tuple[str, ...]:
    if not isinstance(values, list) or not values:
        raise TypeError(f"expected a non-empty list of strings, got {values!r}")
    return tuple(_str(v) for v in values)


def _texts(table: object) -> dict[str, str]:
    if not isinstance(table, dict) or not table:
        raise TypeError(f"expected a non-empty table of strings, got {table!r}")
    return {str(k): _str(v) for k, v in table.items()}
