"""The Telegram side of the photo flow: which photo size to download, download with retries, a chat action only
for slow answers, and sending an ``Outcome`` with retries and a text fallback.

**Sizes.** Telegram keeps a photo in sizes whose longer side is 90, 320, 800 and 1280 px (or the original, when
smaller). Shelly downloads the 800 px size first (:func:`pick_photo_size`): it is chosen by the longer side, as
Telegram makes them, so a 16:9 photo (800×450) or a panorama gets it too. A face that fills much of the picture
is read as well from it as from the 1280 px size, for less download and decoding. :func:`more_pixels` offers the
1280 px size as a second download, which ``bot.photo_service`` takes only when the first reading found no face or
a small one. Image documents have one size: no second download.

Transient failures are ``telegram.error.NetworkError`` (PTB raises it for 5xx answers, dropped connections
and, as its subclass ``TimedOut``, timeouts): retried ``attempts`` times with doubling backoff. ``RetryAfter``
(429) is not a ``NetworkError``: the rate limiter (``AIORateLimiter`` / ``RedisRateLimiter``) already waits
``retry_after`` and retries it, so it is not handled twice here. Other errors (400, 403) are not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import Chat, InlineKeyboardMarkup, Message, PhotoSize
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut

from bot.photo_service import Fetch, FetchFailed, FetchRefused, Outcome, OutcomeKind
from bot.render import MESSAGE_LIMIT, photo_reply, split_message

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_PHOTO_SIDE = 800  # longer side of the size read first (Telegram's "x" size)
MORE_PHOTO_SIDE = 1280  # longer side of the size read again (Telegram's "y"); the detector looks at ≤ 960 px
MORE_PIXELS_MIN_GAIN = 1.25  # a second size only this much bigger (longer side) is not worth a second reading
TELEGRAM_GET_FILE_LIMIT = 20 * 1024 * 1024
CHAT_ACTION_AFTER_S = 1.0  # fast answers (most) never show "sending photo…"
CHAT_ACTION_EVERY_S = 4.5  # Telegram shows an action for ~5 s
# documents whose type clearly is not an image are refused before downloading
_NON_IMAGE_PREFIXES = ("video/", "audio/", "text/", "application/pdf", "application/zip", "application/msword",
                       "application/vnd", "application/json", "application/x-")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff_s: float = 0.5  # before the 2nd attempt; doubles
    download_timeout_s: float = 15.0  # deadline of one file-download attempt (the body included)


async def with_retries(call: Callable[[], Awaitable[T]], policy: RetryPolicy) -> T:
    """``await call()``, again after transient failures (see the module docstring)."""
    for attempt in range(1, max(1, policy.attempts) + 1):
        try:
            return await call()
        except NetworkError:
            if attempt >= policy.attempts:
                raise
            await asyncio.sleep(policy.backoff_s * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def pick_photo_size(sizes: Sequence[PhotoSize], longest_side: int = FIRST_PHOTO_SIDE) -> PhotoSize:
    """The smallest size whose longer side is at least ``longest_side``; the largest if none is."""
    ordered = sorted(sizes, key=lambda s: (s.width * s.height, s.file_size or 0))
    for size in ordered:
        if max(size.width, size.height) >= longest_side:
            return size
    return ordered[-1]


def larger_photo_size(sizes: Sequence[PhotoSize], first: PhotoSize, min_gain: float = MORE_PIXELS_MIN_GAIN,
                      longest_side: int = MORE_PHOTO_SIDE) -> PhotoSize | None:
    """The size to read again after ``first`` (the smallest whose longer side is at least ``longest_side``, else
    the largest), or ``None`` when it is not ``min_gain`` times bigger than ``first`` (on the longer side)."""
    more = pick_photo_size(sizes, longest_side)
    return more if max(more.width, more.height) >= min_gain * max(first.width, first.height) else None


async def download(message: Message, max_bytes: int, policy: RetryPolicy) -> bytes:
    """The photo (its first size, :func:`pick_photo_size`) or image document of ``message``.

    Raises ``FetchRefused`` for files Shelly does not read (known from metadata, before downloading) and
    ``FetchFailed`` when getFile or the download still fails after the retries."""
    limit = min(TELEGRAM_GET_FILE_LIMIT, max_bytes)
    media: Any
    if message.photo:
        media = pick_photo_size(message.photo)
    else:
        document = message.document
        if document is None:
            raise FetchRefused("unsupported")
        mime = (document.mime_type or "").lower()
        if mime and not mime.startswith("image/") and mime.startswith(_NON_IMAGE_PREFIXES):
            raise FetchRefused("unsupported")
        media = document
    return await _download(media, limit, policy)


def more_pixels(message: Message, max_bytes: int, policy: RetryPolicy) -> Fetch | None:
    """The download of a bigger size of ``message``'s photo (:func:`larger_photo_size`), for a second reading;
    ``None`` for documents, photos without a much bigger size, and a bigger size over the size limit."""
    if not message.photo:
        return None
    limit = min(TELEGRAM_GET_FILE_LIMIT, max_bytes)
    more = larger_photo_size(message.photo, pick_photo_size(message.photo))
    if more is None or (more.file_size is not None and more.file_size > limit):
        return None
    return lambda: _download(more, limit, policy)


async def _download(media: Any, limit: int, policy: RetryPolicy) -> bytes:
    """``media`` (a ``PhotoSize`` or ``Document``) downloaded with retries; see :func:`download`."""
    if media.file_size is not None and media.file_size > limit:
        raise FetchRefused("too_large")

    async def fetch_once() -> bytes:
        file = await media.get_file()
        if file.file_size is not None and file.file_size > limit:
            raise FetchRefused("too_large")
        try:  # a deadline for the whole body: a trickling download never trips a per-read timeout
            async with asyncio.timeout(policy.download_timeout_s):
                return bytes(await file.download_as_bytearray(read_timeout=policy.download_timeout_s))
        except TimeoutError as exc:
            raise TimedOut(f"the download took longer than {policy.download_timeout_s:g} s") from exc

    try:
        data = await with_retries(fetch_once, policy)
    except BadRequest as exc:
        if "too big" in str(exc).lower():
            raise FetchRefused("too_large") from exc
        raise FetchFailed(type(exc).__name__) from exc
    except TelegramError as exc:
        raise FetchFailed(type(exc).__name__) from exc
    if not data:
        raise FetchRefused("unreadable")
    return data


@contextlib.asynccontextmanager
async def chat_action_if_slow(message: Message, action: str, policy: RetryPolicy,
                              after_s: float = CHAT_ACTION_AFTER_S) -> AsyncIterator[None]:
    """Show ``action`` ("sending photo…") only if the block is still running after ``after_s``; renew it
    every few seconds. Fast answers spend no request on it."""

    async def keep_showing() -> None:
        await asyncio.sleep(after_s)
        while True:
            with contextlib.suppress(TelegramError):
                await with_retries(lambda: message.reply_chat_action(action), policy)
            await asyncio.sleep(CHAT_ACTION_EVERY_S)

    task = asyncio.create_task(keep_showing(), name="shelly-chat-action")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def send_outcome(
    target: Message, requester: Message, outcome: Outcome, policy: RetryPolicy, *,
    picture_markup: InlineKeyboardMarkup | None = None, on_picture: Callable[[Message], None] | None = None,
) -> bool:
    """Send what ``outcome`` says; ``True`` if the person got it (a text fallback counts), ``False`` if nothing
    could be sent (logged with the update id only). ``SKIP`` sends nothing and returns ``True``.
    ``picture_markup`` goes under the annotated picture, and ``on_picture`` is told the picture's message."""
    if outcome.kind is OutcomeKind.SKIP:
        return True
    message = requester if outcome.to_asker else target
    update_id = outcome.request.update_id
    quoted: Any = (message.build_reply_arguments(allow_sending_without_reply=True)
                   if message.chat.type != Chat.PRIVATE else False)
    reply = outcome.reply
    if outcome.picture is not None and reply is not None and reply.faces:
        plan = photo_reply(outcome.text, reply.group_line or reply.faces[0].mood_line)
        picture = outcome.picture
        try:
            sent = await with_retries(lambda: message.reply_photo(
                picture, caption=plan.caption, do_quote=quoted, reply_markup=picture_markup), policy)
        except TelegramError as exc:
            log.warning("update %d: the picture could not be sent (%s); sending the text instead",
                        update_id, type(exc).__name__)
        else:
            if on_picture is not None:
                on_picture(sent)
            for chunk in plan.follow_ups:
                if not await _send_text(message, chunk, False, policy, update_id):
                    break  # the picture and its caption arrived: the answer counts
            return True
    chunks = text_chunks(outcome)
    for i, chunk in enumerate(chunks):
        if not await _send_text(message, chunk, quoted if i == 0 else False, policy, update_id):
            return i > 0
    return True


def text_chunks(outcome: Outcome) -> list[str]:
    """The text of ``outcome`` in messages; a very long reading is shortened to one message rather than many."""
    chunks = split_message(outcome.text)
    if len(chunks) > 3 and outcome.reply is not None:
        return split_message(outcome.reply.render(MESSAGE_LIMIT))
    return chunks


async def _send_text(message: Message, text: str, quoted: Any, policy: RetryPolicy, update_id: int) -> bool:
    try:
        await with_retries(lambda: message.reply_text(text, do_quote=quoted), policy)
    except TelegramError as exc:
        log.error("update %d: the reply could not be sent (%s)", update_id, type(exc).__name__)
        return False
    return True
