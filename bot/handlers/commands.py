"""/start, /help, /privacy, plain text in private chats, and Shelly joining a group."""

from __future__ import annotations

from telegram import Chat, ChatMemberUpdated, Update

from bot.handlers.common import Context, chat_settings_and_language, reply, t


async def on_start(update: Update, context: Context) -> None:
    if update.effective_message is None:
        return
    _, language = await chat_settings_and_language(update, context)
    await reply(update.effective_message, t("start", language))


async def on_help(update: Update, context: Context) -> None:
    if update.effective_message is None:
        return
    _, language = await chat_settings_and_language(update, context)
    await reply(update.effective_message, t("help", language))


async def on_privacy(update: Update, context: Context) -> None:
    if update.effective_message is None:
        return
    _, language = await chat_settings_and_language(update, context)
    await reply(update.effective_message, t("privacy", language))


async def on_private_text(update: Update, context: Context) -> None:
    """Plain text in a private chat: remind what she does."""
    await on_help(update, context)


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
