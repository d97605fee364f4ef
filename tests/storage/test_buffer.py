"""The bounded write-behind buffer on its own."""

from __future__ import annotations

from datetime import datetime

from bot.storage.buffer import WriteBuffer
from bot.storage.types import MoodEvent


def event(n: int, user: str = "u") -> MoodEvent:
    return MoodEvent(f"{n}", 0, user, "c", "group", "happiness", 5, 1, "v", datetime(2026, 1, 1))


def test_drop_oldest_when_full() -> None:
    buffer = WriteBuffer(3)
    assert [buffer.put(event(n)) for n in range(5)] == [0, 0, 0, 1, 1]
    assert (len(buffer), buffer.dropped) == (3, 2)
    assert [e.update_key for e in buffer.take(10)] == ["2", "3", "4"]


def test_failed_batch_goes_back_in_front_and_respects_capacity() -> None:
    buffer = WriteBuffer(4)
    for n in range(4):
        buffer.put(event(n))
    batch = buffer.take(2)
    assert len(buffer) == 4  # in flight still counts as pending
    buffer.put(event(4))  # full: drops the oldest *waiting* event (2)
    assert buffer.failed() == 0
    assert [e.update_key for e in buffer.take(10)] == [b.update_key for b in batch] + ["3", "4"]
    buffer.done()
    assert len(buffer) == 0


def test_remove_and_match_by_user() -> None:
    buffer = WriteBuffer(10)
    for n in range(4):
        buffer.put(event(n, user="a" if n % 2 else "b"))
    assert [e.update_key for e in buffer.matching(lambda e: e.user_key == "a")] == ["1", "3"]
    assert buffer.remove_if(lambda e: e.user_key == "a") == 2
    assert len(buffer) == 2
