"""End-to-end harness: Shelly started by production's lifecycle (``bot.runtime.start_shelly``) polling the Bot
API emulator over HTTP, with the real InferencePool (shared for the session) and a real Storage on a temporary
SQLite file (migrated at start, as in production)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.emulator import BotApiEmulator, Chat, User
from bot.runtime import Shelly, start_shelly
from bot.settings import Settings
from bot.storage import Storage

TOKEN = "4242424242:AAHs7p0pDeMo-TestTokenXyZ_abcdefghijk12"
MODELS = Path(__file__).resolve().parents[2] / "models"


# every e2e test module sets: pytestmark = E2E (one event loop for the session, shared with the pool)
E2E = pytest.mark.asyncio(loop_scope="session")


def _require_models() -> None:
    missing = [p.name for p in (MODELS / "centerface.onnx", MODELS / "shelly-emotion.onnx") if not p.exists()]
    if missing:
        pytest.skip(f"models missing: {missing} (run `shelly setup-models` and provide the emotion model)")


def make_settings(tmp_path: Path, emu: BotApiEmulator | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        TELEGRAM_BOT_TOKEN=TOKEN,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'shelly.db'}",
        auto_migrate=True,
        user_cooldown_s=0.0,
        chat_cooldown_s=0.0,
        inference_workers=1,
        inference_queue_size=16,
        write_flush_interval_s=0.2,
        http_port=0,
        _env_file=None,
    )
    if emu is not None:
        values.update(telegram_base_url=emu.base_url, telegram_base_file_url=emu.base_file_url)
    values.update(overrides)
    return Settings(**values)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def pool(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Any]:
    _require_models()
    from inference.pool import InferencePool

    settings = make_settings(tmp_path_factory.mktemp("pool"))
    p = InferencePool.from_settings(settings)
    await p.start()
    yield p
    await p.close()


@dataclass
class Harness:
    emu: BotApiEmulator
    app: Any
    storage: Storage
    settings: Settings
    shelly: Shelly | None = None  # what start_shelly started (the HTTP server: shelly.server.url)

    @property
    def deps(self) -> Any:
        from bot.deps import get_deps

        return get_deps(self.app)


@pytest_asyncio.fixture(loop_scope="session")
async def emu() -> AsyncIterator[BotApiEmulator]:
    e = BotApiEmulator(TOKEN)
    await e.start()
    yield e
    await e.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def harness_factory(emu: BotApiEmulator, pool: Any, tmp_path: Path) -> AsyncIterator[Any]:
    """``await harness_factory(**settings_overrides, polling=True)``: one Shelly per call, stopped at the end;
    ``polling=False`` starts her without intake (feed ``app.update_queue`` or run a webhook server yourself)."""
    async with AsyncExitStack() as stack:

        async def make(**overrides: Any) -> Harness:
            polling = overrides.pop("polling", True)
            settings = make_settings(tmp_path, emu, **overrides)
            shelly = await stack.enter_async_context(
                start_shelly(settings, pool=pool, intake="polling" if polling else "none", run_retention=False,
                             poll_timeout_s=1))
            return Harness(emu, shelly.application, shelly.storage, settings, shelly)

        yield make


@pytest_asyncio.fixture(loop_scope="session")
async def harness(harness_factory: Any) -> Harness:
    return await harness_factory()


PRIVATE = Chat(id=1001, type="private")
ANN = User(id=1001, first_name="Ann", language_code="en")
GROUP = Chat(id=-100500, type="supergroup", title="Shell friends")
BOB = User(id=2002, first_name="Bob", language_code="en")
CARL = User(id=3003, first_name="Carl", language_code="en")


async def eventually(get: Any, ok: Any, timeout: float = 10.0) -> Any:  # noqa: ASYNC109
    """Poll the coroutine function ``get`` until ``ok(value)``; return the last value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await get()
        if ok(value) or loop.time() > deadline:
            return value
        await asyncio.sleep(0.05)


async def settle(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)


logging.getLogger("bot").setLevel(logging.DEBUG)
