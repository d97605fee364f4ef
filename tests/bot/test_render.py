from __future__ import annotations

from bot.handlers.photos import is_mood_command
from bot.render import CAPTION_LIMIT, MESSAGE_LIMIT, photo_reply, split_message


def test_short_text_is_the_caption() -> None:
    plan = photo_reply("You look happy!", "short")
    assert plan.caption == "You look happy!" and plan.follow_ups == ()


def test_long_text_gets_short_caption_and_follow_ups_within_limits() -> None:
    paragraph = ("word " * 150).strip()
    full = "\n\n".join(f"{i}. {paragraph}" for i in range(1, 12))
    plan = photo_reply(full, "x" * 2000)
    assert len(plan.caption) <= CAPTION_LIMIT
    assert len(plan.follow_ups) >= 2
    assert all(0 < len(chunk) <= MESSAGE_LIMIT for chunk in plan.follow_ups)
    assert "".join(plan.follow_ups).replace("\n", "").replace(" ", "") == full.replace("\n", "").replace(" ", "")


def test_split_message_without_spaces_still_respects_limit() -> None:
    chunks = split_message("a" * 10000)
    assert [len(c) for c in chunks] == [4096, 4096, 1808]


def test_mood_command_detection() -> None:
    assert is_mood_command("/mood", "shelly_bot")
    assert is_mood_command("/mood@Shelly_Bot please", "shelly_bot")
    assert not is_mood_command("/mood@other_bot", "shelly_bot")
    assert not is_mood_command("/moody", "shelly_bot")
    assert not is_mood_command("my /mood", "shelly_bot")
    assert not is_mood_command(None, "shelly_bot")
