from __future__ import annotations

import pytest

from bot.gates import AdminCache, Cooldowns, RecentAdvice
from tests.clock import Clock


def test_user_cooldown_answers_once_per_window_then_silent() -> None:
    clock = Clock()
    c = Cooldowns(clock)
    assert c.check(1, 7, 10, 0) == "go"
    assert c.check(1, 7, 10, 0) == "notify"
    assert c.check(1, 7, 10, 0) == "silent"
    assert c.remaining(1, 7) == pytest.approx(10)
    clock.now += 10.01
    assert c.check(1, 7, 10, 0) == "go"
    assert c.check(1, 7, 10, 0) == "notify"


def test_chat_cooldown_blocks_other_users_and_each_is_told_once() -> None:
    clock = Clock()
    c = Cooldowns(clock)
    assert c.check(-5, 1, 0, 3) == "go"
    assert c.check(-5, 2, 0, 3) == "notify"
    assert c.check(-5, 2, 0, 3) == "silent"
    assert c.check(-6, 2, 0, 3) == "go"  # another chat is independent
    clock.now += 3.5
    assert c.check(-5, 2, 0, 3) == "go"


def test_zero_cooldowns_never_block_and_memory_is_bounded() -> None:
    c = Cooldowns(Clock(), max_tracked=100)
    assert all(c.check(1, 1, 0, 0) == "go" for _ in range(10))
    for user in range(1000):
        c.check(1, user, 60, 0)
    assert len(c) <= 100


async def test_admin_cache_asks_once_per_ttl() -> None:
    clock = Clock()
    asked: list[tuple[int, int]] = []
    statuses = {(1, 10): "administrator", (1, 11): "member", (1, 12): "creator"}

    async def fetch(chat: int, user: int) -> str:
        asked.append((chat, user))
        return statuses[(chat, user)]

    cache = AdminCache(fetch, ttl_s=60, clock=clock)
    assert await cache.is_admin(1, 10) and await cache.is_admin(1, 12)
    assert not await cache.is_admin(1, 11)
    assert await cache.is_admin(1, 10)
    assert len(asked) == 3
    statuses[(1, 11)] = "administrator"
    clock.now += 61
    assert await cache.is_admin(1, 11)
    assert len(asked) == 4


def test_recent_advice_is_bounded_per_chat_and_in_chats() -> None:
    r = RecentAdvice(per_chat=3, max_chats=2)
    r.add(1, ["a", "b"])
    r.add(1, ["c", "d"])
    assert r.get(1) == ("b", "c", "d")
    r.add(2, ["x"])
    r.add(3, ["y"])
    assert r.get(1) == () and r.get(3) == ("y",)


def test_private_burst_lets_a_few_photos_through_then_one_per_cooldown() -> None:
    clock = Clock()
    c = Cooldowns(clock)
    assert [c.check(1, 7, 10, 0, burst=5) for _ in range(7)] == ["go"] * 5 + ["notify", "silent"]
    assert c.remaining(1, 7) == pytest.approx(10)
    clock.now += 10.01  # one photo earned back
    assert c.check(1, 7, 10, 0, burst=5) == "go"
    assert c.check(1, 7, 10, 0, burst=5) == "notify"  # told again after a photo went through
    clock.now += 50.1  # the whole burst earned back
    assert [c.check(1, 7, 10, 0, burst=5) for _ in range(6)] == ["go"] * 5 + ["notify"]


def test_give_back_undoes_a_go_so_the_next_try_is_not_told_to_wait() -> None:
    clock = Clock()
    c = Cooldowns(clock)
    assert c.check(-5, 1, 10, 3) == "go"
    c.give_back(-5, 1)
    assert c.check(-5, 1, 10, 3) == "go"
    assert c.check(-5, 1, 10, 3) == "notify"


def test_allowances_are_forgotten_once_full_again() -> None:
    clock = Clock()
    c = Cooldowns(clock)
    c.check(1, 7, 10, 0, burst=2)
    c.check(-5, 8, 10, 3)
    assert len(c) == 3
    clock.now += 21
    assert c.remaining(1, 7) == 0 and c.remaining(-5, 8) == 0
    assert len(c) == 0
