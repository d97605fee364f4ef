"""``shelly run`` in webhook mode against the emulator: the real `serve` (bot.runtime), its own pool and storage."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from advice import text as t
from bot.cli.run import serve
from tests import photos
from tests.e2e.conftest import ANN, E2E, PRIVATE, _require_models, make_settings
from tests.ports import free_port

pytestmark = E2E



async def test_shelly_run_webhook_mode_end_to_end_and_graceful_stop(emu, tmp_path: Path) -> None:
    _require_models()
    port = free_port()
    settings = make_settings(tmp_path, emu, mode="webhook", http_port=port, webhook_url=f"http://127.0.0.1:{port}",
                             webhook_path="/telegram/run-test", webhook_secret="run-secret")
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop_event=stop))
    await emu.wait_for_calls("setWebhook", 1, timeout=120)
    assert emu.calls("setWebhook")[0]["secret_token"] == "run-secret"
    async with aiohttp.ClientSession() as session:
        async with session.post(f"http://127.0.0.1:{port}/telegram/run-test", json={"update_id": 1}) as r:
            assert r.status == 403
        emu.user_sends_photo(PRIVATE, ANN, photos.jpeg(photos.astronaut_bgr()))
        emu.user_sends_text(PRIVATE, ANN, "/help")
        messages = await emu.wait_for_bot_messages(PRIVATE.id, 2, timeout=60)
        assert {("photo" in m) for m in messages} == {True, False}
        assert any(m.get("text") == t("help", "en") for m in messages)
        async with session.get(f"http://127.0.0.1:{port}/healthz") as r:
            assert r.status == 200
    # a photo in flight when the stop comes still gets its answer
    emu.user_sends_photo(PRIVATE, ANN, photos.jpeg(photos.grace_hopper_bgr()))
    await emu.wait_for_calls("getFile", 2, timeout=30)
    stop.set()
    assert await asyncio.wait_for(task, 60) == 0
    assert sum("photo" in m for m in emu.bot_messages(PRIVATE.id)) == 2
