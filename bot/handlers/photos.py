"""Photos: private chats, groups (mode, /mood as reply or caption), documents with images.

Flow: gate (mode, opt-out, cooldown) → download the smallest big-enough size → pool.analyze →
advice.compose → send annotated photo + caption (+ follow-ups) → record stats (non-blocking)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

from telegram import Chat, Message, PhotoSize, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError

from advice import AdviceContext, Reply, compose
from bot.deps import Deps, get_deps
from bot.handlers.common import Context, chat_settings_and_language, is_group, reply, t
from bot.render import MESSAGE_LIMIT, photo_reply, split_message
from inference import errors as ie

log = logging.getLogger(__name__)

MIN_DETECTION_SIDE = 640  # the smallest photo size whose shorter side is at least this is big enough
TELEGRAM_GET_FILE_LIMIT = 20 * 1024 * 1024
CHAT_ACTION_EVERY_S = 4.5
SAD_WINDOW = timedelta(days=7)
_MOOD_RE = re.compile(r"^/mood(?:@(\w+))?(?:\s|$)", re.IGNORECASE)
# documents whose type clearly is not an image are refused before downloading
_NON_IMAGE_PREFIXES = ("video/", "audio/", "text/", "application/pdf", "application/zip", "application/msword",
                       "application/vnd", "application/json", "application/x-")

ERROR_KEYS: tuple[tuple[type[Exception], str], ...] = (
    (ie.PoolBusy, "busy"),
    (ie.AnalysisTimeout, "timeout"),
    (ie.ImageTooLarge, "too_large"),
    (ie.TooManyPixels, "too_large"),
    (ie.UnsupportedImage, "unsupported"),
    (ie.EmptyImage, "unreadable"),
    (ie.CorruptImage, "unreadable"),
    (ie.ImageError, "unreadable"),
    (ie.WorkerCrashed, "error"),
    (ie.ModelMissing, "error"),
)


class _Refused(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def pick_photo_size(sizes: Sequence[PhotoSize], min_side: int = MIN_DETECTION_SIDE) -> PhotoSize:
    """The smallest size whose shorter side is at least ``min_side``; the largest if none is."""
    ordered = sorted(sizes, key=lambda s: (s.width * s.height, s.file_size or 0))
    for size in ordered:
        if min(size.width, size.height) >= min_side:
            return size
    return ordered[-1]


def is_mood_command(text: str | None, bot_username: str | None) -> bool:
    if not text:
        return False
    match = _MOOD_RE.match(text.strip())
    if not match:
        return False
    addressed = match.group(1)
    return addressed is None or (bot_username is not None and addressed.lower() == bot_username.lower())


def has_image(message: Message | None) -> bool:
    return message is not None and bool(message.photo or message.document)


def _subject_id(message: Message) -> int | None:
    """Whose photo it is: the sender, or the chat/channel it was sent as."""
    if message.sender_chat is not None:
        return message.sender_chat.id
    return message.from_user.id if message.from_user is not None else None


async def on_photo(update: Update, context: Context) -> None:
    """A photo or document arrived (private chat, or a group where the bot sees it)."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    explicit = is_mood_command(message.caption, context.bot.username)
    await analyze_and_reply(update, context, target=message, explicit=explicit)


async def on_mood(update: Update, context: Context) -> None:
    """/mood: as a reply to a photo, or captioned on a photo (handled by on_photo)."""
    message = update.effective_message
    if message is None:
        return
    target = message.reply_to_message
    if has_image(target):
        assert target is not None
        await analyze_and_reply(update, context, target=target, explicit=True, requester=message)
        return
    _, language = await chat_settings_and_language(update, context)
    await reply(message, t("help", language))


async def on_unsupported(update: Update, context: Context) -> None:
    """Stickers, videos, voice ... in a private chat: say kindly what Shelly can read."""
    message = update.effective_message
    if message is None:
        return
    _, language = await chat_settings_and_language(update, context)
    await reply(message, t("unsupported", language))


@contextlib.asynccontextmanager
async def chat_action(message: Message, action: str) -> AsyncIterator[None]:
    """Show "sending photo…" while she looks, renewed every few seconds."""

    async def keep_showing() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await message.reply_chat_action(action)
            await asyncio.sleep(CHAT_ACTION_EVERY_S)

    task = asyncio.create_task(keep_showing(), name="shelly-chat-action")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def analyze_and_reply(
    update: Update, context: Context, *, target: Message, explicit: bool, requester: Message | None = None,
) -> None:
    d = get_deps(context)
    chat = target.chat
    requester = requester or target
    chat_settings, language = await chat_settings_and_language(update, context)
    private = chat.type == Chat.PRIVATE
    if not private:
        if chat_settings.mode == "off":
            return
        if chat_settings.mode == "on_request" and not explicit:
            return
    subject = _subject_id(target)
    asker = _subject_id(requester)
    if subject is None or asker is None:
        return
    if await d.storage.is_opted_out(subject):
        d.metrics.photos.labels("opted_out").inc()
        if private and d.cooldowns.check(chat.id, asker, chat_settings.user_cooldown_s, 0) == "go":
            await reply(requester, t("already_opted_out", language))
        return
    verdict = d.cooldowns.check(chat.id, asker, chat_settings.user_cooldown_s,
                                0 if private else chat_settings.chat_cooldown_s)
    if verdict != "go":
        d.metrics.photos.labels("cooldown").inc()
        if verdict == "notify":
            wait = max(1, math.ceil(d.cooldowns.remaining(chat.id, asker)))
            await reply(requester, t("cooldown", language, seconds=wait))
        return

    try:
        async with chat_action(target, ChatAction.UPLOAD_PHOTO if chat_settings.annotate else ChatAction.TYPING):
            data = await _download(target, d)
            started = time.perf_counter()
            try:
                analysis = await d.pool.analyze(data, annotate=chat_settings.annotate)
            finally:
                d.metrics.inference_latency.observe(time.perf_counter() - started)
    except _Refused as refused:
        d.metrics.errors.labels(refused.key).inc()
        d.metrics.photos.labels(refused.key).inc()
        await reply(target, t(refused.key, language, max_mb=d.settings.max_image_bytes // (1024 * 1024)))
        return
    except ie.ShellyInferenceError as exc:
        key = next(k for cls, k in ERROR_KEYS if isinstance(exc, cls)) if any(
            isinstance(exc, cls) for cls, _ in ERROR_KEYS) else "error"
        d.metrics.errors.labels(type(exc).__name__).inc()
        d.metrics.photos.labels(key).inc()
        if isinstance(exc, ie.ModelMissing | ie.WorkerCrashed):
            log.error("analysis failed: %s", exc)
        await reply(target, t(key, language, max_mb=d.settings.max_image_bytes // (1024 * 1024)))
        return

    sad_streak = 0
    try:
        recent = await d.storage.recent_user_emotions(subject, SAD_WINDOW)
        sad_streak = sum(1 for emotion in recent if emotion == "sadness")
    except Exception as exc:  # statistics must never break a reply
        log.warning("could not read recent moods: %s", exc)
    answer = compose(
        analysis,
        AdviceContext(language=language, in_group=is_group(chat), recent_ids=d.recent.get(chat.id),
                      sad_streak=sad_streak),
        d.rng,
    )
    await send_reply(target, answer, analysis.annotated_jpeg if chat_settings.annotate else None)
    d.recent.add(chat.id, answer.used_ids)
    d.metrics.photos.labels("answered" if analysis.faces else "no_face").inc()
    for face in analysis.faces:
        d.metrics.faces.labels(face.top_emotion).inc()
    if analysis.faces:
        d.storage.record_analysis(
            update_id=update.update_id, user_id=subject, chat_id=chat.id, chat_type=chat.type,
            emotions=[(f.top_emotion, f.confidence) for f in sorted(analysis.faces, key=lambda f: f.index)],
            model_version=analysis.model_version, when=datetime.now(UTC),
        )


async def _download(message: Message, d: Deps) -> bytes:
    limit = min(TELEGRAM_GET_FILE_LIMIT, d.settings.max_image_bytes)
    if message.photo:
        media: object = pick_photo_size(message.photo)
    else:
        document = message.document
        assert document is not None
        mime = (document.mime_type or "").lower()
        if mime and not mime.startswith("image/") and mime.startswith(_NON_IMAGE_PREFIXES):
            raise _Refused("unsupported")
        media = document
    size = getattr(media, "file_size", None)
    if size is not None and size > limit:
        raise _Refused("too_large")
    try:
        file = await media.get_file()  # type: ignore[attr-defined]
    except BadRequest as exc:
        if "too big" in str(exc).lower():
            raise _Refused("too_large") from exc
        raise
    if file.file_size is not None and file.file_size > limit:
        raise _Refused("too_large")
    data = bytes(await file.download_as_bytearray())
    if not data:
        raise _Refused("unreadable")
    return data


async def send_reply(target: Message, answer: Reply, annotated_jpeg: bytes | None) -> None:
    quote = target.chat.type != Chat.PRIVATE
    full = answer.render()
    if answer.no_face or not answer.faces or annotated_jpeg is None:
        for chunk in split_message(answer.render(MESSAGE_LIMIT) if len(split_message(full)) > 3 else full):
            await target.reply_text(chunk, do_quote=quote)
        return
    short = answer.group_line or answer.faces[0].mood_line
    plan = photo_reply(full, short)
    await target.reply_photo(annotated_jpeg, caption=plan.caption, do_quote=quote)
    for chunk in plan.follow_ups:
        await target.reply_text(chunk, do_quote=False)
