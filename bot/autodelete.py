"""Auto-delete: in groups whose admins turned it on, Shelly deletes her own messages after N minutes.

PTB has one place that sees the result of every Bot API request: the rate limiter. ``SentMessageHook``
decorates the application's limiter (unchanged behaviour) and reports each message the bot sent;
``AutoDeleter`` then looks up the chat's settings and schedules a ``deleteMessage`` on PTB's JobQueue.
Scheduled deletions live in memory: after a restart, messages sent before it stay.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from telegram import ChatMemberAdministrator, ChatMemberOwner
from telegram.error import TelegramError
from telegram.ext import Application, BaseRateLimiter, CallbackContext

if TYPE_CHECKING:
    from telegram import Bot

    from bot.storage import Storage

log = logging.getLogger(__name__)

SEND_ENDPOINTS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "sendAnimation"})
GROUP_TYPES = ("group", "supergroup")
JOB_NAME = "shelly-autodelete"
Json = dict[str, Any]


class SentMessageHook(BaseRateLimiter[Any]):
    """The application's rate limiter (``inner``; None: none), plus ``on_sent(message_dict)`` for every
    message the bot sent."""

    def __init__(self, inner: BaseRateLimiter[Any] | None) -> None:
        self.inner = inner
        self.on_sent: Callable[[Json], None] | None = None

    async def initialize(self) -> None:
        if self.inner is not None:
            await self.inner.initialize()

    async def shutdown(self) -> None:
        if self.inner is not None:
            await self.inner.shutdown()

    async def process_request(
        self, callback: Callable[..., Coroutine[Any, Any, bool | Json | list[Json]]], args: Any,
        kwargs: dict[str, Any], endpoint: str, data: dict[str, Any], rate_limit_args: Any,
    ) -> bool | Json | list[Json]:
        if self.inner is None:
            result = await callback(*args, **kwargs)
        else:
            result = await self.inner.process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        if self.on_sent is not None and endpoint in SEND_ENDPOINTS:
            for message in result if isinstance(result, list) else [result]:
                if isinstance(message, dict) and "message_id" in message:
                    try:
                        self.on_sent(message)
                    except Exception:  # never let bookkeeping fail a send
                        log.exception("auto-delete: could not note a sent message")
        return result


async def bot_can_delete(bot: Bot, chat_id: int) -> bool:
    """Does the bot hold the "Delete messages" admin right in this chat?"""
    member = await bot.get_chat_member(chat_id, bot.id)
    if isinstance(member, ChatMemberOwner):
        return True
    return isinstance(member, ChatMemberAdministrator) and bool(member.can_delete_messages)


class AutoDeleter:
    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any], storage: Storage) -> None:
        self._application = application
        self._storage = storage
        self._tasks: set[asyncio.Task[None]] = set()

    def on_sent(self, message: Json) -> None:
        chat = message.get("chat") or {}
        if chat.get("type") not in GROUP_TYPES:
            return
        task = asyncio.get_running_loop().create_task(self._schedule(int(chat["id"]), int(message["message_id"])))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _schedule(self, chat_id: int, message_id: int) -> None:
        # the request that led to this message has just read the chat's settings: no second database read
        settings = await self._storage.recent_chat_settings(chat_id)  # never raises
        job_queue = self._application.job_queue
        if settings.auto_delete_min <= 0 or job_queue is None:
            return
        job_queue.run_once(self._delete, when=timedelta(minutes=settings.auto_delete_min),
                           data=(chat_id, message_id), name=JOB_NAME)

    @staticmethod
    async def _delete(context: CallbackContext[Any, Any, Any, Any]) -> None:
        assert context.job is not None
        chat_id, message_id = cast(tuple[int, int], context.job.data)
        try:
            await context.bot.delete_message(chat_id, message_id)
        except TelegramError as exc:  # already deleted by someone, right taken away, older than 48 h ...
            log.info("auto-delete: could not delete a message (%s)", exc)


def install(application: Application[Any, Any, Any, Any, Any, Any], hook: SentMessageHook, storage: Storage) -> None:
    """Connect the hook (given to ``ApplicationBuilder.rate_limiter``) to an ``AutoDeleter``."""
    hook.on_sent = AutoDeleter(application, storage).on_sent
