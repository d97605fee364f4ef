"""/stats: your own moods in private chats, the chat's in groups (k-anonymous), ``/stats global``."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from telegram import Update

from advice.corpus import load as load_corpus
from bot.charts import emotion_label, render_mood_chart
from bot.deps import get_deps
from bot.handlers.common import Context, chat_settings_and_language, is_group, reply, t

if TYPE_CHECKING:
    from bot.storage.types import MoodSummary

log = logging.getLogger(__name__)
DAYS = 30
TREND_DAYS_SHOWN = 7


def _percent(value: float, language: str) -> str:
    return load_corpus(language).percent.format(value=round(value))


def format_summary(summary: MoodSummary, language: str) -> str:
    """Distribution (most frequent first) and the last days of the trend, as plain text."""
    total = max(summary.total, 1)
    lines = [f"{emotion_label(emotion, language)}: {_percent(100 * count / total, language)} ({count})"
             for emotion, count in sorted(summary.counts.items(), key=lambda kv: -kv[1]) if count]
    trend = [(day, counts) for day, counts in summary.trend if counts][-TREND_DAYS_SHOWN:]
    if trend:
        lines.append("")
        for day, counts in trend:
            top = max(counts, key=counts.__getitem__)
            lines.append(f"{day.isoformat()}: {emotion_label(top, language)} ({sum(counts.values())})")
    return "\n".join(lines)


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
    else:
        summary, title = await d.storage.user_summary(user.id, DAYS), user.first_name
    if summary is None or summary.total == 0:
        await reply(message, t("stats_not_enough_data", language))
        return
    await reply(message, format_summary(summary, language))
    try:
        png = await asyncio.get_running_loop().run_in_executor(None, render_mood_chart, summary, title, language)
    except Exception:
        log.exception("could not draw the mood chart")
        return
    caption = t("stats_caption", language, photos=summary.total, days=DAYS)
    await message.reply_photo(png, caption=caption[:1024], do_quote=is_group(chat))
