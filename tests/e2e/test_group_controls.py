"""Group admin controls end to end (real bot, emulator over HTTP, real model): an admin (Bob), two members
(Carl, Dana). Who may ask, quiet hours, auto-delete (with and without the "Delete messages" right), forum topics,
and the settings surviving a restart of the bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from advice import text as t
from bot.autodelete import JOB_NAME
from bot.emulator import Chat, User
from tests import photos
from tests.e2e.conftest import BOB, CARL, E2E, GROUP, Harness, eventually

pytestmark = E2E
DANA = User(id=4004, first_name="Dana", language_code="en")


def _buttons(message: dict[str, Any]) -> list[str]:
    return [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def _press(h: Harness, chat: Chat, user: User, menu: dict[str, Any], data: str,
                 edits: bool = True) -> dict[str, Any]:
    """Press a button of the menu as it is now; wait for the answer to the press (and the menu's edit)."""
    [current] = [m for m in h.emu.bot_messages(chat.id) if m["message_id"] == menu["message_id"]]
    assert data in _buttons(current), (data, _buttons(current))
    answers, edited = len(h.emu.calls("answerCallbackQuery")), len(h.emu.calls("editMessageText"))
    h.emu.user_presses_button(chat, user, menu["message_id"], data)
    answer = (await h.emu.wait_for_calls("answerCallbackQuery", answers + 1))[answers]
    if edits:
        await h.emu.wait_for_calls("editMessageText", edited + 1)
    return answer


def _menu_text(h: Harness, chat: Chat, menu: dict[str, Any]) -> str:
    return next(m["text"] for m in h.emu.bot_messages(chat.id) if m["message_id"] == menu["message_id"])


async def _admin_menu(h: Harness, chat: Chat, thread: int | None = None) -> dict[str, Any]:
    """Bob opens /settings and its admin controls page; returns the menu message."""
    count = len(h.emu.bot_messages(chat.id))
    h.emu.user_sends_text(chat, BOB, "/settings", message_thread_id=thread)
    menu = (await h.emu.wait_for_bot_messages(chat.id, count + 1, timeout=30))[count]
    await _press(h, chat, BOB, menu, "grp:menu:")
    return menu


async def _bot_messages(h: Harness, chat: Chat, count: int) -> list[dict[str, Any]]:
    return await h.emu.wait_for_bot_messages(chat.id, count, timeout=90)


async def test_who_may_ask_and_quiet_hours(harness: Harness) -> None:
    h, emu = harness, harness.emu
    for user, status in ((BOB, "administrator"), (CARL, "member"), (DANA, "member")):
        emu.add_member(GROUP, user, status=status)
    menu = await _admin_menu(h, GROUP)

    # a member presses an admin button: refused, nothing stored
    answer = await _press(h, GROUP, CARL, menu, "grp:ask:admins", edits=False)
    assert answer["text"] == t("not_admin", "en") and answer["show_alert"] is True
    assert (await h.storage.get_chat_settings(GROUP.id)).ask == "everyone"

    await _press(h, GROUP, BOB, menu, "grp:ask:admins")
    assert (await h.storage.get_chat_settings(GROUP.id)).ask == "admins"
    assert t("admin_who_admins", "en") in _menu_text(h, GROUP, menu)  # the menu shows it

    photo = emu.user_sends_photo(GROUP, DANA, photos.jpeg(photos.astronaut_bgr()))
    emu.user_sends_text(GROUP, CARL, "/mood", reply_to_message_id=photo["message_id"])
    refusal = (await _bot_messages(h, GROUP, 2))[1]
    assert refusal["text"] == t("admins_only_request", "en")
    emu.user_sends_text(GROUP, BOB, "/mood", reply_to_message_id=photo["message_id"])
    answer_photo = (await _bot_messages(h, GROUP, 3))[2]
    assert answer_photo["photo"] and answer_photo["reply_to_message"]["message_id"] == photo["message_id"]

    # quiet hours (22:00-07:00 UTC by default), then moved so that now is inside them
    await _press(h, GROUP, BOB, menu, "grp:ask:everyone")
    await _press(h, GROUP, BOB, menu, "grp:quiet:1")
    settings = await h.storage.get_chat_settings(GROUP.id)
    assert (settings.quiet_start, settings.quiet_end, settings.time_zone) == (22, 7, "UTC")
    hour = datetime.now(UTC).hour
    if hour == 7:
        await _press(h, GROUP, BOB, menu, "grp:qe:+1")
    elif 7 < hour < 22:
        for _ in range(22 - hour):
            await _press(h, GROUP, BOB, menu, "grp:qs:-1")
    settings = await h.storage.get_chat_settings(GROUP.id)
    assert settings.quiet_start is not None and settings.quiet_end is not None
    assert t("admin_quiet_hours", "en", start=f"{settings.quiet_start:02d}:00", end=f"{settings.quiet_end:02d}:00",
             zone="UTC") in _menu_text(h, GROUP, menu)
    emu.user_sends_text(GROUP, CARL, "/mood", reply_to_message_id=photo["message_id"])
    quiet = (await _bot_messages(h, GROUP, 4))[3]
    assert quiet["text"] == t("quiet_hours_now", "en", until=f"{settings.quiet_end:02d}:00")

    # a time zone from the list and the offset stepper
    await _press(h, GROUP, BOB, menu, "grp:zones:")
    await _press(h, GROUP, BOB, menu, "grp:tz:2")
    assert (await h.storage.get_chat_settings(GROUP.id)).time_zone == "Europe/Berlin"
    await _press(h, GROUP, BOB, menu, "grp:menu:")
    await _press(h, GROUP, BOB, menu, "grp:quiet:0")
    assert (await h.storage.get_chat_settings(GROUP.id)).quiet_start is None
    emu.user_sends_text(GROUP, CARL, "/mood", reply_to_message_id=photo["message_id"])
    assert "photo" in (await _bot_messages(h, GROUP, 5))[4]


async def test_auto_delete_needs_the_right_then_deletes(harness: Harness) -> None:
    h, emu = harness, harness.emu
    emu.add_member(GROUP, BOB, status="administrator")
    menu = await _admin_menu(h, GROUP)

    # Shelly is an ordinary member: she explains and does not switch it on
    answer = await _press(h, GROUP, BOB, menu, "grp:del:5", edits=False)
    assert answer["show_alert"] is True and answer["text"] == t("admin_autodelete_needs_right", "en")
    assert (await h.storage.get_chat_settings(GROUP.id)).auto_delete_min == 0

    emu.set_member_status(GROUP.id, emu.bot_user["id"], "administrator")  # now with "Delete messages"
    await _press(h, GROUP, BOB, menu, "grp:del:5")
    assert (await h.storage.get_chat_settings(GROUP.id)).auto_delete_min == 5

    emu.user_sends_photo(GROUP, CARL, photos.jpeg(photos.astronaut_bgr()), caption="/mood")
    answer_photo = (await _bot_messages(h, GROUP, 2))[1]
    assert h.app.job_queue is not None

    def scheduled() -> list[Any]:
        return [j for j in h.app.job_queue.jobs()
                if j.name == JOB_NAME and j.data == (GROUP.id, answer_photo["message_id"])]

    async def jobs() -> list[Any]:
        return scheduled()

    [job] = await eventually(jobs, bool)
    due = job.next_t - datetime.now(UTC)
    assert timedelta(minutes=4) < due <= timedelta(minutes=5)
    await job.run(h.app)  # the deletion, now instead of in five minutes
    await h.emu.wait_for_calls("deleteMessage", 1)
    assert answer_photo["message_id"] not in [m["message_id"] for m in emu.bot_messages(GROUP.id)]

    await _press(h, GROUP, BOB, menu, "grp:del:0")
    assert (await h.storage.get_chat_settings(GROUP.id)).auto_delete_min == 0


async def test_forum_only_this_topic_and_restart(harness_factory: Any) -> None:
    h: Harness = await harness_factory()
    emu = h.emu
    forum = Chat(id=-100888, type="supergroup", title="Topics", is_forum=True)
    emu.add_member(forum, BOB, status="administrator")
    menu = await _admin_menu(h, forum, thread=77)
    assert menu["message_thread_id"] == 77
    await _press(h, forum, BOB, menu, "grp:topic:only")
    assert (await h.storage.get_chat_settings(forum.id)).topics == (77,)

    elsewhere = emu.user_sends_photo(forum, CARL, photos.jpeg(photos.astronaut_bgr()), message_thread_id=55)
    emu.user_sends_text(forum, DANA, "/mood", reply_to_message_id=elsewhere["message_id"], message_thread_id=55)
    here = emu.user_sends_photo(forum, CARL, photos.jpeg(photos.astronaut_bgr()), caption="/mood",
                                message_thread_id=77)
    answer = (await _bot_messages(h, forum, 2))[1]
    assert answer["reply_to_message"]["message_id"] == here["message_id"] and answer["message_thread_id"] == 77

    # a restarted bot (new application and storage on the same database) keeps the admins' choices
    restarted: Harness = await harness_factory(polling=False)
    assert (await restarted.storage.get_chat_settings(forum.id)).topics == (77,)
    assert [m.get("message_thread_id") for m in emu.bot_messages(forum.id)] == [77, 77]
