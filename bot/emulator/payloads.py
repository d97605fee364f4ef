"""What the emulator sends: Bot API objects built with python-telegram-bot's own classes (``to_json``),
so the shapes are exactly the ones PTB parses, plus the simulated user's ``Chat`` and ``User``."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

import telegram
from telegram.constants import ChatMemberStatus

PHOTO_SIDES = (90, 320, 800, 1280)  # Telegram's s/m/x/y photo sizes
ANONYMOUS_ADMIN_BOT_ID = 1087968824  # "GroupAnonymousBot": the sender of an anonymous admin's message
# PTB writes these service flags as ``false`` on every message; Telegram leaves them out
_FALSE_FLAGS = ("channel_chat_created", "delete_chat_photo", "group_chat_created", "supergroup_chat_created")


def payload(obj: telegram.TelegramObject) -> dict[str, Any]:
    """The JSON object Telegram would send for ``obj`` (plain types, no PTB enums)."""
    data: dict[str, Any] = json.loads(obj.to_json())
    for flag in _FALSE_FLAGS:
        if data.get(flag) is False:
            del data[flag]
    return data


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Chat:
    id: int
    type: str  # "private" | "group" | "supergroup" | "channel"
    title: str | None = None
    is_forum: bool = False

    def to_telegram(self) -> telegram.Chat:
        title = None if self.type == "private" else (self.title or f"Chat {self.id}")
        return telegram.Chat(self.id, self.type, title=title, is_forum=True if self.is_forum else None)

    def to_dict(self) -> dict[str, Any]:
        return payload(self.to_telegram())


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "en"

    def to_telegram(self) -> telegram.User:
        return telegram.User(self.id, self.first_name, is_bot=False, username=self.username,
                             language_code=self.language_code)

    def to_dict(self) -> dict[str, Any]:
        return payload(self.to_telegram())


def anonymous_admin() -> telegram.User:
    return telegram.User(ANONYMOUS_ADMIN_BOT_ID, "Group", is_bot=True, username="GroupAnonymousBot")


def command_entities(text: str | None) -> list[telegram.MessageEntity] | None:
    """A ``bot_command`` entity when the text starts with ``/`` (what Telegram's clients mark up)."""
    if not text or not text.startswith("/"):
        return None
    return [telegram.MessageEntity(telegram.MessageEntity.BOT_COMMAND, 0, len(text.split()[0]))]


def photo_sizes(data: bytes) -> list[tuple[int, int, bytes]]:
    """(width, height, JPEG bytes) for each size, smallest first, like Telegram's photo sizes."""
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as opened:
            image: Image.Image = ImageOps.exif_transpose(opened).convert("RGB")
            w, h = image.size
            out: list[tuple[int, int, bytes]] = []
            for side in PHOTO_SIDES:
                resized = image
                if max(w, h) > side:
                    scale = side / max(w, h)
                    resized = image.resize((max(1, round(w * scale)), max(1, round(h * scale))),
                                           Image.Resampling.LANCZOS)
                buf = io.BytesIO()
                resized.save(buf, "JPEG", quality=87)
                out.append((resized.size[0], resized.size[1], buf.getvalue()))
                if max(w, h) <= side:
                    break
            return out
    except Exception:  # not decodable: keep the raw bytes as the only size (Telegram would refuse it)
        return [(1000, 1000, data)]


_RESTRICTED_RIGHTS = (
    "is_member", "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
    "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_send_polls",
    "can_send_other_messages", "can_add_web_page_previews", "can_change_info", "can_invite_users",
    "can_pin_messages", "can_manage_topics", "can_edit_tag", "can_react_to_messages",
)
_EPOCH = dt.datetime.fromtimestamp(0, dt.UTC)


def chat_member(user: telegram.User, status: str) -> dict[str, Any]:
    """A ChatMember object of the given status (administrators get the usual rights)."""
    member: telegram.ChatMember
    if status == ChatMemberStatus.OWNER:
        member = telegram.ChatMemberOwner(user, is_anonymous=False)
    elif status == ChatMemberStatus.ADMINISTRATOR:
        member = telegram.ChatMemberAdministrator(
            user, can_be_edited=False, is_anonymous=False, can_manage_chat=True, can_delete_messages=True,
            can_manage_video_chats=True, can_restrict_members=True, can_promote_members=False,
            can_change_info=True, can_invite_users=True, can_post_stories=False, can_edit_stories=False,
            can_delete_stories=False)
    elif status == ChatMemberStatus.RESTRICTED:
        rights: dict[str, Any] = dict.fromkeys(_RESTRICTED_RIGHTS, True)
        member = telegram.ChatMemberRestricted(user, until_date=_EPOCH, **rights)
    elif status == ChatMemberStatus.BANNED:
        member = telegram.ChatMemberBanned(user, until_date=_EPOCH)
    elif status == ChatMemberStatus.LEFT:
        member = telegram.ChatMemberLeft(user)
    else:
        member = telegram.ChatMemberMember(user)
    return payload(member)
