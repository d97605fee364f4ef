"""The "details" button under a reply: each face's top-3 emotions as one small bar chart.

Wiring in the photo flow, either of (``sent`` is the photo reply)::

    # a) the button goes out with the reply: no extra API call, nothing is edited
    sent = await target.reply_photo(..., reply_markup=details.details_keyboard(None, language))
    details.remember_details(context, chat.id, sent.message_id, analysis.faces)

    # b) after the fact, on the reply or on a later message (``button_message_id``): one editMessageReplyMarkup
    await details.attach_details(context, chat.id, sent.message_id, analysis.faces, language)

Pressing the button (callback data ``details:<message id>``, or ``details:`` for the message that carries the
button) sends the chart as a reply to that message, or,
after the details have been forgotten (a day later, or after a restart), says so kindly in the button's
answer. The faces live only in :class:`bot.face_details.FaceDetailsStore`, in memory. They are looked up by
the chat the button was pressed in (from Telegram, not from the callback data), so a forged ``details:<id>``
cannot reach another chat's details.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackContext

from advice import emotion_name
from bot.face_details import FaceDetailsStore, HasEmotions, chart_pages, render_face_details
from bot.handlers.common import Context, chat_settings_and_language, t

log = logging.getLogger(__name__)

CALLBACK_PREFIX = "details:"
STORE_KEY = "shelly.face_details"

AppOrContext = CallbackContext[Any, Any, Any, Any] | Application[Any, Any, Any, Any, Any, Any]


def details_store(app: AppOrContext) -> FaceDetailsStore:
    """The application's store (created on first use; one per application, so tests stay apart)."""
    store: FaceDetailsStore = app.bot_data.setdefault(STORE_KEY, FaceDetailsStore())
    return store


def details_keyboard(message_id: int | None, language: str) -> InlineKeyboardMarkup:
    """The one-button keyboard that shows the details of the reply ``message_id`` (``None``: of the message
    this keyboard is sent with)."""
    data = CALLBACK_PREFIX + ("" if message_id is None else str(message_id))
    return InlineKeyboardMarkup([[InlineKeyboardButton(t("details_button", language), callback_data=data)]])


def remember_details(app: AppOrContext, chat_id: int, message_id: int, faces: Iterable[HasEmotions]) -> None:
    """Keep the faces of the reply ``message_id`` for its details button (in memory, a day at most)."""
    details_store(app).remember(chat_id, message_id, faces)


async def attach_details(
    app: AppOrContext, chat_id: int, message_id: int, faces: Iterable[HasEmotions], language: str,
    *, button_message_id: int | None = None,
) -> bool:
    """Remember ``faces`` for the reply ``message_id`` and put the details button on it (or on
    ``button_message_id``, e.g. the last follow-up text). No faces: nothing happens.

    Returns whether the button is there; a failed edit is logged, never raised (the reply has gone out).
    """
    faces = list(faces)
    if not faces:
        return False
    remember_details(app, chat_id, message_id, faces)
    try:
        await app.bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=button_message_id or message_id,
            reply_markup=details_keyboard(message_id, language))
    except TelegramError as exc:
        log.warning("could not attach the details button: %s", exc)
        return False
    return True


async def on_details_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    message = query.message
    if message is None:  # a button on an inline-mode message: Shelly sends none
        await query.answer()
        return
    reference = query.data.removeprefix(CALLBACK_PREFIX)
    if not reference:
        target = message.message_id
    elif reference.isascii() and reference.isdigit():
        target = int(reference)
    else:
        await query.answer()
        return
    chat_id = message.chat.id
    _, language = await chat_settings_and_language(update, context)
    faces = details_store(context).get(chat_id, target)
    if faces is None:
        await query.answer(t("details_expired", language), show_alert=True)
        return
    await query.answer()
    names = {label: emotion_name(label, language, capitalize=True) for face in faces for label in face.emotions}
    title = t("details_title", language)
    thread = message.message_thread_id if isinstance(message, Message) and message.is_topic_message else None
    loop = asyncio.get_running_loop()
    try:
        for page in chart_pages(faces):
            png = await loop.run_in_executor(None, render_face_details, page, names, title)
            await context.bot.send_photo(
                chat_id, png, message_thread_id=thread,
                reply_parameters=ReplyParameters(target, allow_sending_without_reply=True))
    except TelegramError as exc:
        log.warning("could not send the details chart: %s", exc)
