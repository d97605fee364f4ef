"""/settings (group admins only) and /language: inline keyboards that edit the chat's ``ChatSettings``.

Every button press checks admin rights again (cached ~60 s), so a non-admin pressing an admin's menu is refused.
"""

from __future__ import annotations

import dataclasses
import logging

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from advice import duration, supported_languages
from advice.corpus import load as load_corpus
from bot.deps import get_deps
from bot.handlers import group_controls
from bot.handlers.common import Context, chat_settings_and_language, is_chat_admin, is_group, reply, t
from bot.storage.types import ChatSettings

log = logging.getLogger(__name__)

USER_COOLDOWNS = (0, 10, 30, 60, 300)
CHAT_COOLDOWNS = (0, 3, 10, 30, 60)
MODES = ("off", "on_request", "every_photo")

LANGUAGES_PER_ROW = 3


def _language_name(code: str) -> str:
    return load_corpus(code).name


def menu_text(cs: ChatSettings, language: str) -> str:
    return t(
        "settings_menu", language,
        mode=t(f"settings_mode_{cs.mode}", language),
        annotate=t("settings_on" if cs.annotate else "settings_off", language),
        user_cooldown=duration(cs.user_cooldown_s, language),
        chat_cooldown=duration(cs.chat_cooldown_s, language),
        chat_language=_language_name(cs.language) if cs.language else t("settings_language_auto", language),
    )


def _mark(label: str, selected: bool) -> str:
    return f"• {label}" if selected else label


def _rows(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]


def menu_keyboard(cs: ChatSettings, language: str) -> InlineKeyboardMarkup:
    languages = [
        InlineKeyboardButton(_mark(_language_name(code), cs.language == code), callback_data=f"set:lang:{code}")
        for code in supported_languages()
    ]
    auto = InlineKeyboardButton(_mark(t("settings_language_auto", language), cs.language is None),
                                callback_data="set:lang:auto")
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(_mark(t(f"settings_mode_{m}", language), cs.mode == m), callback_data=f"set:mode:{m}")
         for m in MODES],
        [InlineKeyboardButton(_mark(t("settings_annotate_on", language), cs.annotate), callback_data="set:ann:1"),
         InlineKeyboardButton(_mark(t("settings_annotate_off", language), not cs.annotate),
                              callback_data="set:ann:0")],
        [InlineKeyboardButton(_mark(("👤 " if i == 0 else "") + duration(s, language), cs.user_cooldown_s == s),
                              callback_data=f"set:ucd:{s}") for i, s in enumerate(USER_COOLDOWNS)],
        [InlineKeyboardButton(_mark(("👥 " if i == 0 else "") + duration(s, language), cs.chat_cooldown_s == s),
                              callback_data=f"set:ccd:{s}") for i, s in enumerate(CHAT_COOLDOWNS)],
        *_rows(languages, LANGUAGES_PER_ROW),
        [auto],
        group_controls.open_button(language),  # who may ask, quiet hours, auto-delete, topics
    ])


def language_keyboard(cs: ChatSettings) -> InlineKeyboardMarkup:
    """/language: one button per supported language, the chat's current choice marked."""
    return InlineKeyboardMarkup(_rows(
        [InlineKeyboardButton(_mark(_language_name(code), cs.language == code), callback_data=f"lang:{code}")
         for code in supported_languages()], LANGUAGES_PER_ROW))


def apply_choice(cs: ChatSettings, field: str, value: str) -> ChatSettings:
    """The settings after one button press; ``ValueError`` on anything unexpected."""
    if field == "mode" and value in MODES:
        return dataclasses.replace(cs, mode=value)  # type: ignore[arg-type]
    if field == "ann" and value in ("0", "1"):
        return dataclasses.replace(cs, annotate=value == "1")
    if field == "ucd" and int(value) in USER_COOLDOWNS:
        return dataclasses.replace(cs, user_cooldown_s=float(value))
    if field == "ccd" and int(value) in CHAT_COOLDOWNS:
        return dataclasses.replace(cs, chat_cooldown_s=float(value))
    if field == "lang" and (value == "auto" or value in supported_languages()):
        return dataclasses.replace(cs, language=None if value == "auto" else value)
    raise ValueError(f"unexpected setting {field}={value}")


async def on_settings(update: Update, context: Context) -> None:
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    cs, language = await chat_settings_and_language(update, context)
    if not is_group(chat):
        await reply(message, t("settings_private", language))
        return
    if not await is_chat_admin(update, context):
        await reply(message, t("not_admin", language))
        return
    await reply(message, menu_text(cs, language), reply_markup=menu_keyboard(cs, language))


async def on_settings_button(update: Update, context: Context) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or query.data is None or chat is None:
        return
    cs, language = await chat_settings_and_language(update, context)
    if not await is_chat_admin(update, context):
        await query.answer(t("not_admin", language), show_alert=True)
        return
    try:
        _, field, value = query.data.split(":", 2)
        new = apply_choice(cs, field, value)
    except ValueError:
        await query.answer()
        return
    await get_deps(context).storage.save_chat_settings(chat.id, new)
    language = new.language or language
    await query.answer()
    try:
        await query.edit_message_text(menu_text(new, language), reply_markup=menu_keyboard(new, language))
    except BadRequest as exc:  # "message is not modified" when the same button is pressed twice
        if "not modified" not in str(exc):
            raise


async def on_language(update: Update, context: Context) -> None:
    """/language: pick the language Shelly speaks in this chat (groups: admins only)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    cs, language = await chat_settings_and_language(update, context)
    if chat.type != Chat.PRIVATE and not await is_chat_admin(update, context):
        await reply(message, t("not_admin", language))
        return
    await reply(message, t("language_current", language, name=_language_name(language)),
                reply_markup=language_keyboard(cs))


async def on_language_button(update: Update, context: Context) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or query.data is None or chat is None:
        return
    cs, language = await chat_settings_and_language(update, context)
    if chat.type != Chat.PRIVATE and not await is_chat_admin(update, context):
        await query.answer(t("not_admin", language), show_alert=True)
        return
    code = query.data.split(":", 1)[1]
    if code not in supported_languages():
        await query.answer()
        return
    await get_deps(context).storage.save_chat_settings(chat.id, dataclasses.replace(cs, language=code))
    await query.answer()
    try:
        await query.edit_message_text(t("language_chosen", code, name=_language_name(code)))
    except BadRequest as exc:
        if "not modified" not in str(exc):
            raise
