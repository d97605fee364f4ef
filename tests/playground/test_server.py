"""The playground's page server without a browser: routes, the live feed, and its loopback guard."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import aiohttp
import pytest

from tests import photos

pytestmark = pytest.mark.slow


async def _next_event(resp: aiohttp.ClientResponse, want: str, within_s: float = 60.0) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        async for raw in resp.content:
            line = raw.decode().strip()
            if line.startswith("data: "):
                event = json.loads(line[6:])
                if event.get("type") == want:
                    return event  # type: ignore[no-any-return]
        raise AssertionError("feed ended")
    return await asyncio.wait_for(read(), within_s)


async def test_page_photo_round_trip_through_the_real_bot(playground: Any) -> None:
    url = playground.url
    assert url.startswith("http://127.0.0.1:")
    async with aiohttp.ClientSession() as http:
        async with http.get(url + "/") as resp:
            assert resp.status == 200
            html = await resp.text()
            assert "/static/app.js" in html and "Shelly" in html
            assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")
        for name in ("app.js", "app.css"):
            async with http.get(f"{url}/static/{name}") as resp:
                assert resp.status == 200
        async with http.get(url + "/static/../server.py") as resp:
            assert resp.status == 404

        async with http.get(url + "/api/state?lang=de") as resp:
            state = await resp.json()
        # the bot registered its menu with setMyCommands at start, per language
        assert any(c["command"] == "stats" for c in state["commands"])
        assert any("Stimmung" in c["description"] for c in state["commands"])

        async with http.get(url + "/api/events", timeout=aiohttp.ClientTimeout(total=None)) as feed:
            form = aiohttp.FormData()
            form.add_field("photo", photos.jpeg(photos.astronaut_bgr()), filename="astronaut.jpg",
                           content_type="image/jpeg")
            form.add_field("lang", "en")
            async with http.post(url + "/api/photo", data=form) as resp:
                assert resp.status == 200, await resp.text()
                sent = (await resp.json())["message"]
            assert sent["from"] == "user" and sent["photo"]["file_id"]
            reply = (await _next_event(feed, "message"))["message"]
        assert reply["from"] == "bot" and reply["photo"], reply
        assert "happ" in (reply.get("caption") or "").lower()
        async with http.get(f"{url}/api/file/{reply['photo']['file_id']}") as resp:
            assert resp.status == 200 and resp.content_type == "image/jpeg"
            assert (await resp.read())[:3] == b"\xff\xd8\xff"
        async with http.get(url + "/api/file/nope") as resp:
            assert resp.status == 404

        # the history survives a page reload
        async with http.get(url + "/api/state") as resp:
            ids = [m["id"] for m in (await resp.json())["messages"]]
        assert sent["id"] in ids and reply["id"] in ids


async def test_loopback_guard(playground: Any) -> None:
    url = playground.url
    async with aiohttp.ClientSession() as http:
        # DNS rebinding: a foreign Host header is refused
        async with http.get(url + "/api/state", headers={"Host": "attacker.example"}) as resp:
            assert resp.status == 421
        # cross-site posts are refused, and JSON endpoints want JSON (forces a CORS preflight)
        async with http.post(url + "/api/text", json={"text": "/help"},
                             headers={"Origin": "https://attacker.example"}) as resp:
            assert resp.status == 403
        async with http.post(url + "/api/text", data="text=/help",
                             headers={"Content-Type": "application/x-www-form-urlencoded"}) as resp:
            assert resp.status == 415
        async with http.post(url + "/api/text", json={"text": "/help", "lang": "en"},
                             headers={"Origin": url}) as resp:
            assert resp.status == 200


LINUX_TCP_TABLE = os.path.exists("/proc/net/tcp")


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the listening TCP sockets on ``port`` (Linux: /proc/net/tcp{,6}, hex host order)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hexport = local.split(":")
                if state == "0A" and int(hexport, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


async def test_page_server_binds_loopback_only(playground: Any) -> None:
    if not LINUX_TCP_TABLE:
        pytest.skip("needs Linux /proc/net/tcp")
    assert _listening_addresses(playground.port) == {"0100007F"}  # 127.0.0.1, nothing else
