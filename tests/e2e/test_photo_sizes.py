"""Which of Telegram's photo sizes Shelly downloads: the 800 px size first, and the 1280 px size as a second
download only when the first reading found no face or small faces (``bot.handlers.delivery``,
``bot.photo_service``). The emulator makes the sizes as Telegram does (longest side 90/320/800/1280 px) and
records every getFile and file download."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from advice import text as t
from tests import photos
from tests.e2e.conftest import ANN, E2E, PRIVATE, Harness, eventually

pytestmark = E2E


def size_ids(sent: dict[str, Any]) -> dict[int, str]:
    """file_id of each size of the sent photo, by its longer side."""
    return {max(s["width"], s["height"]): s["file_id"] for s in sent["photo"]}


async def faces_counted(h: Harness, n: int) -> int:
    summary = await eventually(lambda: h.storage.user_summary(ANN.id), lambda s: s.total >= n)
    return int(summary.total)


async def test_a_4_3_selfie_is_answered_from_its_800_px_size_with_one_download(harness: Harness) -> None:
    emu = harness.emu
    selfie = np.full((960, 1280, 3), 170, np.uint8)
    selfie[:, 160:1120] = cv2.resize(photos.astronaut_bgr(), (960, 960), interpolation=cv2.INTER_CUBIC)
    sent = emu.user_sends_photo(PRIVATE, ANN, photos.jpeg(selfie))
    [answer] = await emu.wait_for_bot_messages(PRIVATE.id, 1, timeout=60)
    assert "photo" in answer and "happ" in answer["caption"].lower()
    ids = size_ids(sent)
    assert sorted(ids) == [90, 320, 800, 1280]
    # the face is ~100 px wide in the 800×600 size: plenty for the classifier, so 1280×960 is never fetched
    assert [c["file_id"] for c in emu.calls("getFile")] == [ids[800]]
    assert len(emu.calls("file")) == 1
    assert await faces_counted(harness, 1) == 1


async def test_small_faces_are_read_again_from_the_1280_px_size_and_all_found(harness: Harness) -> None:
    emu = harness.emu
    # 4 faces ~20 px wide in 1280×720; in the 800×450 size the detector finds only some of them, all small
    sent = emu.user_sends_photo(PRIVATE, ANN, photos.jpeg(photos.small_faces_photo(20)))
    [answer] = await emu.wait_for_bot_messages(PRIVATE.id, 1, timeout=60)
    ids = size_ids(sent)
    assert [c["file_id"] for c in emu.calls("getFile")] == [ids[800], ids[1280]]
    assert len(emu.calls("file")) == 2
    assert await faces_counted(harness, 4) == 4  # counted once the whole answer was sent
    assert "photo" in answer
    text = answer["caption"] + "\n" + "\n".join(m.get("text", "") for m in emu.bot_messages(PRIVATE.id)[1:])
    assert all(f"{n}. " in text for n in (1, 2, 3, 4)), text


async def test_a_photo_without_a_face_is_read_again_from_the_1280_px_size(harness: Harness) -> None:
    emu = harness.emu
    coffee = cv2.resize(photos.coffee_bgr(), (1280, 960), interpolation=cv2.INTER_CUBIC)
    sent = emu.user_sends_photo(PRIVATE, ANN, photos.jpeg(coffee))
    [answer] = await emu.wait_for_bot_messages(PRIVATE.id, 1, timeout=60)
    assert answer["text"] == t("no_face", "en")
    ids = size_ids(sent)
    assert [c["file_id"] for c in emu.calls("getFile")] == [ids[800], ids[1280]]
    assert len(emu.calls("file")) == 2


async def test_an_image_document_has_one_size_and_is_downloaded_once(harness: Harness) -> None:
    emu = harness.emu
    coffee = cv2.resize(photos.coffee_bgr(), (1280, 960), interpolation=cv2.INTER_CUBIC)
    emu.user_sends_document(PRIVATE, ANN, photos.encode(coffee, ".png"), "coffee.png", "image/png")
    [answer] = await emu.wait_for_bot_messages(PRIVATE.id, 1, timeout=60)
    assert answer["text"] == t("no_face", "en")  # no face, yet no second download: there is no other size
    assert len(emu.calls("getFile")) == len(emu.calls("file")) == 1
