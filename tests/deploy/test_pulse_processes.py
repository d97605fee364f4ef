"""The weekly mood pulse with two real ``shelly run`` processes on one PostgreSQL database and one Bot API
emulator (in this test process): the pulse is due in both, exactly one post goes to the group where three people
were read, none to the group with two. Each replica's checks are read from its own ``/metrics``."""

from __future__ import annotations

import asyncio
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from advice import text as t
from bot.emulator import BotApiEmulator, Chat, User
from bot.storage import ChatSettings, Storage
from tests.deploy.replica_processes import count_rows, replicas, shelly_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SECRET = "pulse-process-test-pseudonyms"
BIG = Chat(id=-100700, type="supergroup", title="Three friends")
SMALL = Chat(id=-100701, type="supergroup", title="Two friends")
PEOPLE = [User(id=7000 + i, first_name=name, language_code="en") for i, name in enumerate(("Ann", "Ben", "Cat"))]
CHECKS = re.compile(r'^shelly_pulse_checks_total\{result="(\w+)"\} ([0-9.e+]+)$', re.MULTILINE)
POSTS = re.compile(r"^shelly_pulse_posts_total ([0-9.e+]+)$", re.MULTILINE)


async def _seed(db_url: str) -> None:
    """Mood events of three people in BIG and two in SMALL, and the pulse on in both (as an admin would)."""
    storage = Storage(db_url, pseudonym_secret=SECRET, auto_migrate=False)
    await storage.start(run_retention=False)
    try:
        now = datetime.now(UTC) - timedelta(hours=1)
        for chat, people in ((BIG, PEOPLE), (SMALL, PEOPLE[:2])):
            for n, person in enumerate(people):
                storage.record_analysis(update_id=chat.id * 10 + n, user_id=person.id, chat_id=chat.id,
                                        chat_type="supergroup", emotions=[("happiness", 0.9)], model_version="t",
                                        when=now)
            await storage.save_chat_settings(chat.id, ChatSettings(pulse=True))
        assert await storage.flush() == 5
    finally:
        await storage.close()


async def _metrics(http: aiohttp.ClientSession, url: str) -> tuple[dict[str, float], float]:
    async with http.get(url + "/metrics") as resp:
        body = await resp.text()
    posts = POSTS.search(body)
    return {k: float(v) for k, v in CHECKS.findall(body)}, float(posts.group(1)) if posts else 0.0


async def test_two_processes_post_one_pulse_per_chat(fresh_postgres_url: str, tmp_path: Path) -> None:
    token = f"{5_100_000_000 + os.getpid()}:AAE{'p' * 32}"
    emulator = BotApiEmulator(token)
    await emulator.start()
    for chat in (BIG, SMALL):
        for person in PEOPLE:
            emulator.add_member(chat, person)
    env = shelly_env(
        token, emulator, fresh_postgres_url, SHELLY_MODE="polling", SHELLY_PSEUDONYM_SECRET=SECRET,
        SHELLY_INFERENCE_POOL="thread",
        SHELLY_PULSE_WEEKDAY=str(datetime.now(UTC).weekday()),  # due today, from midnight (chats: UTC)
        SHELLY_PULSE_HOUR="0", SHELLY_PULSE_CHECK_INTERVAL_S="0.5")
    try:
        async with replicas(env, tmp_path) as group:
            await group.migrate()
            await _seed(fresh_postgres_url)
            await group.start()

            [pulse] = await emulator.wait_for_bot_messages(BIG.id, 1, timeout=120)
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
                at_post = [sum((await _metrics(http, url))[0].values()) for url in group.urls]
                # both replicas go on checking (one leads, one stands by): three more checks each, then stop them
                for url, seen in zip(group.urls, at_post, strict=True):
                    for _ in range(200):
                        if sum((await _metrics(http, url))[0].values()) >= seen + 3:
                            break
                        await asyncio.sleep(0.1)
                    else:
                        raise AssertionError(f"{url} stopped checking")
                final = [await _metrics(http, url) for url in group.urls]
            await group.stop()  # a replica that exited on SIGTERM has sent everything it ever will

            assert emulator.bot_messages(BIG.id) == [pulse]
            assert pulse["photo"] and t("pulse_text", "en").splitlines()[0] in pulse["caption"]
            assert "3 people" in pulse["caption"]
            assert emulator.bot_messages(SMALL.id) == []  # two people: no pulse
            assert sum(posts for _checks, posts in final) == 1
            results = [checks for checks, _posts in final]
            assert sum(r.get("standby", 0) for r in results) >= 1, results  # the lease turned a replica away
            assert all(r.get("error", 0) == 0 for r in results), results
            assert await count_rows(fresh_postgres_url, "SELECT count(*) FROM pulse_posts") == 1
            assert await count_rows(fresh_postgres_url, "SELECT count(*) FROM leases") == 1
    finally:
        await emulator.stop()
