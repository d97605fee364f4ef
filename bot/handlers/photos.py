"""Photos: private chats, groups (mode, /mood as reply or caption), documents with images.

Thin: an update becomes a ``PhotoRequest`` for ``bot.photo_service`` (which gates, analyses and composes), the
``Outcome`` is sent by ``bot.handlers.delivery`` and reported back to the service for counting."""

from __future__ import annotations

import re

from telegram import Message, Update
from telegram.constants import ChatAction

from bot.deps import get_deps
from bot.handlers.common import Context, chat_settings_and_language, reply, t
from bot.handlers.delivery import chat_action_if_slow, download, more_pixels, send_outcome
from bot.handlers.details import details_keyboard, remember_details
from bot.handlers.group_controls import request_facts
from bot.photo_service import PhotoRequest

_MOOD_RE = re.compile(r"^/mood(?:@(\w+))?(?:\s|$)", re.IGNORECASE)


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


async def analyze_and_reply(
    update: Update, context: Context, *, target: Message, explicit: bool, requester: Message | None = None,
) -> None:
    d = get_deps(context)
    requester = requester or target
    subject, asker = _subject_id(target), _subject_id(requester)
    if subject is None or asker is None:
        return
    chat_settings, language = await chat_settings_and_language(update, context)
    topic, asker_is_admin = await request_facts(update, context, chat_settings, requester=requester,
                                                explicit=explicit)  # for the group admin controls
    request = PhotoRequest(
        update_id=update.update_id, chat_id=target.chat.id, chat_type=target.chat.type, subject_id=subject,
        asker_id=asker, language=language, explicit=explicit, chat_settings=chat_settings,
        topic=topic, asker_is_admin=asker_is_admin,
    )
    action = ChatAction.UPLOAD_PHOTO if chat_settings.annotate else ChatAction.TYPING
    async with chat_action_if_slow(target, action, d.retry):
        max_bytes = d.settings.max_image_bytes
        outcome = await d.photos.handle(request, lambda: download(target, max_bytes, d.retry),
                                        fetch_more=more_pixels(target, max_bytes, d.retry))

    def remember(sent: Message) -> None:  # the "details" button: top-3 moods per face, kept in memory only
        remember_details(context, sent.chat_id, sent.message_id, outcome.faces)

    with d.metrics.photo_stage.labels("send").time():
        delivered = await send_outcome(target, requester, outcome, d.retry, on_picture=remember,
                                       picture_markup=details_keyboard(None, language) if outcome.faces else None)
    if delivered:
        d.photos.delivered(outcome)
    else:
        d.photos.undeliverable(outcome)
