"""The group admin controls as pure rules: quiet hours across midnight and time zones, topics, who may ask,
and the admin menu's button logic (bot.handlers.group_controls.apply)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.group_rules import in_quiet_hours, quiet_until, refusal, topic_of
from bot.handlers.group_controls import apply
from bot.storage.types import ChatSettings

NIGHT = ChatSettings(quiet_start=22, quiet_end=7, time_zone="Europe/Berlin")  # UTC+1 in November


@pytest.mark.parametrize(("utc_hour", "quiet"), [(20, False), (21, True), (23, True), (5, True), (6, False)])
def test_quiet_hours_cross_midnight_in_the_chats_time_zone(utc_hour: int, quiet: bool) -> None:
    assert in_quiet_hours(NIGHT, datetime(2026, 11, 23, utc_hour, 30, tzinfo=UTC)) is quiet


def test_quiet_until_is_the_next_end() -> None:
    until = quiet_until(NIGHT, datetime(2026, 11, 23, 23, 0, tzinfo=UTC))  # 00:00 in Berlin
    assert (until.day, until.hour) == (24, 7)
    day = ChatSettings(quiet_start=9, quiet_end=17, time_zone="UTC+3")
    assert in_quiet_hours(day, datetime(2026, 11, 23, 6, 0, tzinfo=UTC))
    assert not in_quiet_hours(day, datetime(2026, 11, 23, 14, 0, tzinfo=UTC))


def test_topic_of_forum_messages() -> None:
    assert topic_of(77, True) == 77
    assert topic_of(None, None) == 0  # General
    assert topic_of(12, False) == 0  # a reply thread outside forums, not a topic


def test_refusals_in_order() -> None:
    noon = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    night = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    rules = ChatSettings(ask="admins", quiet_start=22, quiet_end=7, topics=(5,))
    member = {"asker_is_admin": False}
    assert refusal(rules, explicit=True, topic=6, now=noon, **member).reason == "other_topic"  # type: ignore[union-attr]
    quiet = refusal(rules, explicit=True, topic=5, now=night, **member)
    assert quiet is not None and quiet.message_key == "quiet_hours_now" and quiet.fmt == {"until": "07:00"}
    silent = refusal(rules, explicit=False, topic=5, now=night, **member)
    assert silent is not None and silent.message_key is None
    admins = refusal(rules, explicit=True, topic=5, now=noon, **member)
    assert admins is not None and admins.message_key == "admins_only_request"
    assert refusal(rules, explicit=True, topic=5, now=noon, asker_is_admin=True) is None
    assert refusal(rules, explicit=False, topic=5, now=noon, **member) is None  # every-photo mode: read
    assert refusal(ChatSettings(), explicit=True, topic=None, now=night, **member) is None


def test_admin_buttons_change_one_control() -> None:
    cs = ChatSettings()
    on = apply(cs, "quiet", "1", None)
    assert (on.quiet_start, on.quiet_end) == (22, 7)
    assert apply(on, "qs", "+1", None).quiet_start == 23
    assert apply(apply(on, "qe", "-1", None), "qe", "+1", None).quiet_end == 7
    skipped = apply(ChatSettings(quiet_start=8, quiet_end=7), "qs", "-1", None)
    assert skipped.quiet_start == 6  # never an empty span
    assert apply(cs, "tz", "2", None).time_zone == "Europe/Berlin"
    assert apply(cs, "tzoff", "+1", None).time_zone == "UTC+1"
    assert apply(cs, "tzoff", "-1", None).time_zone == "UTC-1"
    only = apply(cs, "topic", "only", 77)
    assert only.topics == (77,)
    assert apply(only, "topic", "also", 5).topics == (5, 77)
    assert apply(apply(only, "topic", "also", 5), "topic", "not", 77).topics == (5,)
    assert apply(only, "topic", "all", 77).topics == ()
    for action, value, topic in (("del", "7", None), ("topic", "only", None), ("ask", "nobody", None),
                                 ("topic", "not", 77), ("qs", "+1", None)):
        with pytest.raises(ValueError):
            apply(only, action, value, topic)
    for result in (only, on):
        result.validate()
