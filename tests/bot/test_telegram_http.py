"""The aiohttp transport under python-telegram-bot, against a real aiohttp server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import BodyPartReader, web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.telegram_http import AiohttpRequest, endpoint

TOKEN = "123456:SECRET-token-part"


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def api(request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if method == "stall":
            await asyncio.sleep(3)
        if method == "trickle":
            response = web.StreamResponse()
            await response.prepare(request)
            for _ in range(30):  # a byte every 0.1 s: no single read waits long, the whole never ends in time
                await response.write(b" ")
                await asyncio.sleep(0.1)
            return response
        fields: dict[str, Any] = {}
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                assert isinstance(part, BodyPartReader)
                fields[part.name or ""] = ((part.filename, part.headers.get("Content-Type"), bytes(await part.read()))
                                           if part.filename else await part.text())
        else:
            fields = dict(await request.post())
        seen.append({"method": method, "http": request.method, "fields": fields})
        return web.json_response({"ok": True, "result": True}, status=200 if method != "teapot" else 418)

    async def file(request: web.Request) -> web.Response:
        return web.Response(body=b"\xff\xd8jpeg bytes")

    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", api)
    app.router.add_get("/file/bot{token}/{path:.*}", file)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


@pytest.fixture
async def request_() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(read_timeout=0.5, write_timeout=0.5, connect_timeout=0.5, pool_timeout=0.5)
    await request.initialize()
    yield request
    await request.shutdown()


async def test_form_and_multipart_bodies_and_downloads(server: tuple[str, list[dict[str, Any]]],
                                                       request_: AiohttpRequest) -> None:
    base, seen = server
    plain = RequestData([RequestParameter.from_input("chat_id", 42), RequestParameter.from_input("text", "hi")])
    answer = await request_.do_request(f"{base}/bot{TOKEN}/sendMessage", "POST", plain)
    assert answer == (200, b'{"ok": true, "result": true}')
    photo = RequestData([RequestParameter.from_input("chat_id", 42),
                         RequestParameter.from_input("photo", InputFile(b"\xff\xd8pic", filename="a.jpg"))])
    status, _ = await request_.do_request(f"{base}/bot{TOKEN}/sendPhoto", "POST", photo)
    assert status == 200
    assert seen[0] == {"method": "sendMessage", "http": "POST", "fields": {"chat_id": "42", "text": "hi"}}
    assert seen[1]["fields"] == {"chat_id": "42", "photo": ("a.jpg", "image/jpeg", b"\xff\xd8pic")}
    assert await request_.do_request(f"{base}/file/bot{TOKEN}/photos/x.jpg", "GET") == (200, b"\xff\xd8jpeg bytes")
    assert (await request_.do_request(f"{base}/bot{TOKEN}/teapot", "POST"))[0] == 418  # statuses are PTB's to read


@pytest.mark.parametrize("method", ["stall", "trickle"])
async def test_a_stalled_or_trickling_answer_times_out(server: tuple[str, list[dict[str, Any]]],
                                                       request_: AiohttpRequest, method: str) -> None:
    base, _ = server
    started = time.monotonic()
    with pytest.raises(TimedOut):
        await request_.do_request(f"{base}/bot{TOKEN}/{method}", "POST")
    assert time.monotonic() - started < 2.5  # read 0.5 s for a stall; all four timeouts (2 s) for a trickle


async def test_an_explicit_read_timeout_wins(server: tuple[str, list[dict[str, Any]]],
                                             request_: AiohttpRequest) -> None:
    base, _ = server
    started = time.monotonic()
    with pytest.raises(TimedOut):
        await request_.do_request(f"{base}/bot{TOKEN}/stall", "POST", read_timeout=0.1)
    assert time.monotonic() - started < 0.45


async def test_a_refused_connection_is_a_network_error_without_the_token(caplog: pytest.LogCaptureFixture,
                                                                         request_: AiohttpRequest) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(NetworkError) as raised:
        await request_.do_request(f"http://127.0.0.1:9/bot{TOKEN}/getMe", "POST")
    assert not isinstance(raised.value, TimedOut) and raised.value.message.startswith("aiohttp.")
    assert TOKEN not in str(raised.value) and TOKEN not in caplog.text and "getMe" in caplog.text


async def test_lifecycle() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await request.do_request("http://127.0.0.1:9/x", "GET")
    await request.initialize()
    await request.shutdown()
    await request.initialize()  # PTB may initialize again after a shutdown
    await request.shutdown()
    assert request.read_timeout == 5.0


def test_endpoint_names_the_method_never_the_token() -> None:
    assert endpoint(f"https://api.telegram.org/bot{TOKEN}/sendPhoto") == "sendPhoto"
    assert endpoint(f"https://api.telegram.org/file/bot{TOKEN}/photos/file_7.jpg") == "file"


async def test_the_environments_proxy_is_used(server: tuple[str, list[dict[str, Any]]],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """As with httpx before: HTTP(S)_PROXY from the environment applies (here a local server plays the proxy)."""
    base, seen = server
    monkeypatch.setenv("HTTP_PROXY", base)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    request = AiohttpRequest()
    await request.initialize()
    try:
        status, _ = await request.do_request(f"http://telegram.invalid/bot{TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()
    assert status == 200 and seen[-1]["method"] == "getMe"
