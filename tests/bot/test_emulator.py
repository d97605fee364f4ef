"""The emulator's HTTP surface, without the bot: body encodings, errors, faults, files."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import telegram
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.emulator import BotApiEmulator, Chat, User
from tests import photos

TOKEN = "777:AAE-emulatortokenabcdefghijklmnopqrst"


async def test_json_form_and_multipart_bodies_and_faults() -> None:
    async with BotApiEmulator(TOKEN) as emu, aiohttp.ClientSession() as s:
        api = emu.base_url + TOKEN
        chat, user = Chat(5, "private"), User(5, "Zed")
        emu.user_sends_text(chat, user, "hi")
        async with s.get(api + "/getMe") as r:
            assert (await r.json())["result"]["username"] == "shelly_test_bot"
        async with s.post(api + "/getUpdates", json={"offset": 0, "timeout": 0}) as r:
            updates = (await r.json())["result"]
        assert updates[0]["message"]["text"] == "hi"
        async with s.post(api + "/getUpdates", data={"offset": str(updates[0]["update_id"] + 1)}) as r:
            assert (await r.json())["result"] == []
        markup = json.dumps({"inline_keyboard": [[{"text": "a", "callback_data": "x"}]]})
        async with s.post(api + "/sendMessage", data={"chat_id": "5", "text": "123", "reply_markup": markup}) as r:
            msg = (await r.json())["result"]
        assert msg["text"] == "123" and msg["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "x"
        form = aiohttp.FormData()
        form.add_field("chat_id", "5")
        form.add_field("caption", "c" * 1025)
        form.add_field("photo", photos.jpeg(photos.astronaut_bgr()), filename="a.jpg", content_type="image/jpeg")
        async with s.post(api + "/sendPhoto", data=form) as r:
            assert r.status == 400 and "caption is too long" in (await r.json())["description"]
        form = aiohttp.FormData()
        form.add_field("chat_id", "5")
        form.add_field("photo", photos.jpeg(photos.astronaut_bgr()), filename="a.jpg", content_type="image/jpeg")
        async with s.post(api + "/sendPhoto", data=form) as r:
            sent = (await r.json())["result"]
        assert [p["width"] for p in sent["photo"]] == [90, 320, 512]
        async with s.post(api + "/sendPhoto", data={"chat_id": "5", "photo": sent["photo"][-1]["file_id"]}) as r:
            assert (await r.json())["result"]["photo"] == sent["photo"]  # file_id reuse
        async with s.post(api + "/getFile", data={"file_id": sent["photo"][0]["file_id"]}) as r:
            path = (await r.json())["result"]["file_path"]
        async with s.get(emu.base_file_url + TOKEN + "/" + path) as r:
            assert (await r.read()) == emu.file_bytes(sent["photo"][0]["file_id"])
        emu.fail_next("sendMessage", status=429, retry_after=3)
        async with s.post(api + "/sendMessage", json={"chat_id": 5, "text": "x"}) as r:
            body = await r.json()
            assert r.status == 429 and body["parameters"]["retry_after"] == 3
        async with s.post(api + "/sendMessage", json={"chat_id": 5, "text": "x" * 4097}) as r:
            assert r.status == 400
        async with s.post(api + "/sendMessage", json={"chat_id": 99, "text": "x"}) as r:
            assert (await r.json())["description"] == "Bad Request: chat not found"
        async with s.get(emu.base_url + "1:wrong/getMe") as r:
            assert r.status == 401
        assert len(emu.bot_messages(5)) == 3
        assert emu.calls("sendMessage")[0]["text"] == "123"


async def test_privacy_mode_hides_plain_group_messages_until_admin() -> None:
    async with BotApiEmulator(TOKEN, privacy_mode=True) as emu:
        group, user = Chat(-9, "group", "G"), User(9, "Gil")
        emu.user_sends_text(group, user, "hello")
        emu.user_sends_text(group, user, "/mood")
        assert [u["message"]["text"] for u in emu.pending_updates()] == ["/mood"]
        emu.set_member_status(group.id, emu.bot_user["id"], "administrator")
        emu.user_sends_text(group, user, "hello again")
        assert len(emu.pending_updates()) == 2


# --- injected faults, seen through a real python-telegram-bot Bot ---------------------------------------------


@contextlib.asynccontextmanager
async def _bot_and_photo() -> AsyncIterator[tuple[BotApiEmulator, telegram.Bot, str]]:
    """A started emulator, a PTB Bot talking to it, and the file_id of a photo a user sent."""
    async with BotApiEmulator(TOKEN) as emu:
        msg = emu.user_sends_photo(Chat(5, "private"), User(5, "Zed"), photos.jpeg(photos.astronaut_bgr()))
        bot = telegram.Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url)
        async with bot:
            yield emu, bot, msg["photo"][-1]["file_id"]


async def _next_fault(queue: asyncio.Queue[dict[str, Any]]) -> dict[str, Any]:
    while (event := await asyncio.wait_for(queue.get(), 10))["type"] != "fault":
        pass
    return event


async def test_fail_next_on_get_file_and_download_surface_as_network_errors() -> None:
    async with _bot_and_photo() as (emu, bot, file_id):
        emu.fail_next("getFile", status=502)
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.get_file(file_id)
        file = await bot.get_file(file_id)  # the fault was used up
        emu.fail_next("file", status=502, times=2)
        for _ in range(2):
            with pytest.raises(NetworkError, match="Bad Gateway"):
                await file.download_as_bytearray()
        assert bytes(await file.download_as_bytearray()) == emu.file_bytes(file_id)
        assert len(emu.calls("file")) == 3 and file.file_path.endswith("/" + emu.calls("file")[0]["file_path"])
        emu.fail_next("sendMessage", status=429, retry_after=7)
        with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
            await bot.send_message(5, "hi")
        emu.fail_next("sendMessage", status=500, description="Internal Server Error: boom")
        with pytest.raises(NetworkError, match="boom"):
            await bot.send_message(5, "hi")
        assert emu.bot_messages(5) == []  # failed requests are not executed


async def test_drop_next_closes_the_connection_without_an_answer() -> None:
    async with _bot_and_photo() as (emu, bot, file_id):
        emu.drop_next("sendMessage")
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(5, "hi")
        assert not isinstance(caught.value, TimedOut)  # dropped at once, not a timeout
        assert emu.bot_messages(5) == []  # not executed
        await bot.send_message(5, "again")
        assert [m["text"] for m in emu.bot_messages(5)] == ["again"]
        file = await bot.get_file(file_id)
        emu.drop_next("file")
        with pytest.raises(NetworkError):
            await file.download_as_bytearray()
        assert bytes(await file.download_as_bytearray()) == emu.file_bytes(file_id)


async def test_slow_body_trickles_the_download() -> None:
    seconds = 1.0
    async with _bot_and_photo() as (emu, bot, file_id):
        file = await bot.get_file(file_id)
        events = emu.subscribe()
        emu.slow_body_next("file", seconds=seconds)
        started = time.monotonic()
        download = asyncio.create_task(file.download_as_bytearray())
        assert (await _next_fault(events))["fault"] == "slow_body"  # headers are out, the body is trickling
        assert not download.done()
        data = await download
        finished = time.monotonic()
        # the last byte left the emulator only after `seconds`, and the download could not end before it
        assert (await _next_fault(events)) == {"type": "fault", "chat_id": None, "message": None,
                                               "method": "file", "fault": "slow_body_done"}
        assert finished - started >= seconds
        assert bytes(data) == emu.file_bytes(file_id)


async def test_stall_next_delays_the_answer_and_then_answers() -> None:
    async with _bot_and_photo() as (emu, bot, file_id):
        events = emu.subscribe()
        emu.stall_next("getFile", seconds=0.5)
        started = time.monotonic()
        call = asyncio.create_task(bot.get_file(file_id))
        assert (await _next_fault(events))["fault"] == "stall"
        assert not call.done()
        assert (await call).file_id == file_id
        assert time.monotonic() - started >= 0.5


async def test_slow_body_on_a_bot_api_method_still_answers() -> None:
    async with _bot_and_photo() as (emu, bot, _):
        events = emu.subscribe()
        emu.slow_body_next("sendMessage", seconds=0.5)
        started = time.monotonic()
        sent = asyncio.create_task(bot.send_message(5, "slow"))
        assert (await _next_fault(events))["fault"] == "slow_body"
        assert not sent.done()  # executed, headers out, body still trickling
        assert (await sent).text == "slow"
        assert time.monotonic() - started >= 0.5
        assert [m["text"] for m in emu.bot_messages(5)] == ["slow"]


# --- a group with several simulated members (what the group playground drives) --------------------------------


async def test_group_members_admin_and_switching_sender() -> None:
    group = Chat(-100777, "supergroup", "Reef")
    ada, ben, cy = User(71, "Ada", language_code="de"), User(72, "Ben"), User(73, "Cy")
    async with BotApiEmulator(TOKEN) as emu:
        emu.add_member(group, ada, "administrator")
        emu.add_member(group, ben)
        emu.add_member(group, cy)
        bot = telegram.Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url)
        async with bot:
            admins = await bot.get_chat_administrators(group.id)
            assert [(a.user.first_name, a.status) for a in admins] == [("Ada", "administrator")]
            assert (await bot.get_chat_member(group.id, cy.id)).user.first_name == "Cy"
            assert (await bot.get_chat_member(group.id, 999)).status == "left"
            assert sorted(m["user"]["first_name"] for m in emu.members(group.id)) == ["Ada", "Ben", "Cy"]
            # Ben posts a photo, Ada answers it with /mood: one update each, from the right person
            photo = emu.user_sends_photo(group, ben, photos.jpeg(photos.astronaut_bgr()))
            emu.user_sends_text(group, ada, "/mood", reply_to_message_id=photo["message_id"])
            first, second = await bot.get_updates()
            assert first.message is not None and first.message.from_user is not None
            assert first.message.from_user.first_name == "Ben" and first.message.photo
            assert second.message is not None and second.message.from_user is not None
            assert second.message.from_user.language_code == "de"
            assert second.message.reply_to_message is not None
            assert second.message.reply_to_message.message_id == photo["message_id"]
            await bot.get_updates(offset=second.update_id + 1)  # confirm both
            answer = await bot.send_message(group.id, "calm", reply_to_message_id=photo["message_id"])
            assert [(m.get("from") or {}).get("first_name") for m in emu.chat_history(group.id)] == [
                "Ben", "Ada", "Shelly"]
            assert emu.chat_history(group.id)[-1]["message_id"] == answer.message_id


async def test_privacy_mode_can_be_switched_like_botfather_setprivacy() -> None:
    group, ben = Chat(-100778, "group", "Tide"), User(72, "Ben")
    async with BotApiEmulator(TOKEN) as emu:
        bot = telegram.Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url)
        async with bot:
            emu.set_privacy_mode(True)
            assert (await bot.get_me()).can_read_all_group_messages is False
            emu.user_sends_text(group, ben, "hello")
            emu.user_sends_text(group, ben, "/stats")
            answer = await bot.send_message(group.id, "stats")
            emu.user_sends_text(group, ben, "thanks", reply_to_message_id=answer.message_id)
            assert [u.message.text for u in await bot.get_updates() if u.message] == ["/stats", "thanks"]
            emu.set_privacy_mode(False)
            assert (await bot.get_me()).can_read_all_group_messages is True
            emu.user_sends_text(group, ben, "hello again")
            assert [u.message.text for u in await bot.get_updates() if u.message][-1] == "hello again"
