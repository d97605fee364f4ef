"""The weekly pulse's timing and words: due from the configured weekday and hour in the chat's time zone until
the ISO week ends; the caption counts faces and people and names nobody."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.pulse import is_due, iso_week, pulse_caption
from bot.storage import ChatSettings, MoodSummary

SUNDAY_6PM = {"weekday": 6, "hour": 18}


def test_due_from_sunday_evening_in_the_chats_time_zone() -> None:
    berlin, tokyo = ChatSettings(time_zone="Europe/Berlin"), ChatSettings(time_zone="Asia/Tokyo")
    saturday = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    sunday_16_utc = datetime(2026, 11, 29, 16, 30, tzinfo=UTC)  # 17:30 in Berlin, 01:30 Monday in Tokyo
    sunday_17_utc = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # 18:00 in Berlin
    assert not is_due(berlin, saturday, **SUNDAY_6PM)
    assert not is_due(berlin, sunday_16_utc, **SUNDAY_6PM)
    assert is_due(berlin, sunday_17_utc, **SUNDAY_6PM)
    assert not is_due(tokyo, sunday_16_utc, **SUNDAY_6PM)  # already Monday there: a new week
    assert iso_week(sunday_17_utc.astimezone(berlin.tz)) == "2026-W48"
    assert iso_week(sunday_16_utc.astimezone(tokyo.tz)) == "2026-W49"


def test_caption_counts_people_and_names_the_top_mood() -> None:
    summary = MoodSummary(counts={"happiness": 5, "neutral": 2}, total=7, contributors=3,
                          trend=[(date(2026, 11, 27), {"happiness": 5, "neutral": 2})])
    assert "7 faces" in pulse_caption(summary, "en") and "3 people" in pulse_caption(summary, "en")
    assert "happy" in pulse_caption(summary, "en")
    assert "3 Personen" in pulse_caption(summary, "de")
