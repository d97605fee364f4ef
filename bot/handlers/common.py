"""Small helpers shared by the handlers: language, admin check, texts."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import Chat, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from advice import resolve_language
from advice import text as message_text
from bot.deps import get_deps

if TYPE_CHECKING:
    from bot.storage.types import ChatSettings

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE


def language_for(update: Update, context: Context, chat_settings: ChatSettings | None) -> str:
    d = get_deps(context)
    if chat_settings is not None and chat_settings.language:
        return resolve_language(chat_settings.language, d.settings.default_language)
    user = update.effective_user
    code = user.language_code if user is not None and not user.is_bot else None
    return resolve_language(code, d.settings.default_language)


async def chat_settings_and_language(update: Update, context: Context) -> tuple[ChatSettings, str]:
    chat = update.effective_chat
    assert chat is not None
    settings = await get_deps(context).storage.get_chat_settings(chat.id)
    return settings, language_for(update, context, settings)


def t(key: str, language: str, **fmt: object) -> str:
    return message_text(key, language, **fmt)


def is_group(chat: Chat | None) -> bool:
    return chat is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP)


async def is_chat_admin(update: Update, context: Context) -> bool:
    """Admin of the current chat: anonymous admins (the message is sent as the chat itself), or by
    getChatMember (cached ~60 s). Private chats: the user owns the chat."""
    chat = update.effective_chat
    if chat is None:
        return False
    if chat.type == Chat.PRIVATE:
        return True
    message = update.effective_message
    if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True
    user = update.effective_user
    if user is None:
        return False
    try:
        return await get_deps(context).admins.is_admin(chat.id, user.id)
    except TelegramError as exc:
        log.warning("admin check failed: %s", exc)
        return False


async def reply(message: Message, text: str, **kwargs: object) -> Message:
    """Reply in the same chat and forum topic, quoting the message in groups."""
    quote = message.chat.type != Chat.PRIVATE
    return await message.reply_text(text, do_quote=quote, **kwargs)  # type: ignore[arg-type]
