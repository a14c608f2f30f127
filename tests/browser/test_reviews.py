"""Reviews on the watch page, in a real Chromium: a verified buyer writes one from the pinned product's
reviews sheet without leaving the video; another viewer then sees the average on the pinned card."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import expect

from tests.browser.harness import Pages, screenshots
from tests.browser.test_orders_and_bidi import open_shop
from tests.support import Api

pytestmark = pytest.mark.browser


async def test_a_verified_buyer_reviews_from_the_watch_page_and_another_viewer_sees_the_average(
    api: Api, pages: Pages
) -> None:
    shop = await open_shop(api, brand="Aurora Beauty", title="Glow Serum", show="Friday Glow-Up")
    buyer = await api.create_account("viewer", "Ann")
    await shop.buy(buyer)

    page = await pages.open(f"/watch/{shop.show['id']}", who="buyer")
    saved = {"id": buyer["id"], "name": buyer["name"], "token": buyer["token"]}
    await page.evaluate(f"localStorage.setItem('livecart.viewer', {json.dumps(json.dumps(saved))})")
    await page.reload()
    card = page.locator(f'#pins .product-card[data-product-id="{shop.product["id"]}"]')
    badge = card.get_by_role("button", name="Reviews of Glow Serum")
    await expect(badge).to_have_text("No reviews yet")
    await badge.click()
    sheet = page.get_by_role("dialog", name="Reviews of Glow Serum")
    await expect(sheet).to_be_visible()
    await expect(page.locator("#video")).to_be_attached()  # the sheet is over the page: the video stays
    await sheet.get_by_label("4 ★").check()
    await sheet.get_by_label("Your review (optional)").fill("Smooth, light, lasts all evening.")
    await sheet.get_by_role("button", name="Post review").click()
    await expect(sheet.locator(".review-average")).to_have_text("4.0 ★ · 1 verified buyer")
    await expect(sheet.locator(".reviews .review")).to_contain_text("Smooth, light, lasts all evening.")
    await expect(sheet.locator(".review-form")).to_have_count(0)  # one review per order line
    await screenshots(page, "reviews-sheet")
    await sheet.get_by_role("button", name="Close").click()
    await expect(badge).to_have_text("4.0 ★ · 1 verified buyer")

    other = await pages.open(f"/watch/{shop.show['id']}", who="other viewer")
    other_card = other.locator(f'#pins .product-card[data-product-id="{shop.product["id"]}"]')
    await expect(other_card.get_by_role("button", name="Reviews of Glow Serum")).to_have_text(
        "4.0 ★ · 1 verified buyer"
    )
    await other_card.get_by_role("button", name="Reviews of Glow Serum").click()
    other_sheet = other.get_by_role("dialog", name="Reviews of Glow Serum")
    await expect(other_sheet.locator(".reviews .review")).to_contain_text("Ann")
    await expect(other_sheet.locator(".review-form")).to_have_count(0)  # not a buyer: nothing to write
    pages.assert_payloads_match_protocol()
    pages.assert_no_console_errors()


async def test_the_brand_console_lists_reviews_and_the_brand_replies_once_and_reports(api: Api, pages: Pages) -> None:
    shop = await open_shop(api, brand="Aurora Beauty", title="Glow Serum", show="Friday Glow-Up")
    buyer = await api.create_account("viewer", "Ann")
    order = await shop.buy(buyer)
    await api.call(
        "POST",
        f"/api/products/{shop.product['id']}/reviews",
        201,
        token=buyer["token"],
        json={"rating": 2, "text": "Pills under makeup.", "order_id": order["id"]},
    )

    console = await pages.open(f"/brand#token={shop.brand['token']}", who="brand")
    block = console.locator(f'.product-reviews[data-product-id="{shop.product["id"]}"]')
    await expect(block.locator("h3")).to_have_text("Glow Serum · 2.0 ★ · 1 verified buyer")
    review = block.locator(".review")
    await expect(review).to_contain_text("Pills under makeup.")
    await review.get_by_label("Reply to Ann").fill("Try it over a primer, it helps.")
    await review.get_by_role("button", name="Reply").click()
    await expect(review).to_contain_text("Your reply: Try it over a primer, it helps.")
    await expect(review.get_by_role("button", name="Reply")).to_have_count(0)  # one reply per review
    console.once("dialog", lambda dialog: dialog.accept("Posted by a competitor"))
    await review.get_by_role("button", name="Report").click()
    await expect(review).to_contain_text("Posted by a competitor")
    await expect(review.get_by_role("button", name="Reported")).to_be_disabled()
    assert await review.get_by_role("button", name="Delete").count() == 0  # a brand cannot delete a review
    pages.assert_payloads_match_protocol()
    pages.assert_no_console_errors()
