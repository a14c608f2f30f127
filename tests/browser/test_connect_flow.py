"""The whole Connect flow in real browsers, as issue 15's "Done when" says: a brand publishes a campaign in
its console, a host finds it on /host and applies, the brand approves, the host adds the campaign's
products to a new show, a co-host joins the show at 30 % (invited from the studio, accepting in its own
studio, where it pins), a viewer buys, the brand refunds its line, the server's clock passes the return
window, an admin runs payouts, and both hosts see the right balance and statement on /host.

The server's clock is a test-only `TravelClock`: the system clock plus an offset the test moves (the app
is built with it here; production always runs the system clock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from playwright.async_api import Page, expect

from livecart import keys
from livecart.app import create_app
from livecart.clock import SystemClock
from livecart.config import Settings
from tests.browser.harness import Pages, screenshots
from tests.browser.test_show_flow import fill_checkout, join_as
from tests.support import ADMIN_TOKEN, Api

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


class TravelClock(SystemClock):
    """The real clock, moved forward by the test (tests only)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return super().now() + self.offset


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock()


@pytest.fixture
def app(settings: Settings, clock: TravelClock) -> web.Application:
    return create_app(settings, clock=clock)


async def statement_kinds(page: Page, lines: int) -> list[tuple[str, str, str]]:
    """(line, amount, balance) of each statement row, once the page shows `lines` of them."""
    rows = page.locator("#statement tr")
    await expect(rows).to_have_count(lines)
    found = []
    for index in range(await rows.count()):
        cells = await rows.nth(index).locator("td").all_text_contents()
        found.append((cells[1], cells[3], cells[4]))
    return found


async def test_a_campaign_from_publishing_to_payouts(
    api: Api, client: TestClient[Any, Any], pages: Pages, clock: TravelClock, settings: Settings
) -> None:
    brand = await api.create_account("brand", "Aurora Outdoor")
    other_brand = await api.create_account("brand", "Hat Co")
    mia = await api.create_account("host", "Mia Live")
    leo = await api.create_account("host", "Leo Live")
    await api.create_product(brand["token"], sku="COAT", title="Wool Coat", price_cents=10_000,
                               commission_bps=500)  # fmt: skip
    hat = await api.create_product(other_brand["token"], sku="HAT", title="Felt Hat", price_cents=4_000,
                                   commission_bps=1_000)  # fmt: skip

    # The brand publishes a campaign: its coat at 20 % for 30 days.
    console = await pages.open(f"/brand#token={brand['token']}", who="brand")
    form = console.locator("#campaign-form")
    await form.get_by_label("Title").fill("Winter coats")
    await form.get_by_label("Brief for hosts").fill("Show the coat outdoors")
    await form.get_by_role("checkbox", name="Wool Coat").check()
    await form.get_by_label("Commission %").fill("20")
    await form.get_by_role("button", name="Publish the campaign").click()
    await expect(console.locator("#campaigns-ok")).to_contain_text("Published: Winter coats")
    campaign_row = console.locator("#campaigns > li.campaign")
    await expect(campaign_row).to_contain_text("active")

    # A host finds it and applies.
    host_page = await pages.open(f"/host#token={mia['token']}", who="host Mia")
    await host_page.get_by_role("searchbox", name="Search campaigns").fill("outdoors")
    await host_page.get_by_role("button", name="Search").click()
    offer = host_page.locator("#campaigns > li", has_text="Winter coats")
    await expect(offer).to_contain_text("20 % commission")
    await offer.get_by_label("Your pitch").fill("My fans live in the mountains")
    await offer.get_by_role("button", name="Apply").click()
    await expect(host_page.locator("#applications > li")).to_contain_text("pending")

    # The brand approves.
    await console.reload()
    application = console.locator("li.application", has_text="Mia Live")
    await expect(application).to_contain_text("My fans live in the mountains")
    await application.get_by_role("button", name="Approve").click()
    await expect(console.locator("li.application", has_text="Mia Live")).to_contain_text("approved")

    # The host creates a show and adds the campaign's products to it; takes its share link.
    await host_page.reload()
    await host_page.get_by_label("Title of a new show").fill("Coat night")
    await host_page.get_by_role("button", name="Create a show").click()
    show_row = host_page.locator("#shows > li", has_text="Coat night")
    await expect(show_row).to_be_visible()
    show_id = await show_row.get_attribute("data-show-id")
    assert show_id
    approved = host_page.locator("#applications > li", has_text="approved")
    await approved.get_by_role("button", name="Add its products").click()
    await expect(host_page.locator("#notice")).to_contain_text("its products are in the show")
    await approved.get_by_role("button", name="Get my link").click()
    await expect(host_page.locator("#applications a.share-link")).to_contain_text("/l/")
    # (another brand's hat is in the show too, at its own rate)
    await api.call("POST", f"/api/shows/{show_id}/lineup", 201, token=mia["token"], json={"product_id": hat["id"]})

    # A co-host joins at 30 %: invited from the studio, accepting in its own studio, where it pins.
    studio = await pages.open(f"/studio/{show_id}#token={mia['token']}", who="studio Mia")
    await studio.get_by_label("Co-host (host id)").fill(leo["id"])
    await studio.get_by_label("Share of the commission %").fill("30")
    await studio.get_by_role("button", name="Invite").click()
    await expect(studio.locator("#cohosts > li")).to_contain_text("invited")
    cohost = await pages.open(f"/studio/{show_id}#token={leo['token']}", who="studio Leo")
    await cohost.get_by_role("button", name="Accept and open the studio").click()
    await expect(cohost.locator("#cohosts > li")).to_contain_text("active")
    await cohost.get_by_role("button", name="Pin Wool Coat").click()
    await cohost.get_by_role("button", name="Pin Felt Hat").click()
    await expect(cohost.get_by_role("button", name="Unpin Felt Hat")).to_be_visible()
    await screenshots(cohost, "studio-cohost")

    # A viewer buys the coat and the hat in one order.
    viewer = await pages.open(f"/watch/{show_id}", who="viewer")
    await join_as(viewer, "Sam Buyer")
    for title in ("Wool Coat", "Felt Hat"):
        await viewer.get_by_role("button", name=f"Add to cart: {title}").click()
    await expect(viewer.locator("#cart-count")).to_have_text("2")
    await viewer.locator("#cart-button").click()
    await fill_checkout(viewer, "4242 4242 4242 4242")
    await expect(viewer.locator("#checkout-ok")).to_contain_text("Thank you! You paid")

    # The brand refunds its line (the coat) from its console.
    await console.reload()
    await console.get_by_role("button", name="Open Coat night").click()
    order_row = console.locator("#orders > li").first
    await expect(order_row).to_contain_text("Wool Coat")
    await order_row.get_by_role("button", name="Refund order").click()
    await console.get_by_role("button", name="Yes, refund").click()
    await expect(order_row.locator(".order-status")).to_have_text("refunded")

    # Commission: coat 100.00 × 20 % = 20.00 (refunded), hat 40.00 × 10 % = 4.00 → Mia 2.80, Leo 1.20.
    # The clock passes the return window; an admin runs payouts.
    clock.offset = timedelta(days=settings.return_window_days, hours=1)
    run = await api.call("POST", "/api/payouts", 200, token=ADMIN_TOKEN, headers={"Idempotency-Key": "nov-run"})
    assert sorted((one["host_id"], one["amount_cents"]) for one in run["payouts"]) == sorted(
        [(mia["id"], 280), (leo["id"], 120)]
    )

    # Both hosts see their balance and statement.
    await host_page.reload()
    balance = host_page.locator('#balance tr[data-currency="EUR"]')
    await expect(balance.locator(".paid")).to_have_text("€2.80")
    await expect(balance.locator(".pending")).to_have_text("€0.00")
    await expect(balance.locator(".available")).to_have_text("€0.00")
    await expect(host_page.locator("#payouts > li")).to_contain_text("€2.80 · paid")
    assert await statement_kinds(host_page, 4) == [
        ("Sale", "€14.00", "€14.00"), ("Sale", "€2.80", "€16.80"), ("Refund", "-€14.00", "€2.80"),
        ("Payout", "-€2.80", "€0.00"),
    ]  # fmt: skip
    await screenshots(host_page, "host-page")
    leo_page = await pages.open(f"/host#token={leo['token']}", who="host Leo")
    leo_balance = leo_page.locator('#balance tr[data-currency="EUR"]')
    await expect(leo_balance.locator(".paid")).to_have_text("€1.20")
    assert await statement_kinds(leo_page, 4) == [
        ("Co-host share", "€6.00", "€6.00"), ("Co-host share", "€1.20", "€7.20"), ("Refund", "-€6.00", "€1.20"),
        ("Payout", "-€1.20", "€0.00"),
    ]  # fmt: skip

    # The brand's performance table shows the host's row.
    await console.reload()
    row = console.locator(f'.performance tr[data-host-id="{mia["id"]}"]')
    await expect(row).to_contain_text("Mia Live")
    await expect(row).to_contain_text("€100.00")  # GMV of the campaign's line
    await screenshots(console, "brand-campaigns")
    assert client.app[keys.SERVICES].clock is clock


async def test_a_fan_follows_a_share_link_to_the_product_page_and_buys_through_it(api: Api, pages: Pages) -> None:
    brand = await api.create_account("brand", "Aurora Outdoor")
    mia = await api.create_account("host", "Mia Live")
    coat = await api.create_product(brand["token"], sku="COAT", title="Wool Coat", price_cents=10_000)
    campaign = await api.call("POST", "/api/campaigns", 201, token=brand["token"], json={
        "title": "Winter coats", "product_ids": [coat["id"]], "commission_bps": 2000, "open": True,
        "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"})  # fmt: skip
    await api.call("POST", f"/api/campaigns/{campaign['id']}/applications", 201, token=mia["token"], json={})
    link = await api.call("POST", f"/api/campaigns/{campaign['id']}/link", 201, token=mia["token"])

    fan = await pages.open(link["url"], who="fan")  # Mia has no show: the campaign's product page
    await expect(fan.locator("#product-title")).to_have_text("Wool Coat")
    assert f"via={link['code']}" in fan.url
    await fan.get_by_label("Your name, to buy").fill("Sam Fan")
    await fan.get_by_role("button", name="Continue").click()
    await fan.get_by_label("Full name").fill("Sam Fan")
    await fan.get_by_label("Address").fill("1 Rue de la Paix")
    await fan.get_by_label("City").fill("Paris")
    await fan.get_by_label("Postal code").fill("75002")
    await fan.get_by_label("Country (2-letter code)").fill("FR")
    await fan.get_by_label("Card number").fill("4242 4242 4242 4242")
    await fan.get_by_role("button", name="Pay").click()
    await expect(fan.locator("#buy-ok")).to_contain_text("is paid: €100.00")

    performance = await api.call("GET", f"/api/campaigns/{campaign['id']}/performance", 200, token=brand["token"])
    [row] = performance["hosts"]
    assert row["link"] == {**row["link"], "clicks": 1, "viewers": 1, "sales": 1}
    assert row["money"][0]["commission_cents"] == 2000
    balance = await api.call("GET", f"/api/hosts/{mia['id']}/balance", 200, token=mia["token"])
    assert balance["balances"][0]["pending_cents"] == 2000  # the link's host is credited the campaign's rate
