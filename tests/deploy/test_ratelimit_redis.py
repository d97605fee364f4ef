"""The Redis-backed rate limiter: two limiter instances (two replicas) share one budget."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

import pytest
from redis.asyncio import Redis
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from bot.ratelimit_redis import RedisRateLimiter, make_rate_limiter
from bot.settings import Settings


async def _cleanup(url: str, namespace: str) -> None:
    client = Redis.from_url(url)
    keys = [k async for k in client.scan_iter(f"{namespace}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_two_replicas_share_the_group_budget(redis_url: str, namespace: str) -> None:
    # 5 messages per second per group chat, shared by both "replicas"
    limiters = [
        RedisRateLimiter(redis_url, namespace=namespace, group_max_rate=5, group_time_period=1,
                         overall_max_rate=1000, overall_time_period=1)
        for _ in range(2)
    ]
    for limiter in limiters:
        await limiter.initialize()
    sent: list[float] = []

    async def callback() -> dict[str, Any]:
        sent.append(time.monotonic())
        return {"ok": True}

    try:
        start = time.monotonic()
        await asyncio.gather(*[
            limiters[i % 2].process_request(callback, (), {}, "sendMessage", {"chat_id": -100123}, None)
            for i in range(15)
        ])
        elapsed = time.monotonic() - start
    finally:
        for limiter in limiters:
            await limiter.shutdown()
        await _cleanup(redis_url, namespace)
    assert len(sent) == 15
    # burst of 5, then 5 per second for the other 10 -> about 2 s; separate budgets would take ~1 s
    assert elapsed >= 1.7, elapsed
    # no sliding one-second window holds more than burst + rate (5 + 5, plus a little clock slack)
    sent.sort()
    for i, t0 in enumerate(sent):
        in_window = sum(1 for t in sent[i:] if t - t0 < 1.0)
        assert in_window <= 11, (in_window, [round(t - sent[0], 2) for t in sent])


async def test_private_chats_only_use_the_bot_wide_budget(redis_url: str, namespace: str) -> None:
    limiter = RedisRateLimiter(redis_url, namespace=namespace, overall_max_rate=10, overall_time_period=1)
    await limiter.initialize()
    calls = 0

    async def callback() -> bool:
        nonlocal calls
        calls += 1
        return True

    try:
        start = time.monotonic()
        # 10 private chats at once fit the burst; no chat_id (getMe) is never limited
        await asyncio.gather(*[
            limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1000 + i}, None) for i in range(10)
        ], *[limiter.process_request(callback, (), {}, "getMe", {}, None) for _ in range(20)])
        assert time.monotonic() - start < 0.8
        assert calls == 30
    finally:
        await limiter.shutdown()
        await _cleanup(redis_url, namespace)


async def test_retry_after_pauses_every_replica(redis_url: str, namespace: str) -> None:
    a = RedisRateLimiter(redis_url, namespace=namespace, max_retries=2)
    b = RedisRateLimiter(redis_url, namespace=namespace)
    await a.initialize()
    await b.initialize()
    attempts = 0
    b_sent_at: list[float] = []
    first_attempt = asyncio.Event()

    async def flaky() -> bool:
        nonlocal attempts
        attempts += 1
        first_attempt.set()
        if attempts == 1:
            raise RetryAfter(dt.timedelta(seconds=1))
        return True

    async def ok() -> bool:
        b_sent_at.append(time.monotonic())
        return True

    try:
        start = time.monotonic()
        result = await a.process_request(flaky, (), {}, "sendPhoto", {"chat_id": 42}, None)
        assert result is True and attempts == 2
        assert time.monotonic() - start >= 1.0
        # the pause was shared: a request on the other replica right after a RetryAfter also waits
        await _cleanup(redis_url, namespace)
        attempts = 0
        first_attempt.clear()
        start = time.monotonic()
        task = asyncio.create_task(a.process_request(flaky, (), {}, "sendPhoto", {"chat_id": 42}, None))
        await first_attempt.wait()
        await b.process_request(ok, (), {}, "sendMessage", {"chat_id": 7}, None)
        await task
        assert b_sent_at[0] - start >= 0.9
    finally:
        await a.shutdown()
        await b.shutdown()
        await _cleanup(redis_url, namespace)


async def test_retry_after_is_raised_after_max_retries(redis_url: str, namespace: str) -> None:
    limiter = RedisRateLimiter(redis_url, namespace=namespace, max_retries=0)
    await limiter.initialize()

    async def always() -> bool:
        raise RetryAfter(dt.timedelta(0))

    try:
        with pytest.raises(RetryAfter):
            await limiter.process_request(always, (), {}, "sendMessage", {"chat_id": 1}, None)
    finally:
        await limiter.shutdown()
        await _cleanup(redis_url, namespace)


async def test_falls_back_to_local_limits_when_redis_is_down() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", group_max_rate=2, group_time_period=1)
    await limiter.initialize()

    async def callback() -> bool:
        return True

    try:
        results = await asyncio.wait_for(asyncio.gather(*[
            limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": -5}, None) for _ in range(3)
        ]), timeout=10)
        assert results == [True, True, True]
    finally:
        await limiter.shutdown()


def test_factory_picks_redis_only_when_configured() -> None:
    plain = make_rate_limiter(Settings(_env_file=None))  # type: ignore[call-arg]
    assert isinstance(plain, AIORateLimiter)
    shared = make_rate_limiter(Settings(_env_file=None, redis_url="redis://127.0.0.1:6379/0",  # type: ignore[call-arg]
                                        telegram_bot_token="123456:ABC-secret"))
    assert isinstance(shared, RedisRateLimiter)
    assert shared._ns == "shelly:ratelimit:123456"
    assert "secret" not in shared._ns
