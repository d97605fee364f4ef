"""``BotApiEmulator``: the emulated Telegram, put together (state + Bot API methods + HTTP transport),
and the user side that tests and the playground drive (see the package docstring for the contract)."""

from __future__ import annotations

import asyncio
from typing import Any

import telegram

from bot.emulator.api.chats import ChatMethods
from bot.emulator.api.messages import MessageMethods
from bot.emulator.api.updates import UpdateMethods
from bot.emulator.faults import Fault, FaultPlan
from bot.emulator.payloads import Chat, User, anonymous_admin, command_entities, payload
from bot.emulator.state import EmulatorState, Json
from bot.emulator.transport import HttpTransport


class BotApiEmulator:
    def __init__(
        self,
        token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_username: str = "shelly_test_bot",
        bot_first_name: str = "Shelly",
        privacy_mode: bool = False,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.privacy_mode = privacy_mode
        prefix = token.split(":", 1)[0]
        bot = telegram.User(int(prefix) if prefix.isdigit() else 123456, bot_first_name, is_bot=True,
                            username=bot_username)
        self.bot_user: Json = payload(telegram.User(
            bot.id, bot.first_name, is_bot=True, username=bot.username, can_join_groups=True,
            can_read_all_group_messages=not privacy_mode, supports_inline_queries=False))
        self._state = EmulatorState(bot, privacy_mode=privacy_mode)
        self._faults = FaultPlan()
        self._updates = UpdateMethods(self._state)
        methods = {**MessageMethods(self._state).methods(), **ChatMethods(self._state, self.bot_user).methods(),
                   **self._updates.methods()}
        self._transport = HttpTransport(token, self._state, methods, self._faults)

    # --- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        self.port = await self._transport.start(self.host, self.port)

    async def stop(self) -> None:
        await self._updates.stop()
        await self._transport.stop()

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    # --- what users do --------------------------------------------------------------------------
    def _message(
        self, chat: Chat, user: User, reply_to_message_id: int | None, message_thread_id: int | None,
        sender_chat: Chat | None, **content: Any,
    ) -> Json:
        tg_chat, tg_user = chat.to_telegram(), user.to_telegram()
        self._state.remember(tg_chat, tg_user)
        replied = self._state.message(chat.id, reply_to_message_id, nested=True)
        if reply_to_message_id is not None and replied is None:
            raise ValueError(f"no message {reply_to_message_id} in chat {chat.id}")
        anonymous = sender_chat is not None
        msg = self._state.new_message(
            tg_chat, anonymous_admin() if anonymous else tg_user, thread_id=message_thread_id, reply_to=replied,
            sender_chat=sender_chat.to_telegram() if sender_chat is not None else None, **content)
        self._state.messages[(chat.id, msg["message_id"])] = msg
        self._state.broadcast({"type": "user_message", "chat_id": chat.id, "message": msg})
        if self._state.bot_sees(tg_chat, msg):
            self._state.push_update({"message": msg})
        return msg

    def user_sends_text(
        self, chat: Chat, user: User, text: str, reply_to_message_id: int | None = None,
        message_thread_id: int | None = None, sender_chat: Chat | None = None,
    ) -> Json:
        return self._message(chat, user, reply_to_message_id, message_thread_id, sender_chat, text=text,
                             entities=command_entities(text))

    def user_sends_photo(
        self, chat: Chat, user: User, image_bytes: bytes, caption: str | None = None,
        reply_to_message_id: int | None = None, message_thread_id: int | None = None,
        sender_chat: Chat | None = None,
    ) -> Json:
        return self._message(chat, user, reply_to_message_id, message_thread_id, sender_chat,
                             photo=self._state.store_photo(image_bytes), caption=caption or None,
                             caption_entities=command_entities(caption))

    def user_sends_document(
        self, chat: Chat, user: User, data: bytes, filename: str, mime_type: str, caption: str | None = None,
        reply_to_message_id: int | None = None, message_thread_id: int | None = None,
        sender_chat: Chat | None = None,
    ) -> Json:
        return self._message(chat, user, reply_to_message_id, message_thread_id, sender_chat,
                             document=self._state.store_document(data, filename, mime_type),
                             caption=caption or None, caption_entities=command_entities(caption))

    def user_presses_button(self, chat: Chat, user: User, message_id: int, callback_data: str) -> Json:
        self._state.remember(chat.to_telegram(), user.to_telegram())
        message = self._state.message(chat.id, message_id)
        if message is None:
            raise ValueError(f"no message {message_id} in chat {chat.id}")
        query = payload(telegram.CallbackQuery(str(next(self._state.ids)), user.to_telegram(), str(chat.id),
                                               message=message, data=callback_data))
        self._state.push_update({"callback_query": query})
        return query

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        self._state.members[(chat_id, user_id)] = status

    # --- groups ---------------------------------------------------------------------------------
    def add_member(self, chat: Chat, user: User, status: str = "member") -> None:
        """Put a simulated person in a group before they say anything (``getChatMember``,
        ``getChatAdministrators`` then know their name); ``status`` like ``set_member_status``."""
        self._state.remember(chat.to_telegram(), user.to_telegram())
        self._state.members[(chat.id, user.id)] = status

    def members(self, chat_id: int) -> list[Json]:
        """ChatMember dicts of everyone the chat has seen (the bot included once it has a status)."""
        return [self._state.member(chat_id, uid) for (cid, uid) in self._state.members if cid == chat_id]

    def set_privacy_mode(self, enabled: bool) -> None:
        """BotFather's ``/setprivacy``: with privacy on, the bot sees only commands, replies to itself and,
        as an administrator, everything in groups; ``getMe`` reports it."""
        self.privacy_mode = self._state.privacy_mode = enabled
        self.bot_user["can_read_all_group_messages"] = not enabled

    def chat_history(self, chat_id: int) -> list[Json]:
        """Every message in the chat, people's and the bot's, in order (edits applied, deleted removed)."""
        return sorted((m for (cid, _), m in self._state.messages.items() if cid == chat_id),
                      key=lambda m: m["message_id"])

    # --- what the bot did -----------------------------------------------------------------------
    def bot_messages(self, chat_id: int) -> list[Json]:
        """The bot's messages in a chat, in order (edits applied, deleted ones removed)."""
        return list(self._state.bot_messages.get(chat_id, []))

    async def wait_for_bot_messages(
        self, chat_id: int, count: int, timeout: float = 10.0  # noqa: ASYNC109 - documented test API
    ) -> list[Json]:
        try:
            await self._state.wait_until(lambda: len(self._state.bot_messages.get(chat_id, [])) >= count, timeout)
        except TimeoutError:
            got = [m.get("text") or m.get("caption") or "<photo>" for m in self.bot_messages(chat_id)]
            raise TimeoutError(
                f"chat {chat_id}: expected {count} bot messages within {timeout}s, got {got!r}") from None
        return self.bot_messages(chat_id)

    async def wait_for_calls(
        self, method: str, count: int, timeout: float = 10.0  # noqa: ASYNC109 - documented test API
    ) -> list[Json]:
        try:
            await self._state.wait_until(lambda: len(self._state.calls.get(method.lower(), [])) >= count, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"expected {count} {method} calls within {timeout}s, got {len(self.calls(method))}") from None
        return self.calls(method)

    def calls(self, method: str) -> list[Json]:
        """Recorded parameters of each request of ``method`` (``"file"``: downloads, as ``{"file_path"}``)."""
        return list(self._state.calls.get(method.lower(), []))

    def file_bytes(self, file_id: str) -> bytes:
        return self._state.files[file_id].data

    def my_commands(self) -> dict[str, list[Json]]:
        return {k: list(v) for k, v in self._state.commands.items()}

    def pending_updates(self) -> list[Json]:
        return list(self._state.updates)

    def subscribe(self) -> asyncio.Queue[Json]:
        """A queue of events: bot messages, edits, deletions, chat actions, callback answers, user messages
        and injected faults (``{"type": "fault", "method", "fault"}``)."""
        return self._state.subscribe()

    def unsubscribe(self, queue: asyncio.Queue[Json]) -> None:
        self._state.unsubscribe(queue)

    # --- injected faults ------------------------------------------------------------------------
    def fail_next(
        self, method: str, status: int = 429, retry_after: int | None = 1, times: int = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests of ``method`` with an error (not executed)."""
        self._faults.add(method, Fault("fail", times, status=status, description=description,
                                       retry_after=retry_after if status == 429 else None))

    def stall_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Wait ``seconds`` before handling the next ``times`` requests of ``method``."""
        self._faults.add(method, Fault("stall", times, seconds=seconds))

    def drop_next(self, method: str, times: int = 1) -> None:
        """Close the connection of the next ``times`` requests of ``method`` without an answer (not executed)."""
        self._faults.add(method, Fault("drop", times))

    def slow_body_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Answer the next ``times`` requests of ``method`` normally but trickle the body over ``seconds``."""
        self._faults.add(method, Fault("slow_body", times, seconds=seconds))
