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

from bot.ratelimit_redis import RedisRateLimiter, make_rate_limiter, retry_after_seconds
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
    client = Redis.from_url(redis_url)
    calls = 0

    async def callback() -> bool:
        nonlocal calls
        calls += 1
        return True

    try:
        # requests without a chat_id (getMe) never touch a budget
        await asyncio.gather(*[limiter.process_request(callback, (), {}, "getMe", {}, None) for _ in range(20)])
        assert [k async for k in client.scan_iter(f"{namespace}:*")] == []
        # 10 private chats take their tokens from the bot-wide bucket only: no per-chat buckets
        await asyncio.gather(*[
            limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1000 + i}, None) for i in range(10)
        ])
        assert [k async for k in client.scan_iter(f"{namespace}:*")] == [f"{namespace}:bot".encode()]
        assert float(await client.hget(f"{namespace}:bot", "t") or 99) < 1  # the burst of 10 is used up
        assert calls == 30
    finally:
        await client.aclose()
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
    admitted: list[float] = []

    async def callback() -> bool:
        admitted.append(time.monotonic())
        return True

    try:
        results = await asyncio.wait_for(asyncio.gather(*[
            limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": -5}, None) for _ in range(6)
        ]), timeout=20)
    finally:
        await limiter.shutdown()
    assert results == [True] * 6
    # the per-process fallback still limits the group: a burst of 2, then 2 per second (not all 6 at once)
    admitted.sort()
    assert admitted[-1] - admitted[0] >= 1.5, [round(t - admitted[0], 2) for t in admitted]
    for i, t0 in enumerate(admitted):
        assert sum(1 for t in admitted[i:] if t - t0 < 1.0) <= 4, [round(t - admitted[0], 2) for t in admitted]


class FlakyRedis:
    """A TCP front for Redis that counts dials: while down it accepts and closes at once, while up it
    forwards to the real Redis on 127.0.0.1:6379."""

    def __init__(self) -> None:
        self.up = False
        self.dials = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> FlakyRedis:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._pipes:
            task.cancel()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"redis://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/15"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.dials += 1
        if not self.up:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", 6379)
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        finally:
            dst.close()


async def test_a_dead_redis_is_dialled_once_per_retry_interval() -> None:
    now = [1000.0]
    async with FlakyRedis() as redis_front:
        limiter = RedisRateLimiter(redis_front.url, redis_retry_s=5, overall_max_rate=1000, clock=lambda: now[0])
        await limiter.initialize()

        async def callback() -> bool:
            return True

        async def burst(n: int) -> None:
            await asyncio.gather(*[limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 10 + i}, None)
                                   for i in range(n)])

        try:
            assert redis_front.dials >= 1  # the ping at start found it down
            dials = redis_front.dials
            await burst(20)
            assert redis_front.dials == dials  # nobody dialled while the back-off lasts
            now[0] += 4.9
            await burst(5)
            assert redis_front.dials == dials
            now[0] += 0.1  # the interval is over: one request probes, the others stay local
            await burst(5)
            assert redis_front.dials > dials
            dials = redis_front.dials
            await burst(5)
            assert redis_front.dials == dials  # still down: the next probe only after another interval
        finally:
            await limiter.shutdown()


async def test_shared_limits_resume_when_redis_comes_back(redis_url: str, namespace: str) -> None:
    now = [1000.0]
    client = Redis.from_url(redis_url)
    async with FlakyRedis() as redis_front:
        limiter = RedisRateLimiter(redis_front.url, namespace=namespace, redis_retry_s=5, clock=lambda: now[0])
        await limiter.initialize()

        async def callback() -> bool:
            return True

        try:
            await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1}, None)
            assert not await client.exists(f"{namespace}:bot")  # served by the local fallback
            redis_front.up = True
            await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1}, None)
            assert not await client.exists(f"{namespace}:bot")  # not retried before the interval is over
            now[0] += 5
            await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1}, None)
            assert await client.exists(f"{namespace}:bot")  # back on the shared budget
        finally:
            await limiter.shutdown()
            await client.aclose()
            await _cleanup(redis_url, namespace)


def test_retry_after_seconds_reads_both_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    assert retry_after_seconds(RetryAfter(7)) == 7.0
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 23's form: a timedelta
    assert retry_after_seconds(RetryAfter(dt.timedelta(seconds=2.5))) == 2.5


def test_factory_picks_redis_only_when_configured() -> None:
    plain = make_rate_limiter(Settings(_env_file=None))  # type: ignore[call-arg]
    assert isinstance(plain, AIORateLimiter)
    shared = make_rate_limiter(Settings(_env_file=None, redis_url="redis://127.0.0.1:6379/0",  # type: ignore[call-arg]
                                        telegram_bot_token="123456:ABC-secret"))
    assert isinstance(shared, RedisRateLimiter)
    assert shared._ns == "shelly:ratelimit:123456"
    assert "secret" not in shared._ns
