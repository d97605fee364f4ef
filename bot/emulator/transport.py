"""The emulator's HTTP side (aiohttp on 127.0.0.1): routes, parameter parsing as Telegram accepts them
(query, form, JSON, multipart with ``attach://``), Telegram-shaped error answers, injected faults."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

from bot.emulator.faults import FaultPlan
from bot.emulator.state import ApiError, EmulatorState, Json

Method = Callable[[Json], Awaitable[Any]]

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024 * 1024
SLOW_BODY_CHUNKS = 20
# parameters that are always strings, even when they look like numbers or JSON
_STRING_PARAMS = {
    "text", "caption", "callback_data", "url", "secret_token", "parse_mode", "action", "callback_query_id",
    "file_id", "language_code", "inline_message_id", "ip_address", "description", "title",
}


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


async def parse_params(request: web.Request) -> Json:
    """A method's parameters; uploaded files become ``(filename, bytes)``."""
    params: Json = {k: _coerce(k, v) for k, v in request.query.items()}
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                params[part.name] = (part.filename, bytes(await part.read()))
            else:
                params[part.name] = _coerce(part.name, await part.text())
    else:
        for k, v in (await request.post()).items():
            if isinstance(v, str):
                params[k] = _coerce(k, v)
            elif isinstance(v, web.FileField):
                params[k] = (v.filename, v.file.read())
    for k, v in list(params.items()):  # resolve attach://name references
        if isinstance(v, str) and v.startswith("attach://"):
            params[k] = params.get(v[len("attach://"):], v)
    return params


def error_body(exc: ApiError) -> Json:
    body: Json = {"ok": False, "error_code": exc.code, "description": exc.description}
    if exc.retry_after is not None:
        body["parameters"] = {"retry_after": exc.retry_after}
    return body


class HttpTransport:
    def __init__(self, token: str, state: EmulatorState, methods: dict[str, Method], faults: FaultPlan) -> None:
        self.token = token
        self.state = state
        self.methods = {name.lower(): method for name, method in methods.items()}
        self.faults = faults
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0: any free port); returns the port."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        name = request.match_info["method"]
        try:
            params = await parse_params(request)
        except Exception as exc:  # malformed body
            return web.json_response(error_body(ApiError(400, f"Bad Request: {exc}")), status=400)
        await self.state.record_call(name, params)
        return await self._answer(request, name, lambda: self._call(name, params))

    async def _call(self, name: str, params: Json) -> tuple[int, bytes, str]:
        method = self.methods.get(name.lower())
        try:
            if method is None:
                raise ApiError(404, "Not Found")
            body: Json = {"ok": True, "result": await method(params)}
        except ApiError as exc:
            body = error_body(exc)
        except (KeyError, TypeError, ValueError) as exc:
            body = error_body(ApiError(400, f"Bad Request: {exc}"))
        return (200 if body["ok"] else body["error_code"]), json.dumps(body).encode(), "application/json"

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        path = request.match_info["path"]
        await self.state.record_call("file", {"file_path": path})

        async def read() -> tuple[int, bytes, str]:
            file_id = self.state.files_by_path.get(path)
            if file_id is None:
                return 404, json.dumps(error_body(ApiError(404, "Not Found"))).encode(), "application/json"
            return 200, self.state.files[file_id].data, "application/octet-stream"

        return await self._answer(request, "file", read)

    async def _answer(
        self, request: web.Request, method: str, produce: Callable[[], Awaitable[tuple[int, bytes, str]]],
    ) -> web.StreamResponse:
        """Apply the queued faults of ``method`` around producing the normal answer."""
        if stall := self.faults.take(method, "stall"):
            self._fired(method, "stall")
            await asyncio.sleep(stall.seconds)
        if self.faults.take(method, "drop"):
            self._fired(method, "drop")
            if request.transport is not None:
                request.transport.abort()  # no status line, no body: the client sees a dropped connection
            return web.Response(status=204)  # never written: the transport is gone
        if fail := self.faults.take(method, "fail"):
            self._fired(method, "fail")
            body = error_body(ApiError(fail.status, fail.text(), fail.retry_after))
            return web.json_response(body, status=fail.status)
        status, data, content_type = await produce()
        if slow := self.faults.take(method, "slow_body"):
            self._fired(method, "slow_body")
            response = await self._trickle(request, status, data, content_type, slow.seconds)
            self._fired(method, "slow_body_done")
            return response
        return web.Response(status=status, body=data, content_type=content_type)

    @staticmethod
    async def _trickle(
        request: web.Request, status: int, data: bytes, content_type: str, seconds: float,
    ) -> web.StreamResponse:
        """Headers at once, then the body in pieces spread over ``seconds`` (the last piece after all of them)."""
        response = web.StreamResponse(status=status, headers={"Content-Type": content_type})
        response.content_length = len(data)
        await response.prepare(request)
        step = -(-len(data) // SLOW_BODY_CHUNKS) or 1
        pieces = [data[i:i + step] for i in range(0, len(data), step)] or [b""]
        for piece in pieces:
            await asyncio.sleep(seconds / len(pieces))
            await response.write(piece)
        await response.write_eof()
        return response

    def _fired(self, method: str, fault: str) -> None:
        logger.info("emulator: injected %s on %s", fault, method)
        self.state.broadcast({"type": "fault", "chat_id": None, "message": None, "method": method.lower(),
                              "fault": fault})
