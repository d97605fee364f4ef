"""The playground's pretend chats: the private chat with Shelly and one group with simulated members.

"You" are the same person in both chats. In the group there are also an admin and two other members; the page
switches who is speaking (``as`` = a member key). The group behaves like a fresh Telegram group: BotFather's
privacy mode is on and Shelly is an ordinary member, so she sees commands and replies to her own messages only,
until the page makes her an admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.emulator import BotApiEmulator, Chat, User

USER_ID = 4242  # "you", in the private chat and in the group
GROUP_ID = -1001234567890
GROUP_TITLE = "Shelly's test group"
CHAT_KEYS = ("private", "group")
ADMIN_STATUSES = ("creator", "administrator")


@dataclass(frozen=True)
class Member:
    key: str
    user_id: int
    name: str  # shown on the page; "you" is translated by the page itself
    status: str  # Telegram ChatMember status in the group

    @property
    def admin(self) -> bool:
        return self.status in ADMIN_STATUSES

    def public(self) -> dict[str, Any]:
        return {"key": self.key, "id": self.user_id, "name": self.name, "status": self.status, "admin": self.admin}


MEMBERS = (
    Member("you", USER_ID, "You", "member"),
    Member("alex", 4343, "Alex", "creator"),
    Member("bea", 4444, "Bea", "member"),
    Member("cy", 4545, "Cy", "member"),
)
_BY_KEY = {m.key: m for m in MEMBERS}
_BY_ID = {m.user_id: m for m in MEMBERS}


class PlaygroundChats:
    """Which Telegram chat and user a page request means, and the group's set-up on the emulator."""

    def __init__(self, default_language: str) -> None:
        self.default_language = default_language

    def install(self, emu: BotApiEmulator) -> None:
        """Create the group with its members and turn privacy mode on (Telegram's default for bots)."""
        emu.set_privacy_mode(True)
        group = self.chat("group")
        for member in MEMBERS:
            emu.add_member(group, self.user(member.key, self.default_language), status=member.status)

    @staticmethod
    def chat_key(value: Any) -> str:
        return value if value in CHAT_KEYS else "private"

    @staticmethod
    def chat_id(key: str) -> int:
        return GROUP_ID if key == "group" else USER_ID

    def chat(self, key: str) -> Chat:
        from bot.emulator import Chat

        if key == "group":
            return Chat(id=GROUP_ID, type="supergroup", title=GROUP_TITLE)
        return Chat(id=USER_ID, type="private")

    @staticmethod
    def member(key: Any, chat_key: str) -> Member:
        """The speaker: any member in the group; always "you" in the private chat. Unknown keys: 400 upstream."""
        if chat_key != "group" or key in (None, ""):
            return _BY_KEY["you"]
        if key not in _BY_KEY:
            raise KeyError(key)
        return _BY_KEY[key]

    def user(self, key: str, language: str) -> User:
        from bot.emulator import User

        member = _BY_KEY[key]
        name = {"en": "You", "de": "Du"}.get(language, "You") if key == "you" else member.name
        return User(id=member.user_id, first_name=name, language_code=language)

    @staticmethod
    def sender_of(msg: dict[str, Any]) -> dict[str, str] | None:
        """``{"key", "name"}`` of the person who sent ``msg`` (None for the bot and unknown senders)."""
        sender = _BY_ID.get(int((msg.get("from") or {}).get("id", 0)))
        return {"key": sender.key, "name": sender.name} if sender is not None else None

    @staticmethod
    def key_of_chat_id(chat_id: Any) -> str | None:
        return {USER_ID: "private", GROUP_ID: "group"}.get(chat_id)

    def public(self, emu: BotApiEmulator) -> dict[str, Any]:
        """The chats and the group's members as the page lists them (statuses as the emulator has them now)."""
        statuses = {int(m["user"]["id"]): m["status"] for m in emu.members(GROUP_ID)}
        members = [Member(m.key, m.user_id, m.name, statuses.get(m.user_id, m.status)).public() for m in MEMBERS]
        bot_status = statuses.get(int(emu.bot_user["id"]), "member")
        return {
            "chats": [
                {"key": "private", "id": USER_ID, "type": "private", "title": emu.bot_user.get("first_name")},
                {"key": "group", "id": GROUP_ID, "type": "supergroup", "title": GROUP_TITLE},
            ],
            "members": members,
            "group": {"bot_admin": bot_status in ADMIN_STATUSES, "privacy_mode": emu.privacy_mode},
        }

    @staticmethod
    def command_scopes(chat_key: str, member: Member, language: str) -> list[str]:
        """setMyCommands scope keys to try, most specific first (as a Telegram client picks the menu)."""
        if chat_key == "group":
            kinds = (["all_chat_administrators"] if member.admin else []) + ["all_group_chats"]
        else:
            kinds = ["all_private_chats"]
        return [f"{k}:{language}" for k in kinds] + [f"default:{language}"] + kinds + ["default"]

    @staticmethod
    def set_bot_admin(emu: BotApiEmulator, admin: bool) -> None:
        emu.set_member_status(GROUP_ID, int(emu.bot_user["id"]), "administrator" if admin else "member")
