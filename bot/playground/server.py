"""The playground: Shelly's real ``Application`` polling the in-process Bot API emulator, plus a chat page.

Nothing here answers photos itself: the page posts what "you" do to the emulator's user side
(``user_sends_photo`` and friends), the real bot long-polls the emulator exactly as it polls Telegram,
and whatever the bot sends comes back to the page through the emulator's event feed (server-sent events).

    pg = Playground(settings, port=0)   # port 0: a free one (tests); default settings.playground_port
    await pg.start(); pg.url; ...; await pg.stop()

Two chats (``bot.playground.chats``): the private chat with Shelly and "Shelly's test group" with simulated
members (you, an admin, two others). Page API: ``GET /api/state?chat=private|group&as=<member>&lang=`` (chats,
members, that chat's history and command menu), ``POST /api/text`` ``{text, chat, as, lang, reply_to}``,
``POST /api/photo`` (multipart: photo, caption, chat, as, lang), ``POST /api/button`` ``{message_id, data, chat,
as, lang}``, ``POST /api/group`` ``{bot_admin}``; ``GET /api/events`` streams both chats (``chat`` on each event).

``serve(settings)`` runs one until SIGINT/SIGTERM. The bot is started and stopped by
``bot.runtime.start_shelly``, the same lifecycle as ``shelly run`` (storage migrated at start, pool,
application, polling). The page server binds 127.0.0.1 only and refuses
requests whose Host/Origin is not the loopback page itself (no DNS rebinding, no cross-site posts).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from importlib import resources
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from bot.playground.chats import USER_ID, PlaygroundChats

if TYPE_CHECKING:
    from bot.emulator import BotApiEmulator
    from bot.runtime import Shelly
    from bot.settings import Settings

_LOGGER = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
LANGUAGES = ("en", "de")
STATIC_FILES = {"index.html": "text/html", "app.css": "text/css", "app.js": "text/javascript"}
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; "
                               "script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
}
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}  # what Telegram clients send as a compressed photo


def _fake_token() -> str:
    """Well-formed but useless outside the emulator: ``<digits>:<35 url-safe chars>``."""
    return f"{7000000000 + secrets.randbelow(999_999_999)}:{secrets.token_urlsafe(27)[:35]}"


def _sniff_type(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] == b"GIF8":
        return "image/gif"
    if data[:5] == b"%PDF-":
        return "application/pdf"
    return "application/octet-stream"


def _public_message(msg: dict[str, Any], *, outgoing: bool) -> dict[str, Any]:
    """A Bot API Message dict, trimmed to what the page draws (``sender``: which simulated person sent it)."""
    out: dict[str, Any] = {
        "id": msg["message_id"],
        "from": "user" if outgoing else "bot",
        "date": msg.get("date"),
        "edited": "edit_date" in msg,
    }
    if outgoing:
        out["sender"] = PlaygroundChats.sender_of(msg)
    for key in ("text", "entities", "caption", "caption_entities"):
        if msg.get(key):
            out[key] = msg[key]
    if msg.get("photo"):
        sizes = sorted(msg["photo"], key=lambda p: p.get("width", 0) * p.get("height", 0))
        big = sizes[-1]
        out["photo"] = {"file_id": big["file_id"], "width": big.get("width"), "height": big.get("height")}
    if msg.get("document"):
        doc = msg["document"]
        out["document"] = {k: doc.get(k) for k in ("file_id", "file_name", "mime_type", "file_size")}
    reply = msg.get("reply_to_message")
    if reply:
        out["reply_to"] = reply.get("message_id")
    markup = msg.get("reply_markup") or {}
    if markup.get("inline_keyboard"):
        out["buttons"] = [
            [{k: b[k] for k in ("text", "callback_data", "url") if k in b} for b in row]
            for row in markup["inline_keyboard"]
        ]
    return out


def _bot_settings(settings: Settings, emulator: BotApiEmulator) -> Settings:
    """The real bot's settings, pointed at the in-process emulator."""
    from pydantic import SecretStr

    return settings.model_copy(update={
        "telegram_bot_token": SecretStr(emulator.token),
        "telegram_base_url": emulator.base_url,
        "telegram_base_file_url": emulator.base_file_url,
        "mode": "polling",
    })


class Playground:
    """Emulator + real bot (``bot.runtime.start_shelly``, polling the emulator) + page server.
    ``port=None`` uses ``settings.playground_port``; 0 picks a free one."""

    def __init__(self, settings: Settings, *, port: int | None = None) -> None:
        self.settings = settings
        self.port = settings.playground_port if port is None else port
        self.emulator: BotApiEmulator | None = None
        self.shelly: Shelly | None = None
        self._stack = AsyncExitStack()
        self._streams: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self.chats = PlaygroundChats(settings.default_language)
        self._static: dict[str, bytes] = {}

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def chat_id(self) -> int:
        return USER_ID

    # --- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        from bot.emulator import BotApiEmulator
        from bot.runtime import start_shelly

        for name in STATIC_FILES:
            self._static[name] = resources.files("bot.playground").joinpath("static", name).read_bytes()
        emulator = BotApiEmulator(_fake_token(), host=LOOPBACK, port=0, bot_username="shelly_playground_bot",
                                  bot_first_name="Shelly")
        try:
            await emulator.start()
            self.emulator = emulator
            self.chats.install(emulator)  # the test group and its members
            self._stack.push_async_callback(self._forget_emulator)
            self._stack.push_async_callback(emulator.stop)
            self.shelly = await self._stack.enter_async_context(
                start_shelly(_bot_settings(self.settings, emulator), intake="polling", serve_http=False))
            app = web.Application(client_max_size=self.settings.max_image_bytes + 1024 * 1024,
                                  middlewares=[self._guard])
            app.router.add_get("/", self._index)
            app.router.add_get("/static/{name}", self._static_file)
            app.router.add_get("/api/state", self._state)
            app.router.add_get("/api/events", self._events)
            app.router.add_get("/api/file/{file_id}", self._file)
            app.router.add_post("/api/text", self._send_text)
            app.router.add_post("/api/photo", self._send_photo)
            app.router.add_post("/api/button", self._press_button)
            app.router.add_post("/api/group", self._group)
            app.router.add_get("/healthz", self._healthz)
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
            await runner.setup()
            self._stack.push_async_callback(runner.cleanup)
            site = web.TCPSite(runner, LOOPBACK, self.port)  # loopback ONLY, never 0.0.0.0
            await site.start()
            self.port = int(runner.addresses[0][1])
        except BaseException:
            await self.stop()
            raise

    async def _forget_emulator(self) -> None:
        self.emulator = None
        self.shelly = None

    async def stop(self) -> None:
        """Page server → the bot (through its runtime) → emulator."""
        for queue in list(self._streams):  # end the live feeds so the page server can close
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        await self._stack.aclose()

    async def __aenter__(self) -> Playground:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- safety ---------------------------------------------------------------------------------
    @web.middleware
    async def _guard(self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                     ) -> web.StreamResponse:
        allowed = {f"{LOOPBACK}:{self.port}", f"localhost:{self.port}"}
        if request.host not in allowed:
            raise web.HTTPMisdirectedRequest(text="The playground answers on its loopback address only.")
        origin = request.headers.get("Origin")
        if request.method != "GET" and origin is not None and origin not in {f"http://{h}" for h in allowed}:
            raise web.HTTPForbidden(text="Cross-site requests are not allowed.")
        response = await handler(request)
        for key, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    # --- page -----------------------------------------------------------------------------------
    async def _index(self, request: web.Request) -> web.Response:
        return web.Response(body=self._static["index.html"], content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-cache"})

    async def _static_file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        return web.Response(body=self._static[name], content_type=STATIC_FILES[name], charset="utf-8",
                            headers={"Cache-Control": "no-cache"})

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": self.shelly is not None})

    # --- the emulated user ----------------------------------------------------------------------
    def _emu(self) -> BotApiEmulator:
        if self.emulator is None:
            raise web.HTTPServiceUnavailable(text="stopping")
        return self.emulator

    def _speaker(self, chat: Any, who: Any, lang: Any) -> tuple[str, Any, Any]:
        """(chat key, emulator Chat, emulator User) for a page request: which chat, speaking as whom."""
        language = lang if lang in LANGUAGES else self.settings.default_language
        key = self.chats.chat_key(chat)
        try:
            member = self.chats.member(who, key)
        except KeyError:
            raise web.HTTPBadRequest(text="unknown member") from None
        return key, self.chats.chat(key), self.chats.user(member.key, language)

    def _commands(self, lang: str, chat_key: str = "private", who: Any = None) -> list[dict[str, Any]]:
        scopes = self._emu().my_commands()
        try:
            member = self.chats.member(who, chat_key)
        except KeyError:
            member = self.chats.member(None, chat_key)
        for key in self.chats.command_scopes(chat_key, member, lang):
            if scopes.get(key):
                return scopes[key]
        return []

    def _history(self, chat_key: str = "private") -> list[dict[str, Any]]:
        bot_id = self._emu().bot_user["id"]
        return [_public_message(m, outgoing=(m.get("from") or {}).get("id") != bot_id)
                for m in self._emu().chat_history(self.chats.chat_id(chat_key))]

    async def _state(self, request: web.Request) -> web.Response:
        emu = self._emu()
        lang = request.query.get("lang", self.settings.default_language)
        chat_key = self.chats.chat_key(request.query.get("chat"))
        return web.json_response({
            "bot": {k: emu.bot_user.get(k) for k in ("first_name", "username")},
            "chat": chat_key,
            "chat_id": self.chats.chat_id(chat_key),
            "messages": self._history(chat_key),
            "commands": self._commands(lang if lang in LANGUAGES else "en", chat_key, request.query.get("as")),
            "max_bytes": self.settings.max_image_bytes,
            **self.chats.public(emu),
        })

    async def _json_body(self, request: web.Request) -> dict[str, Any]:
        if request.content_type != "application/json":  # forces a CORS preflight for any cross-site caller
            raise web.HTTPUnsupportedMediaType(text="send JSON")
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise web.HTTPBadRequest(text="bad JSON") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="bad JSON")
        return body

    @staticmethod
    def _sent(msg: dict[str, Any]) -> web.Response:
        return web.json_response({"message": _public_message(msg, outgoing=True)})

    @staticmethod
    def _reply_to(value: Any) -> int | None:
        try:
            return int(value) if value not in (None, "", 0, "0") else None
        except (TypeError, ValueError):
            raise web.HTTPBadRequest(text="reply_to must be a message id") from None

    async def _send_text(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        text = str(body.get("text") or "").strip()
        if not text or len(text) > 4096:
            raise web.HTTPBadRequest(text="text must be 1..4096 characters")
        _, chat, user = self._speaker(body.get("chat"), body.get("as"), body.get("lang"))
        reply_to = self._reply_to(body.get("reply_to"))
        try:
            msg = self._emu().user_sends_text(chat, user, text, reply_to_message_id=reply_to)
        except ValueError as exc:  # replying to a message that is not there
            raise web.HTTPBadRequest(text=str(exc)) from None
        return self._sent(msg)

    async def _send_photo(self, request: web.Request) -> web.Response:
        if not request.content_type.startswith("multipart/"):
            raise web.HTTPUnsupportedMediaType(text="send multipart/form-data")
        data: bytes | None = None
        filename, declared = "photo.jpg", ""
        fields: dict[str, str] = {}
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "photo":
                filename = part.filename or filename
                declared = part.headers.get("Content-Type", "")
                data = await part.read(decode=False)
            elif part.name in ("caption", "lang", "chat", "as"):
                fields[part.name] = (await part.text()).strip()
        if not data:
            raise web.HTTPBadRequest(text="no photo")
        _, chat, user = self._speaker(fields.get("chat"), fields.get("as"), fields.get("lang"))
        caption = fields.get("caption", "")[:1024] or None
        sniffed = _sniff_type(data)
        emu = self._emu()
        if sniffed in PHOTO_TYPES:  # like a Telegram client: compressed photo
            msg = emu.user_sends_photo(chat, user, data, caption=caption)
        else:  # anything else (HEIC, GIF, PDF, ...) arrives as a file, as it would from a phone
            mime = declared if declared and declared != "application/octet-stream" else sniffed
            msg = emu.user_sends_document(chat, user, data, filename, mime, caption=caption)
        return self._sent(msg)

    async def _press_button(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        _, chat, user = self._speaker(body.get("chat"), body.get("as"), body.get("lang"))
        try:
            self._emu().user_presses_button(chat, user, int(body["message_id"]), str(body["data"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise web.HTTPBadRequest(text=f"bad button: {exc}") from None
        return web.json_response({"ok": True})

    async def _group(self, request: web.Request) -> web.Response:
        """Group set-up from the page: ``{"bot_admin": bool}`` makes Shelly an admin (she then sees every
        message and may delete messages) or an ordinary member again."""
        body = await self._json_body(request)
        if not isinstance(body.get("bot_admin"), bool):
            raise web.HTTPBadRequest(text="bot_admin must be true or false")
        emu = self._emu()
        self.chats.set_bot_admin(emu, body["bot_admin"])
        return web.json_response(self.chats.public(emu)["group"])

    async def _file(self, request: web.Request) -> web.Response:
        try:
            data = self._emu().file_bytes(request.match_info["file_id"])
        except KeyError:
            raise web.HTTPNotFound() from None
        return web.Response(body=data, content_type=_sniff_type(data),
                            headers={"Cache-Control": "private, max-age=3600"})

    # --- live feed ------------------------------------------------------------------------------
    async def _feed(self) -> AsyncIterator[dict[str, Any]]:
        emu = self._emu()
        source = emu.subscribe()
        relay: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._streams.add(relay)

        async def pump() -> None:
            while True:
                event = await source.get()
                relay.put_nowait(event)

        task = asyncio.create_task(pump())
        try:
            while True:
                try:
                    event = await asyncio.wait_for(relay.get(), timeout=15.0)
                except TimeoutError:
                    yield {"type": "ping"}
                    continue
                if event is None:
                    return
                out = self._public_event(event)
                if out is not None:
                    yield out
        finally:
            task.cancel()
            self._streams.discard(relay)
            emu.unsubscribe(source)

    @staticmethod
    def _public_event(event: dict[str, Any]) -> dict[str, Any] | None:
        kind = event.get("type")
        if kind == "callback_answer":  # the toast a Telegram client shows after a button press
            return {"type": kind, "text": event.get("text"), "show_alert": event.get("show_alert", False)}
        chat = PlaygroundChats.key_of_chat_id(event.get("chat_id"))
        if chat is None:
            return None
        if kind in ("message", "edited", "user_message") and event.get("message"):
            return {"type": kind, "chat": chat,
                    "message": _public_message(event["message"], outgoing=kind == "user_message")}
        if kind == "deleted":
            return {"type": kind, "chat": chat, "message_id": event.get("message_id")}
        if kind == "chat_action":
            return {"type": kind, "chat": chat, "action": event.get("action")}
        return None

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no",
        })
        for key, value in _SECURITY_HEADERS.items():
            response.headers[key] = value
        await response.prepare(request)
        await response.write(b"retry: 1000\n\n")
        with contextlib.suppress(ConnectionResetError, asyncio.CancelledError):
            async for event in self._feed():
                await response.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
        return response


async def serve(settings: Settings) -> int:
    """Run the playground until SIGINT/SIGTERM, then shut everything down in order."""
    from bot.runtime import StartupError, stop_on_signals

    playground = Playground(settings)
    try:
        await playground.start()
    except StartupError as exc:
        print(f"shelly: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if "address already in use" in str(exc).lower() or getattr(exc, "errno", None) in (48, 98):
            print(f"shelly: port {settings.playground_port} on {LOOPBACK} is busy; "
                  f"choose another with SHELLY_PLAYGROUND_PORT=...", file=sys.stderr)
            return 2
        raise
    stop = asyncio.Event()
    print(f"Shelly's playground: {playground.url} (loopback only, no Telegram token needed)", flush=True)
    print("Open it in your browser, drop in a photo and say hi. Ctrl+C stops Shelly.", flush=True)
    with stop_on_signals(stop):
        try:
            await stop.wait()
        finally:
            print("Shelly is going back into her shell... bye!", flush=True)
            await playground.stop()
    return 0
