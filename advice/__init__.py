"""Shelly's words: mood lines, advice and fixed messages in several languages, chosen for an analysed photo.

Pure and synchronous; depends only on :mod:`inference.types`. Main entry points:
:func:`compose` (photo → :class:`Reply`, then ``Reply.render(max_chars)``), :func:`resolve_language`
and :func:`advice.messages.text` for error/command texts; :mod:`advice.vocabulary` for emotion display names
(:func:`emotion_names`), counted nouns with real plurals (:func:`quantity`), dates and command menus. Voice
guidelines: ``docs/advice.md``.
"""

from advice.compose import (
    CLOSE_CALL_MARGIN,
    CONFIDENT_THRESHOLD,
    MEDIUM_THRESHOLD,
    RECENT_MEMORY,
    RECENT_WINDOW,
    SAD_STREAK_THRESHOLD,
    SAD_STREAK_WINDOW_DAYS,
    compose,
    confidence_level,
    uses_sad_streak,
)
from advice.emotions import KNOWN_EMOTIONS
from advice.language import resolve_language, supported_languages
from advice.messages import MESSAGE_KEYS, text
from advice.reply import CAPTION_LIMIT, MESSAGE_LIMIT, AdviceContext, FaceAdvice, Reply
from advice.vocabulary import command_menu, duration, emotion_name, emotion_names, percent, quantity, short_date

__all__ = [
    "CAPTION_LIMIT",
    "CLOSE_CALL_MARGIN",
    "CONFIDENT_THRESHOLD",
    "KNOWN_EMOTIONS",
    "MEDIUM_THRESHOLD",
    "MESSAGE_KEYS",
    "MESSAGE_LIMIT",
    "RECENT_MEMORY",
    "RECENT_WINDOW",
    "SAD_STREAK_THRESHOLD",
    "SAD_STREAK_WINDOW_DAYS",
    "AdviceContext",
    "FaceAdvice",
    "Reply",
    "command_menu",
    "compose",
    "confidence_level",
    "duration",
    "emotion_name",
    "emotion_names",
    "percent",
    "quantity",
    "resolve_language",
    "short_date",
    "supported_languages",
    "text",
    "uses_sad_streak",
]
