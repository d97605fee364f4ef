"""Shelly's words: mood lines, advice and fixed messages in several languages, chosen for an analysed photo.

Pure and synchronous; depends only on :mod:`inference.types`. Main entry points:
:func:`compose` (photo → :class:`Reply`, then ``Reply.render(max_chars)``), :func:`resolve_language`
and :func:`advice.messages.text` for error/command texts. Voice guidelines: ``docs/advice.md``.
"""

from advice.compose import (
    CONFIDENT_THRESHOLD,
    MEDIUM_THRESHOLD,
    RECENT_MEMORY,
    RECENT_WINDOW,
    SAD_STREAK_THRESHOLD,
    SAD_STREAK_WINDOW_DAYS,
    compose,
    confidence_level,
)
from advice.language import resolve_language, supported_languages
from advice.messages import MESSAGE_KEYS, text
from advice.reply import CAPTION_LIMIT, MESSAGE_LIMIT, AdviceContext, FaceAdvice, Reply

__all__ = [
    "CAPTION_LIMIT",
    "CONFIDENT_THRESHOLD",
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
    "compose",
    "confidence_level",
    "resolve_language",
    "supported_languages",
    "text",
]
