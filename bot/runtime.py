"""Shelly's one lifecycle, used by ``shelly run`` (polling and webhook), the playground and the tests.

    async with start_shelly(settings) as shelly:   # settings → storage → pool → application → HTTP → intake
        await stop.wait()                          # leaving stops in reverse (below)

Start, in this order (a failure stops what already started and raises :class:`StartupError`):
settings relations → storage (schema migrated when ``settings.auto_migrate``) → inference pool (warm) →
the Telegram application (initialize, command menus, start) → HTTP server (webhook, ``/healthz``,
``/metrics``) → intake (``getUpdates`` polling, or ``setWebhook`` and open the webhook route).
Stop: close the intake → finish the updates in flight → HTTP server → application → pool → storage (flush).

With polling, a Bot API that cannot be reached at start is waited for (one log line, then retries with
backoff); in webhook mode it is a :class:`StartupError`, because a webhook that was never set would silently
receive nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.app import build_application, register_commands
from bot.settings import Settings, relation_problems
from bot.webserver import WebServer, close_webhook_intake, make_web_app

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.deps import Analyzer, Deps
    from bot.storage import Storage

log = logging.getLogger(__name__)

Intake = Literal["polling", "webhook", "none"]
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 30.0


class StartupError(RuntimeError):
    """Shelly cannot start for a reason the operator can fix; ``str()`` is that reason, in one line."""


class StartupAborted(Exception):
    """The stop event was set while start-up was still waiting for the Bot API."""


@dataclass
class Shelly:
    """What ``start_shelly`` started: the pieces, for the playground, the tests and the log line."""

    settings: Settings
    storage: Storage
    pool: Analyzer
    application: Application[Any, Any, Any, Any, Any, Any]
    server: WebServer | None
    webhook_path: str | None

    @property
    def deps(self) -> Deps:
        from bot.deps import get_deps

        return get_deps(self.application)


@asynccontextmanager
async def start_shelly(
    settings: Settings, *, pool: Analyzer | None = None, intake: Intake | None = None,
    serve_http: bool = True, run_retention: bool = True, stop: asyncio.Event | None = None, poll_timeout_s: int = 10,
) -> AsyncIterator[Shelly]:
    """Start Shelly and stop her on leaving the block (also on an exception or cancellation).

    ``pool``: an analyzer owned by the caller (tests share one; a test double); default: a fresh
    ``InferencePool`` from the settings, owned here. ``intake``: ``"polling"``, ``"webhook"``, ``"none"`` (the
    caller feeds ``application.update_queue``) or ``None``: ``settings.mode``.
    ``serve_http``: run the webhook/health/metrics server on ``settings.http_host:http_port`` (port 0: a free
    one, see ``shelly.server.url``). ``stop``: set while start-up waits for an unreachable Bot API to give up
    with :class:`StartupAborted`. ``run_retention=False``: no daily purge task (tests with back-dated events);
    ``poll_timeout_s``: getUpdates long-poll length (tests that count getUpdates calls use 1).
    """
    problems = relation_problems(settings)
    if problems:
        raise StartupError(f"settings: {'; '.join(problems)}")
    if settings.telegram_bot_token is None:
        raise StartupError("settings: TELEGRAM_BOT_TOKEN is not set")
    mode: Intake = intake or settings.mode
    if mode == "webhook" and not (serve_http and settings.webhook_url):
        raise StartupError("settings: webhook mode needs the HTTP server and SHELLY_WEBHOOK_URL")
    async with AsyncExitStack() as stack:
        storage = await _start_storage(settings, stack, run_retention=run_retention)
        if pool is None:
            pool = await _start_pool(settings, stack)
        application = build_application(settings, pool, storage)
        # the Bot API sessions open before getMe answers: closed even when the start gives up (no-op after a shutdown)
        stack.push_async_callback(application.bot.shutdown)
        await _initialize(application, settings, wait=mode != "webhook", stop=stop)
        stack.push_async_callback(application.shutdown)
        await register_commands(application)
        await application.start()
        stack.push_async_callback(_stop_application, application)  # only if the server fails to start
        server = None
        webhook_path = secret = None
        if mode == "webhook":
            webhook_path = settings.webhook_path or f"/telegram/{secrets.token_urlsafe(16)}"
            given = settings.webhook_secret
            secret = given.get_secret_value() if given else secrets.token_urlsafe(32)
        if serve_http:
            server = WebServer(make_web_app(application, webhook_path=webhook_path, webhook_secret=secret),
                               settings.http_host, settings.http_port)
            try:
                await server.start()
            except OSError as exc:
                raise StartupError(f"HTTP server on {settings.http_host}:{settings.http_port}: {exc.strerror or exc}"
                                   ) from exc
            stack.push_async_callback(server.stop)
        stack.push_async_callback(_stop_application, application)  # finish the updates in flight first
        if mode == "polling":
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0.0, timeout=poll_timeout_s, bootstrap_retries=-1,
                                                    allowed_updates=ALLOWED_UPDATES)
            stack.push_async_callback(application.updater.stop)
            log.info("Shelly is polling for updates%s", f"; health and metrics on {server.url}" if server else "")
        elif mode == "webhook":
            assert server is not None and webhook_path is not None and secret is not None and settings.webhook_url
            await _set_webhook(application, settings.webhook_url, webhook_path, secret)
            stack.callback(close_webhook_intake, server.app)
            log.info("Shelly is receiving updates by webhook on %s%s", server.url, webhook_path)
        yield Shelly(settings, storage, pool, application, server, webhook_path)
        log.info("Shelly is stopping: finishing the photos in flight")


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop`` while the block runs (event-loop handlers, removed afterwards)."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def _start_storage(settings: Settings, stack: AsyncExitStack, *, run_retention: bool) -> Storage:
    from bot.storage import SchemaOutOfDate, Storage, StorageUnavailable

    storage = Storage.from_settings(settings)
    try:
        await storage.start(run_retention=run_retention)
    except (SchemaOutOfDate, StorageUnavailable) as exc:  # SchemaOutOfDate names `shelly db upgrade`
        await storage.close()
        raise StartupError(f"storage: {exc}") from exc
    stack.push_async_callback(storage.close)
    return storage


async def _start_pool(settings: Settings, stack: AsyncExitStack) -> Analyzer:
    from inference.errors import ShellyInferenceError
    from inference.pool import InferencePool

    pool = InferencePool.from_settings(settings)
    try:
        await pool.start()
    except ShellyInferenceError as exc:
        await pool.close()
        raise StartupError(f"inference: {exc}") from exc
    stack.push_async_callback(pool.close)
    return pool


async def _initialize(application: Application[Any, Any, Any, Any, Any, Any], settings: Settings, *, wait: bool,
                      stop: asyncio.Event | None) -> None:
    """``application.initialize()`` (its ``getMe`` is the first Bot API call). Unreachable: with ``wait``,
    retry with backoff (one warning, then a short line per try), else raise ``StartupError``."""
    delay = RETRY_FIRST_S
    attempt = 0
    while True:
        try:
            await application.initialize()
            if attempt:
                log.warning("Telegram Bot API reached after %d retries", attempt)
            return
        except InvalidToken as exc:
            raise StartupError("Telegram refused the bot token (check TELEGRAM_BOT_TOKEN)") from exc
        except NetworkError as exc:  # also TimedOut
            reason = f"Telegram Bot API unreachable at {settings.telegram_base_url} ({exc})"
            if not wait:
                raise StartupError(reason) from exc
            if attempt == 0:
                log.warning("%s; retrying with backoff until it answers", reason)
            else:
                log.info("Telegram Bot API still unreachable; next try in %.0f s", delay)
        except TelegramError as exc:
            raise StartupError(f"Telegram Bot API: {exc}") from exc
        attempt += 1
        if stop is None:
            await asyncio.sleep(delay)
        else:
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                pass
            else:
                raise StartupAborted
        delay = min(RETRY_MAX_S, delay * 2)


async def _set_webhook(application: Application[Any, Any, Any, Any, Any, Any], base_url: str, path: str,
                       secret: str) -> None:
    try:
        await application.bot.set_webhook(url=base_url.rstrip("/") + path, secret_token=secret,
                                          allowed_updates=ALLOWED_UPDATES)
    except TelegramError as exc:  # NetworkError included: the API is unreachable
        raise StartupError(f"webhook set-up failed (setWebhook for {base_url}): {exc}") from exc


async def _stop_application(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    if application.running:
        await application.stop()  # waits for the updates being handled
