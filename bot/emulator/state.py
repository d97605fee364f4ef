"""The emulated Telegram side's memory: chats, users, members, messages, files, the update queue, the
record of Bot API calls and the event feed. Both the Bot API methods and the user-side API work on it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import telegram
from telegram.constants import ChatMemberStatus

from bot.emulator.payloads import chat_member, now, payload, photo_sizes

Json = dict[str, Any]
ADMIN_STATUSES = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": code, "description": ...}``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes


class EmulatorState:
    def __init__(self, bot: telegram.User, *, privacy_mode: bool) -> None:
        self.bot = bot
        self.privacy_mode = privacy_mode
        self._update_ids = itertools.count(1)
        self.ids = itertools.count(1)  # file and callback query ids
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self.chats: dict[int, telegram.Chat] = {}
        self.users: dict[int, telegram.User] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.messages: dict[tuple[int, int], Json] = {}
        self.bot_messages: dict[int, list[Json]] = defaultdict(list)
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, str] = {}
        self.commands: dict[str, list[Json]] = {}
        self.calls: dict[str, list[Json]] = defaultdict(list)
        self.updates: list[Json] = []
        self.updates_changed = asyncio.Event()
        self.webhook_sink: Callable[[Json], None] | None = None  # set while a webhook is active
        self.changed = asyncio.Condition()  # bot messages or calls changed
        self._subscribers: list[asyncio.Queue[Json]] = []

    # --- chats and members ----------------------------------------------------------------------
    def remember(self, chat: telegram.Chat, user: telegram.User | None) -> None:
        self.chats[chat.id] = chat
        if user is not None:
            self.users[user.id] = user
            self.members.setdefault((chat.id, user.id), ChatMemberStatus.MEMBER)

    def chat(self, chat_id: Any) -> telegram.Chat:
        try:
            return self.chats[int(chat_id)]
        except (KeyError, ValueError, TypeError):
            raise ApiError(400, "Bad Request: chat not found") from None

    def status(self, chat_id: int, user_id: int) -> str:
        if user_id == self.bot.id:  # the bot is a member of every chat it hears from
            return self.members.get((chat_id, user_id), ChatMemberStatus.MEMBER)
        return self.members.get((chat_id, user_id), ChatMemberStatus.LEFT)

    def member(self, chat_id: int, user_id: int) -> Json:
        user = self.bot if user_id == self.bot.id else self.users.get(
            user_id, telegram.User(user_id, f"User {user_id}", is_bot=False))
        return chat_member(user, self.status(chat_id, user_id))

    def administrators(self, chat_id: int) -> list[Json]:
        return [self.member(chat_id, uid) for (cid, uid), status in self.members.items()
                if cid == chat_id and status in ADMIN_STATUSES]

    def bot_sees(self, chat: telegram.Chat, msg: Json) -> bool:
        """Privacy mode: in groups the bot gets commands, replies to itself, everything once it is an admin."""
        if not self.privacy_mode or chat.type == telegram.Chat.PRIVATE:
            return True
        if self.status(chat.id, self.bot.id) in ADMIN_STATUSES:
            return True
        if (msg.get("text") or msg.get("caption") or "").startswith("/"):
            return True
        reply = msg.get("reply_to_message")
        return bool(reply and reply.get("from", {}).get("id") == self.bot.id)

    # --- messages -------------------------------------------------------------------------------
    def message(self, chat_id: int, message_id: int | None, *, nested: bool = False) -> telegram.Message | None:
        """A stored message; ``nested``: as the ``reply_to_message`` of another (without its own reply)."""
        if message_id is None:
            return None
        found = self.messages.get((chat_id, int(message_id)))
        if found is None:
            return None
        return telegram.Message.de_json({k: v for k, v in found.items() if not nested or k != "reply_to_message"},
                                        None)

    def new_message(
        self, chat: telegram.Chat, sender: telegram.User, *, thread_id: int | None = None,
        reply_to: telegram.Message | None = None, sender_chat: telegram.Chat | None = None, **content: Any,
    ) -> Json:
        """A new message in ``chat`` (not yet stored): ``content`` are ``telegram.Message`` fields."""
        message = telegram.Message(
            next(self._message_ids[chat.id]), now(), chat, from_user=sender, sender_chat=sender_chat,
            message_thread_id=thread_id, is_topic_message=True if thread_id is not None and chat.is_forum else None,
            reply_to_message=reply_to, **content)
        return payload(message)

    async def bot_sent(self, msg: Json) -> None:
        chat_id = msg["chat"]["id"]
        self.messages[(chat_id, msg["message_id"])] = msg
        self.bot_messages[chat_id].append(msg)
        self.broadcast({"type": "message", "chat_id": chat_id, "message": msg})
        await self.notify()

    async def bot_edited(self, msg: Json) -> Json:
        msg["edit_date"] = int(now().timestamp())
        self.broadcast({"type": "edited", "chat_id": msg["chat"]["id"], "message": msg})
        await self.notify()
        return msg

    async def bot_deleted(self, chat_id: int, message_id: int) -> None:
        if self.messages.pop((chat_id, message_id), None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        self.bot_messages[chat_id] = [m for m in self.bot_messages[chat_id] if m["message_id"] != message_id]
        self.broadcast({"type": "deleted", "chat_id": chat_id, "message_id": message_id, "message": None})
        await self.notify()

    # --- files ----------------------------------------------------------------------------------
    def new_file(self, data: bytes, kind: str, ext: str) -> StoredFile:
        n = next(self.ids)
        unique = hashlib.sha1(data).hexdigest()[:16] + f"{n}"
        stored = StoredFile(f"{kind[:3].upper()}{n:06d}{unique}", unique, f"{kind}/file_{n}.{ext}", data)
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored.file_id
        return stored

    def store_photo(self, data: bytes) -> list[telegram.PhotoSize]:
        sizes = []
        for width, height, blob in photo_sizes(data):
            f = self.new_file(blob, "photos", "jpg")
            sizes.append(telegram.PhotoSize(f.file_id, f.file_unique_id, width, height, file_size=len(blob)))
        return sizes

    def photo_of(self, file_id: str) -> list[telegram.PhotoSize] | None:
        """The sizes of the photo one of whose sizes is ``file_id`` (for ``file_id`` reuse)."""
        for message in self.messages.values():
            if any(p["file_id"] == file_id for p in message.get("photo", [])):
                return [telegram.PhotoSize.de_json(p, None) for p in message["photo"]]
        return None

    def store_document(self, data: bytes, filename: str, mime_type: str | None) -> telegram.Document:
        ext = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        f = self.new_file(data, "documents", ext)
        return telegram.Document(f.file_id, f.file_unique_id, file_name=filename, mime_type=mime_type,
                                 file_size=len(data))

    # --- updates, calls, events -----------------------------------------------------------------
    def push_update(self, content: Json) -> None:
        update = {"update_id": next(self._update_ids), **content}
        if self.webhook_sink is not None:
            self.webhook_sink(update)
        else:
            self.updates.append(update)
            self.updates_changed.set()

    async def record_call(self, method: str, params: Json) -> None:
        shown = {k: ({"filename": v[0], "size": len(v[1])} if isinstance(v, tuple) else v) for k, v in params.items()}
        self.calls[method.lower()].append(shown)
        await self.notify()

    async def notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
        async def _wait() -> None:
            async with self.changed:
                await self.changed.wait_for(predicate)

        await asyncio.wait_for(_wait(), timeout)

    def subscribe(self) -> asyncio.Queue[Json]:
        queue: asyncio.Queue[Json] = asyncio.Queue(maxsize=1000)
        self._subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Json]) -> None:
        with contextlib.suppress(ValueError):
            self._subscribers.remove(queue)

    def broadcast(self, event: Json) -> None:
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(event)
