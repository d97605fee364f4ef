"""The playground in headless Chromium: pick a photo, send it, see Shelly's annotated picture and advice,
press an inline button, switch the language. Screenshots go to test-output/ (git-ignored)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests import photos
from tests.playground.conftest import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HAPPY = re.compile(r"happ|joy|smil|cheer|Freude|fröhlich|glücklich|lächel|froh", re.IGNORECASE)


async def test_photo_reply_buttons_and_language_in_chromium(
    playground: Any, chromium_path: str, test_output: Path, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes(photos.jpeg(photos.astronaut_bgr()))
    console_errors: list[str] = []

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS,
                                           timeout=60_000)
        try:
            context = await browser.new_context(viewport={"width": 430, "height": 932}, device_scale_factor=1,
                                                locale="en-US")
            page = await context.new_page()
            page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: console_errors.append(str(exc)))
            await page.goto(playground.url, wait_until="domcontentloaded")
            await expect(page.locator("h1")).to_have_text("Shelly")
            await expect(page.locator(".chip", has_text="/stats")).to_be_visible(timeout=15_000)
            await expect(page.locator("#welcome")).to_be_visible()
            await page.screenshot(path=str(test_output / "playground-welcome.png"))

            # pick a photo: the preview shows it before sending
            await page.set_input_files("#file", str(photo))
            await expect(page.locator("#preview")).to_be_visible()
            await page.wait_for_function("document.querySelector('#preview-img').naturalWidth > 0")
            await page.fill("#caption", "Hi Shelly!")
            await page.click("#preview-send")
            await expect(page.locator("#preview")).to_be_hidden()
            await expect(page.locator(".msg.user img.photo")).to_have_count(1)

            # Shelly's reply: the annotated picture (really loaded) and advice that names the happy mood
            bot_photo = page.locator(".msg.bot img.photo").first
            await expect(bot_photo).to_be_visible(timeout=90_000)
            await page.wait_for_function(
                "() => { const i = document.querySelector('.msg.bot img.photo');"
                " return i && i.complete && i.naturalWidth > 0; }", timeout=30_000)
            reply_text = await page.locator(".msg.bot").first.inner_text()
            assert HAPPY.search(reply_text), reply_text
            await page.wait_for_timeout(400)  # let the smooth scroll settle
            await page.screenshot(path=str(test_output / "playground-photo.png"))

            # a command typed in the box, then an inline button pressed: /language -> Deutsch
            await page.fill("#text", "/language")
            await page.press("#text", "Enter")
            button = page.locator(".kb button[data-callback='lang:de']")
            await expect(button).to_be_visible(timeout=30_000)
            message = page.locator(".msg.bot", has=button)
            message_id = await message.get_attribute("data-id")
            await button.click()
            edited = page.locator(f".msg.bot[data-id='{message_id}']")
            await expect(edited).to_contain_text("✓", timeout=30_000)
            await expect(edited).to_contain_text("Deutsch")

            # the page's own language toggle: German UI, German command menu, German answers
            await page.click(".lang-btn[data-lang='de']")
            await expect(page.locator("#text")).to_have_attribute("placeholder", re.compile("Nachricht"))
            await expect(page.locator(".chip", has_text="/stats")).to_have_attribute(
                "title", re.compile("Stimmung"), timeout=10_000)
            before = await page.locator(".msg.bot").count()
            await page.locator(".chip", has_text="/stats").click()
            await expect(page.locator(".msg.bot")).to_have_count(before + 2, timeout=60_000)
            await page.wait_for_function(
                "() => [...document.querySelectorAll('.msg.bot img.photo')]"
                ".every(i => i.complete && i.naturalWidth > 0)",
                timeout=30_000)
            stats_text = await page.locator(".msg.bot").nth(before).inner_text()
            assert HAPPY.search(stats_text), stats_text
            await page.wait_for_timeout(400)
            await page.screenshot(path=str(test_output / "playground-final.png"))

            # desktop width too
            await page.set_viewport_size({"width": 1280, "height": 900})
            await page.wait_for_timeout(300)
            await page.screenshot(path=str(test_output / "playground-desktop.png"))
        finally:
            await browser.close()
    assert not console_errors, console_errors
