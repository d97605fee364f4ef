"""Shorten texts to a length budget without cutting words silently."""

from __future__ import annotations

import re

ELLIPSIS = "…"
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters: whole sentences if that keeps at least half, else whole
    words plus an ellipsis. Returns ``""`` when ``limit`` is too small for anything useful."""
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit < 2:
        return ""
    kept = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    if kept and len(kept) >= limit // 2:
        return kept
    return cut_words(text, limit)


def cut_words(text: str, limit: int) -> str:
    """Cut at a word boundary so the result plus an ellipsis fits ``limit``; mid-word only if one word is longer."""
    if len(text) <= limit:
        return text
    if limit < 2:
        return ""
    head = text[: limit - len(ELLIPSIS) + 1]
    space = head.rfind(" ")
    head = head[:space] if space > 0 else head[: limit - len(ELLIPSIS)]
    return head.rstrip(" ,;:-–—(\"'“„") + ELLIPSIS
