"""How updates reach the bot: ``getUpdates`` long polling, or a webhook the emulator POSTs to
(in order, with the secret header, retried with back-off until the bot answers 2xx)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
from typing import Any

import aiohttp
import telegram

from bot.emulator.payloads import now, payload
from bot.emulator.state import ApiError, EmulatorState, Json
from bot.emulator.transport import Method

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class UpdateMethods:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._url: str | None = None
        self._queue: asyncio.Queue[Json] | None = None
        self._task: asyncio.Task[None] | None = None
        self._last_error: tuple[dt.datetime, str] | None = None

    def methods(self) -> dict[str, Method]:
        return {"getUpdates": self.get_updates, "setWebhook": self.set_webhook,
                "deleteWebhook": self.delete_webhook, "getWebhookInfo": self.get_webhook_info}

    async def get_updates(self, params: Json) -> Any:
        if self._url is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        state = self.state
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        if offset:  # confirms everything before it
            state.updates = [u for u in state.updates if u["update_id"] >= offset]
        while not state.updates and time.monotonic() < deadline:
            state.updates_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.updates_changed.wait(), deadline - time.monotonic())
        return state.updates[:limit]

    async def set_webhook(self, params: Json) -> Any:
        url = str(params.get("url") or "")
        if not url:
            return await self.delete_webhook(params)
        await self.stop()
        if params.get("drop_pending_updates"):
            self.state.updates.clear()
        queue: asyncio.Queue[Json] = asyncio.Queue()
        for update in self.state.updates:  # pending updates go to the webhook now
            queue.put_nowait(update)
        self.state.updates.clear()
        self._url, self._queue = url, queue
        self.state.webhook_sink = queue.put_nowait
        self._task = asyncio.create_task(self._deliver(url, params.get("secret_token"), queue),
                                         name="emulator-webhook")
        return True

    async def delete_webhook(self, params: Json) -> Any:
        await self.stop()
        if params.get("drop_pending_updates"):
            self.state.updates.clear()
        return True

    async def get_webhook_info(self, params: Json) -> Any:
        pending = self._queue.qsize() if self._queue is not None else len(self.state.updates)
        last_date, last_message = self._last_error or (None, None)
        return payload(telegram.WebhookInfo(self._url or "", False, pending, last_error_date=last_date,
                                            last_error_message=last_message))

    async def stop(self) -> None:
        """Stop delivering; undelivered updates go back to ``getUpdates``."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._queue is not None:
            while not self._queue.empty():
                self.state.updates.append(self._queue.get_nowait())
            self.state.updates.sort(key=lambda u: u["update_id"])
        self.state.webhook_sink = None
        self._url = self._queue = None

    async def _deliver(self, url: str, secret: str | None, queue: asyncio.Queue[Json]) -> None:
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[SECRET_HEADER] = str(secret)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            while True:
                update = await queue.get()
                delay = 0.1
                while not await self._post(session, url, headers, update):
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 2.0)

    async def _post(self, session: aiohttp.ClientSession, url: str, headers: dict[str, str], update: Json) -> bool:
        try:
            async with session.post(url, data=json.dumps(update), headers=headers) as resp:
                if resp.status < 300:
                    return True
                self._last_error = (now(), f"Wrong response from the webhook: {resp.status} {resp.reason}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            self._last_error = (now(), f"Connection failed: {exc}")
        return False
