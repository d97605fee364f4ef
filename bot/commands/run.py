"""``shelly run``: Telegram (polling or webhook) with a token, the local playground without one."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import signal
import sys
from typing import Any

log = logging.getLogger("bot.run")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mode", choices=["polling", "webhook"], help="override SHELLY_MODE")
    parser.add_argument("--http-port", type=int, help="override SHELLY_HTTP_PORT (webhook/health/metrics)")


def run(args: argparse.Namespace) -> int:
    from bot.logging import configure_logging
    from bot.settings import Settings

    settings = Settings()
    updates: dict[str, Any] = {}
    if getattr(args, "mode", None):
        updates["mode"] = args.mode
    if getattr(args, "http_port", None):
        updates["http_port"] = args.http_port
    if updates:
        settings = settings.model_copy(update=updates)
    configure_logging(settings.log_level)
    if settings.telegram_bot_token is None:
        try:
            from bot.playground import serve
        except ImportError:
            print("No TELEGRAM_BOT_TOKEN set and the local playground (bot/playground) is not available.\n"
                  "Set TELEGRAM_BOT_TOKEN to run Shelly on Telegram.", file=sys.stderr)
            return 2
        print(f"No TELEGRAM_BOT_TOKEN: starting the local playground (port {settings.playground_port})",
              file=sys.stderr)
        try:
            result = serve(settings)
            if asyncio.iscoroutine(result):
                result = asyncio.run(result)
        except KeyboardInterrupt:
            return 0
        return int(result or 0)
    try:
        return asyncio.run(serve_telegram(settings))
    except KeyboardInterrupt:
        return 0


async def serve_telegram(settings: Any, stop_event: asyncio.Event | None = None) -> int:
    """Start storage and pool, then the application (polling or webhook) and the HTTP server; run until
    SIGINT/SIGTERM (or ``stop_event``); then stop in order: updates, in-flight photos, pool, storage."""
    from bot.app import build_application, start_application
    from bot.settings import DEFAULT_PSEUDONYM_SECRET
    from bot.storage import Storage
    from bot.webserver import WebServer, make_web_app
    from inference.errors import ShellyInferenceError
    from inference.pool import InferencePool

    if settings.pseudonym_secret.get_secret_value() == DEFAULT_PSEUDONYM_SECRET:
        log.warning("SHELLY_PSEUDONYM_SECRET is the built-in placeholder: anyone with the code can recompute the "
                    "pseudonyms in your statistics. Set a long random secret (docs/deploy.md).")
    storage = Storage.from_settings(settings)
    try:
        await storage.start()
    except Exception as exc:  # SchemaOutOfDate names `shelly db upgrade`; StorageUnavailable says why
        print(f"shelly: storage: {exc}", file=sys.stderr)
        with contextlib.suppress(Exception):
            await storage.close()
        return 2
    pool = InferencePool.from_settings(settings)
    try:
        await pool.start()
    except ShellyInferenceError as exc:
        print(f"shelly: inference: {exc}", file=sys.stderr)
        await storage.close()
        return 2

    stop = stop_event or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)

    application = build_application(settings, pool, storage)
    webhook_path = secret = None
    if settings.mode == "webhook":
        if not settings.webhook_url:
            print("shelly: webhook mode needs SHELLY_WEBHOOK_URL", file=sys.stderr)
            await pool.close()
            await storage.close()
            return 2
        webhook_path = settings.webhook_path or f"/telegram/{secrets.token_urlsafe(16)}"
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else secrets.token_urlsafe(32)
    server = None
    try:
        async with application:
            await start_application(application)
            server = WebServer(make_web_app(application, webhook_path=webhook_path, webhook_secret=secret),
                               settings.http_host, settings.http_port)
            await server.start()
            if settings.mode == "webhook":
                await application.bot.set_webhook(url=settings.webhook_url.rstrip("/") + webhook_path,
                                                  secret_token=secret, allowed_updates=["message", "callback_query",
                                                                                        "my_chat_member"])
                log.info("webhook mode: listening on %s%s", server.url, webhook_path)
            else:
                assert application.updater is not None
                await application.updater.start_polling(allowed_updates=["message", "callback_query",
                                                                         "my_chat_member"])
                log.info("polling; health and metrics on %s", server.url)
            await stop.wait()
            log.info("stopping: finishing photos in flight")
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()  # waits for the updates being handled
    finally:
        if server is not None:
            await server.stop()
        await pool.close()
        await storage.close()
    return 0
