"""Bot API methods about the bot itself, chat members, command menus and files (getFile)."""

from __future__ import annotations

import json
from typing import Any

import telegram
from telegram.constants import FileSizeLimit

from bot.emulator.payloads import payload
from bot.emulator.state import ApiError, EmulatorState, Json
from bot.emulator.transport import Method


def scope_key(params: Json) -> str:
    """``all_private_chats``, ``chat:<id>``, ... plus ``:<language_code>`` when given."""
    scope = params.get("scope") or {"type": "default"}
    if isinstance(scope, str):
        scope = json.loads(scope)
    key = str(scope.get("type", "default"))
    for field in ("chat_id", "user_id"):
        if field in scope:
            key += f":{scope[field]}"
    if params.get("language_code"):
        key += f":{params['language_code']}"
    return key


class ChatMethods:
    def __init__(self, state: EmulatorState, bot_info: Json) -> None:
        self.state = state
        self.bot_info = bot_info

    def methods(self) -> dict[str, Method]:
        return {
            "getMe": self.get_me, "getFile": self.get_file, "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators, "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands, "deleteMyCommands": self.delete_my_commands,
            "close": self.done, "logOut": self.done,
        }

    async def get_me(self, params: Json) -> Any:
        return self.bot_info

    async def get_file(self, params: Json) -> Any:
        f = self.state.files.get(str(params.get("file_id")))
        if f is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(f.data) > FileSizeLimit.FILESIZE_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        return payload(telegram.File(f.file_id, f.file_unique_id, file_size=len(f.data), file_path=f.file_path))

    async def get_chat_member(self, params: Json) -> Any:
        chat = self.state.chat(params["chat_id"])
        return self.state.member(chat.id, int(params["user_id"]))

    async def get_chat_administrators(self, params: Json) -> Any:
        return self.state.administrators(self.state.chat(params["chat_id"]).id)

    async def set_my_commands(self, params: Json) -> Any:
        commands = params.get("commands")
        if isinstance(commands, str):
            commands = json.loads(commands)
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: commands must be a list")
        self.state.commands[scope_key(params)] = [
            payload(telegram.BotCommand(c["command"], c["description"])) for c in commands]
        return True

    async def get_my_commands(self, params: Json) -> Any:
        return self.state.commands.get(scope_key(params), [])

    async def delete_my_commands(self, params: Json) -> Any:
        self.state.commands.pop(scope_key(params), None)
        return True

    async def done(self, params: Json) -> Any:
        return True
