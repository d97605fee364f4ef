"""/forget (with a confirmation button), /optout and /optin."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.deps import get_deps
from bot.handlers.common import Context, chat_settings_and_language, reply, t


def _labels(language: str) -> tuple[str, str]:
    return t("forget_yes", language), t("forget_no", language)


async def on_forget(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    _, language = await chat_settings_and_language(update, context)
    yes, no = _labels(language)
    keyboard = InlineKeyboardMarkup([[
        InlineKeyboardButton(yes, callback_data=f"forget:yes:{user.id}"),
        InlineKeyboardButton(no, callback_data=f"forget:no:{user.id}"),
    ]])
    await reply(message, t("forget_confirm", language), reply_markup=keyboard)


async def on_forget_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    _, answer, owner = query.data.split(":", 2)
    if str(query.from_user.id) != owner:  # only the one who asked may confirm
        await query.answer()
        return
    _, language = await chat_settings_and_language(update, context)
    if answer != "yes":
        await query.answer()
        await query.edit_message_text(t("forget_cancelled", language))
        return
    removed = await get_deps(context).storage.forget_user(query.from_user.id)
    done = t("forget_done", language, count=removed)
    await query.answer()
    await query.edit_message_text(done)


def _opt_out_handler(opted_out: bool, key: str) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """/optout and /optin: store the choice for this user and confirm it."""

    async def handler(update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        await get_deps(context).storage.set_opt_out(user.id, opted_out)
        _, language = await chat_settings_and_language(update, context)
        await reply(message, t(key, language))

    return handler


on_optout = _opt_out_handler(True, "opted_out")
on_optin = _opt_out_handler(False, "opted_in")
