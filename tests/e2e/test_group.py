"""Groups: /mood as a reply and as a caption, chat modes, admin-only /settings, opted-out members, topics."""

from __future__ import annotations

import asyncio

from advice import text as t
from bot.emulator import Chat
from tests import photos
from tests.e2e.conftest import BOB, CARL, E2E, GROUP, Harness, eventually

pytestmark = E2E


async def _wait_quiet(emu, chat_id: int, seconds: float = 1.0) -> list[dict]:
    await asyncio.sleep(seconds)
    return emu.bot_messages(chat_id)


async def test_plain_photo_is_ignored_but_mood_reply_is_answered(harness: Harness) -> None:
    emu = harness.emu
    photo = emu.user_sends_photo(GROUP, BOB, photos.jpeg(photos.astronaut_bgr()))
    assert await _wait_quiet(emu, GROUP.id, 0.7) == []  # on_request is the default mode
    emu.user_sends_text(GROUP, CARL, "/mood@shelly_test_bot", reply_to_message_id=photo["message_id"])
    [answer] = await emu.wait_for_bot_messages(GROUP.id, 1, timeout=60)
    assert "photo" in answer
    assert answer["reply_to_message"]["message_id"] == photo["message_id"]
    # the photo's author (Bob) is the one counted
    summary = await eventually(lambda: harness.storage.user_summary(BOB.id), lambda s: s.total > 0)
    assert summary.total == 1
    assert (await harness.storage.user_summary(CARL.id)).total == 0


async def test_photo_captioned_mood_in_a_forum_topic(harness: Harness) -> None:
    emu = harness.emu
    forum = Chat(id=-100777, type="supergroup", title="Topics", is_forum=True)
    sent = emu.user_sends_photo(forum, BOB, photos.jpeg(photos.group_photo()), caption="/mood")
    emu.user_sends_photo(forum, CARL, photos.jpeg(photos.astronaut_bgr()), caption="/mood@other_bot")
    # message_thread_id set on the user's message: the reply goes to the same topic
    topic_msg = emu.user_sends_text(forum, BOB, "/help", message_thread_id=77)
    messages = await emu.wait_for_bot_messages(forum.id, 2, timeout=60)
    await asyncio.sleep(0.5)
    messages = emu.bot_messages(forum.id)
    assert len(messages) == 2, [m.get("text") or m.get("caption") for m in messages]
    photo_answer = next(m for m in messages if "photo" in m)
    assert photo_answer["reply_to_message"]["message_id"] == sent["message_id"]
    assert "1. " in photo_answer["caption"] and "3. " in photo_answer["caption"]
    help_answer = next(m for m in messages if "text" in m)
    assert help_answer["message_thread_id"] == 77
    assert help_answer["reply_to_message"]["message_id"] == topic_msg["message_id"]


async def test_group_stats_explains_the_three_people_rule(harness: Harness) -> None:
    """Below 3 contributors the group is told why there is no chart (k-anonymity), not to send more photos."""
    emu = harness.emu
    emu.user_sends_text(GROUP, BOB, "/stats")
    [answer] = await emu.wait_for_bot_messages(GROUP.id, 1, timeout=30)
    assert answer["text"] == t("stats_group_needs_people", "en", people=3)
    assert "3 people" in answer["text"] and answer["text"] != t("stats_not_enough_data", "en")


async def test_non_admin_settings_refused_admin_switches_to_every_photo(harness: Harness) -> None:
    emu = harness.emu
    emu.user_sends_text(GROUP, CARL, "/settings")
    [refusal] = await emu.wait_for_bot_messages(GROUP.id, 1, timeout=30)
    assert refusal["text"] == t("not_admin", "en")

    emu.set_member_status(GROUP.id, BOB.id, "administrator")
    emu.user_sends_text(GROUP, BOB, "/settings")
    menu = (await emu.wait_for_bot_messages(GROUP.id, 2, timeout=30))[1]
    buttons = [b["callback_data"] for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert "set:mode:every_photo" in buttons and "set:ann:0" in buttons and "set:lang:de" in buttons

    # Carl (not an admin) presses a button: refused with an alert, nothing changes
    emu.user_presses_button(GROUP, CARL, menu["message_id"], "set:mode:off")
    answers = await emu.wait_for_calls("answerCallbackQuery", 1)
    assert answers[0]["text"] == t("not_admin", "en") and answers[0].get("show_alert") is True
    assert (await harness.storage.get_chat_settings(GROUP.id)).mode == "on_request"

    emu.user_presses_button(GROUP, BOB, menu["message_id"], "set:mode:every_photo")
    await emu.wait_for_calls("answerCallbackQuery", 2)
    settings = await eventually(lambda: harness.storage.get_chat_settings(GROUP.id),
                                lambda s: s.mode == "every_photo")
    assert settings.mode == "every_photo"
    await emu.wait_for_calls("editMessageText", 1)  # the menu is edited after the settings are saved
    assert emu.bot_messages(GROUP.id)[1].get("edit_date")

    emu.user_sends_photo(GROUP, CARL, photos.jpeg(photos.astronaut_bgr()))
    messages = await emu.wait_for_bot_messages(GROUP.id, 3, timeout=60)
    assert "photo" in messages[2]

    emu.user_presses_button(GROUP, BOB, menu["message_id"], "set:mode:off")
    await eventually(lambda: harness.storage.get_chat_settings(GROUP.id), lambda s: s.mode == "off")
    photo = emu.user_sends_photo(GROUP, CARL, photos.jpeg(photos.astronaut_bgr()))
    emu.user_sends_text(GROUP, BOB, "/mood", reply_to_message_id=photo["message_id"])
    emu.user_sends_text(GROUP, BOB, "/help")
    messages = await emu.wait_for_bot_messages(GROUP.id, 4, timeout=30)
    await asyncio.sleep(0.5)
    assert [m.get("text") for m in emu.bot_messages(GROUP.id)[3:]] == [t("help", "en")]  # commands still answered


async def test_anonymous_admin_may_open_settings(harness: Harness) -> None:
    emu = harness.emu
    emu.user_sends_text(GROUP, CARL, "/settings", sender_chat=GROUP)
    [menu] = await emu.wait_for_bot_messages(GROUP.id, 1, timeout=30)
    assert "reply_markup" in menu


async def test_mood_on_opted_out_members_photo_is_skipped(harness: Harness) -> None:
    emu = harness.emu
    emu.user_sends_text(GROUP, BOB, "/optout")
    await emu.wait_for_bot_messages(GROUP.id, 1, timeout=30)
    photo = emu.user_sends_photo(GROUP, BOB, photos.jpeg(photos.astronaut_bgr()))
    emu.user_sends_text(GROUP, CARL, "/mood", reply_to_message_id=photo["message_id"])
    emu.user_sends_photo(GROUP, BOB, photos.jpeg(photos.astronaut_bgr()), caption="/mood")
    await asyncio.sleep(1.0)
    assert len(emu.bot_messages(GROUP.id)) == 1
    assert emu.calls("getFile") == [] and emu.calls("sendPhoto") == []
    await harness.storage.flush()
    assert (await harness.storage.user_summary(BOB.id)).total == 0
