"""The weekly mood pulse: once a week, in groups whose admins turned it on, Shelly posts a short, kind summary
of the group's mood with a chart — only when at least 3 different people contributed (``chat_summary`` is
k-anonymous), never naming anyone.

A repeating JobQueue job runs on every replica. Each run takes the database lease ``weekly-pulse`` (one replica
does the work at a time; a dead holder's lease expires), then for each chat with the pulse on: is it due (the
configured weekday and hour in the chat's time zone, this ISO week), outside quiet hours, with ≥ 3 people? It
claims the chat's idempotency key for the ISO week (exactly one claim succeeds, across replicas and retries),
posts, and marks it posted; a failed post gives the claim back so the next run retries.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter
from telegram.constants import MessageLimit
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, CallbackContext

from advice import emotion_name
from advice import text as t
from bot.charts import render_mood_chart
from bot.deps import DEPS_KEY
from bot.group_rules import in_quiet_hours
from bot.storage.errors import StorageUnavailable

if TYPE_CHECKING:
    from telegram import Bot

    from bot.settings import Settings
    from bot.storage import ChatSettings, MoodSummary, Storage

log = logging.getLogger(__name__)

LEASE = "weekly-pulse"
JOB_NAME = "shelly-weekly-pulse"
PULSE_KEY = "shelly.pulse"
DAYS = 7


def iso_week(local: datetime) -> str:
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def is_due(cs: ChatSettings, now: datetime, weekday: int, hour: int) -> bool:
    """From ``weekday`` ``hour``:00 in the chat's time zone until the end of that ISO week."""
    local = now.astimezone(cs.tz)
    return (local.weekday(), local.hour) >= (weekday, hour)


def pulse_caption(summary: MoodSummary, language: str) -> str:
    top = max(summary.counts, key=summary.counts.__getitem__)
    text = t("pulse_text", language, faces=summary.total, people=summary.contributors,
             top=emotion_name(top, language))
    return text[: MessageLimit.CAPTION_LENGTH]


class PulseMetrics:
    """``shelly_pulse_checks_total{result="leader"|"standby"|"error"}`` and ``shelly_pulse_posts_total``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.checks = Counter("shelly_pulse_checks", "Weekly pulse checks by this replica, by outcome", ["result"],
                              registry=registry)
        self.posts = Counter("shelly_pulse_posts", "Weekly pulses posted by this replica", registry=registry)


@dataclass
class PulseJob:
    """The JobQueue callback (one per replica). ``runs``/``posted`` count completed checks and posts."""

    settings: Settings
    storage: Storage
    metrics: PulseMetrics = field(default_factory=lambda: PulseMetrics(CollectorRegistry()))
    holder: str = field(default_factory=lambda: f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}")
    runs: int = 0
    posted: int = 0

    @property
    def lease_ttl(self) -> timedelta:
        return timedelta(seconds=3 * self.settings.pulse_check_interval_s)

    async def __call__(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        result = "error"
        try:
            result = "leader" if await self.run_once(context.bot, datetime.now(UTC)) is not None else "standby"
        except StorageUnavailable as exc:
            log.warning("weekly pulse skipped: %s", exc)
        except Exception:
            log.exception("weekly pulse failed")
        finally:
            self.runs += 1
            self.metrics.checks.labels(result).inc()

    async def run_once(self, bot: Bot, now: datetime) -> int | None:
        """Post every due pulse; returns how many it posted, or None when another replica holds the lease."""
        if not await self.storage.acquire_lease(LEASE, self.holder, self.lease_ttl, now):
            return None
        posted = 0
        for chat_id in await self.storage.pulse_chats():
            cs = await self.storage.get_chat_settings(chat_id)
            if not cs.pulse or in_quiet_hours(cs, now):
                continue
            if not is_due(cs, now, self.settings.pulse_weekday, self.settings.pulse_hour):
                continue
            summary = await self.storage.chat_summary(chat_id, days=DAYS)
            if summary is None or summary.total == 0:  # fewer than 3 people: no pulse (k-anonymity)
                continue
            week = iso_week(now.astimezone(cs.tz))
            if not await self.storage.claim_pulse(chat_id, week):
                continue  # already posted (or being posted) this week
            language = cs.language or self.settings.default_language
            try:
                await self._post(bot, chat_id, summary, language)
            except TelegramError as exc:
                log.warning("weekly pulse not delivered (%s); will retry", type(exc).__name__)
                if not isinstance(exc, Forbidden):  # removed from the group: don't retry every run
                    await self.storage.release_pulse(chat_id, week)
                continue
            await self.storage.pulse_posted(chat_id, week, now)
            self.metrics.posts.inc()
            posted += 1
        self.posted += posted
        return posted

    @staticmethod
    async def _post(bot: Bot, chat_id: int, summary: MoodSummary, language: str) -> None:
        png = await asyncio.get_running_loop().run_in_executor(
            None, render_mood_chart, summary, t("pulse_chart_title", language), language, DAYS)
        await bot.send_photo(chat_id, png, caption=pulse_caption(summary, language))


def install(application: Application[Any, Any, Any, Any, Any, Any], settings: Settings, storage: Storage) -> None:
    """Schedule the check every ``settings.pulse_check_interval_s`` on the application's JobQueue."""
    if application.job_queue is None:  # python-telegram-bot installed without the job-queue extra
        log.warning("no JobQueue: the weekly mood pulse is off")
        return
    deps = application.bot_data.get(DEPS_KEY)  # its metrics registry is the one served on /metrics
    registry = deps.metrics.registry if deps is not None else CollectorRegistry()
    job = PulseJob(settings, storage, PulseMetrics(registry))
    application.bot_data[PULSE_KEY] = job
    interval = settings.pulse_check_interval_s
    application.job_queue.run_repeating(job, interval=interval, first=interval, name=JOB_NAME)
