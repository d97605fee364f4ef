"""The whole bot with a database that stops or freezes, then a shutdown (what SIGTERM triggers) while it is still
down, then a restart on the recovered database: every photo gets exactly one answer, no mood event is lost and
none is counted twice.

A throwaway PostgreSQL cluster on its own port (``tests/pgcluster.py``), never the shared server; the real
Application, pool and storage, started and stopped through ``bot.runtime.start_shelly`` like production.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from advice import text as t
from bot.emulator import BotApiEmulator, Chat, User
from bot.runtime import start_shelly
from tests import photos
from tests.e2e.conftest import E2E, eventually, make_settings
from tests.pgcluster import PgCluster

pytestmark = [E2E, pytest.mark.postgres, pytest.mark.slow]

PHOTOS_WHILE_DOWN = 4


async def _count_events(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text("SELECT count(*) FROM mood_events"))).scalar_one())
    finally:
        await engine.dispose()


async def _photo_answered(emu: BotApiEmulator, user_id: int, jpeg: bytes) -> dict[str, Any]:
    chat, user = Chat(id=user_id, type="private"), User(id=user_id, first_name="P", language_code="en")
    emu.user_sends_photo(chat, user, jpeg)
    [answer] = await emu.wait_for_bot_messages(chat.id, 1, timeout=60)
    return answer


@pytest.mark.parametrize("fault", ["freeze", "stop"])
async def test_database_down_then_shutdown_then_restart_loses_and_doubles_nothing(
    fault: str, throwaway_pg: PgCluster, emu: BotApiEmulator, pool: Any, tmp_path: Path,
) -> None:
    selfie = photos.jpeg(photos.astronaut_bgr())
    async with throwaway_pg.fresh_database() as url:
        settings = make_settings(tmp_path, emu, DATABASE_URL=url, journal_path=tmp_path / "journal.jsonl",
                                 db_breaker_s=60.0)
        async with start_shelly(settings, pool=pool, intake="polling", run_retention=False, poll_timeout_s=1) as s:
            assert "photo" in await _photo_answered(emu, 5001, selfie)
            assert await eventually(lambda: _count_events(url), lambda n: n == 1) == 1  # recorded after sending
            (throwaway_pg.freeze if fault == "freeze" else throwaway_pg.stop)()
            for i in range(PHOTOS_WHILE_DOWN):  # each one answered, exactly once, while the database is down
                answer = await _photo_answered(emu, 5100 + i, selfie)
                assert "photo" in answer and "happy" in answer["caption"].lower()
            assert not s.storage.available
        # the block is left as on SIGTERM: the events the database could not take are journaled
        journal = tmp_path / "journal.jsonl"
        assert journal.is_file() and len(journal.read_text().splitlines()) == PHOTOS_WHILE_DOWN
        assert sum(len(emu.bot_messages(5100 + i)) for i in range(PHOTOS_WHILE_DOWN)) == PHOTOS_WHILE_DOWN

        (throwaway_pg.thaw if fault == "freeze" else throwaway_pg.start)()
        for _ in range(2):  # a restart replays the journal; a second restart finds nothing more to add
            async with start_shelly(settings, pool=pool, intake="none", serve_http=False, run_retention=False):
                pass
            assert await _count_events(url) == 1 + PHOTOS_WHILE_DOWN
        assert not journal.exists()


async def test_commands_that_need_the_database_get_a_kind_answer_while_it_is_down(
    throwaway_pg: PgCluster, emu: BotApiEmulator, pool: Any, tmp_path: Path,
) -> None:
    chat, user = Chat(id=5201, type="private"), User(id=5201, first_name="Q", language_code="de")
    async with throwaway_pg.fresh_database() as url:
        settings = make_settings(tmp_path, emu, DATABASE_URL=url, journal_path=tmp_path / "journal.jsonl")
        async with start_shelly(settings, pool=pool, intake="polling", run_retention=False, poll_timeout_s=1):
            throwaway_pg.stop()
            for n, command in enumerate(("/stats", "/optout"), start=1):
                emu.user_sends_text(chat, user, command)
                answers = await emu.wait_for_bot_messages(chat.id, n, timeout=60)
                assert answers[-1]["text"] == t("storage_unavailable", "de"), (command, answers[-1])
            emu.user_sends_text(chat, user, "/forget")  # asks first (no database needed), then the button
            confirm = (await emu.wait_for_bot_messages(chat.id, 3, timeout=60))[-1]
            yes = confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            emu.user_presses_button(chat, user, confirm["message_id"], yes)
            [answered] = await emu.wait_for_calls("answerCallbackQuery", 1, timeout=60)
            assert answered["text"] == t("storage_unavailable", "de")[:200] and answered["show_alert"]
            throwaway_pg.start()
