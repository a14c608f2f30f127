"""The selling formats on the watch page in a real Chromium at phone width (375 px): an auction with two
viewers bidding (one outbid, the winner pays), a flash deal grabbed from the pinned product's badge,
a giveaway entered and drawn with its verify link; and the host studio starting one. The server runs on
a ManualClock, moved to end each format."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Page, expect
from pytest_aiohttp import AiohttpClient

from livecart import keys
from livecart.app import create_app
from livecart.clock import ManualClock
from livecart.config import Settings
from livecart.domain.models import ShowStatus
from tests.browser.harness import PHONE, Pages, screenshots
from tests.support import Api

pytestmark = pytest.mark.browser


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now().astimezone())  # near real time: the page's countdowns read sensibly


@pytest.fixture
async def client(settings: Settings, clock: ManualClock, aiohttp_client: AiohttpClient) -> TestClient[Any, Any]:
    # No publisher here: moving the clock must not end the show as an orphan.
    return await aiohttp_client(create_app(replace(settings, publisher_grace_seconds=3600), clock=clock))


async def viewer_page(pages: Pages, show_id: str, name: str) -> Page:
    page = await pages.open(f"/watch/{show_id}", viewport=PHONE, who=name)
    await page.get_by_label("Pick a display name to chat and shop").fill(name)
    await page.get_by_role("button", name="Join").click()
    await expect(page.locator("#signed-in")).to_contain_text(name)
    return page


async def pass_end(clock: ManualClock, ends_at: str) -> asyncio.Task[None]:
    """Move the server's clock past `ends_at`, then keep nudging it (0.1 s every 50 ms) until the returned
    task is cancelled: the timer may have been busy, not asleep, when the clock moved."""
    await clock.set(datetime.fromisoformat(ends_at.replace("Z", "+00:00")))
    await clock.advance(1)

    async def nudge() -> None:
        while True:
            await asyncio.sleep(0.05)
            await clock.advance(0.1)

    return asyncio.create_task(nudge())


async def test_two_viewers_bid_the_winner_pays_a_deal_is_grabbed_and_a_giveaway_drawn(
    api: Api, client: TestClient[Any, Any], clock: ManualClock, pages: Pages
) -> None:
    pages.expect_http_error(404, 409)  # the live show has no publisher: the video's WHEP request is refused
    brand = await api.create_account("brand", "Aurora")
    host = await api.create_account("host", "Mia Live")
    product = await api.create_product(brand["token"], title="Vintage bag", price_cents=5000, stock=9)
    show = await api.create_show(host["token"], "Auction night")
    for step in ("lineup", "pins"):
        await api.call(
            "POST", f"/api/shows/{show['id']}/{step}", 201, token=host["token"], json={"product_id": product["id"]}
        )
    await client.app[keys.SERVICES].store.set_show_status(show["id"], ShowStatus.LIVE)
    ann, bob = await viewer_page(pages, show["id"], "Ann Lee"), await viewer_page(pages, show["id"], "Bob Ray")

    # -- the auction: Ann bids, Bob outbids her, Bob wins and pays --
    auction = await api.call(
        "POST",
        f"/api/shows/{show['id']}/auctions",
        201,
        token=host["token"],
        json={"product_id": product["id"], "start_cents": 1000, "increment_cents": 100, "duration_s": 30},
    )
    ann_bid = ann.locator(".auction-card [data-action=bid]")
    await expect(ann_bid).to_contain_text("Bid €10.00")
    await ann_bid.click()
    await expect(ann_bid).to_contain_text("You lead")
    bob_bid = bob.locator(".auction-card [data-action=bid]")
    await expect(bob_bid).to_contain_text("€11.00")
    await bob_bid.click()
    await expect(ann.locator(".auction-card")).to_contain_text("You were outbid!")
    await expect(ann_bid).to_contain_text("Bid €12.00")
    await expect(ann.locator(".auction-card")).to_contain_text("Bob R.")
    await screenshots(ann, "watch-auction-outbid")

    nudging = await pass_end(clock, auction["ends_at"])
    pay = bob.locator(".auction-card [data-action=pay]")
    await expect(pay).to_contain_text("Pay €11.00", timeout=15_000)
    nudging.cancel()
    await expect(ann.locator(".auction-card")).to_contain_text("Sold to Bob R.")
    await pay.click()
    dialog = bob.get_by_role("dialog", name="Pay for your auction win")
    for label, value in (
        ("Full name", "Bob Ray"),
        ("Address", "1 Main St"),
        ("City", "Lyon"),
        ("Postal code", "69001"),
        ("Country (2-letter code)", "FR"),
        ("Card number (test: 4242 4242 4242 4242)", "4242 4242 4242 4242"),
    ):
        await dialog.get_by_label(label).fill(value)
    await dialog.locator("[data-action=confirm-pay]").click()
    await expect(bob.locator(".auction-card")).to_contain_text("Paid!")
    state = await api.call("GET", f"/api/auctions/{auction['id']}", 200)
    order = await api.call("GET", f"/api/orders/{state['order_id']}", 200, token=host["token"])
    assert (order["status"], order["total_cents"]) == ("paid", 1100)

    # -- a flash deal: the badge on the pinned product, grabbed into the cart --
    await api.call(
        "POST",
        f"/api/shows/{show['id']}/deals",
        201,
        token=brand["token"],
        json={"product_id": product["id"], "price_cents": 2990, "quantity": 3, "duration_s": 60},
    )
    badge = ann.locator(".product-card .deal-badge")
    await expect(badge).to_contain_text("€29.90")
    await expect(badge).to_contain_text("3 left")
    await badge.locator("[data-action=grab-deal]").click()
    await expect(badge).to_contain_text("1 in your cart")
    await expect(badge.locator("[data-action=grab-deal]")).to_contain_text("Grab another")
    await expect(bob.locator(".product-card .deal-badge")).to_contain_text("2 left")
    await expect(ann.locator("#cart-count")).to_have_text("1")
    await screenshots(ann, "watch-deal")

    # -- a giveaway: Ann enters, the draw, the verify link --
    giveaway = await api.call(
        "POST",
        f"/api/shows/{show['id']}/giveaways",
        201,
        token=host["token"],
        json={"product_id": product["id"], "winners": 1, "duration_s": 30},
    )
    enter = ann.locator(".giveaway-card [data-action=enter]")
    await enter.click()
    await expect(ann.locator(".giveaway-card")).to_contain_text("1 entered")
    await expect(bob.locator(".giveaway-card")).to_contain_text("1 entered")
    nudging = await pass_end(clock, giveaway["ends_at"])
    await expect(ann.locator(".giveaway-card")).to_contain_text("You won!", timeout=15_000)
    nudging.cancel()
    verify = bob.locator(".giveaway-card a", has_text="verify the draw")
    await expect(verify).to_have_attribute("href", f"/api/giveaways/{giveaway['id']}")
    await screenshots(ann, "watch-giveaway")
    width = await ann.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # nothing wider than the phone


async def test_the_host_studio_starts_and_cancels_an_auction_from_the_lineup(
    api: Api, client: TestClient[Any, Any], pages: Pages
) -> None:
    brand = await api.create_account("brand", "Aurora")
    host = await api.create_account("host", "Mia Live")
    product = await api.create_product(brand["token"], title="Vintage bag", price_cents=5000, stock=9)
    show = await api.create_show(host["token"], "Auction night")
    await api.call(
        "POST", f"/api/shows/{show['id']}/lineup", 201, token=host["token"], json={"product_id": product["id"]}
    )
    await client.app[keys.SERVICES].store.set_show_status(show["id"], ShowStatus.LIVE)
    studio = await pages.open(f"/studio/{show['id']}#token={host['token']}", who="studio")
    line = studio.locator(f"#lineup li[data-product-id='{product['id']}']")
    await line.get_by_text("Sell as an auction, a deal or a giveaway").click()
    await line.get_by_role("button", name="Start auction").click()

    await expect(line.locator(".format-state")).to_contain_text("Auction open")
    await expect(line.locator(".format-state")).to_contain_text("no bid yet")
    await line.get_by_role("button", name="Cancel auction").click()
    await expect(line.locator(".format-state")).to_contain_text("Auction cancelled")
    [auction] = await client.app[keys.SERVICES].store.show_auctions(show["id"])
    assert auction.status.value == "cancelled"
