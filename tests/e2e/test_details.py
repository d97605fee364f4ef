"""The per-face "details" button over real HTTP: the real Application, the real pipeline, the emulator.

The photo flow puts the button under every annotated picture (``details:`` = "this message"); the other tests
attach it explicitly with ``attach_details`` to exercise the store's edge cases, then press it as a user would.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from advice import text as t
from bot.emulator import Chat, User
from bot.face_details import MAX_HEIGHT_PX, FaceDetailsStore
from bot.handlers.details import STORE_KEY, attach_details, details_keyboard, remember_details
from bot.storage.types import ChatSettings
from inference.types import Face
from tests import photos
from tests.bar_chart import bar_groups, decode
from tests.clock import Clock
from tests.e2e.conftest import ANN, BOB, E2E, PRIVATE, Harness

pytestmark = E2E
JPEG_TOLERANCE = 30



async def _reply_and_faces(harness: Harness, chat: Chat, user: User, jpeg: bytes, **kwargs: Any) -> tuple[
        dict[str, Any], tuple[Face, ...]]:
    """Send ``jpeg``; the bot's photo reply, and the faces the real pipeline finds in the same photo."""
    harness.emu.user_sends_photo(chat, user, jpeg, **kwargs)
    answer = (await harness.emu.wait_for_bot_messages(chat.id, 1, timeout=60))[0]
    assert "photo" in answer, answer
    analysis = await harness.deps.pool.analyze(jpeg, annotate=False)
    return answer, analysis.faces


async def _say_hello(harness: Harness) -> None:
    harness.emu.user_sends_text(PRIVATE, ANN, "/privacy")
    await harness.emu.wait_for_bot_messages(PRIVATE.id, 1, timeout=30)


def _button(harness: Harness, chat: Chat, message_id: int) -> tuple[str, str]:
    message = next(m for m in harness.emu.bot_messages(chat.id) if m["message_id"] == message_id)
    [[button]] = message["reply_markup"]["inline_keyboard"]
    return button["text"], button["callback_data"]


async def test_the_photo_flow_puts_a_working_details_button_under_the_picture(harness: Harness) -> None:
    emu = harness.emu
    emu.user_sends_photo(PRIVATE, ANN, photos.jpeg(photos.group_photo()))
    answer = (await emu.wait_for_bot_messages(PRIVATE.id, 1, timeout=60))[0]
    assert "photo" in answer, answer
    label, data = _button(harness, PRIVATE, answer["message_id"])
    assert label == t("details_button", "en") and data == "details:"
    before = len(emu.bot_messages(PRIVATE.id))
    emu.user_presses_button(PRIVATE, ANN, answer["message_id"], data)
    chart = (await emu.wait_for_bot_messages(PRIVATE.id, before + 1, timeout=60))[before]
    assert "photo" in chart and chart["reply_to_message"]["message_id"] == answer["message_id"]
    assert bar_groups(decode(emu.file_bytes(chart["photo"][-1]["file_id"]), "JPEG"), JPEG_TOLERANCE) == [3, 3, 3]


async def test_details_button_sends_one_chart_with_a_bar_group_per_face(harness: Harness) -> None:
    emu = harness.emu
    answer, faces = await _reply_and_faces(harness, PRIVATE, ANN, photos.jpeg(photos.group_photo()))
    assert len(faces) == 3
    before = len(emu.bot_messages(PRIVATE.id))

    assert await attach_details(harness.app, PRIVATE.id, answer["message_id"], faces, "en")
    label, data = _button(harness, PRIVATE, answer["message_id"])
    assert label == t("details_button", "en") and data == f"details:{answer['message_id']}"

    cq = emu.user_presses_button(PRIVATE, ANN, answer["message_id"], data)
    [answered] = await emu.wait_for_calls("answerCallbackQuery", 1, timeout=30)
    assert answered["callback_query_id"] == cq["id"] and not answered.get("text")
    chart = (await emu.wait_for_bot_messages(PRIVATE.id, before + 1, timeout=60))[before]
    assert "photo" in chart and chart["reply_to_message"]["message_id"] == answer["message_id"]
    pixels = decode(emu.file_bytes(chart["photo"][-1]["file_id"]), "JPEG")  # Telegram recompresses photos
    height, width = pixels.shape[:2]
    assert width <= 1280 and height <= MAX_HEIGHT_PX
    assert bar_groups(pixels, JPEG_TOLERANCE) == [3, 3, 3]  # one group of three bars per face


async def test_expired_details_get_a_kind_answer_and_no_picture(harness: Harness) -> None:
    emu = harness.emu
    clock = Clock(0.0)
    harness.app.bot_data[STORE_KEY] = FaceDetailsStore(timer=clock)
    answer, faces = await _reply_and_faces(harness, PRIVATE, ANN, photos.jpeg(photos.astronaut_bgr()))
    assert await attach_details(harness.app, PRIVATE.id, answer["message_id"], faces, "en")
    _, data = _button(harness, PRIVATE, answer["message_id"])
    before = len(emu.bot_messages(PRIVATE.id))

    clock.now = 24 * 3600 + 1  # a day later
    cq = emu.user_presses_button(PRIVATE, ANN, answer["message_id"], data)
    [answered] = await emu.wait_for_calls("answerCallbackQuery", 1, timeout=30)
    assert answered["callback_query_id"] == cq["id"]
    assert answered["text"] == t("details_expired", "en")
    # answering is the last thing the handler does on this path: nothing else was sent
    assert len(emu.bot_messages(PRIVATE.id)) == before and len(emu.calls("sendPhoto")) == 1


async def test_details_after_a_restart_are_gone_kindly_in_the_chats_language(harness: Harness) -> None:
    emu = harness.emu
    german = User(id=4004, first_name="Dora", language_code="de")
    chat = Chat(id=4004, type="private")
    answer, faces = await _reply_and_faces(harness, chat, german, photos.jpeg(photos.astronaut_bgr()))
    assert await attach_details(harness.app, chat.id, answer["message_id"], faces, "de")
    harness.app.bot_data.pop(STORE_KEY)  # what a restart leaves: the button, without the details
    emu.user_presses_button(chat, german, answer["message_id"], _button(harness, chat, answer["message_id"])[1])
    [answered] = await emu.wait_for_calls("answerCallbackQuery", 1, timeout=30)
    assert answered["text"] == t("details_expired", "de") != t("details_expired", "en")


async def test_details_in_a_forum_topic_reply_there_in_the_chats_language(harness: Harness) -> None:
    emu = harness.emu
    forum = Chat(id=-100778, type="supergroup", title="Themen", is_forum=True)
    await harness.storage.save_chat_settings(forum.id, ChatSettings(mode="every_photo", language="de"))
    answer, faces = await _reply_and_faces(harness, forum, BOB, photos.jpeg(photos.group_photo()),
                                           message_thread_id=77)
    assert answer["message_thread_id"] == 77
    before = len(emu.bot_messages(forum.id))
    assert await attach_details(harness.app, forum.id, answer["message_id"], faces, "de")
    label, data = _button(harness, forum, answer["message_id"])
    assert label == t("details_button", "de")

    emu.user_presses_button(forum, BOB, answer["message_id"], data)
    chart = (await emu.wait_for_bot_messages(forum.id, before + 1, timeout=60))[before]
    assert chart["reply_to_message"]["message_id"] == answer["message_id"]
    assert chart["message_thread_id"] == 77
    pixels = decode(emu.file_bytes(chart["photo"][-1]["file_id"]), "JPEG")
    assert bar_groups(pixels, JPEG_TOLERANCE) == [3] * len(faces)


async def test_attaching_nothing_or_to_a_vanished_reply_never_raises(harness: Harness) -> None:
    answer, faces = await _reply_and_faces(harness, PRIVATE, ANN, photos.jpeg(photos.astronaut_bgr()))
    assert not await attach_details(harness.app, PRIVATE.id, answer["message_id"], [], "en")
    assert harness.emu.bot_messages(PRIVATE.id)[0].get("reply_markup") == answer.get("reply_markup")  # untouched
    assert not harness.emu.calls("editMessageReplyMarkup")
    await harness.app.bot.delete_message(PRIVATE.id, answer["message_id"])
    assert not await attach_details(harness.app, PRIVATE.id, answer["message_id"], faces, "en")


async def test_the_button_can_sit_on_a_later_message_and_still_shows_the_photo_replys_faces(
        harness: Harness) -> None:
    emu = harness.emu
    answer, faces = await _reply_and_faces(harness, PRIVATE, ANN, photos.jpeg(photos.group_photo()))
    emu.user_sends_text(PRIVATE, ANN, "/help")
    later = (await emu.wait_for_bot_messages(PRIVATE.id, len(emu.bot_messages(PRIVATE.id)) + 1, timeout=30))[-1]
    assert await attach_details(harness.app, PRIVATE.id, answer["message_id"], faces, "en",
                                button_message_id=later["message_id"])
    _, data = _button(harness, PRIVATE, later["message_id"])
    assert data == f"details:{answer['message_id']}"
    before = len(emu.bot_messages(PRIVATE.id))
    emu.user_presses_button(PRIVATE, ANN, later["message_id"], data)
    chart = (await emu.wait_for_bot_messages(PRIVATE.id, before + 1, timeout=60))[before]
    assert chart["reply_to_message"]["message_id"] == answer["message_id"]
    pixels = decode(emu.file_bytes(chart["photo"][-1]["file_id"]), "JPEG")
    assert bar_groups(pixels, JPEG_TOLERANCE) == [3] * len(faces)


async def test_button_sent_with_the_reply_needs_no_edit_and_no_message_id(harness: Harness) -> None:
    """Wiring (a): the photo flow sends the keyboard with the reply, then remembers the faces."""
    emu = harness.emu
    await _say_hello(harness)  # the emulator, like Telegram, knows a chat once the user wrote in it
    jpeg = photos.jpeg(photos.group_photo())
    analysis = await harness.deps.pool.analyze(jpeg, annotate=True)
    assert analysis.annotated_jpeg is not None
    sent = await harness.app.bot.send_photo(PRIVATE.id, analysis.annotated_jpeg,
                                            reply_markup=details_keyboard(None, "en"))
    remember_details(harness.app, PRIVATE.id, sent.message_id, analysis.faces)
    label, data = _button(harness, PRIVATE, sent.message_id)
    assert (label, data) == (t("details_button", "en"), "details:")

    emu.user_presses_button(PRIVATE, ANN, sent.message_id, data)
    chart = (await emu.wait_for_bot_messages(PRIVATE.id, 3, timeout=60))[2]
    assert chart["reply_to_message"]["message_id"] == sent.message_id
    pixels = decode(emu.file_bytes(chart["photo"][-1]["file_id"]), "JPEG")
    assert bar_groups(pixels, JPEG_TOLERANCE) == [3] * len(analysis.faces)
    assert emu.calls("editMessageReplyMarkup") == []


async def test_foreign_callback_data_is_answered_and_ignored(harness: Harness) -> None:
    emu = harness.emu
    await _say_hello(harness)
    sent = await harness.app.bot.send_message(PRIVATE.id, "hello", reply_markup=details_keyboard(None, "en"))
    emu.user_presses_button(PRIVATE, ANN, sent.message_id, "details:²")
    [answered] = await emu.wait_for_calls("answerCallbackQuery", 1, timeout=30)
    assert not answered.get("text") and len(emu.bot_messages(PRIVATE.id)) == 2


async def test_a_crowd_gets_its_details_in_pictures_of_at_most_sixteen_faces(harness: Harness) -> None:
    emu = harness.emu
    await _say_hello(harness)
    half = cv2.resize(photos.group_photo(), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    crowd = np.vstack([np.hstack([half, half])] * 3)  # 18 faces
    analysis = await harness.deps.pool.analyze(photos.jpeg(crowd), annotate=True)
    assert len(analysis.faces) == 18 and analysis.annotated_jpeg is not None
    sent = await harness.app.bot.send_photo(PRIVATE.id, analysis.annotated_jpeg,
                                            reply_markup=details_keyboard(None, "en"))
    remember_details(harness.app, PRIVATE.id, sent.message_id, analysis.faces)

    emu.user_presses_button(PRIVATE, ANN, sent.message_id, "details:")
    charts = (await emu.wait_for_bot_messages(PRIVATE.id, 4, timeout=90))[2:]
    assert all(c["reply_to_message"]["message_id"] == sent.message_id for c in charts)
    groups = [bar_groups(decode(emu.file_bytes(c["photo"][-1]["file_id"]), "JPEG"), JPEG_TOLERANCE) for c in charts]
    assert groups == [[3] * 8, [3] * 2]  # 16 faces in two columns of 8, then the last 2
