"""/stats: your own moods in private chats, the chat's in groups (k-anonymous), ``/stats global``."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from telegram import Update
from telegram.constants import MessageLimit

from advice import emotion_name, percent, short_date
from bot.charts import render_mood_chart
from bot.deps import get_deps
from bot.handlers.common import Context, chat_settings_and_language, is_group, reply, t
from bot.storage.queries import K_ANONYMITY

if TYPE_CHECKING:
    from bot.storage.types import MoodSummary

log = logging.getLogger(__name__)
DAYS = 30
TREND_DAYS_SHOWN = 7


def format_summary(summary: MoodSummary, language: str) -> str:
    """Distribution (most frequent first; face counts in brackets) and the last days of the trend, as plain text,
    with the same mood names as Shelly's replies."""
    total = max(summary.total, 1)
    lines = [t("stats_line", language, mood=emotion_name(emotion, language, capitalize=True),
               share=percent(100 * count / total, language), count=count)
             for emotion, count in sorted(summary.counts.items(), key=lambda kv: -kv[1]) if count]
    trend = [(day, counts) for day, counts in summary.trend if counts][-TREND_DAYS_SHOWN:]
    if trend:
        lines.append("")
        for day, counts in trend:
            top = max(counts, key=counts.__getitem__)
            lines.append(t("stats_day_line", language, day=short_date(day, language), mood=emotion_name(top, language),
                           count=sum(counts.values())))
    return "\n".join(lines)


def stats_caption(summary: MoodSummary, language: str, days: int = DAYS) -> str:
    """The chart's caption: faces and photos counted, with real plurals."""
    caption = t("stats_caption", language, faces=summary.total, photos=summary.photos, days=days)
    return caption[: MessageLimit.CAPTION_LENGTH]


async def on_stats(update: Update, context: Context) -> None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    d = get_deps(context)
    _, language = await chat_settings_and_language(update, context)
    args = [a.lower() for a in (context.args or [])]
    summary: MoodSummary | None
    if args[:1] == ["global"]:
        summary, title = await d.storage.global_summary(DAYS), "Shelly"
    elif is_group(chat):
        summary, title = await d.storage.chat_summary(chat.id, DAYS), chat.title or ""
        if summary is None:  # fewer than K_ANONYMITY people: say why, kindly
            await reply(message, t("stats_group_needs_people", language, people=K_ANONYMITY))
            return
    else:
        summary, title = await d.storage.user_summary(user.id, DAYS), user.first_name
    if summary is None or summary.total == 0:
        await reply(message, t("stats_not_enough_data", language))
        return
    await reply(message, format_summary(summary, language))
    try:
        png = await asyncio.get_running_loop().run_in_executor(
            None, render_mood_chart, summary, title, language, DAYS)
    except Exception:
        log.exception("could not draw the mood chart")
        return
    await message.reply_photo(png, caption=stats_caption(summary, language), do_quote=is_group(chat))
