"""The index page: a live show shows the studio's latest camera still as its poster (sent while it is
live), an upcoming one has an "Add to calendar" link to its .ics event."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from livecart.demo import DemoSeed
from tests.browser.harness import PHONE, Pages, screenshots, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


async def test_the_index_shows_the_live_poster_and_a_calendar_link(demo: DemoSeed, pages: Pages) -> None:
    index = await pages.open("/", viewport=PHONE)
    upcoming = index.locator(f'#upcoming-shows li[data-show-id="{demo.show_id}"]')
    calendar = upcoming.get_by_role("link", name="Add Friday Glow-Up with Mia to your calendar")
    await expect(calendar).to_have_attribute("href", f"/api/shows/{demo.show_id}.ics")
    response = await index.request.get(f"{pages.base_url}/api/shows/{demo.show_id}.ics")
    assert response.headers["content-type"].startswith("text/calendar")
    assert "SUMMARY:Friday Glow-Up with Mia" in await response.text()
    assert await upcoming.locator(".poster img").get_attribute("src") == "/static/img/poster.svg"

    studio = await pages.open(f"/studio/{demo.show_id}#token={demo.host_token}", who="host")
    await wait_until(studio, "document.querySelector('#preview').videoWidth > 0")
    await studio.get_by_role("button", name="Go live").click()
    await expect(studio.locator("#health")).to_have_text("connected", timeout=20_000)

    await index.reload()
    live = index.locator(f'#live-shows li[data-show-id="{demo.show_id}"]')
    for _ in range(20):  # the first still goes out 2 s after going live; the index refreshes every 15 s
        await index.reload()
        src = await live.locator(".poster img").get_attribute("src")
        if src and src.startswith(f"/api/shows/{demo.show_id}/poster?v="):
            break
        await index.wait_for_timeout(500)
    await wait_until(index, "document.querySelector('#live-shows .poster img').naturalWidth === 640")
    await expect(live.get_by_role("link", name="Watch Friday Glow-Up with Mia")).to_be_visible()
    await expect(live.get_by_role("link", name="Add Friday Glow-Up with Mia to your calendar")).to_have_count(0)
    await screenshots(index, "index-live")
