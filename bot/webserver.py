"""The HTTP side of ``shelly run`` (aiohttp): the webhook route, ``/healthz`` and ``/metrics``.

The webhook route checks ``X-Telegram-Bot-Api-Secret-Token`` (403 otherwise) and hands the update to
``application.update_queue``; Telegram gets its 200 at once, the update is processed concurrently.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.deps import get_deps
from bot.metrics import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _pool_alive(pool: object) -> bool:
    for name in ("alive", "is_alive", "running", "is_running", "started"):
        value = getattr(pool, name, None)
        if callable(value):
            value = value()
        if isinstance(value, bool):
            return value
    # InferencePool has no public liveness flag yet: not closed and its worker tasks still running
    if getattr(pool, "_closed", False):
        return False
    tasks = getattr(pool, "_tasks", None)
    if isinstance(tasks, list):
        return bool(tasks) and not all(task.done() for task in tasks)
    return True


def make_web_app(
    application: Application[Any, Any, Any, Any, Any, Any], *, webhook_path: str | None = None,
    webhook_secret: str | None = None,
) -> web.Application:
    deps = get_deps(application)
    app = web.Application(client_max_size=2 * 1024 * 1024)

    async def healthz(request: web.Request) -> web.Response:
        db = await deps.storage.ping()
        pool = _pool_alive(deps.pool)
        ok = db and pool
        body = {"status": "ok" if ok else "unavailable", "database": db, "inference_pool": pool,
                "storage_pending": int(getattr(deps.storage, "pending", 0) or 0)}
        return web.json_response(body, status=200 if ok else 503)

    async def metrics(request: web.Request) -> web.Response:
        resp = web.Response(body=deps.metrics.render())
        resp.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return resp

    async def webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if webhook_secret is None or not hmac.compare_digest(given.encode(), webhook_secret.encode()):
            deps.metrics.errors.labels("webhook_forbidden").inc()
            return web.json_response({"ok": False}, status=403)
        try:
            data = await request.json(loads=json.loads)
            update = Update.de_json(data, application.bot)
        except Exception:
            deps.metrics.errors.labels("webhook_bad_request").inc()
            return web.json_response({"ok": False}, status=400)
        if update is None:
            return web.json_response({"ok": False}, status=400)
        await application.update_queue.put(update)
        return web.json_response({"ok": True})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
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
        await site.start()
        server = site._server
        if server is not None and getattr(server, "sockets", None):
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"
