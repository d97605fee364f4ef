"""A rate limiter whose budget lives in Redis, so several Shelly replicas together stay within
Telegram's flood limits (about 30 messages per second per bot, 20 per minute per group chat).

``RedisRateLimiter`` is a python-telegram-bot ``BaseRateLimiter``: every Bot API request that names a
``chat_id`` takes one token from the bot-wide bucket, and requests into a group/channel also take one
from that chat's bucket. Both are taken atomically in one Lua script with Redis' own clock, so replicas
on different machines agree. A ``RetryAfter`` from Telegram pauses *all* replicas for that long (a
shared pause key) and the request is retried, like ``AIORateLimiter``. If Redis is unreachable the
limiter falls back to in-process limits rather than stopping Shelly from answering, and leaves Redis
alone for ``redis_retry_s`` before trying it again (so a dead Redis costs one failed dial per interval,
not one per request). Outages and recoveries are logged once each.

``make_rate_limiter(settings)`` picks this limiter when ``settings.redis_url`` is set and PTB's
``AIORateLimiter`` otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import random
import time
import warnings
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from telegram import constants
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

if TYPE_CHECKING:
    from aiolimiter import AsyncLimiter
    from redis.asyncio import Redis

    from bot.settings import Settings

_LOGGER = logging.getLogger(__name__)

JSON = bool | dict[str, Any] | list[dict[str, Any]]

# KEYS[1]: shared pause key (ms timestamp until which nobody may send); KEYS[2..]: token buckets.
# ARGV: capacity, refill rate (tokens per ms) for each bucket, in KEYS order.
# Returns 0 when a token was taken from every bucket, else how many ms to wait before trying again.
_TAKE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pause = tonumber(redis.call('GET', KEYS[1]) or '0')
if pause > now then return pause - now end
local n = #KEYS - 1
local wait = 0
local tokens = {}
for i = 1, n do
  local cap = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', KEYS[i + 1], 't', 'ts')
  local tk = tonumber(state[1])
  local ts = tonumber(state[2])
  if tk == nil or ts == nil then tk = cap; ts = now end
  tk = math.min(cap, tk + math.max(0, now - ts) * rate)
  tokens[i] = tk
  if tk < 1 then
    local w = math.ceil((1 - tk) / rate)
    if w > wait then wait = w end
  end
end
if wait > 0 then return wait end
for i = 1, n do
  local cap = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  redis.call('HSET', KEYS[i + 1], 't', tostring(tokens[i] - 1), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[i + 1], math.ceil(cap / rate) + 1000)
end
return 0
"""

# KEYS[1]: pause key; ARGV[1]: pause length in ms. Extends (never shortens) the shared pause.
_PAUSE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untl = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untl > cur then redis.call('SET', KEYS[1], tostring(untl), 'PX', tonumber(ARGV[1]) + 1000) end
return untl - now
"""


class RedisRateLimiter(BaseRateLimiter[int]):
    """Token buckets in Redis shared by every replica that uses the same ``namespace``.

    ``rate_limit_args`` (per request, e.g. ``bot.send_message(..., rate_limit_args=5)``) overrides
    ``max_retries`` like with ``AIORateLimiter``. ``clock`` (monotonic seconds) times the Redis back-off.
    """

    def __init__(
        self,
        redis_url: str | None = None,
        *,
        client: Redis | None = None,
        namespace: str = "shelly:ratelimit",
        overall_max_rate: float = constants.FloodLimit.MESSAGES_PER_SECOND,
        overall_time_period: float = 1.0,
        group_max_rate: float = constants.FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        group_time_period: float = 60.0,
        max_retries: int = 3,
        max_wait_s: float = 120.0,
        redis_retry_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if client is None and redis_url is None:
            raise ValueError("RedisRateLimiter needs redis_url or client")
        self._redis_url = redis_url
        self._client = client
        self._owns_client = client is None
        self._ns = namespace
        self._overall = (float(overall_max_rate), float(overall_time_period))
        self._group = (float(group_max_rate), float(group_time_period))
        self._paid = (float(constants.FloodLimit.PAID_MESSAGES_PER_SECOND), 1.0)
        self._max_retries = max_retries
        self._max_wait_s = max_wait_s
        self._take: Any = None
        self._pause: Any = None
        self._redis_retry_s = redis_retry_s
        self._clock = clock
        self._redis_down_until: float | None = None  # clock time before which Redis is not tried again
        self._local_overall: AsyncLimiter | None = None
        self._local_groups: dict[str | int, AsyncLimiter] = {}

    # --- lifecycle ------------------------------------------------------------------------------
    async def initialize(self) -> None:
        if self._client is None:
            from redis.asyncio import Redis

            assert self._redis_url is not None
            self._client = Redis.from_url(self._redis_url, socket_timeout=5, socket_connect_timeout=5)
        self._take = self._client.register_script(_TAKE_SCRIPT)
        self._pause = self._client.register_script(_PAUSE_SCRIPT)
        try:
            await self._client.ping()
        except Exception as exc:  # Redis down at start: keep going with local limits
            self._redis_failed(exc)

    async def shutdown(self) -> None:
        if self._client is not None and self._owns_client:
            with contextlib.suppress(Exception):
                await self._client.aclose()
            self._client = None

    # --- buckets --------------------------------------------------------------------------------
    @staticmethod
    def _bucket_args(max_rate: float, period: float) -> list[float]:
        return [max_rate, max_rate / (period * 1000.0)]  # capacity, tokens per ms

    def _buckets(self, data: dict[str, Any]) -> tuple[list[str], list[float], str | int | None]:
        """Which buckets a request draws from (same rules as PTB's AIORateLimiter)."""
        chat_id = data.get("chat_id")
        if chat_id is None:
            return [], [], None
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)
        if data.get("allow_paid_broadcast"):
            return [f"{self._ns}:paid"], self._bucket_args(*self._paid), None
        keys = [f"{self._ns}:bot"]
        args = self._bucket_args(*self._overall)
        group: str | int | None = None
        if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
            group = chat_id
            keys.append(f"{self._ns}:chat:{chat_id}")
            args += self._bucket_args(*self._group)
        return keys, args, group

    def _redis_usable(self) -> bool:
        """Whether this request may use Redis; while Redis is down, one request per interval probes it."""
        if self._take is None:
            return False
        if self._redis_down_until is None:
            return True
        if self._clock() < self._redis_down_until:
            return False
        self._redis_down_until = self._clock() + self._redis_retry_s  # this request is the probe
        return True

    def _redis_failed(self, exc: BaseException) -> None:
        if self._redis_down_until is None:
            _LOGGER.warning("Redis rate limiter unavailable (%s); using per-process limits, retrying every %.0f s",
                            type(exc).__name__, self._redis_retry_s)
        self._redis_down_until = self._clock() + self._redis_retry_s

    def _redis_worked(self) -> None:
        if self._redis_down_until is not None:
            self._redis_down_until = None
            _LOGGER.warning("Redis rate limiter reachable again; shared limits resumed")

    async def _acquire(self, data: dict[str, Any]) -> None:
        keys, args, group = self._buckets(data)
        while True:
            if not self._redis_usable():
                await self._acquire_local(bool(keys), group)
                return
            try:
                wait_ms = int(await self._take(keys=[f"{self._ns}:pause", *keys], args=args))
            except Exception as exc:
                self._redis_failed(exc)
                await self._acquire_local(bool(keys), group)
                return
            self._redis_worked()
            if wait_ms <= 0:
                return
            # a little jitter so waiting replicas don't stampede Redis at the same millisecond
            await asyncio.sleep(min(wait_ms / 1000.0, self._max_wait_s) + random.uniform(0, 0.01))

    async def _acquire_local(self, chat: bool, group: str | int | None) -> None:
        from aiolimiter import AsyncLimiter

        if group is not None:
            limiter = self._local_groups.get(group)
            if limiter is None:
                if len(self._local_groups) > 512:
                    self._local_groups.clear()
                limiter = self._local_groups[group] = AsyncLimiter(*self._group)
            await limiter.acquire()
        if chat:
            if self._local_overall is None:
                self._local_overall = AsyncLimiter(*self._overall)
            await self._local_overall.acquire()

    async def _pause_everyone(self, seconds: float) -> float:
        ms = int(seconds * 1000) + 100
        if self._pause is not None and self._redis_usable():
            try:
                return int(await self._pause(keys=[f"{self._ns}:pause"], args=[ms])) / 1000.0
            except Exception as exc:
                self._redis_failed(exc)
        return ms / 1000.0

    # --- PTB hook -------------------------------------------------------------------------------
    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSON:
        max_retries = rate_limit_args or self._max_retries
        for attempt in range(max_retries + 1):
            await self._acquire(data)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == max_retries:
                    _LOGGER.warning("Rate limit hit on %s after %d retries", endpoint, max_retries)
                    raise
                delay = await self._pause_everyone(retry_after_seconds(exc))
                _LOGGER.info("Rate limit hit on %s; all replicas pause %.1f s", endpoint, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


def retry_after_seconds(exc: RetryAfter) -> float:
    """``RetryAfter.retry_after`` in seconds: an int in PTB 22 by default, a timedelta with ``PTB_TIMEDELTA``
    (and in PTB 23). Reading the int form warns about that change; the warning is not ours to act on."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _namespace(settings: Settings) -> str:
    """One budget per bot: key on the bot id (the token's public part), never on the secret."""
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    bot_id = token.split(":", 1)[0] if ":" in token else hashlib.sha256(token.encode()).hexdigest()[:12]
    return f"shelly:ratelimit:{bot_id or 'playground'}"


def make_rate_limiter(settings: Settings) -> BaseRateLimiter[int]:
    """The limiter the application uses: shared through Redis when ``redis_url`` is set."""
    if settings.redis_url:
        return RedisRateLimiter(settings.redis_url, namespace=_namespace(settings))
    return AIORateLimiter(max_retries=3)
