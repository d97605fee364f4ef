"""Group admin controls, a page of the /settings menu (inline buttons, callback data ``grp:...``):
who may ask with /mood, quiet hours in the chat's time zone, auto-delete of Shelly's replies (only with the
"Delete messages" right), in forum groups the topics she answers in ("only this topic", toggled from inside
the topic the menu is in), and the weekly mood pulse (``bot.pulse``). Every press checks admin rights again.
The photo service applies them (rules in ``bot.group_rules``; ``request_facts`` gathers what they need)."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError

from advice import duration
from bot import group_rules
from bot.autodelete import bot_can_delete
from bot.deps import get_deps
from bot.handlers.common import Context, chat_settings_and_language, is_chat_admin, is_group, t
from bot.storage.types import ChatSettings

log = logging.getLogger(__name__)

AUTO_DELETE_MINUTES = (0, 1, 5, 15, 60)
DEFAULT_QUIET = (22, 7)
ZONES = ("UTC", "Europe/London", "Europe/Berlin", "Europe/Moscow", "America/New_York", "America/Los_Angeles",
         "America/Sao_Paulo", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney")
PREFIX = "grp"


def _mark(label: str, selected: bool) -> str:
    return f"• {label}" if selected else label


def _button(label: str, action: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=f"{PREFIX}:{action}:{value}")


def _hour(hour: int) -> str:
    return f"{hour:02d}:00"


def menu_topic(message: Message | None) -> int | None:
    """The forum topic a menu (or request) message is in; None outside forum groups."""
    if message is None or not message.chat.is_forum:
        return None
    return group_rules.topic_of(message.message_thread_id, message.is_topic_message)


def admin_text(cs: ChatSettings, language: str) -> str:
    off = t("settings_off", language)
    quiet = off if cs.quiet_start is None or cs.quiet_end is None else t(
        "admin_quiet_hours", language, start=_hour(cs.quiet_start), end=_hour(cs.quiet_end), zone=cs.time_zone)
    autodelete = off if not cs.auto_delete_min else t(
        "admin_autodelete_after", language, delay=duration(cs.auto_delete_min * 60, language))
    topics = t("admin_topics_some", language, count=len(cs.topics)) if cs.topics else t("admin_topics_all", language)
    who = t("admin_who_admins" if cs.ask == "admins" else "admin_who_everyone", language)
    pulse = t("settings_on" if cs.pulse else "settings_off", language)
    return t("admin_menu", language, who=who, quiet=quiet, autodelete=autodelete, topics=topics, pulse=pulse)


def admin_keyboard(cs: ChatSettings, language: str, topic: int | None) -> InlineKeyboardMarkup:
    quiet_on = cs.quiet_start is not None and cs.quiet_end is not None
    rows = [
        [_button(_mark(t("admin_who_everyone", language), cs.ask == "everyone"), "ask", "everyone"),
         _button(_mark(t("admin_who_admins", language), cs.ask == "admins"), "ask", "admins")],
        [_button(_mark(t("admin_quiet_button", language), quiet_on), "quiet", "0" if quiet_on else "1")],
    ]
    if cs.quiet_start is not None and cs.quiet_end is not None:
        steppers = (("qs", cs.quiet_start, "admin_quiet_from"), ("qe", cs.quiet_end, "admin_quiet_until"))
        for action, hour, key in steppers:
            rows.append([_button("‹", action, "-1"), _button(t(key, language, hour=_hour(hour)), "nop"),
                         _button("›", action, "+1")])
        rows.append([_button(t("admin_zone_button", language, zone=cs.time_zone), "zones")])
    rows.append([_button(_mark("🧹 " + (duration(m * 60, language) if m else t("settings_off", language)),
                               cs.auto_delete_min == m), "del", str(m)) for m in AUTO_DELETE_MINUTES])
    if topic is not None:
        row = [_button(_mark(t("admin_topic_only_here", language), cs.topics == (topic,)), "topic", "only")]
        if cs.topics and topic not in cs.topics:
            row.append(_button(t("admin_topic_also_here", language), "topic", "also"))
        elif len(cs.topics) > 1:
            row.append(_button(t("admin_topic_not_here", language), "topic", "not"))
        row.append(_button(_mark(t("admin_topics_all", language), not cs.topics), "topic", "all"))
        rows.append(row)
    rows.append([_button(_mark(t("admin_pulse_button", language), cs.pulse), "pulse", "0" if cs.pulse else "1")])
    rows.append([_button(t("admin_back", language), "back")])
    return InlineKeyboardMarkup(rows)


def zone_keyboard(cs: ChatSettings, language: str) -> InlineKeyboardMarkup:
    places = [_button(_mark(z, cs.time_zone == z), "tz", str(i)) for i, z in enumerate(ZONES)]
    rows = [places[i:i + 2] for i in range(0, len(places), 2)]
    rows.append([_button("‹ −1 h", "tzoff", "-1"), _button(_offset_name(cs, 0), "tzoff", "0"),
                 _button("+1 h ›", "tzoff", "+1")])
    rows.append([_button(t("admin_back", language), "menu")])
    return InlineKeyboardMarkup(rows)


def _offset_name(cs: ChatSettings, step: int) -> str:
    """"UTC+3" for the chat's current UTC offset (whole hours) moved by ``step`` hours, clamped to -12..+14."""
    offset = datetime.now(UTC).astimezone(cs.tz).utcoffset() or timedelta(0)
    hours = max(-12, min(14, round(offset.total_seconds() / 3600) + step))
    return "UTC" if hours == 0 else f"UTC{hours:+d}"


def apply(cs: ChatSettings, action: str, value: str, topic: int | None) -> ChatSettings:
    """The settings after one button press (``ValueError`` on anything unexpected). Auto-delete rights are
    checked by the caller."""
    if action == "ask" and value in ("everyone", "admins"):
        return dataclasses.replace(cs, ask=value)  # type: ignore[arg-type]
    if action == "quiet" and value in ("0", "1"):
        start, end = DEFAULT_QUIET if value == "1" else (None, None)
        return dataclasses.replace(cs, quiet_start=start, quiet_end=end)
    if action in ("qs", "qe") and value in ("-1", "+1") and cs.quiet_start is not None and cs.quiet_end is not None:
        field = "quiet_start" if action == "qs" else "quiet_end"
        moved = (getattr(cs, field) + int(value)) % 24
        other = cs.quiet_end if action == "qs" else cs.quiet_start
        if moved == other:  # an empty span: skip over it
            moved = (moved + int(value)) % 24
        return dataclasses.replace(cs, **{field: moved})
    if action == "tz" and value.isdigit() and int(value) < len(ZONES):
        return dataclasses.replace(cs, time_zone=ZONES[int(value)])
    if action == "tzoff" and value in ("-1", "0", "+1"):
        return dataclasses.replace(cs, time_zone=_offset_name(cs, int(value)))
    if action == "pulse" and value in ("0", "1"):
        return dataclasses.replace(cs, pulse=value == "1")
    if action == "del" and value.isdigit() and int(value) in AUTO_DELETE_MINUTES:
        return dataclasses.replace(cs, auto_delete_min=int(value))
    if action == "topic" and topic is not None:
        if value == "only":
            return dataclasses.replace(cs, topics=(topic,))
        if value == "also" and cs.topics:
            return dataclasses.replace(cs, topics=tuple(sorted({*cs.topics, topic})))
        if value == "not" and len(cs.topics) > 1:
            return dataclasses.replace(cs, topics=tuple(x for x in cs.topics if x != topic))
        if value == "all":
            return dataclasses.replace(cs, topics=())
    raise ValueError(f"unexpected admin control {action}={value}")


async def _show(query_message: Message, text: str, markup: InlineKeyboardMarkup) -> None:
    try:
        await query_message.edit_text(text, reply_markup=markup)
    except BadRequest as exc:  # "message is not modified" when the same button is pressed twice
        if "not modified" not in str(exc):
            raise


async def on_admin_button(update: Update, context: Context) -> None:
    """Every ``grp:`` button: open the page, change one control, the time zone list, back to /settings."""
    from bot.handlers import settings_menu

    query, chat = update.callback_query, update.effective_chat
    if query is None or query.data is None or chat is None or not isinstance(query.message, Message):
        return
    cs, language = await chat_settings_and_language(update, context)
    if not await is_chat_admin(update, context):
        await query.answer(t("not_admin", language), show_alert=True)
        return
    _, action, value = [*query.data.split(":", 2), "", ""][:3]
    topic = menu_topic(query.message)
    if action in ("menu", "nop", "zones", "back"):
        await query.answer()
        if action == "back":
            await _show(query.message, settings_menu.menu_text(cs, language), settings_menu.menu_keyboard(cs, language))
        elif action == "zones":
            await _show(query.message, t("admin_zone_menu", language), zone_keyboard(cs, language))
        elif action == "menu":
            await _show(query.message, admin_text(cs, language), admin_keyboard(cs, language, topic))
        return
    try:
        new = apply(cs, action, value, topic)
    except ValueError:
        await query.answer()
        return
    if new.auto_delete_min and not cs.auto_delete_min:
        try:
            allowed = await bot_can_delete(context.bot, chat.id)
        except TelegramError as exc:
            log.warning("could not check the bot's rights: %s", exc)
            allowed = False
        if not allowed:
            await query.answer(t("admin_autodelete_needs_right", language)[:200], show_alert=True)
            return
    await get_deps(context).storage.save_chat_settings(chat.id, new)
    await query.answer()
    if action in ("tz", "tzoff"):
        await _show(query.message, t("admin_zone_menu", language), zone_keyboard(new, language))
    else:
        await _show(query.message, admin_text(new, language), admin_keyboard(new, language, topic))


def open_button(language: str) -> list[InlineKeyboardButton]:
    """The row in the /settings menu that opens the admin controls."""
    return [_button(t("admin_open", language), "menu")]


async def request_facts(
    update: Update, context: Context, cs: ChatSettings, *, requester: Message, explicit: bool,
) -> tuple[int | None, bool]:
    """What the group rules need to know about a photo request: its forum topic (None outside forums), and
    whether the asker is an admin (looked up only when "admins only" makes it matter)."""
    needs_admin = explicit and cs.ask == "admins" and is_group(requester.chat)
    return menu_topic(requester), needs_admin and await is_chat_admin(update, context)
