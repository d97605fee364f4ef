"""The Bot API emulator: an aiohttp server plus the user-side helpers (see the package docstring)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import itertools
import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

logger = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_GET_FILE = 20 * 1024 * 1024
PHOTO_SIDES = (90, 320, 800, 1280)
ANONYMOUS_ADMIN_BOT = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}

# parameters that are always strings, even when they look like numbers or JSON
_STRING_PARAMS = {
    "text", "caption", "callback_data", "url", "secret_token", "parse_mode", "action", "callback_query_id",
    "file_id", "language_code", "inline_message_id", "ip_address", "description", "title",
}


@dataclass(frozen=True)
class Chat:
    id: int
    type: str  # "private" | "group" | "supergroup" | "channel"
    title: str | None = None
    is_forum: bool = False

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type != "private":
            d["title"] = self.title or f"Chat {self.id}"
        if self.is_forum:
            d["is_forum"] = True
        return d


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "en"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            d["username"] = self.username
        if self.language_code:
            d["language_code"] = self.language_code
        return d


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    times: int
    description: str | None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes


def _coerce(key: str, value: str) -> Any:
    if key in _STRING_PARAMS:
        return value
    v = value.strip()
    if v[:1] in "{[" or v in ("true", "false", "null") or v.lstrip("-").replace(".", "", 1).isdigit():
        try:
            return json.loads(v)
        except ValueError:
            return value
    return value


def _bot_command_entities(text: str | None) -> list[dict[str, Any]]:
    if not text or not text.startswith("/"):
        return []
    token = text.split()[0] if text.split() else text
    return [{"type": "bot_command", "offset": 0, "length": len(token)}]


def _photo_sizes(data: bytes) -> list[tuple[int, int, bytes]]:
    """(width, height, bytes) for each size, smallest first, like Telegram's s/m/x/y sizes."""
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as opened:
            im: Image.Image = ImageOps.exif_transpose(opened).convert("RGB")
            w, h = im.size
            out: list[tuple[int, int, bytes]] = []
            for side in PHOTO_SIDES:
                if max(w, h) > side:
                    scale = side / max(w, h)
                    resized = im.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)
                else:
                    resized = im
                buf = io.BytesIO()
                resized.save(buf, "JPEG", quality=87)
                out.append((resized.size[0], resized.size[1], buf.getvalue()))
                if max(w, h) <= side:
                    break
            return out
    except Exception:  # not decodable: keep the raw bytes as the only size (Telegram would refuse it)
        return [(1000, 1000, data)]


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
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456
        self.bot_user: dict[str, Any] = {
            "id": bot_id, "is_bot": True, "first_name": bot_first_name, "username": bot_username,
            "can_join_groups": True, "can_read_all_group_messages": not privacy_mode,
            "supports_inline_queries": False,
        }
        self._runner: web.AppRunner | None = None
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._updates: list[dict[str, Any]] = []
        self._updates_changed = asyncio.Event()
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._bot_messages: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self._bot_messages_changed: asyncio.Condition | None = None
        self._calls: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._calls_changed: asyncio.Condition | None = None
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, str] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._members: dict[tuple[int, int], str] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._commands: dict[str, list[dict[str, Any]]] = {}
        self._faults: dict[str, list[_Fault]] = defaultdict(list)
        self._stalls: dict[str, list[list[float]]] = defaultdict(list)
        self._webhook: dict[str, Any] | None = None
        self._webhook_queue: asyncio.Queue[dict[str, Any]] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_session: aiohttp.ClientSession | None = None
        self._webhook_last_error: tuple[int, str] | None = None
        self._subscribers: list[asyncio.Queue[dict[str, Any]]] = []

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._bot_messages_changed = asyncio.Condition()
        self._calls_changed = asyncio.Condition()
        self._updates_changed = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._webhook_task:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._webhook_task
            self._webhook_task = None
        if self._webhook_session:
            await self._webhook_session.close()
            self._webhook_session = None
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

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

    # ------------------------------------------------------------------ user side
    def _remember(self, chat: Chat, user: User | None) -> None:
        self._chats[chat.id] = chat.to_dict()
        if user is not None:
            self._users[user.id] = user.to_dict()
            self._members.setdefault((chat.id, user.id), "member")

    def _new_message(
        self, chat: Chat, user: User | None, reply_to_message_id: int | None, message_thread_id: int | None,
        sender_chat: Chat | None = None,
    ) -> dict[str, Any]:
        self._remember(chat, user)
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids[chat.id]),
            "date": int(time.time()),
            "chat": chat.to_dict(),
        }
        if sender_chat is not None:
            msg["sender_chat"] = sender_chat.to_dict()
            msg["from"] = dict(ANONYMOUS_ADMIN_BOT)
        elif user is not None:
            msg["from"] = user.to_dict()
        if message_thread_id is not None:
            msg["message_thread_id"] = message_thread_id
            if chat.is_forum:
                msg["is_topic_message"] = True
        if reply_to_message_id is not None:
            replied = self._messages.get((chat.id, reply_to_message_id))
            if replied is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat.id}")
            msg["reply_to_message"] = {k: v for k, v in replied.items() if k != "reply_to_message"}
        return msg

    def _deliver(self, chat: Chat, msg: dict[str, Any], kind: str = "message") -> dict[str, Any]:
        self._messages[(chat.id, msg["message_id"])] = msg
        self._broadcast({"type": "user_message", "chat_id": chat.id, "message": msg})
        if self._bot_sees(chat, msg):
            self._push_update({kind: msg})
        return msg

    def _bot_sees(self, chat: Chat, msg: dict[str, Any]) -> bool:
        if not self.privacy_mode or chat.type == "private":
            return True
        if self._members.get((chat.id, self.bot_user["id"])) in ("administrator", "creator"):
            return True
        text = msg.get("text") or msg.get("caption") or ""
        if text.startswith("/"):
            return True
        reply = msg.get("reply_to_message")
        return bool(reply and reply.get("from", {}).get("id") == self.bot_user["id"])

    def user_sends_text(
        self, chat: Chat, user: User, text: str, reply_to_message_id: int | None = None,
        message_thread_id: int | None = None, sender_chat: Chat | None = None,
    ) -> dict[str, Any]:
        msg = self._new_message(chat, user, reply_to_message_id, message_thread_id, sender_chat)
        msg["text"] = text
        if entities := _bot_command_entities(text):
            msg["entities"] = entities
        return self._deliver(chat, msg)

    def user_sends_photo(
        self, chat: Chat, user: User, image_bytes: bytes, caption: str | None = None,
        reply_to_message_id: int | None = None, message_thread_id: int | None = None,
        sender_chat: Chat | None = None,
    ) -> dict[str, Any]:
        msg = self._new_message(chat, user, reply_to_message_id, message_thread_id, sender_chat)
        msg["photo"] = self._store_photo(image_bytes)
        if caption:
            msg["caption"] = caption
            if entities := _bot_command_entities(caption):
                msg["caption_entities"] = entities
        return self._deliver(chat, msg)

    def user_sends_document(
        self, chat: Chat, user: User, data: bytes, filename: str, mime_type: str, caption: str | None = None,
        reply_to_message_id: int | None = None, message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        msg = self._new_message(chat, user, reply_to_message_id, message_thread_id)
        msg["document"] = self._store_document(data, filename, mime_type)
        if caption:
            msg["caption"] = caption
            if entities := _bot_command_entities(caption):
                msg["caption_entities"] = entities
        return self._deliver(chat, msg)

    def user_presses_button(self, chat: Chat, user: User, message_id: int, callback_data: str) -> dict[str, Any]:
        self._remember(chat, user)
        message = self._messages.get((chat.id, message_id))
        if message is None:
            raise ValueError(f"no message {message_id} in chat {chat.id}")
        cq = {
            "id": str(next(self._ids)),
            "from": user.to_dict(),
            "message": message,
            "chat_instance": str(chat.id),
            "data": callback_data,
        }
        self._push_update({"callback_query": cq})
        return cq

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        return list(self._bot_messages.get(chat_id, []))

    async def wait_for_bot_messages(
        self, chat_id: int, count: int, timeout: float = 10.0  # noqa: ASYNC109 - documented test API
    ) -> list[dict[str, Any]]:
        assert self._bot_messages_changed is not None, "emulator not started"
        cond = self._bot_messages_changed

        async def _wait() -> None:
            async with cond:
                await cond.wait_for(lambda: len(self._bot_messages.get(chat_id, [])) >= count)

        try:
            await asyncio.wait_for(_wait(), timeout)
        except TimeoutError:
            got = [m.get("text") or m.get("caption") or "<photo>" for m in self.bot_messages(chat_id)]
            raise TimeoutError(
                f"chat {chat_id}: expected {count} bot messages within {timeout}s, got {got!r}") from None
        return self.bot_messages(chat_id)

    async def wait_for_calls(
        self, method: str, count: int, timeout: float = 10.0  # noqa: ASYNC109 - documented test API
    ) -> list[dict[str, Any]]:
        assert self._calls_changed is not None, "emulator not started"
        cond = self._calls_changed
        key = method.lower()

        async def _wait() -> None:
            async with cond:
                await cond.wait_for(lambda: len(self._calls.get(key, [])) >= count)

        try:
            await asyncio.wait_for(_wait(), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"expected {count} {method} calls within {timeout}s, got {len(self.calls(method))}") from None
        return self.calls(method)

    def calls(self, method: str) -> list[dict[str, Any]]:
        return list(self._calls.get(method.lower(), []))

    def file_bytes(self, file_id: str) -> bytes:
        return self._files[file_id].data

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        self._members[(chat_id, user_id)] = status

    def my_commands(self) -> dict[str, list[dict[str, Any]]]:
        return {k: list(v) for k, v in self._commands.items()}

    def fail_next(
        self, method: str, status: int = 429, retry_after: int | None = 1, times: int = 1,
        description: str | None = None,
    ) -> None:
        self._faults[method.lower()].append(_Fault(status, retry_after if status == 429 else None, times, description))

    def stall_next(self, method: str, seconds: float, times: int = 1) -> None:
        self._stalls[method.lower()].append([seconds, times])

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self._subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        with contextlib.suppress(ValueError):
            self._subscribers.remove(queue)

    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._updates)

    # ------------------------------------------------------------------ internals
    def _broadcast(self, event: dict[str, Any]) -> None:
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(event)

    def _push_update(self, payload: dict[str, Any]) -> None:
        update = {"update_id": next(self._update_ids), **payload}
        if self._webhook is not None and self._webhook_queue is not None:
            self._webhook_queue.put_nowait(update)
        else:
            self._updates.append(update)
            self._updates_changed.set()

    def _new_file_id(self, data: bytes, kind: str, ext: str) -> _StoredFile:
        n = next(self._ids)
        unique = hashlib.sha1(data).hexdigest()[:16] + f"{n}"
        file_id = f"{kind[:3].upper()}{n:06d}{unique}"
        stored = _StoredFile(file_id, unique, f"{kind}/file_{n}.{ext}", data)
        self._files[file_id] = stored
        self._files_by_path[stored.file_path] = file_id
        return stored

    def _store_photo(self, data: bytes) -> list[dict[str, Any]]:
        sizes = []
        for w, h, blob in _photo_sizes(data):
            f = self._new_file_id(blob, "photos", "jpg")
            sizes.append({"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": len(blob),
                          "width": w, "height": h})
        return sizes

    def _store_document(self, data: bytes, filename: str, mime_type: str | None) -> dict[str, Any]:
        ext = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        f = self._new_file_id(data, "documents", ext)
        doc = {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_name": filename,
               "file_size": len(data)}
        if mime_type:
            doc["mime_type"] = mime_type
        return doc

    async def _record_call(self, method: str, params: dict[str, Any]) -> None:
        shown = {k: ({"filename": v[0], "size": len(v[1])} if isinstance(v, tuple) else v) for k, v in params.items()}
        self._calls[method.lower()].append(shown)
        if self._calls_changed is not None:
            async with self._calls_changed:
                self._calls_changed.notify_all()

    async def _bot_sent(self, chat_id: int, msg: dict[str, Any]) -> None:
        self._messages[(chat_id, msg["message_id"])] = msg
        self._bot_messages[chat_id].append(msg)
        self._broadcast({"type": "message", "chat_id": chat_id, "message": msg})
        if self._bot_messages_changed is not None:
            async with self._bot_messages_changed:
                self._bot_messages_changed.notify_all()

    async def _parse_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {k: _coerce(k, v) for k, v in request.query.items()}
        if request.method != "POST" or not request.can_read_body:
            return params
        ctype = request.content_type
        if ctype == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif ctype == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    params[part.name] = (part.filename, bytes(await part.read()))
                else:
                    params[part.name] = _coerce(part.name, await part.text())
        else:
            form = await request.post()
            for k, v in form.items():
                if isinstance(v, str):
                    params[k] = _coerce(k, v)
                elif isinstance(v, web.FileField):
                    params[k] = (v.filename, v.file.read())
        # resolve attach://name references
        for k, v in list(params.items()):
            if isinstance(v, str) and v.startswith("attach://"):
                params[k] = params.get(v[len("attach://"):], v)
        return params

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        file_id = self._files_by_path.get(request.match_info["path"])
        if file_id is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=self._files[file_id].data, content_type="application/octet-stream")

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        key = method.lower()
        try:
            params = await self._parse_params(request)
        except Exception as exc:  # malformed body
            return web.json_response({"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}, status=400)
        await self._record_call(method, params)
        if stalls := self._stalls.get(key):
            stall = stalls[0]
            stall[1] -= 1
            if stall[1] <= 0:
                stalls.pop(0)
            await asyncio.sleep(stall[0])
        if faults := self._faults.get(key):
            fault = faults[0]
            fault.times -= 1
            if fault.times <= 0:
                faults.pop(0)
            return self._error_response(ApiError(fault.status, fault.description or self._fault_text(fault),
                                                 fault.retry_after))
        handler = getattr(self, f"_api_{key}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        try:
            result = await handler(params)
        except ApiError as exc:
            return self._error_response(exc)
        except (KeyError, TypeError, ValueError) as exc:
            return self._error_response(ApiError(400, f"Bad Request: {exc}"))
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _fault_text(fault: _Fault) -> str:
        if fault.status == 429:
            return f"Too Many Requests: retry after {fault.retry_after}"
        if fault.status >= 500:
            return "Internal Server Error"
        return "Bad Request: injected fault"

    @staticmethod
    def _error_response(exc: ApiError) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
        if exc.retry_after is not None:
            body["parameters"] = {"retry_after": exc.retry_after}
        return web.json_response(body, status=exc.code)

    # ------------------------------------------------------------------ Bot API methods
    def _chat(self, chat_id: Any) -> dict[str, Any]:
        try:
            return self._chats[int(chat_id)]
        except (KeyError, ValueError, TypeError):
            raise ApiError(400, "Bad Request: chat not found") from None

    def _out_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids[chat["id"]]),
            "from": {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")},
            "chat": chat,
            "date": int(time.time()),
        }
        thread = params.get("message_thread_id")
        if thread is not None:
            msg["message_thread_id"] = int(thread)
            if chat.get("is_forum"):
                msg["is_topic_message"] = True
        reply_to = None
        if isinstance(params.get("reply_parameters"), dict):
            reply_to = params["reply_parameters"].get("message_id")
        elif params.get("reply_to_message_id") is not None:
            reply_to = params["reply_to_message_id"]
        if reply_to is not None:
            replied = self._messages.get((chat["id"], int(reply_to)))
            if replied is None:
                allow = isinstance(params.get("reply_parameters"), dict) and params["reply_parameters"].get(
                    "allow_sending_without_reply")
                if not allow:
                    raise ApiError(400, "Bad Request: message to be replied not found")
            else:
                msg["reply_to_message"] = {k: v for k, v in replied.items() if k != "reply_to_message"}
        if isinstance(params.get("reply_markup"), dict) and "inline_keyboard" in params["reply_markup"]:
            msg["reply_markup"] = params["reply_markup"]
        return msg

    @staticmethod
    def _check_caption(params: dict[str, Any]) -> str | None:
        caption = params.get("caption")
        if caption is not None and len(str(caption)) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        return None if caption is None else str(caption)

    async def _api_getme(self, params: dict[str, Any]) -> Any:
        return self.bot_user

    async def _api_getupdates(self, params: dict[str, Any]) -> Any:
        if self._webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = float(params.get("timeout") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while True:
            ready = [u for u in self._updates if u["update_id"] >= offset] if offset else list(self._updates)
            if ready or time.monotonic() >= deadline:
                return ready[:limit]
            self._updates_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updates_changed.wait(), max(0.0, deadline - time.monotonic()))

    async def _api_sendmessage(self, params: dict[str, Any]) -> Any:
        text = str(params.get("text") or "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        msg = self._out_message(params)
        msg["text"] = text
        await self._bot_sent(msg["chat"]["id"], msg)
        return msg

    def _resolve_upload(self, value: Any, kind: str) -> bytes | list[dict[str, Any]] | dict[str, Any]:
        if isinstance(value, tuple):
            return value[1]
        if isinstance(value, str) and value in self._files:
            return self._files[value].data
        raise ApiError(400, f"Bad Request: wrong file identifier/HTTP URL specified for {kind}")

    async def _api_sendphoto(self, params: dict[str, Any]) -> Any:
        caption = self._check_caption(params)
        value = params.get("photo")
        if isinstance(value, str) and value in self._files:
            # file_id reuse: find the message that carries these sizes, else re-derive sizes
            sizes = None
            for m in self._messages.values():
                if any(p["file_id"] == value for p in m.get("photo", [])):
                    sizes = m["photo"]
                    break
            photo = sizes or self._store_photo(self._files[value].data)
        else:
            data = self._resolve_upload(value, "photo")
            assert isinstance(data, bytes)
            photo = self._store_photo(data)
        msg = self._out_message(params)
        msg["photo"] = photo
        if caption:
            msg["caption"] = caption
        await self._bot_sent(msg["chat"]["id"], msg)
        return msg

    async def _api_senddocument(self, params: dict[str, Any]) -> Any:
        caption = self._check_caption(params)
        value = params.get("document")
        if isinstance(value, tuple):
            doc = self._store_document(value[1], value[0] or "file", None)
        elif isinstance(value, str) and value in self._files:
            f = self._files[value]
            doc = {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": len(f.data)}
        else:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        msg = self._out_message(params)
        msg["document"] = doc
        if caption:
            msg["caption"] = caption
        await self._bot_sent(msg["chat"]["id"], msg)
        return msg

    async def _api_sendchataction(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        self._broadcast({"type": "chat_action", "chat_id": chat["id"], "action": params.get("action")})
        return True

    async def _api_getfile(self, params: dict[str, Any]) -> Any:
        f = self._files.get(str(params.get("file_id")))
        if f is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(f.data) > MAX_GET_FILE:
            raise ApiError(400, "Bad Request: file is too big")
        return {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": len(f.data),
                "file_path": f.file_path}

    async def _api_setwebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url") or "")
        if not url:
            return await self._api_deletewebhook(params)
        await self._stop_webhook()
        self._webhook = {"url": url, "secret_token": params.get("secret_token"),
                         "allowed_updates": params.get("allowed_updates")}
        self._webhook_queue = asyncio.Queue()
        if params.get("drop_pending_updates"):
            self._updates.clear()
        for update in self._updates:  # pending updates go to the webhook now
            self._webhook_queue.put_nowait(update)
        self._updates.clear()
        self._webhook_task = asyncio.create_task(self._webhook_loop(), name="emulator-webhook")
        return True

    async def _stop_webhook(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._webhook_task
            self._webhook_task = None
        if self._webhook_queue is not None:  # undelivered updates go back to getUpdates
            while not self._webhook_queue.empty():
                self._updates.append(self._webhook_queue.get_nowait())
            self._updates.sort(key=lambda u: u["update_id"])
        self._webhook = None
        self._webhook_queue = None

    async def _api_deletewebhook(self, params: dict[str, Any]) -> Any:
        await self._stop_webhook()
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        info: dict[str, Any] = {
            "url": self._webhook["url"] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": (self._webhook_queue.qsize() if self._webhook_queue else len(self._updates)),
        }
        if self._webhook_last_error:
            info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        return info

    async def _webhook_loop(self) -> None:
        assert self._webhook is not None and self._webhook_queue is not None
        if self._webhook_session is None:
            self._webhook_session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        queue = self._webhook_queue
        hook = self._webhook
        headers = {"Content-Type": "application/json"}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(hook["secret_token"])
        while True:
            update = await queue.get()
            delay = 0.1
            while True:
                try:
                    async with self._webhook_session.post(hook["url"], data=json.dumps(update),
                                                          headers=headers) as resp:
                        if resp.status < 300:
                            break
                        self._webhook_last_error = (int(time.time()), f"Wrong response from the webhook: "
                                                                       f"{resp.status} {resp.reason}")
                except (aiohttp.ClientError, TimeoutError) as exc:
                    self._webhook_last_error = (int(time.time()), f"Connection failed: {exc}")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _api_getchatmember(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        user_id = int(params["user_id"])
        return self._member(chat["id"], user_id)

    def _member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_user["id"]:
            user = {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}
        else:
            user = self._users.get(user_id, {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"})
        status = self._members.get((chat_id, user_id), "member" if (chat_id, user_id) in self._members else "left")
        if user_id == self.bot_user["id"] and (chat_id, user_id) not in self._members:
            status = "member"
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update({
                "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True, "can_delete_messages": True,
                "can_manage_video_chats": True, "can_restrict_members": True, "can_promote_members": False,
                "can_change_info": True, "can_invite_users": True, "can_post_stories": False,
                "can_edit_stories": False, "can_delete_stories": False,
            })
        elif status == "restricted":
            member.update({k: True for k in (
                "is_member", "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
                "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_send_polls",
                "can_send_other_messages", "can_add_web_page_previews", "can_change_info", "can_invite_users",
                "can_pin_messages", "can_manage_topics")})
            member["until_date"] = 0
        elif status == "kicked":
            member["until_date"] = 0
        return member

    async def _api_getchatadministrators(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        return [self._member(chat["id"], uid) for (cid, uid), status in self._members.items()
                if cid == chat["id"] and status in ("creator", "administrator")]

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        if isinstance(scope, str):
            scope = json.loads(scope)
        key = str(scope.get("type", "default"))
        if "chat_id" in scope:
            key += f":{scope['chat_id']}"
        if "user_id" in scope:
            key += f":{scope['user_id']}"
        if params.get("language_code"):
            key += f":{params['language_code']}"
        return key

    async def _api_setmycommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if isinstance(commands, str):
            commands = json.loads(commands)
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: commands must be a list")
        self._commands[self._scope_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands]
        return True

    async def _api_getmycommands(self, params: dict[str, Any]) -> Any:
        return self._commands.get(self._scope_key(params), [])

    async def _api_deletemycommands(self, params: dict[str, Any]) -> Any:
        self._commands.pop(self._scope_key(params), None)
        return True

    def _find_bot_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        msg = self._messages.get((chat["id"], int(params["message_id"])))
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return msg

    async def _edited(self, msg: dict[str, Any]) -> dict[str, Any]:
        msg["edit_date"] = int(time.time())
        self._broadcast({"type": "edited", "chat_id": msg["chat"]["id"], "message": msg})
        if self._bot_messages_changed is not None:
            async with self._bot_messages_changed:
                self._bot_messages_changed.notify_all()
        return msg

    def _apply_markup(self, msg: dict[str, Any], params: dict[str, Any]) -> None:
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            msg["reply_markup"] = markup
        else:
            msg.pop("reply_markup", None)

    async def _api_editmessagetext(self, params: dict[str, Any]) -> Any:
        msg = self._find_bot_message(params)
        text = str(params.get("text") or "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        if "text" not in msg:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if msg.get("text") == text and msg.get("reply_markup") == params.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply "
                                "markup are exactly the same as a current content and reply markup of the message")
        msg["text"] = text
        self._apply_markup(msg, params)
        return await self._edited(msg)

    async def _api_editmessagecaption(self, params: dict[str, Any]) -> Any:
        msg = self._find_bot_message(params)
        caption = self._check_caption(params)
        if caption:
            msg["caption"] = caption
        else:
            msg.pop("caption", None)
        self._apply_markup(msg, params)
        return await self._edited(msg)

    async def _api_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        msg = self._find_bot_message(params)
        self._apply_markup(msg, params)
        return await self._edited(msg)

    async def _api_deletemessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        message_id = int(params["message_id"])
        if self._messages.pop((chat["id"], message_id), None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        self._bot_messages[chat["id"]] = [m for m in self._bot_messages[chat["id"]] if m["message_id"] != message_id]
        self._broadcast({"type": "deleted", "chat_id": chat["id"], "message_id": message_id, "message": None})
        return True

    async def _api_answercallbackquery(self, params: dict[str, Any]) -> Any:
        self._broadcast({"type": "callback_answer", "chat_id": None, "message": None,
                         "callback_query_id": params.get("callback_query_id"), "text": params.get("text"),
                         "show_alert": bool(params.get("show_alert"))})
        return True

    async def _api_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_logout(self, params: dict[str, Any]) -> Any:
        return True
