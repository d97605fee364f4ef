"""Moderation gates: photo allowances per person and per chat, and the chat-admin check (cached).

Pure bookkeeping on cachetools maps (bounded, entries expire), no Telegram calls except through the
``fetch_status`` callable given to ``AdminCache``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Literal

from cachetools import LRUCache, TLRUCache, TTLCache

Clock = Callable[[], float]
Verdict = Literal["go", "notify", "silent"]

MAX_TRACKED = 50_000  # keys remembered per table; the least recently used go first


@dataclass
class _Bucket:
    """A token bucket: ``capacity`` photos at once, one more every ``refill_s`` seconds."""

    capacity: int
    refill_s: float
    tokens: float
    at: float
    notified: bool = False  # the person was told to wait since the last photo that went through

    def level(self, now: float) -> float:
        return min(float(self.capacity), self.tokens + (now - self.at) / self.refill_s)

    def wait(self, now: float) -> float:
        """Seconds until the next photo may go through (0 if one may now)."""
        return max(0.0, (1.0 - self.level(now)) * self.refill_s)

    def full_at(self) -> float:
        return self.at + (self.capacity - self.tokens) * self.refill_s

    def take(self, now: float) -> None:
        self.tokens, self.at, self.notified = self.level(now) - 1.0, now, False

    def give_back(self, now: float) -> None:
        self.tokens, self.at = min(float(self.capacity), self.level(now) + 1.0), now


def _bucket_expiry(_key: Hashable, bucket: _Bucket, _now: float) -> float:
    return bucket.full_at()  # a full bucket is the same as no bucket: forget it then


class Cooldowns:
    """Per-person (``(chat_id, user_id)``) and per-chat allowances.

    A person may send ``burst`` photos at once, then one per ``user_cooldown_s`` (private chats use a
    small burst so a second selfie is never met with "slow down"; groups use ``burst=1``, a plain
    cooldown). A chat may receive one photo per ``chat_cooldown_s``. A cooldown of 0 means no limit.

    ``check`` answers ``"go"`` (and takes from the allowances), ``"notify"`` (on cooldown; tell the person
    once) or ``"silent"`` (on cooldown and already told). ``give_back`` undoes a ``"go"`` whose photo was
    then turned away as busy, so the person's next try is not met with "slow down".
    """

    def __init__(self, clock: Clock = time.monotonic, max_tracked: int = MAX_TRACKED) -> None:
        self._clock = clock
        self._users: TLRUCache[tuple[int, int], _Bucket] = TLRUCache(max_tracked, _bucket_expiry, timer=clock)
        self._chats: TLRUCache[int, _Bucket] = TLRUCache(max_tracked, _bucket_expiry, timer=clock)

    @staticmethod
    def _bucket(table: TLRUCache[Any, _Bucket], key: Hashable, refill_s: float, capacity: int,
                now: float) -> _Bucket | None:
        if refill_s <= 0:
            return None
        bucket = table.get(key)
        if bucket is None or (bucket.capacity, bucket.refill_s) != (capacity, refill_s):
            bucket = _Bucket(capacity, refill_s, float(capacity), now)
        return bucket

    def _store(self, chat_id: int, user_id: int, user: _Bucket | None, chat: _Bucket | None) -> None:
        # re-inserting refreshes the expiry (cachetools computes it on insertion)
        if user is not None:
            self._users[(chat_id, user_id)] = user
        if chat is not None:
            self._chats[chat_id] = chat

    def check(self, chat_id: int, user_id: int, user_cooldown_s: float, chat_cooldown_s: float,
              burst: int = 1) -> Verdict:
        now = self._clock()
        user = self._bucket(self._users, (chat_id, user_id), user_cooldown_s, max(1, burst), now)
        chat = self._bucket(self._chats, chat_id, chat_cooldown_s, 1, now)
        blocking = [b for b in (user, chat) if b is not None and b.wait(now) > 0]
        if blocking:
            # one notice per person and wait; a chat-wide wait is marked on the person's own bucket
            markers = [user] if user is not None else blocking
            told = all(b.notified for b in markers)
            for marker in markers:
                marker.notified = True
            self._store(chat_id, user_id, user, chat)
            return "silent" if told else "notify"
        for bucket in (user, chat):
            if bucket is not None:
                bucket.take(now)
        self._store(chat_id, user_id, user, chat)
        return "go"

    def remaining(self, chat_id: int, user_id: int) -> float:
        now = self._clock()
        buckets = (self._users.get((chat_id, user_id)), self._chats.get(chat_id))
        return max((b.wait(now) for b in buckets if b is not None), default=0.0)

    def give_back(self, chat_id: int, user_id: int) -> None:
        now = self._clock()
        user, chat = self._users.get((chat_id, user_id)), self._chats.get(chat_id)
        for bucket in (user, chat):
            if bucket is not None:
                bucket.give_back(now)
        self._store(chat_id, user_id, user, chat)

    def __len__(self) -> int:
        return len(self._users) + len(self._chats)


ADMIN_STATUSES = frozenset({"creator", "administrator"})


class AdminCache:
    """Is this user an admin of this chat? Asks ``fetch_status(chat_id, user_id)`` at most once per ``ttl_s``."""

    def __init__(
        self, fetch_status: Callable[[int, int], Awaitable[str]], ttl_s: float = 60.0, clock: Clock = time.monotonic,
        max_tracked: int = 10_000,
    ) -> None:
        self._fetch = fetch_status
        self._cache: TTLCache[tuple[int, int], bool] = TTLCache(max_tracked, ttl_s, timer=clock)

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        hit = self._cache.get((chat_id, user_id))
        if hit is not None:
            return hit
        result = await self._fetch(chat_id, user_id) in ADMIN_STATUSES
        self._cache[(chat_id, user_id)] = result
        return result


class RecentAdvice:
    """The advice ids used lately per chat (oldest first), bounded per chat and in number of chats."""

    def __init__(self, per_chat: int = 20, max_chats: int = 10_000) -> None:
        self._per_chat = per_chat
        self._ids: LRUCache[int, tuple[str, ...]] = LRUCache(max_chats)

    def get(self, chat_id: int) -> tuple[str, ...]:
        return self._ids.get(chat_id, ())

    def add(self, chat_id: int, ids: tuple[str, ...] | list[str]) -> None:
        self._ids[chat_id] = (*self._ids.get(chat_id, ()), *ids)[-self._per_chat:]
