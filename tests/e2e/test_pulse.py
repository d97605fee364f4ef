"""The weekly mood pulse with two replicas: two real applications (each with its own Storage and JobQueue) on
one PostgreSQL database and one emulator. The pulse is due; the group where three people were read gets
exactly one post, the group with two people gets none, whatever the replicas do meanwhile."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from advice import text as t
from bot.emulator import Chat
from bot.pulse import PULSE_KEY, PulseJob
from tests import photos
from tests.e2e.conftest import BOB, CARL, E2E, GROUP, Harness, eventually
from tests.e2e.test_group_controls import DANA, _admin_menu, _press
from tests.pgcluster import shared_postgres_database

pytestmark = [E2E, pytest.mark.postgres]
SMALL = Chat(id=-100501, type="supergroup", title="Two friends")
TITLE_LINE = t("pulse_text", "en").splitlines()[0]


@pytest_asyncio.fixture(loop_scope="session")
async def pg_url() -> AsyncIterator[str]:
    async with shared_postgres_database() as url:
        yield url


def _keep(chart: bytes) -> None:
    """The posted chart, for a look by hand (test-output is git-ignored)."""
    out = Path(__file__).resolve().parents[2] / "test-output"
    out.mkdir(exist_ok=True)
    (out / "pulse-chart.jpg").write_bytes(chart)


def _pulses(h: Harness, chat: Chat) -> list[dict[str, Any]]:
    return [m for m in h.emu.bot_messages(chat.id) if TITLE_LINE in (m.get("caption") or "")]


async def test_two_replicas_post_one_pulse_per_chat(pg_url: str, harness_factory: Any, tmp_path: Path) -> None:
    due_now = {"pulse_weekday": datetime.now(UTC).weekday(), "pulse_hour": 0, "pulse_check_interval_s": 0.3}
    first: Harness = await harness_factory(DATABASE_URL=pg_url, journal_path=tmp_path / "a.jsonl", **due_now)
    second: Harness = await harness_factory(DATABASE_URL=pg_url, journal_path=tmp_path / "b.jsonl", polling=False,
                                            **due_now)
    emu = first.emu
    for chat in (GROUP, SMALL):
        emu.add_member(chat, BOB, status="administrator")

    # three people read in GROUP, two in SMALL (the first replica polls; both share the database)
    for chat, people in ((GROUP, (BOB, CARL, DANA)), (SMALL, (CARL, DANA))):
        for person in people:
            emu.user_sends_photo(chat, person, photos.jpeg(photos.astronaut_bgr()), caption="/mood")
        await emu.wait_for_bot_messages(chat.id, len(people), timeout=120)
    await first.storage.flush()

    for chat in (GROUP, SMALL):
        menu = await _admin_menu(first, chat)
        await _press(first, chat, BOB, menu, "grp:pulse:1")
    assert (await second.storage.get_chat_settings(GROUP.id)).pulse

    await eventually(lambda: _async(_pulses(first, GROUP)), bool, timeout=60)
    jobs: list[PulseJob] = [h.app.bot_data[PULSE_KEY] for h in (first, second)]
    seen = [job.runs for job in jobs]
    # both replicas keep checking; wait for three more completed checks on each, then count
    await eventually(lambda: _async([job.runs for job in jobs]),
                     lambda runs: all(r >= s + 3 for r, s in zip(runs, seen, strict=True)), timeout=30)

    [pulse] = _pulses(first, GROUP)
    assert pulse["photo"] and "reply_to_message" not in pulse
    chart = emu.file_bytes(max(pulse["photo"], key=lambda p: p["width"])["file_id"])
    assert chart[:8] == b"\x89PNG\r\n\x1a\n" or chart[:3] == b"\xff\xd8\xff"
    _keep(chart)
    caption = pulse["caption"]
    assert "3 people" in caption and not any(p.first_name in caption for p in (BOB, CARL, DANA))
    assert _pulses(first, SMALL) == []  # two people: no pulse (k-anonymity)
    assert sum(job.posted for job in jobs) == 1
    [(week, posted_at)] = await second.storage.pulse_weeks(GROUP.id)
    assert week == f"{datetime.now(UTC).isocalendar()[0]}-W{datetime.now(UTC).isocalendar()[1]:02d}"
    assert posted_at is not None
    assert await second.storage.pulse_weeks(SMALL.id) == []


async def _async(value: Any) -> Any:
    return value
