"""Operations: flood, Telegram faults (429, 5xx, stalls), webhook mode, health/metrics, command menus, logs."""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from advice import text as t
from bot.emulator import Chat, User
from bot.webserver import WebServer, make_web_app
from tests import photos
from tests.e2e.conftest import ANN, E2E, PRIVATE, TOKEN, Harness, eventually

pytestmark = E2E


def photos_handled(h: Harness) -> float:
    """Photos the bot has finished with (every outcome is counted once in ``shelly_photos``)."""
    return sum(s.value for m in h.deps.metrics.photos.collect() for s in m.samples if s.name.endswith("_total"))


async def test_flood_of_50_photos_gets_a_burst_of_answers_and_one_cooldown_notice(harness_factory) -> None:
    h: Harness = await harness_factory(user_cooldown_s=10.0, chat_cooldown_s=3.0, private_burst=5)
    emu = h.emu
    data = photos.jpeg(photos.astronaut_bgr())
    for _ in range(50):
        emu.user_sends_photo(PRIVATE, ANN, data)
    await eventually(lambda: asyncio.sleep(0, photos_handled(h)), lambda n: n == 50, timeout=120)
    messages = await emu.wait_for_bot_messages(PRIVATE.id, 6, timeout=60)
    assert len(emu.bot_messages(PRIVATE.id)) == 6, [m.get("text") or m.get("caption") for m in messages]
    assert sum("photo" in m for m in messages) == 5  # a newcomer's burst is never met with "slow down"
    [cooldown] = [m for m in messages if "text" in m]
    assert cooldown["text"].split()[0] == t("cooldown", "en", seconds=1).split()[0]
    assert len(emu.calls("getFile")) == 5
    assert h.app.running and not emu.pending_updates()


async def test_429_on_send_photo_is_retried_and_the_reply_arrives(harness: Harness) -> None:
    emu = harness.emu
    emu.fail_next("sendPhoto", status=429, retry_after=1)
    emu.user_sends_photo(PRIVATE, ANN, photos.jpeg(photos.astronaut_bgr()))
    [answer] = await emu.wait_for_bot_messages(PRIVATE.id, 1, timeout=60)
    assert "photo" in answer
    assert len(emu.calls("sendPhoto")) == 2


async def test_5xx_and_stall_on_get_updates_bot_recovers(harness: Harness) -> None:
    emu = harness.emu
    await emu.wait_for_calls("getUpdates", 2)
    emu.fail_next("getUpdates", status=502, times=2)
    emu.stall_next("getUpdates", seconds=2.0)
    emu.user_sends_text(PRIVATE, ANN, "/help")
    [answer] = await emu.wait_for_bot_messages(PRIVATE.id, 1, timeout=30)
    assert answer["text"] == t("help", "en")
    emu.fail_next("getUpdates", status=500)
    emu.user_sends_text(PRIVATE, ANN, "/start")
    await emu.wait_for_bot_messages(PRIVATE.id, 2, timeout=30)


async def test_webhook_mode_checks_the_secret_and_processes_updates(harness_factory) -> None:
    h: Harness = await harness_factory(polling=False)
    emu = h.emu
    server = WebServer(make_web_app(h.app, webhook_path="/telegram/hook-xyz", webhook_secret="s3cret-token"),
                       "127.0.0.1", 0)
    await server.start()
    try:
        update = {"update_id": 999, "message": {"message_id": 1, "date": 0, "chat": {"id": PRIVATE.id,
                  "type": "private"}, "from": {"id": ANN.id, "is_bot": False, "first_name": "Ann"},
                  "text": "/help", "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
        async with aiohttp.ClientSession() as session:
            url = server.url + "/telegram/hook-xyz"
            async with session.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as r:
                assert r.status == 403
            async with session.post(url, json=update) as r:
                assert r.status == 403
            async with session.get(server.url + "/healthz") as r:
                assert r.status == 200
                body = await r.json()
                assert body["database"] is True and body["inference_pool"] is True
            await asyncio.sleep(0.3)
            assert emu.bot_messages(PRIVATE.id) == []

            # the emulator delivers to the webhook with the right secret header
            await h.app.bot.set_webhook(url=url, secret_token="s3cret-token")
            emu.user_sends_text(PRIVATE, ANN, "/help")
            emu.user_sends_photo(PRIVATE, ANN, photos.jpeg(photos.astronaut_bgr()))
            messages = await emu.wait_for_bot_messages(PRIVATE.id, 2, timeout=60)
            assert messages[0]["text"] == t("help", "en") or messages[1].get("text") == t("help", "en")
            assert any("photo" in m for m in messages)

            async with session.get(server.url + "/metrics") as r:
                assert r.status == 200
                metrics = await r.text()
        assert 'shelly_updates_total{type="photo"} 1.0' in metrics
        assert 'shelly_faces_total{emotion="happiness"} 1.0' in metrics
        assert "shelly_inference_latency_seconds_count 1.0" in metrics
        assert 'shelly_errors_total{kind="webhook_forbidden"} 2.0' in metrics
        assert "shelly_inference_queue_depth" in metrics and "shelly_storage_buffer_pending" in metrics
    finally:
        await h.app.bot.delete_webhook()
        await server.stop()


async def test_command_menus_registered_per_scope(harness: Harness) -> None:
    menus = harness.emu.my_commands()
    private = {c["command"] for c in menus["all_private_chats"]}
    group = {c["command"] for c in menus["all_group_chats"]}
    admins = {c["command"] for c in menus["all_chat_administrators"]}
    assert {"start", "help", "stats", "forget", "optout", "optin", "language"} <= private
    assert "mood" in group and "settings" not in group
    assert {"mood", "settings"} <= admins
    assert "all_private_chats:de" in menus


async def test_no_token_in_any_log_record(harness_factory, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    h: Harness = await harness_factory()
    emu = h.emu
    emu.fail_next("sendMessage", status=400, description=f"Bad Request: echo {TOKEN}")
    emu.user_sends_text(PRIVATE, ANN, "/help")
    emu.user_sends_photo(PRIVATE, ANN, photos.jpeg(photos.astronaut_bgr()))
    await emu.wait_for_bot_messages(PRIVATE.id, 1, timeout=60)
    await asyncio.sleep(0.5)
    logging.getLogger("test").warning("a token %s inside", TOKEN)
    secret = TOKEN.split(":", 1)[1]
    assert caplog.records
    for record in caplog.records:
        assert secret not in record.getMessage()
    assert secret not in caplog.text
    assert "bot.telegram_http" in {r.name for r in caplog.records}  # the HTTP client's logs were captured too


async def test_language_menu_switches_private_chat_to_german(harness: Harness) -> None:
    emu = harness.emu
    chat, user = Chat(id=5005, type="private"), User(id=5005, first_name="Eva", language_code="en")
    emu.user_sends_text(chat, user, "/language")
    [menu] = await emu.wait_for_bot_messages(chat.id, 1, timeout=30)
    emu.user_presses_button(chat, user, menu["message_id"], "lang:de")
    await emu.wait_for_calls("answerCallbackQuery", 1)
    emu.user_sends_text(chat, user, "/help")
    messages = await emu.wait_for_bot_messages(chat.id, 2, timeout=30)
    assert messages[1]["text"] == t("help", "de")
