"""Production's start path (bot.runtime / ``shelly run``) against the emulator: a fresh checkout starts, an
unreachable Bot API is waited for (polling) or refused in one line (webhook), the webhook caps bodies, /healthz
reports the storage, and a whole conversation logged at DEBUG leaks no personal data."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

import aiohttp

from bot.cli.run import serve
from bot.emulator import BotApiEmulator, Chat, User
from bot.runtime import start_shelly
from bot.storage.schema import head_revisions
from tests import photos
from tests.e2e.conftest import E2E, TOKEN, Harness, _require_models, make_settings
from tests.ports import free_port

pytestmark = E2E
REPO_ROOT = Path(__file__).resolve().parents[2]



async def _read_until(stream: asyncio.StreamReader, needle: str, seen: list[str]) -> None:
    while True:
        line = (await stream.readline()).decode()
        if not line:
            raise AssertionError(f"stream ended before {needle!r}: {''.join(seen)}")
        seen.append(line)
        if needle in line:
            return


async def test_fresh_checkout_starts_waits_for_telegram_and_answers_once_it_is_up(tmp_path: Path) -> None:
    """``TELEGRAM_BOT_TOKEN=123:abc shelly run`` in an empty directory: the SQLite schema is created, the
    unreachable Bot API gives one clear line (no traceback) and retries; once the API is up she answers."""
    _require_models()
    token = "123:abc"
    port = free_port()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": token,
           "SHELLY_TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot",
           "SHELLY_TELEGRAM_BASE_FILE_URL": f"http://127.0.0.1:{port}/file/bot",
           "SHELLY_HTTP_PORT": "0", "SHELLY_INFERENCE_WORKERS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("DATABASE_URL", None)
    env.pop("SHELLY_AUTO_MIGRATE", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main(['run']))",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    assert proc.stderr is not None
    seen: list[str] = []
    try:
        await asyncio.wait_for(_read_until(proc.stderr, "Telegram Bot API unreachable", seen), 120)
        with sqlite3.connect(tmp_path / "shelly.db") as db:  # migrated at start, no `shelly db upgrade`
            assert {row[0] for row in db.execute("SELECT version_num FROM alembic_version")} == head_revisions()
        async with BotApiEmulator(token, port=port) as emu:
            chat, user = Chat(id=77, type="private"), User(id=77, first_name="Nia", language_code="en")
            emu.user_sends_text(chat, user, "/help")
            [answer] = await emu.wait_for_bot_messages(chat.id, 1, timeout=60)
            assert answer["text"]
            assert emu.calls("setMyCommands")  # the menus were registered once the API answered
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 60) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    seen.append((await proc.stderr.read()).decode())
    log = "".join(seen)
    assert "Traceback" not in log, log
    assert "no Shelly schema" not in log
    assert sum("Telegram Bot API unreachable" in line for line in log.splitlines()) == 1, log


def _shelly_lines(stderr: str) -> list[str]:
    """The lines ``serve`` printed itself (logging may share stderr); never a traceback."""
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if line.startswith("shelly:")]


async def test_webhook_start_with_the_api_unreachable_exits_2_in_one_line(tmp_path: Path, capsys, caplog) -> None:
    _require_models()
    port = free_port()  # nothing listens there
    settings = make_settings(tmp_path, None, mode="webhook", webhook_url="https://shelly.example",
                             telegram_base_url=f"http://127.0.0.1:{port}/bot", http_port=0)
    assert await serve(settings) == 2
    [line] = _shelly_lines(capsys.readouterr().err)
    assert line.startswith("shelly: Telegram Bot API unreachable"), line
    gc.collect()  # an HTTP session left open by the failed start would complain now
    assert "Unclosed" not in caplog.text


async def test_webhook_refused_by_set_webhook_exits_2_with_the_reason(emu, tmp_path: Path, capsys) -> None:
    _require_models()
    emu.fail_next("setWebhook", status=400, description="Bad Request: bad webhook: HTTPS url must be provided")
    settings = make_settings(tmp_path, emu, mode="webhook", webhook_url="http://shelly.example", http_port=0)
    assert await serve(settings) == 2
    [line] = _shelly_lines(capsys.readouterr().err)
    assert line.startswith("shelly: webhook set-up failed") and "https url must be provided" in line.lower(), line
    assert TOKEN.split(":")[1] not in line


async def _raw_post(port: int, path: str, head: dict[str, str], body_chunks: list[bytes]) -> int:
    """POST by hand (asyncio streams) and return the status: the server may answer before the body is sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *(f"{k}: {v}" for k, v in head.items())]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        for chunk in body_chunks:
            writer.write(chunk)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 30)
        return int(status_line.split()[1])
    finally:
        writer.close()


async def test_webhook_caps_the_body_and_healthz_reports_storage(emu, pool: Any, tmp_path: Path) -> None:
    port = free_port()
    settings = make_settings(tmp_path, emu, mode="webhook", http_port=port, webhook_url=f"http://127.0.0.1:{port}",
                             webhook_path="/telegram/limits", webhook_secret="limit-secret")
    secret = {"X-Telegram-Bot-Api-Secret-Token": "limit-secret", "Content-Type": "application/json"}
    async with start_shelly(settings, pool=pool, run_retention=False) as shelly:
        assert shelly.server is not None and shelly.server.port == port
        # 50 MB announced: 413 before a byte of the body is sent
        status = await _raw_post(port, "/telegram/limits", {**secret, "Content-Length": str(50 * 1024 * 1024)}, [])
        assert status == 413
        # no Content-Length (chunked): read up to the cap, then 413
        chunk = b"x" * (256 * 1024)
        chunks = [f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"] * 8 + [b"0\r\n\r\n"]
        status = await _raw_post(port, "/telegram/limits", {**secret, "Transfer-Encoding": "chunked"}, chunks)
        assert status == 413
        # a malformed body is a 400; real updates (the emulator posts them to the webhook) go through
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{shelly.server.url}/telegram/limits", data=b"[1,", headers=secret) as r:
                assert r.status == 400
            emu.user_sends_text(Chat(id=9, type="private"), User(id=9, first_name="Ida"), "/help")
            await emu.wait_for_bot_messages(9, 1, timeout=30)
            async with http.get(f"{shelly.server.url}/healthz") as r:
                health = await r.json()
                assert r.status == 200
            async with http.get(f"{shelly.server.url}/metrics") as r:
                assert r.status == 200 and r.content_type == "text/plain"
                metrics = await r.text()
        assert health["storage_available"] is True and health["database"] is True
        assert health["inference_pool"] is True and health["status"] == "ok"
        assert 'shelly_errors_total{kind="webhook_too_large"} 2.0' in metrics
        assert 'shelly_errors_total{kind="webhook_bad_request"} 1.0' in metrics


async def test_a_conversation_logged_at_debug_leaks_no_personal_data(harness_factory, caplog) -> None:
    """The whole flow with every logger at DEBUG: python-telegram-bot's update dumps, request parameters and
    API results are scrubbed, so no user id, name, username or message text reaches any record."""
    caplog.set_level(logging.DEBUG)
    h: Harness = await harness_factory()
    emu = h.emu
    uid = 987_654_321
    chat = Chat(id=uid, type="private")
    user = User(id=uid, first_name="Zebulonia", username="zeb_tester_42", language_code="en")
    group = Chat(id=-100_777_888_999, type="supergroup", title="Quokka Appreciation Society")
    text = "my private diary says pineapple"
    emu.user_sends_text(chat, user, text)
    emu.user_sends_text(chat, user, "/start")
    emu.user_sends_photo(chat, user, photos.jpeg(photos.astronaut_bgr()), caption="caption about marmalade")
    emu.user_sends_text(group, user, "/help")
    await emu.wait_for_bot_messages(chat.id, 3, timeout=60)
    await emu.wait_for_bot_messages(group.id, 1, timeout=30)
    await asyncio.sleep(0.5)  # let the last API results be logged
    records = [r for r in caplog.records if not r.name.startswith("bot.emulator")]  # the emulator is "Telegram"
    assert any(r.name.startswith("telegram") and r.levelno == logging.DEBUG for r in records)
    assert any(r.name == "bot.telegram_http" and "sendPhoto: 200" in r.getMessage() for r in records)
    secrets = [str(uid), "Zebulonia", "zeb_tester_42", "pineapple", "marmalade", "Quokka", "777888999"]
    for record in records:
        rendered = record.getMessage() + (record.exc_text or "")
        for secret in secrets:
            assert secret not in rendered, (record.name, rendered[:300])
