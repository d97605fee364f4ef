"""Fit Shelly's texts into Telegram's limits (``telegram.constants.MessageLimit``: captions 1024, messages 4096
characters)."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.constants import MessageLimit

CAPTION_LIMIT = int(MessageLimit.CAPTION_LENGTH)
MESSAGE_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters, at paragraph, line or word boundaries."""
    text = text.strip()
    chunks: list[str] = []
    while len(text) > limit:
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = text.rfind(sep, 0, limit + 1)
            if cut > limit // 4:
                break
        if cut <= 0:
            cut = limit
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks


@dataclass(frozen=True)
class PhotoReply:
    caption: str
    follow_ups: tuple[str, ...]


def photo_reply(full_text: str, short_caption: str) -> PhotoReply:
    """The caption and follow-up messages for an annotated photo.

    ``full_text`` fits a caption → it is the caption. Otherwise the photo gets ``short_caption`` (cut to the
    caption limit) and the full text follows in messages of at most 4096 characters.
    """
    if len(full_text) <= CAPTION_LIMIT:
        return PhotoReply(full_text, ())
    caption = short_caption if len(short_caption) <= CAPTION_LIMIT else short_caption[: CAPTION_LIMIT - 1] + "…"
    return PhotoReply(caption, tuple(split_message(full_text)))
