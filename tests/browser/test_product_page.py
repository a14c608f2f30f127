"""The product page a share link leads to (/p/{id}): its checkout sends the total the buyer was shown, and
a price changed between showing and paying shows the new total and charges it only once the buyer
presses Pay again — never a charge at a total the buyer did not see."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import Pages
from tests.support import Api

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


async def coat_through_a_link(api: Api) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A brand's €100 coat in an open campaign, and a host's share link to it (the host has no show)."""
    brand = await api.create_account("brand", "Aurora Outdoor")
    mia = await api.create_account("host", "Mia Live")
    coat = await api.create_product(brand["token"], sku="COAT", title="Wool Coat", price_cents=10_000)
    campaign = await api.call("POST", "/api/campaigns", 201, token=brand["token"], json={
        "title": "Winter coats", "product_ids": [coat["id"]], "commission_bps": 2000, "open": True,
        "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"})  # fmt: skip
    await api.call("POST", f"/api/campaigns/{campaign['id']}/applications", 201, token=mia["token"], json={})
    link = await api.call("POST", f"/api/campaigns/{campaign['id']}/link", 201, token=mia["token"])
    return brand, coat, {**link, "campaign_id": campaign["id"]}


async def fill_buy_form(fan: Page) -> None:
    await fan.get_by_label("Your name, to buy").fill("Sam Fan")
    await fan.get_by_role("button", name="Continue").click()
    await fan.get_by_label("Full name").fill("Sam Fan")
    await fan.get_by_label("Address").fill("1 Rue de la Paix")
    await fan.get_by_label("City").fill("Paris")
    await fan.get_by_label("Postal code").fill("75002")
    await fan.get_by_label("Country (2-letter code)").fill("FR")
    await fan.get_by_label("Card number").fill("4242 4242 4242 4242")


async def sales(api: Api, brand: dict[str, Any], link: dict[str, Any]) -> int:
    performance = await api.call("GET", f"/api/campaigns/{link['campaign_id']}/performance", 200,
                                 token=brand["token"])  # fmt: skip
    return int(sum(row["link"]["sales"] for row in performance["hosts"]))


async def test_a_price_raised_between_showing_and_paying_is_shown_and_charged_only_once_confirmed(
    api: Api, pages: Pages
) -> None:
    brand, coat, link = await coat_through_a_link(api)
    pages.expected_statuses.add(409)  # the refused checkout at the old total
    fan = await pages.open(link["url"], who="fan")
    await expect(fan.locator("#product-title")).to_have_text("Wool Coat")
    await fill_buy_form(fan)
    await fan.get_by_label("Quantity").fill("2")
    await expect(fan.locator("#buy-total")).to_have_text("Total: €200.00")

    # The brand raises the price while the buyer looks at €200.00.
    await api.call("PATCH", f"/api/products/{coat['id']}", 200, token=brand["token"], json={"price_cents": 12_000})
    await fan.get_by_role("button", name="Pay").click()
    await expect(fan.locator("#buy-error")).to_contain_text("the total is now €240.00 (not €200.00)")
    await expect(fan.locator("#buy-total")).to_have_text("Total: €240.00")
    await expect(fan.locator("#product-price")).to_have_text("€120.00")
    await expect(fan.locator("#buy-ok")).to_have_text("")
    assert await sales(api, brand, link) == 0, "nothing is bought at a total the buyer did not see"

    await fan.get_by_role("button", name="Pay").click()  # the buyer confirms the new total
    await expect(fan.locator("#buy-ok")).to_contain_text("is paid: €240.00")
    await expect(fan.locator("#buy-error")).to_have_text("")
    assert await sales(api, brand, link) == 1


async def test_a_second_attempt_replaces_the_cart_line_instead_of_adding_to_it(api: Api, pages: Pages) -> None:
    brand, _, link = await coat_through_a_link(api)
    pages.expected_statuses.add(402)
    fan = await pages.open(link["url"], who="fan")
    await fill_buy_form(fan)
    await fan.get_by_label("Card number").fill("4000 0000 0000 0002")  # declined
    await fan.get_by_role("button", name="Pay").click()
    await expect(fan.locator("#buy-error")).not_to_have_text("")
    await fan.get_by_label("Card number").fill("4242 4242 4242 4242")
    await fan.get_by_role("button", name="Pay").click()
    await expect(fan.locator("#buy-ok")).to_contain_text("is paid: €100.00")  # one coat, as shown, not two
    assert await sales(api, brand, link) == 1


async def test_the_product_page_speaks_french_down_to_the_changed_total(api: Api, pages: Pages) -> None:
    brand, coat, link = await coat_through_a_link(api)
    pages.expected_statuses.add(409)
    fan = await pages.open(link["url"], who="French fan", locale="fr-FR")
    await expect(fan.locator("#product-hint")).to_contain_text("Ce produit se vend pendant les lives")
    await expect(fan.locator("#product-hint a")).to_have_attribute("href", "/")
    await fan.get_by_label("Votre nom, pour acheter").fill("Sam Fan")
    await fan.get_by_role("button", name="Continuer").click()
    for label, value in (("Nom complet", "Sam Fan"), ("Adresse", "1 Rue de la Paix"), ("Ville", "Paris"),
                         ("Code postal", "75002"), ("Pays (code à 2 lettres)", "FR"),
                         ("Numéro de carte", "4242 4242 4242 4242")):  # fmt: skip
        await fan.get_by_label(label).fill(value)
    await expect(fan.locator("#buy-total")).to_have_text("Total : 100,00\u00a0€")
    await api.call("PATCH", f"/api/products/{coat['id']}", 200, token=brand["token"], json={"price_cents": 9_000})
    await fan.get_by_role("button", name="Payer").click()
    changed = "le total est maintenant de 90,00\u00a0€ (et non 100,00\u00a0€)"
    await expect(fan.locator("#buy-error")).to_contain_text(changed)
    await fan.get_by_role("button", name="Payer").click()
    await expect(fan.locator("#buy-ok")).to_contain_text("est payée : 90,00\u00a0€")
    assert await sales(api, brand, link) == 1
