"""The shutdown journal file: round trip, a line cut short by a crash, and appends racing a replay."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest

from bot.storage.journal import Journal, default_journal_path
from bot.storage.types import MoodEvent


def event(n: int) -> MoodEvent:
    return MoodEvent(
        update_key=f"{n:064x}", face_index=n % 3, user_key="a" * 64, chat_key="b" * 64, chat_type="group",
        emotion="sadness", confidence_bucket=n % 10, face_count=3, model_version="v1",
        hour=datetime(2026, 11, 22, n % 24),
    )


def test_round_trip_and_remove(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    assert journal.claim() is None
    assert journal.append([event(1), event(2)]) == 2
    assert journal.append([event(3)]) == 1
    claim = journal.claim()
    assert claim is not None and claim.events == [event(1), event(2), event(3)]
    journal.remove(claim)
    assert not journal.path.exists()


def test_truncated_last_line_is_skipped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    journal.append([event(1), event(2)])
    whole = journal.path.read_bytes()
    journal.path.write_bytes(whole + whole.splitlines()[0][:37])  # a crash in the middle of the third line
    claim = journal.claim()
    assert claim is not None and claim.events == [event(1), event(2)]
    journal.release(claim)
    assert "line 3 unreadable" in caplog.text
    assert journal.path.exists()  # released, not removed


def test_append_during_a_replay_goes_to_a_new_file(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    journal.append([event(1)])
    claim = journal.claim()
    assert claim is not None
    appender = threading.Thread(target=journal.append, args=([event(2)],))
    appender.start()  # waits for the claim's lock (or starts after the removal)
    journal.remove(claim)  # the replayed file goes; a waiting append must not write into it
    appender.join(timeout=10)
    again = journal.claim()
    assert again is not None and again.events == [event(2)]
    journal.release(again)


def test_default_path_is_next_to_the_sqlite_file(tmp_path: Path) -> None:
    assert default_journal_path(f"sqlite+aiosqlite:///{tmp_path}/data/s.db") == tmp_path / "data/shelly-journal.jsonl"
    assert default_journal_path("postgresql://u@h/db") == Path("shelly-journal.jsonl")
    assert default_journal_path("sqlite://") == Path("shelly-journal.jsonl")
