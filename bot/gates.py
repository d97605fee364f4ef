"""Moderation gates: cooldowns per person and per chat, and the chat-admin check (cached).

Pure bookkeeping, no Telegram calls except through the ``fetch_status`` callable given to ``AdminCache``.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

Clock = Callable[[], float]
Verdict = Literal["go", "notify", "silent"]

MAX_TRACKED = 50_000  # keys remembered per table; the oldest are dropped first


@dataclass
class _Window:
    until: float
    notified: bool = False


class Cooldowns:
    """Per-user (``(chat_id, user_id)``) and per-chat cooldowns.

    ``check`` answers ``"go"`` (and starts new windows), ``"notify"`` (on cooldown; tell the user once per
    window) or ``"silent"`` (on cooldown and already told). Memory is bounded (LRU of ``max_tracked`` keys).
    """

    def __init__(self, clock: Clock = time.monotonic, max_tracked: int = MAX_TRACKED) -> None:
        self._clock = clock
        self._max = max_tracked
        self._users: OrderedDict[tuple[int, int], _Window] = OrderedDict()
        self._chats: OrderedDict[int, _Window] = OrderedDict()

    def _active(self, table: OrderedDict[Any, _Window], key: Any, now: float) -> _Window | None:
        window = table.get(key)
        if window is None:
            return None
        if window.until <= now:
            del table[key]
            return None
        return window

    def _start(self, table: OrderedDict[Any, _Window], key: Any, until: float) -> None:
        table[key] = _Window(until)
        table.move_to_end(key)
        while len(table) > self._max:
            table.popitem(last=False)

    def remaining(self, chat_id: int, user_id: int) -> float:
        now = self._clock()
        waits = [w.until - now for w in (self._active(self._users, (chat_id, user_id), now),
                                          self._active(self._chats, chat_id, now)) if w is not None]
        return max(waits, default=0.0)

    def check(self, chat_id: int, user_id: int, user_cooldown_s: float, chat_cooldown_s: float) -> Verdict:
        now = self._clock()
        blocking = [w for w in (self._active(self._users, (chat_id, user_id), now),
                                self._active(self._chats, chat_id, now)) if w is not None]
        if blocking:
            user_window = self._users.get((chat_id, user_id))
            # one notice per window; a chat-wide window notifies through the user's own window marker
            marker = user_window if user_window is not None and user_window.until > now else blocking[0]
            if marker.notified:
                return "silent"
            for w in blocking:
                w.notified = True
            return "notify"
        if user_cooldown_s > 0:
            self._start(self._users, (chat_id, user_id), now + user_cooldown_s)
        if chat_cooldown_s > 0:
            self._start(self._chats, chat_id, now + chat_cooldown_s)
        return "go"

    def reset(self) -> None:
        self._users.clear()
        self._chats.clear()


ADMIN_STATUSES = frozenset({"creator", "administrator"})


class AdminCache:
    """Is this user an admin of this chat? Asks ``fetch_status(chat_id, user_id)`` at most once per ``ttl_s``."""

    def __init__(
        self, fetch_status: Callable[[int, int], Awaitable[str]], ttl_s: float = 60.0, clock: Clock = time.monotonic,
        max_tracked: int = 10_000,
    ) -> None:
        self._fetch = fetch_status
        self._ttl = ttl_s
        self._clock = clock
        self._max = max_tracked
        self._cache: OrderedDict[tuple[int, int], tuple[bool, float]] = OrderedDict()

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        now = self._clock()
        hit = self._cache.get((chat_id, user_id))
        if hit is not None and hit[1] > now:
            return hit[0]
        status = await self._fetch(chat_id, user_id)
        result = status in ADMIN_STATUSES
        self._cache[(chat_id, user_id)] = (result, now + self._ttl)
        self._cache.move_to_end((chat_id, user_id))
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)
        return result

    def forget(self, chat_id: int, user_id: int | None = None) -> None:
        for key in [k for k in self._cache if k[0] == chat_id and (user_id is None or k[1] == user_id)]:
            del self._cache[key]


class RecentAdvice:
    """The advice ids used lately per chat (oldest first), bounded per chat and in number of chats."""

    def __init__(self, per_chat: int = 20, max_chats: int = 10_000) -> None:
        self._per_chat = per_chat
        self._max_chats = max_chats
        self._ids: OrderedDict[int, list[str]] = OrderedDict()

    def get(self, chat_id: int) -> tuple[str, ...]:
        return tuple(self._ids.get(chat_id, ()))

    def add(self, chat_id: int, ids: tuple[str, ...] | list[str]) -> None:
        current = self._ids.pop(chat_id, [])
        current.extend(ids)
        self._ids[chat_id] = current[-self._per_chat:]
        while len(self._ids) > self._max_chats:
            self._ids.popitem(last=False)


def wants_analysis(mode: str, chat_type: str, explicit_request: bool) -> bool:
    """Should a photo be analysed, given the chat mode? Private chats always; groups per mode."""
    if chat_type == "private":
        return True
    if mode == "off":
        return False
    if mode == "every_photo":
        return True
    return explicit_request  # on_request
