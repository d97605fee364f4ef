"""Pool errors become friendly texts: a fake pool (unit test) behind the real application and emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from advice import text as t
from bot.emulator import BotApiEmulator, Chat, User
from bot.runtime import start_shelly
from bot.settings import Settings
from inference import errors as ie
from tests import photos

TOKEN = "999:AAE-poolerrortokenabcdefghijklmnopqrs"


class FailingPool:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def analyze(self, data: bytes, annotate: bool = True, label_names: Any = None, thorough: bool = True) -> Any:
        raise self.error


@pytest.mark.parametrize(("error", "key"), [
    (ie.PoolBusy("full"), "busy"),
    (ie.AnalysisTimeout("slow"), "timeout"),
    (ie.TooManyPixels("bomb"), "too_large"),
    (ie.UnsupportedImage("gif?"), "unsupported"),
    (ie.WorkerCrashed("boom"), "error"),
])
async def test_pool_error_is_answered_kindly(tmp_path: Path, error: Exception, key: str) -> None:
    async with BotApiEmulator(TOKEN) as emu:
        settings = Settings(TELEGRAM_BOT_TOKEN=TOKEN, telegram_base_url=emu.base_url,  # type: ignore[call-arg]
                            telegram_base_file_url=emu.base_file_url, auto_migrate=True,
                            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/s.db", http_port=0, _env_file=None)
        async with start_shelly(settings, pool=FailingPool(error), run_retention=False):
            chat, user = Chat(11, "private"), User(11, "Flo")
            emu.user_sends_photo(chat, user, photos.jpeg(photos.coffee_bgr()))
            [answer] = await emu.wait_for_bot_messages(chat.id, 1, timeout=20)
            assert answer["text"] == t(key, "en", max_mb=20)
