"""Fault injection over real HTTP: the Bot API emulator fails, stalls or drops getFile, the file download,
sendPhoto and sendMessage. Every photo gets exactly one answer (the real one after a retry, or a kind
fallback) and its mood events are counted exactly once; what could not be delivered is not counted.
Also: the chat action only for slow answers, and a flood beyond capacity answered "busy"."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from advice import text as t
from bot.emulator import Chat, User
from tests import photos
from tests.e2e.conftest import ANN, E2E, PRIVATE, Harness, eventually

pytestmark = E2E

SELFIE = photos.jpeg(photos.astronaut_bgr())
FAST_RETRIES = dict(telegram_retry_backoff_s=0.05)


def photos_handled(h: Harness) -> float:
    return sum(s.value for m in h.deps.metrics.photos.collect() for s in m.samples if s.name.endswith("_total"))


async def settled(h: Harness, photos_sent: int) -> None:
    """Every photo has reached an outcome and no update is still being handled (so no answer is still on its way)."""
    async def state() -> tuple[float, int, bool]:
        return (photos_handled(h), h.app.update_processor.current_concurrent_updates,
                h.app.update_queue.empty() and not h.emu.pending_updates())

    final = await eventually(state, lambda s: s[0] >= photos_sent and s[1] == 0 and s[2], timeout=120)
    assert final[0] == photos_sent, final


async def counted(h: Harness, user_id: int = ANN.id) -> int:
    await h.storage.flush()
    return (await h.storage.user_summary(user_id)).total


async def one_answer(h: Harness, chat: Chat = PRIVATE) -> dict[str, Any]:
    await h.emu.wait_for_bot_messages(chat.id, 1, timeout=60)
    await settled(h, 1)
    [answer] = h.emu.bot_messages(chat.id)
    return answer


async def test_send_photo_502_is_retried_and_the_photo_arrives_once(harness_factory: Any) -> None:
    h: Harness = await harness_factory(**FAST_RETRIES)
    h.emu.fail_next("sendPhoto", status=502)
    h.emu.user_sends_photo(PRIVATE, ANN, SELFIE)
    answer = await one_answer(h)
    assert "photo" in answer and "happ" in answer["caption"].lower()
    assert len(h.emu.calls("sendPhoto")) == 2
    assert await counted(h) == 1


async def test_send_photo_failing_for_good_falls_back_to_the_text_answer(harness_factory: Any) -> None:
    h: Harness = await harness_factory(**FAST_RETRIES)
    h.emu.fail_next("sendPhoto", status=500, times=3)
    h.emu.user_sends_photo(PRIVATE, ANN, SELFIE)
    answer = await one_answer(h)
    assert "photo" not in answer and "happ" in answer["text"].lower()
    assert len(h.emu.calls("sendPhoto")) == 3
    assert await counted(h) == 1  # the person got the reading: it counts


async def test_429_is_left_to_the_rate_limiter_and_not_retried_twice(harness_factory: Any) -> None:
    h: Harness = await harness_factory(**FAST_RETRIES)
    h.emu.fail_next("sendPhoto", status=429, retry_after=1, times=4)  # AIORateLimiter: 1 try + 3 retries
    h.emu.user_sends_photo(PRIVATE, ANN, SELFIE)
    answer = await one_answer(h)
    assert "photo" not in answer and "happ" in answer["text"].lower()  # then the text answer, at once
    assert len(h.emu.calls("sendPhoto")) == 4
    assert await counted(h) == 1


async def test_send_photo_dropped_connection_is_retried(harness_factory: Any) -> None:
    h: Harness = await harness_factory(**FAST_RETRIES)
    h.emu.drop_next("sendPhoto")
    h.emu.user_sends_photo(PRIVATE, ANN, SELFIE)
    answer = await one_answer(h)
    assert "photo" in answer
    assert len(h.emu.calls("sendPhoto")) == 2
    assert await counted(h) == 1


async def test_get_file_502_is_retried(harness_factory: Any) -> None:
    h: Harness = await harness_factory(**FAST_RETRIES)
    h.emu.fail_next("getFile", status=502)
    h.emu.user_sends_photo(PRIVATE, ANN, SELFIE)
    assert "photo" in await one_answer(h)
    assert len(h.emu.calls("getFile")) == 2
    assert await counted(h) == 1


async def test_get_file_failing_for_good_gets_a_kind_try_again(harness_factory: Any) -> None:
    h: Harness = await harness_factory(**FAST_RETRIES)
    h.emu.fail_next("getFile", status=502, times=3)
    h.emu.user_sends_photo(PRIVATE, ANN, SELFIE)
    answer = await one_answer(h)
    assert answer["text"] == t("download_failed", "en")
    assert await counted(h) == 0


async def test_file_download_502_is_retried(harness_factory: Any) -> None:
    h: Harness = await harness_factory(**FAST_RETRIES)
    h.emu.fail_next("file", status=502)
    h.emu.user_sends_photo(PRIVATE, ANN, SELFIE)
    assert "photo" in await one_answer(h)
    assert len(h.emu.calls("getFile")) == len(h.emu.calls("file")) == 2  # getFile + download tried again
    assert await counted(h) == 1


@pytest.mark.parametrize("fault", ["slow_body", "stall"])
async def test_slow_file_download_is_cut_off_and_retried(harness_factory: Any, fault: str) -> None:
    h: Harness = await harness_factory(file_download_timeout_s=1.0, **FAST_RETRIES)
    # a trickling body (bytes keep coming, so no per-read timeout fires) or no answer at all
    h.emu.slow_body_next("file", seconds=20.0) if fault == "slow_body" else h.emu.stall_next("file", seconds=20.0)
    h.emu.user_sends_photo(PRIVATE, ANN, SELFIE)
    assert "photo" in await one_answer(h)
    assert len(h.emu.calls("file")) == 2
    assert await counted(h) == 1


async def test_file_download_failing_for_good_gets_a_kind_try_again_in_german(harness_factory: Any) -> None:
    h: Harness = await harness_factory(**FAST_RETRIES)
    # for good: the HTTP client itself may retry a GET once on a dropped keep-alive connection (RFC 9112 §9.3.1)
    h.emu.drop_next("file", times=100)
    h.emu.user_sends_photo(PRIVATE, User(id=ANN.id, first_name="Ann", language_code="de"), SELFIE)
    answer = await one_answer(h)
    assert answer["text"] == t("download_failed", "de") != t("download_failed", "en")
    assert len(h.emu.calls("file")) >= 3  # every one of the bot's tries was made
    assert await counted(h) == 0


async def test_send_message_5xx_is_retried(harness_factory: Any) -> None:
    h: Harness = await harness_factory(**FAST_RETRIES)
    h.emu.fail_next("sendMessage", status=503, times=2)
    h.emu.user_sends_photo(PRIVATE, ANN, photos.jpeg(photos.coffee_bgr()))  # no face: a text answer
    answer = await one_answer(h)
    assert answer["text"] == t("no_face", "en")
    assert len(h.emu.calls("sendMessage")) == 3


async def test_nothing_deliverable_is_logged_with_the_update_id_only_and_not_counted(
        harness_factory: Any, caplog: pytest.LogCaptureFixture) -> None:
    h: Harness = await harness_factory(**FAST_RETRIES)
    h.emu.fail_next("sendPhoto", status=502, times=3)
    h.emu.fail_next("sendMessage", status=502, times=3)
    with caplog.at_level(logging.INFO, logger="bot"):
        sent = h.emu.user_sends_photo(PRIVATE, ANN, SELFIE)
        await settled(h, 1)
    assert h.emu.bot_messages(PRIVATE.id) == []
    lost = [r.getMessage() for r in caplog.records if "could not be sent" in r.getMessage()]
    assert lost and all("update " in line for line in lost), lost
    assert not any(str(ANN.id) in r.getMessage() or ANN.first_name in r.getMessage() for r in caplog.records)
    assert sent["message_id"] and await counted(h) == 0


async def test_chat_action_only_when_the_answer_is_slow(harness_factory: Any) -> None:
    h: Harness = await harness_factory()
    h.emu.user_sends_photo(PRIVATE, ANN, SELFIE)
    assert "photo" in await one_answer(h)
    assert h.emu.calls("sendChatAction") == []  # a fast answer spends no request on "sending photo…"

    h.emu.stall_next("getFile", seconds=2.5)  # a slow Telegram download
    h.emu.user_sends_photo(PRIVATE, ANN, SELFIE)
    await h.emu.wait_for_bot_messages(PRIVATE.id, 2, timeout=60)
    await settled(h, 2)
    actions = h.emu.calls("sendChatAction")
    assert [a["action"] for a in actions] == ["upload_photo"]


async def test_flood_of_100_users_each_get_exactly_one_answer_beyond_capacity_busy(harness_factory: Any) -> None:
    h: Harness = await harness_factory(inference_queue_size=4)  # capacity: 1 worker + 4 queued
    assert h.settings.photo_capacity == 5 < h.settings.max_concurrent_updates
    people = [User(id=50_000 + i, first_name=f"P{i}", language_code="de" if i % 2 else "en") for i in range(100)]
    for person in people:
        h.emu.user_sends_photo(Chat(id=person.id, type="private"), person, SELFIE)
    await settled(h, 100)
    answers = {p.id: h.emu.bot_messages(p.id) for p in people}
    assert all(len(a) == 1 for a in answers.values()), {k: len(v) for k, v in answers.items() if len(v) != 1}
    busy = [p for p in people if answers[p.id][0].get("text") == t("busy", p.language_code or "en")]
    read = [p for p in people if "photo" in answers[p.id][0]]
    assert len(busy) + len(read) == 100
    assert len(read) >= 5 and len(busy) >= 50, (len(read), len(busy))
    await h.storage.flush()
    totals = [(await h.storage.user_summary(p.id)).total for p in people]
    assert sum(totals) == len(read) and all(n == 1 for p, n in zip(people, totals, strict=True) if p in read)
