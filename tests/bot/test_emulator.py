"""The emulator's HTTP surface, without the bot: body encodings, errors, faults, files."""

from __future__ import annotations

import json

import aiohttp

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
