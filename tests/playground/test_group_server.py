"""The playground's group chat over its HTTP API (no browser): members, who speaks, replies, admin rights.

The real bot answers through the emulator; we wait on the emulator's record of what the bot sent."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from advice import text as t
from bot.playground.chats import GROUP_ID, GROUP_TITLE, USER_ID
from tests import photos

pytestmark = pytest.mark.slow


async def _post_photo(http: aiohttp.ClientSession, url: str, jpeg: bytes, who: str, caption: str = "") -> Any:
    form = aiohttp.FormData()
    form.add_field("photo", jpeg, filename="p.jpg", content_type="image/jpeg")
    for name, value in (("caption", caption), ("lang", "en"), ("chat", "group"), ("as", who)):
        form.add_field(name, value)
    async with http.post(url + "/api/photo", data=form) as resp:
        assert resp.status == 200, await resp.text()
        return (await resp.json())["message"]


async def _say(http: aiohttp.ClientSession, url: str, text: str, who: str, **extra: Any) -> Any:
    body = {"text": text, "lang": "en", "chat": "group", "as": who, **extra}
    async with http.post(url + "/api/text", json=body) as resp:
        assert resp.status == 200, await resp.text()
        return (await resp.json())["message"]


async def test_group_state_members_and_bad_requests(playground: Any) -> None:
    url, emu = playground.url, playground.emulator
    async with aiohttp.ClientSession() as http:
        async with http.get(url + "/api/state?chat=group&as=alex&lang=en") as resp:
            state = await resp.json()
        assert state["chat"] == "group" and state["chat_id"] == GROUP_ID
        assert [c["key"] for c in state["chats"]] == ["private", "group"]
        assert state["chats"][1]["title"] == GROUP_TITLE
        members = {m["key"]: m for m in state["members"]}
        assert set(members) == {"you", "alex", "bea", "cy"}
        assert members["alex"]["admin"] and not members["bea"]["admin"] and members["you"]["id"] == USER_ID
        assert state["group"] == {"bot_admin": False, "privacy_mode": True}
        # an admin's menu (setMyCommands scope all_chat_administrators) has /settings, a member's does not
        assert "settings" in {c["command"] for c in state["commands"]}
        async with http.get(url + "/api/state?chat=group&as=bea&lang=en") as resp:
            assert "settings" not in {c["command"] for c in (await resp.json())["commands"]}
        # the emulator knows the people (getChatAdministrators would name Alex)
        assert {m["user"]["first_name"] for m in emu.members(GROUP_ID)} >= {"Alex", "Bea", "Cy"}

        async with http.post(url + "/api/text", json={"text": "hi", "chat": "group", "as": "mallory"}) as resp:
            assert resp.status == 400
        async with http.post(url + "/api/text", json={"text": "/mood", "chat": "group", "as": "bea",
                                                      "reply_to": 9999}) as resp:
            assert resp.status == 400
        async with http.post(url + "/api/group", json={"bot_admin": "yes"}) as resp:
            assert resp.status == 400
        async with http.post(url + "/api/group", json={"bot_admin": True}) as resp:
            assert (await resp.json())["bot_admin"] is True
        assert any(m["user"]["id"] == emu.bot_user["id"] and m["status"] == "administrator"
                   for m in emu.members(GROUP_ID))
        async with http.post(url + "/api/group", json={"bot_admin": False}) as resp:
            assert (await resp.json())["bot_admin"] is False


async def test_group_mood_reply_caption_settings_and_three_people_stats(playground: Any) -> None:
    url, emu = playground.url, playground.emulator
    async with aiohttp.ClientSession() as http:
        # a plain photo in privacy mode never reaches the bot; Bea's /mood as a reply to it does
        plain = await _post_photo(http, url, photos.jpeg(photos.astronaut_bgr()), "you")
        assert plain["sender"] == {"key": "you", "name": "You"}
        await _say(http, url, "/mood", "bea", reply_to=plain["id"])
        [answer] = await emu.wait_for_bot_messages(GROUP_ID, 1, timeout=90)
        assert answer["photo"] and answer["reply_to_message"]["message_id"] == plain["id"]

        # /mood as a caption (Cy's photo)
        cy_photo = await _post_photo(http, url, photos.jpeg(photos.grace_hopper_bgr()), "cy", caption="/mood")
        second = (await emu.wait_for_bot_messages(GROUP_ID, 2, timeout=90))[1]
        assert second["reply_to_message"]["message_id"] == cy_photo["id"]

        # two people so far: group /stats explains itself instead of drawing a chart
        await _say(http, url, "/stats", "alex")
        third = (await emu.wait_for_bot_messages(GROUP_ID, 3, timeout=30))[2]
        assert "photo" not in third and third["text"] == t("stats_group_needs_people", "en", people=3)

        # /settings: refused for a member, the menu for the admin
        await _say(http, url, "/settings", "bea")
        refusal = (await emu.wait_for_bot_messages(GROUP_ID, 4, timeout=30))[3]
        assert refusal["text"] == t("not_admin", "en")
        await _say(http, url, "/settings", "alex")
        menu = (await emu.wait_for_bot_messages(GROUP_ID, 5, timeout=30))[4]
        assert menu["reply_markup"]["inline_keyboard"]

        # a third person (Bea) is read: now the chat's stats are shown, with a chart
        await _post_photo(http, url, photos.jpeg(photos.astronaut_bgr()), "bea", caption="/mood")
        await emu.wait_for_bot_messages(GROUP_ID, 6, timeout=90)
        await _say(http, url, "/stats", "cy")
        summary, chart = (await emu.wait_for_bot_messages(GROUP_ID, 8, timeout=60))[6:8]
        assert summary["text"] and chart["photo"]

        # /optout for one member
        await _say(http, url, "/optout", "cy")
        done = (await emu.wait_for_bot_messages(GROUP_ID, 9, timeout=30))[8]
        assert done["text"] == t("opted_out", "en")

        # the page's history shows who said what, from everyone's point of view
        async with http.get(url + "/api/state?chat=group") as resp:
            history = (await resp.json())["messages"]
        senders = [m["sender"]["key"] if m["from"] == "user" else "bot" for m in history]
        assert senders[:3] == ["you", "bea", "bot"] and senders.count("bot") == 9
        # by now every later message was answered: the plain photo itself got nothing (only Bea's /mood)
        assert [(m.get("reply_to_message") or {}).get("message_id")
                for m in emu.bot_messages(GROUP_ID)].count(plain["id"]) == 1
        # the private chat is untouched
        async with http.get(url + "/api/state") as resp:
            assert (await resp.json())["messages"] == []
