"""Fixtures for the playground tests: a real playground (emulator + real bot + page server) on free
loopback ports, and headless Chromium for the browser test."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings import MODELS_DIR, Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_OUTPUT = REPO_ROOT / "test-output"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def _missing(reason: str) -> None:
    if os.environ.get("SHELLY_REQUIRE_BROWSER") == "1":
        pytest.fail(f"SHELLY_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def chromium_path() -> str:
    found = os.environ.get("SHELLY_CHROMIUM") or next(
        (p for p in CHROMIUM_CANDIDATES if Path(p).is_file()), None) or shutil.which("chromium")
    if not found:
        _missing("no Chromium found (apt-get install chromium)")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        _missing("the playwright Python package is not installed")
    assert found is not None
    return found


@pytest.fixture
def models_present() -> None:
    for name in ("centerface.onnx", "shelly-emotion.onnx"):
        if not (MODELS_DIR / name).is_file():
            pytest.skip(f"models/{name} is missing (run `shelly setup-models`)")


@pytest.fixture
def test_output() -> Path:
    TEST_OUTPUT.mkdir(exist_ok=True)
    return TEST_OUTPUT


@pytest.fixture
async def playground(tmp_path: Path, models_present: None) -> AsyncIterator[object]:
    """The real thing: BotApiEmulator + Shelly's Application (polling it) + the page server, port 0."""
    from bot.playground import Playground

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'playground.db'}",
        inference_workers=1,
        user_cooldown_s=0.0,
        chat_cooldown_s=0.0,
    )
    pg = Playground(settings, port=0)
    await pg.start()
    try:
        yield pg
    finally:
        await pg.stop()
