"""The one-sheet checkout on a phone: Pay always in view, the country from a list, the address saved on
the account and prefilled, the card saved as the provider's token so the next purchase is one tap, and a
success that says what was bought, the total, and "Keep watching"."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Page, expect

from livecart import keys
from livecart.demo import DemoSeed
from livecart.domain.models import ShowStatus
from tests.browser.harness import PHONE, Pages, screenshots
from tests.support import Api

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

SERUM = "Glow Serum 30 ml"


async def live_with_serum(client: TestClient[Any, Any], api: Api, demo: DemoSeed, pages: Pages) -> None:
    """The show is live (without a publisher: the player's WHEP offer gets 409, on purpose) with the serum pinned."""
    pages.expect_http_error(409)
    await client.app[keys.SERVICES].store.set_show_status(demo.show_id, ShowStatus.LIVE)
    serum = demo.product_ids[2]
    await api.call("POST", f"/api/shows/{demo.show_id}/pins", 201, token=demo.host_token, json={"product_id": serum})


async def join_and_add(page: Page, name: str = "Sam Buyer") -> None:
    await page.get_by_label("Pick a display name to chat and shop").fill(name)
    await page.get_by_role("button", name="Join").click()
    await expect(page.locator("#signed-in")).to_contain_text(name)
    await page.get_by_role("button", name=f"Add to cart: {SERUM}").click()
    await expect(page.locator("#cart-count")).to_have_text("1")


async def in_view(page: Page, selector: str) -> bool:
    inside: bool = await page.evaluate(
        """(selector) => {
          const box = document.querySelector(selector).getBoundingClientRect();
          return box.width > 0 && box.top >= 0 && box.bottom <= innerHeight && box.left >= 0 && box.right <= innerWidth;
        }""",
        selector,
    )
    return inside


async def test_the_second_purchase_is_one_tap_with_the_saved_address_and_card(
    client: TestClient[Any, Any], api: Api, demo: DemoSeed, pages: Pages
) -> None:
    await live_with_serum(client, api, demo, pages)
    page = await pages.open(f"/watch/{demo.show_id}", viewport=PHONE, who="viewer")
    await join_and_add(page)
    await page.locator("#cart-button").click()

    # Pay is in view before anything is filled in; the country is a list with names.
    await expect(page.get_by_role("button", name="Pay €34.50")).to_be_visible()
    assert await in_view(page, "#pay-button")
    country = page.get_by_label("Country")
    await expect(country.locator("option[value=FR]")).to_have_text("France")
    await page.get_by_label("Full name").fill("Sam Buyer")
    await page.get_by_label("Address").fill("1 Rue de la Paix")
    await page.get_by_label("City").fill("Paris")
    await page.get_by_label("Postal code").fill("75002")
    await country.select_option("FR")
    await page.get_by_label("Card number").fill("4242 4242 4242 4242")
    await expect(page.get_by_label("Remember this card", exact=False)).to_be_checked()
    assert await in_view(page, "#pay-button")
    await screenshots(page, "watch-checkout")
    await page.get_by_role("button", name="Pay €34.50").click()

    # Success: what was bought, the total, and Keep watching (no orphan "Total —").
    await expect(page.locator("#done-items")).to_have_text(f"1 × {SERUM} — €34.50")
    await expect(page.locator("#done-total")).to_have_text("€34.50")
    await expect(page.locator("#total-row")).to_be_hidden()
    await screenshots(page, "watch-checkout-done")
    await page.get_by_role("button", name="Keep watching").click()
    await expect(page.locator("#cart-dialog")).to_be_hidden()

    # After a reload, the second purchase: address and card are the saved ones, Pay is one tap.
    await page.reload()
    await page.get_by_role("button", name=f"Add to cart: {SERUM}").click()
    await expect(page.locator("#cart-count")).to_have_text("1")
    await page.locator("#cart-button").click()
    await expect(page.locator("#saved-address-text")).to_have_text("Sam Buyer, 1 Rue de la Paix, 75002 Paris, France")
    await expect(page.locator("#saved-card-text")).to_have_text("VISA card ending in 4242")
    await expect(page.get_by_label("Card number")).to_be_hidden()
    await page.get_by_role("button", name="Pay €34.50").click()
    await expect(page.locator("#done-items")).to_have_text(f"1 × {SERUM} — €34.50")
    stock = await api.call("GET", f"/api/products/{demo.product_ids[2]}", 200)
    assert stock["stock"] == 23


async def test_a_missing_field_is_said_next_to_it_and_pay_stays_in_view(
    client: TestClient[Any, Any], api: Api, demo: DemoSeed, pages: Pages
) -> None:
    await live_with_serum(client, api, demo, pages)
    page = await pages.open(f"/watch/{demo.show_id}", viewport=PHONE, who="viewer")
    await join_and_add(page)
    await page.locator("#cart-button").click()
    await page.get_by_label("Full name").fill("Sam Buyer")
    await page.get_by_role("button", name="Pay €34.50").click()
    await expect(page.locator("#ship-line1-error")).to_have_text("Enter the street address.")
    await expect(page.get_by_label("Address")).to_be_focused()
    assert await in_view(page, "#pay-button")
