"""/start, /help, /privacy, plain text in private chats, and Shelly joining a group."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Chat, ChatMemberUpdated, Update

from bot.handlers.common import Context, chat_settings_and_language, reply, t


def answer_with(key: str) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """A handler that answers with one fixed text of Shelly's, in the chat's language."""

    async def handler(update: Update, context: Context) -> None:
        if update.effective_message is None:
            return
        _, language = await chat_settings_and_language(update, context)
        await reply(update.effective_message, t(key, language))

    return handler


on_start = answer_with("start")
on_help = answer_with("help")
on_privacy = answer_with("privacy")
on_private_text = answer_with("private_text")  # plain text in a private chat: short, points to /help


async def on_my_chat_member(update: Update, context: Context) -> None:
    """Shelly was added to a group: say hello once."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type not in (Chat.GROUP, Chat.SUPERGROUP):
        return
    was = change.old_chat_member.status
    now = change.new_chat_member.status
    if was in ("left", "kicked") and now in ("member", "administrator"):
        _, language = await chat_settings_and_language(update, context)
        await context.bot.send_message(change.chat.id, t("group_welcome", language))
