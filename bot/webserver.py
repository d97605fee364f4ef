"""The HTTP side of ``shelly run`` (aiohttp): the webhook route, ``/healthz`` and ``/metrics``.

The webhook route checks ``X-Telegram-Bot-Api-Secret-Token`` (403 otherwise), refuses bodies over
``MAX_UPDATE_BYTES`` with 413 before reading them, and hands the update to ``application.update_queue``;
Telegram gets its 200 at once, the update is processed concurrently. Once the runtime closes the intake
(shutting down) the route answers 503, so Telegram delivers the update again later, to a running replica.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler
from telegram import Update
from telegram.ext import Application

from bot.deps import get_deps
from inference.pool import InferencePool

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024  # Telegram updates are a few KB of JSON; anything near this is not one


@dataclass
class _WebhookIntake:
    open: bool = True


INTAKE = web.AppKey("webhook_intake", _WebhookIntake)


def close_webhook_intake(app: web.Application) -> None:
    """From now on the webhook route answers 503 (Telegram retries later); health and metrics keep serving."""
    app[INTAKE].open = False


async def _read_capped(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it is (or claims to be) longer than ``limit``: never reads more than that."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = await request.content.read(limit + 1)
    while len(body) <= limit and not request.content.at_eof():
        chunk = await request.content.read(limit + 1 - len(body))
        if not chunk:
            break
        body += chunk
    return None if len(body) > limit else body


def make_web_app(
    application: Application[Any, Any, Any, Any, Any, Any], *, webhook_path: str | None = None,
    webhook_secret: str | None = None,
) -> web.Application:
    deps = get_deps(application)
    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    app[INTAKE] = _WebhookIntake()

    async def healthz(request: web.Request) -> web.Response:
        db = await deps.storage.ping()
        storage_available = deps.storage.available  # its circuit breaker is closed
        pool = deps.pool.alive if isinstance(deps.pool, InferencePool) else True  # a test double: alive
        ok = db and storage_available and pool
        body = {"status": "ok" if ok else "unavailable", "database": db, "storage_available": storage_available,
                "inference_pool": pool, "storage_pending": deps.storage.pending}
        return web.json_response(body, status=200 if ok else 503)

    async def webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if webhook_secret is None or not hmac.compare_digest(given.encode(), webhook_secret.encode()):
            deps.metrics.errors.labels("webhook_forbidden").inc()
            return web.json_response({"ok": False}, status=403)
        if not request.app[INTAKE].open:
            return web.json_response({"ok": False}, status=503)
        body = await _read_capped(request, MAX_UPDATE_BYTES)
        if body is None:
            deps.metrics.errors.labels("webhook_too_large").inc()
            return web.json_response({"ok": False}, status=413)
        try:
            update = Update.de_json(json.loads(body), application.bot)
        except Exception:
            update = None
        if update is None:
            deps.metrics.errors.labels("webhook_bad_request").inc()
            return web.json_response({"ok": False}, status=400)
        await application.update_queue.put(update)
        return web.json_response({"ok": True})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", make_aiohttp_handler(deps.metrics.registry))
    if webhook_path:
        app.router.add_post(webhook_path, webhook)
    return app


class WebServer:
    """Runs ``make_web_app`` on host:port (port 0 = any free port; ``.port`` tells which)."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await self.stop()
            raise
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"
