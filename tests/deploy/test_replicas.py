"""Scale-out without Docker: two real ``shelly run`` processes in webhook mode behind a round-robin proxy
(what Caddy does in the compose profile "scale"), one PostgreSQL, the shared Redis rate-limit budget when
Redis is there, and the Bot API emulator in this test process standing in for Telegram.

Every photo must be answered exactly once and counted exactly once in the database.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.emulator import BotApiEmulator, Chat, User
from bot.settings import MODELS_DIR
from tests import photos
from tests.deploy.conftest import _reachable
from tests.deploy.replica_processes import count_rows, replicas, shelly_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PHOTOS = 4


class RoundRobinProxy:
    """A tiny stand-in for the reverse proxy: POSTs to the webhook path go to the replicas in turn."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = targets
        self.forwarded: Counter[str] = Counter()
        self._next = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        app = web.Application()
        app.router.add_post(WEBHOOK_PATH, self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
        if self._session:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        target = self.targets[self._next % len(self.targets)]
        self._next += 1
        headers = {k: v for k, v in request.headers.items() if k in (SECRET_HEADER, "Content-Type")}
        async with self._session.post(target + WEBHOOK_PATH, data=await request.read(), headers=headers) as resp:
            body = await resp.read()
            if resp.status < 300:
                self.forwarded[target] += 1
            return web.Response(status=resp.status, body=body, content_type="application/json")


async def test_two_webhook_replicas_answer_and_count_each_photo_once(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    for name in ("centerface.onnx", "shelly-emotion.onnx"):
        if not (MODELS_DIR / name).is_file():
            pytest.skip(f"models/{name} is missing (run `shelly setup-models`)")
    token = f"{5_000_000_000 + os.getpid()}:AAE{'x' * 32}"
    emulator = BotApiEmulator(token)
    await emulator.start()
    env = shelly_env(
        token, emulator, fresh_postgres_url, SHELLY_MODE="webhook", SHELLY_WEBHOOK_PATH=WEBHOOK_PATH,
        SHELLY_WEBHOOK_SECRET="replica-test-secret_0123456789", SHELLY_PSEUDONYM_SECRET="replica-test-pseudonyms",
        SHELLY_USER_COOLDOWN_S="0", SHELLY_CHAT_COOLDOWN_S="0", SHELLY_WRITE_FLUSH_INTERVAL_S="0.5",
        SHELLY_LOG_LEVEL="INFO")
    if _reachable("127.0.0.1", 6379):  # the shared rate-limit budget, as in the compose profile
        env["SHELLY_REDIS_URL"] = "redis://127.0.0.1:6379/15"
    proxy: RoundRobinProxy | None = None
    try:
        async with replicas(env, tmp_path) as group:
            proxy = RoundRobinProxy(group.urls)
            await proxy.start()
            env["SHELLY_WEBHOOK_URL"] = f"http://127.0.0.1:{proxy.port}"
            await group.migrate()
            await group.start()
            await emulator.wait_for_calls("setWebhook", 2, timeout=60)

            # a few people each send one photo (private chats: no group cooldowns in the way)
            sent: dict[int, int] = {}
            pictures = [photos.astronaut_bgr(), photos.grace_hopper_bgr()]
            for i in range(PHOTOS):
                chat_id = 900_001 + i
                msg = emulator.user_sends_photo(Chat(id=chat_id, type="private"),
                                                User(id=chat_id, first_name=f"P{i}", language_code="en"),
                                                photos.jpeg(pictures[i % 2]))
                sent[chat_id] = msg["message_id"]
            for chat_id in sent:
                await emulator.wait_for_bot_messages(chat_id, 1, timeout=120)
            await group.stop()  # what is counted below is final

            # answered exactly once: one annotated photo (after that chat's photo) per chat
            for chat_id, photo_id in sent.items():
                answers = [m for m in emulator.bot_messages(chat_id) if m.get("photo")]
                assert len(answers) == 1, (chat_id, emulator.bot_messages(chat_id))
                assert answers[0]["message_id"] > photo_id
                assert answers[0].get("caption"), answers[0]
            assert len(emulator.calls("sendPhoto")) == PHOTOS
            # each update was delivered once, and both replicas did real work
            assert emulator.pending_updates() == []
            assert all(proxy.forwarded[url] >= 1 for url in group.urls), proxy.forwarded
            assert sum(proxy.forwarded.values()) == PHOTOS, proxy.forwarded
            # counted exactly once: one face per photo -> one mood event each
            assert await count_rows(fresh_postgres_url, "SELECT count(*) FROM mood_events") == PHOTOS
            distinct = await count_rows(fresh_postgres_url, "SELECT count(DISTINCT update_key) FROM mood_events")
            assert distinct == PHOTOS
    finally:
        if proxy is not None:
            await proxy.stop()
        await emulator.stop()
