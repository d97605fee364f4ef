"""Bot API methods that send, edit and delete messages, plus chat actions and callback answers."""

from __future__ import annotations

from typing import Any

import telegram
from telegram.constants import MessageLimit

from bot.emulator.payloads import payload
from bot.emulator.state import ApiError, EmulatorState, Json
from bot.emulator.transport import Method

NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message")


def _markup(params: Json) -> telegram.InlineKeyboardMarkup | None:
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and markup.get("inline_keyboard"):
        return telegram.InlineKeyboardMarkup.de_json(markup, None)
    return None


def _markup_payload(params: Json) -> Json | None:
    markup = _markup(params)
    return None if markup is None else payload(markup)


def _caption(params: Json) -> str | None:
    caption = params.get("caption")
    if caption is not None and len(str(caption)) > MessageLimit.CAPTION_LENGTH:
        raise ApiError(400, "Bad Request: message caption is too long")
    return str(caption) if caption else None


def _text(params: Json, too_long: str) -> str:
    text = str(params.get("text") or "")
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(text) > MessageLimit.MAX_TEXT_LENGTH:
        raise ApiError(400, too_long)
    return text


class MessageMethods:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def methods(self) -> dict[str, Method]:
        return {
            "sendMessage": self.send_message, "sendPhoto": self.send_photo, "sendDocument": self.send_document,
            "sendChatAction": self.send_chat_action, "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup, "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
        }

    async def _send(self, params: Json, **content: Any) -> Json:
        chat = self.state.chat(params["chat_id"])
        reply_parameters = params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = reply_parameters.get("message_id")
            allow_missing = bool(reply_parameters.get("allow_sending_without_reply"))
        else:
            reply_to, allow_missing = params.get("reply_to_message_id"), False
        replied = self.state.message(chat.id, reply_to, nested=True)
        if reply_to is not None and replied is None and not allow_missing:
            raise ApiError(400, "Bad Request: message to be replied not found")
        thread = params.get("message_thread_id")
        msg = self.state.new_message(chat, self.state.bot, thread_id=None if thread is None else int(thread),
                                     reply_to=replied, reply_markup=_markup(params), **content)
        await self.state.bot_sent(msg)
        return msg

    async def send_message(self, params: Json) -> Any:
        return await self._send(params, text=_text(params, "Bad Request: message is too long"))

    async def send_photo(self, params: Json) -> Any:
        caption = _caption(params)
        value = params.get("photo")
        if isinstance(value, str) and value in self.state.files:
            photo = self.state.photo_of(value) or self.state.store_photo(self.state.files[value].data)
        elif isinstance(value, tuple):
            photo = self.state.store_photo(value[1])
        else:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified for photo")
        return await self._send(params, photo=photo, caption=caption)

    async def send_document(self, params: Json) -> Any:
        caption = _caption(params)
        value = params.get("document")
        if isinstance(value, tuple):
            document = self.state.store_document(value[1], value[0] or "file", None)
        elif isinstance(value, str) and value in self.state.files:
            f = self.state.files[value]
            document = telegram.Document(f.file_id, f.file_unique_id, file_size=len(f.data))
        else:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return await self._send(params, document=document, caption=caption)

    async def send_chat_action(self, params: Json) -> Any:
        chat = self.state.chat(params["chat_id"])
        self.state.broadcast({"type": "chat_action", "chat_id": chat.id, "action": params.get("action")})
        return True

    def _find(self, params: Json) -> Json:
        chat = self.state.chat(params["chat_id"])
        msg = self.state.messages.get((chat.id, int(params["message_id"])))
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return msg

    @staticmethod
    def _apply_markup(msg: Json, params: Json) -> None:
        markup = _markup_payload(params)
        if markup is None:
            msg.pop("reply_markup", None)
        else:
            msg["reply_markup"] = markup

    async def edit_message_text(self, params: Json) -> Any:
        msg = self._find(params)
        text = _text(params, "Bad Request: MESSAGE_TOO_LONG")
        if "text" not in msg:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if msg.get("text") == text and msg.get("reply_markup") == _markup_payload(params):
            raise ApiError(400, NOT_MODIFIED)
        msg["text"] = text
        self._apply_markup(msg, params)
        return await self.state.bot_edited(msg)

    async def edit_message_caption(self, params: Json) -> Any:
        msg = self._find(params)
        caption = _caption(params)
        if caption:
            msg["caption"] = caption
        else:
            msg.pop("caption", None)
        self._apply_markup(msg, params)
        return await self.state.bot_edited(msg)

    async def edit_message_reply_markup(self, params: Json) -> Any:
        msg = self._find(params)
        self._apply_markup(msg, params)
        return await self.state.bot_edited(msg)

    async def delete_message(self, params: Json) -> Any:
        chat = self.state.chat(params["chat_id"])
        await self.state.bot_deleted(chat.id, int(params["message_id"]))
        return True

    async def answer_callback_query(self, params: Json) -> Any:
        self.state.broadcast({"type": "callback_answer", "chat_id": None, "message": None,
                              "callback_query_id": params.get("callback_query_id"), "text": params.get("text"),
                              "show_alert": bool(params.get("show_alert"))})
        return True
