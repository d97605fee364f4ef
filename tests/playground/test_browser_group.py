"""The playground's group chat in headless Chromium: switch who you are, /mood as a reply and as a caption,
admin-only /settings, group /stats and its at-least-three-people rule, /optout. Screenshots in test-output/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from advice import text as t
from bot.playground.chats import GROUP_ID
from tests import photos
from tests.playground.conftest import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_group_chat_in_chromium(playground: Any, chromium_path: str, test_output: Path, tmp_path: Path) -> None:
    from playwright.async_api import Page, async_playwright, expect

    astronaut, hopper = tmp_path / "astronaut.jpg", tmp_path / "hopper.jpg"
    astronaut.write_bytes(photos.jpeg(photos.astronaut_bgr()))
    hopper.write_bytes(photos.jpeg(photos.grace_hopper_bgr()))
    console_errors: list[str] = []
    bot_msgs = ".msg.bot"

    async def be(page: Page, member: str) -> None:
        await page.click(f".member[data-member='{member}']")
        await expect(page.locator(f".member[data-member='{member}']")).to_have_attribute("aria-checked", "true")

    async def say(page: Page, text: str) -> None:
        await page.fill("#text", text)
        await page.press("#text", "Enter")

    async def send_photo(page: Page, path: Path, caption: str = "") -> None:
        await page.set_input_files("#file", str(path))
        await expect(page.locator("#preview")).to_be_visible()
        await page.fill("#caption", caption)
        await page.click("#preview-send")
        await expect(page.locator("#preview")).to_be_hidden()

    async def bot_count(page: Page, n: int, within_ms: float = 90_000) -> None:
        await expect(page.locator(bot_msgs)).to_have_count(n, timeout=within_ms)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            context = await browser.new_context(viewport={"width": 430, "height": 932}, locale="en-US")
            page = await context.new_page()
            page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: console_errors.append(str(exc)))
            await page.goto(playground.url, wait_until="domcontentloaded")
            await expect(page.locator(".chip", has_text="/stats")).to_be_visible(timeout=15_000)
            assert await page.locator("#groupbar").is_hidden()

            # open the group: four people, "You" selected, the group's welcome and menu
            await page.click(".chat-tab[data-chat='group']")
            await expect(page.locator("#title")).to_have_text("Shelly's test group")
            await expect(page.locator(".member")).to_have_count(4)
            await expect(page.locator(".member[data-member='you']")).to_have_attribute("aria-checked", "true")
            await expect(page.locator(".member[data-member='alex'] .tag")).to_have_text("admin")
            await expect(page.locator("#welcome-group")).to_be_visible()
            await expect(page.locator(".chip", has_text="/mood")).to_be_visible(timeout=15_000)
            await page.screenshot(path=str(test_output / "playground-group-welcome.png"))

            # a plain photo: privacy mode, Shelly stays quiet; Bea replies /mood to it and Shelly answers
            await send_photo(page, astronaut)
            mine = page.locator(".msg.user img.photo")
            await expect(mine).to_have_count(1)
            photo_id = await page.locator(".msg.user").first.get_attribute("data-id")
            await be(page, "bea")
            # from Bea's point of view the photo is someone else's, labelled with the sender
            await expect(page.locator(f".msg.other[data-id='{photo_id}'] .sender")).to_have_text("You")
            await page.click(f".msg[data-id='{photo_id}'] .reply-btn")
            await expect(page.locator("#replybar")).to_be_visible()
            await expect(page.locator("#reply-name")).to_have_text("Replying to You")
            await say(page, "/mood")
            await expect(page.locator("#replybar")).to_be_hidden()
            await bot_count(page, 1)
            answer = page.locator(bot_msgs).first
            await expect(answer.locator("img.photo")).to_be_visible()
            await expect(answer.locator(".quote .ico-photo")).to_have_text("Photo")
            await page.wait_for_function(
                "() => [...document.querySelectorAll('.msg.bot img.photo')].every(i => i.complete && i.naturalWidth)")
            await page.wait_for_timeout(400)
            await page.screenshot(path=str(test_output / "playground-group-mood-reply.png"))

            # /mood as a caption, as Cy
            await be(page, "cy")
            await send_photo(page, hopper, caption="/mood")
            await bot_count(page, 2)

            # only two people read so far: /stats explains the three-people rule instead of a chart
            await say(page, "/stats")
            await bot_count(page, 3, 30_000)
            await expect(page.locator(bot_msgs).nth(2)).to_contain_text(t("stats_group_needs_people", "en", people=3))

            # /settings: Cy is refused, Alex (admin) gets the menu
            await say(page, "/settings")
            await bot_count(page, 4, 30_000)
            await expect(page.locator(bot_msgs).nth(3)).to_contain_text(t("not_admin", "en"))
            await be(page, "alex")
            await expect(page.locator(".chip", has_text="/settings")).to_be_visible(timeout=10_000)
            await say(page, "/settings")
            await bot_count(page, 5, 30_000)
            menu = page.locator(bot_msgs).nth(4)
            await expect(menu.locator(".kb button").first).to_be_visible()
            await page.wait_for_timeout(400)
            await page.screenshot(path=str(test_output / "playground-group-settings.png"))

            # the admin controls page of /settings: only admins may ask, then everyone again
            await menu.locator(".kb button[data-callback='grp:menu:']").click()
            await expect(menu).to_contain_text("Admin controls", timeout=30_000)
            await menu.locator(".kb button[data-callback='grp:ask:admins']").click()
            await expect(menu.locator(".body")).to_contain_text(t("admin_who_admins", "en"), timeout=30_000)
            await menu.locator(".kb button[data-callback='grp:quiet:1']").click()
            await expect(menu.locator(".kb button[data-callback='grp:qs:+1']")).to_be_visible(timeout=30_000)
            await menu.scroll_into_view_if_needed()
            await page.wait_for_timeout(400)
            await page.screenshot(path=str(test_output / "playground-group-admin-controls.png"))
            await menu.locator(".kb button[data-callback='grp:quiet:0']").click()
            await expect(menu.locator(".kb button[data-callback='grp:qs:+1']")).to_have_count(0, timeout=30_000)
            await menu.locator(".kb button[data-callback='grp:ask:everyone']").click()
            await expect(menu.locator(".body")).to_contain_text(t("admin_who_everyone", "en"), timeout=30_000)

            # a third person: Bea's photo; now the group's /stats draws its chart
            await be(page, "bea")
            await send_photo(page, astronaut, caption="/mood")
            await bot_count(page, 6)
            await say(page, "/stats")
            await bot_count(page, 8, 60_000)
            await expect(page.locator(bot_msgs).nth(7).locator("img.photo")).to_be_visible()
            await page.wait_for_function(
                "() => [...document.querySelectorAll('.msg.bot img.photo')].every(i => i.complete && i.naturalWidth)")

            # Cy opts out
            await be(page, "cy")
            await say(page, "/optout")
            await bot_count(page, 9, 30_000)
            await expect(page.locator(bot_msgs).nth(8)).to_contain_text(t("opted_out", "en"))
            await page.wait_for_timeout(400)
            await page.screenshot(path=str(test_output / "playground-group-stats.png"))

            # the private chat is still there and empty; a reload keeps the group's history
            await page.click(".chat-tab[data-chat='private']")
            await expect(page.locator("#welcome")).to_be_visible()
            await page.click(".chat-tab[data-chat='group']")
            await bot_count(page, 9, 10_000)
            await page.set_viewport_size({"width": 1280, "height": 900})
            await page.evaluate("document.getElementById('chat').scrollTo(0, 1e9)")
            await page.wait_for_timeout(400)
            await page.screenshot(path=str(test_output / "playground-group-desktop.png"))
        finally:
            await browser.close()
    assert not console_errors, console_errors
    assert len(playground.emulator.bot_messages(GROUP_ID)) == 9
