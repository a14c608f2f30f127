"""The pages in English and French: every string in one file per language (i18n/en.js, fr.js, with the
same keys and placeholders), the static HTML saying what en.js says, the browser's language chosen by
default and switchable, and money and dates formatted with Intl in the reader's locale."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import expect

from livecart import keys
from livecart.demo import DemoSeed
from livecart.domain.models import ShowStatus
from livecart.web import PAGES, STATIC_DIR
from tests.browser.harness import PHONE, Pages, screenshots
from tests.support import Api

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

SERUM = "Glow Serum 30 ml"

# Every message of both languages, read in the page: strings as they are, functions called with numbers.
READ_MESSAGES = """async () => {
  const read = async (lang) => {
    const messages = (await import(`/static/js/i18n/${lang}.js`)).default;
    const out = {};
    for (const [key, message] of Object.entries(messages)) {
      out[key] = typeof message === "function"
        ? [1, 3].map((n) => message({ count: n, limit: n, left: n, stock: n })).join(" | ")
        : message;
    }
    return out;
  };
  return { en: await read("en"), fr: await read("fr") };
}"""


class I18nText(HTMLParser):
    """(key, text) of each element with data-i18n in a page, and the keys of data-i18n-* attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[tuple[str, str]] = []
        self.attribute_keys: list[str] = []
        self._open: list[tuple[str | None, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("data-i18n-label", "data-i18n-placeholder"):
            if found.get(name):
                self.attribute_keys.append(str(found[name]))
        if tag not in {"meta", "link", "img", "input", "br", "option"}:
            self._open.append((found.get("data-i18n"), []))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"meta", "link", "img", "input", "br", "option"} or not self._open:
            return
        key, parts = self._open.pop()
        if key:
            self.texts.append((key, "".join(parts).strip()))
        if self._open:
            self._open[-1][1].extend(parts)

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][1].append(data)


async def test_both_languages_have_every_string_with_the_same_placeholders(pages: Pages) -> None:
    page = await pages.open("/")
    messages: dict[str, dict[str, str]] = await page.evaluate(READ_MESSAGES)
    english, french = messages["en"], messages["fr"]
    assert set(english) == set(french), set(english) ^ set(french)
    for key, text in english.items():
        assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", french[key])), key
        assert "undefined" not in text + french[key], key

    # The HTML's own text is en.js's (the page reads the same before and after its script runs).
    for name, file in PAGES.items():
        parser = I18nText()
        parser.feed((STATIC_DIR / file).read_text(encoding="utf-8"))
        assert parser.texts, name
        for key, text in parser.texts:
            assert key in english, f"{file}: data-i18n={key} is not in en.js"
            if key != "health.offline" or text:
                assert english[key] == text, f"{file}: {key}: the HTML says {text!r}, en.js {english[key]!r}"
        for key in parser.attribute_keys:
            assert key in english, f"{file}: {key} is not in en.js"


async def test_a_french_browser_gets_the_pages_in_french_with_french_money(
    client: TestClient[Any, Any], api: Api, demo: DemoSeed, pages: Pages
) -> None:
    pages.expect_http_error(409)  # the show is live without a publisher: the player's WHEP offer is refused
    await client.app[keys.SERVICES].store.set_show_status(demo.show_id, ShowStatus.LIVE)
    serum = demo.product_ids[2]
    await api.call("POST", f"/api/shows/{demo.show_id}/pins", 201, token=demo.host_token, json={"product_id": serum})

    page = await pages.open(f"/watch/{demo.show_id}", viewport=PHONE, locale="fr-FR", who="French viewer")
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await expect(page.locator("#status")).to_have_text("En direct")
    card = page.get_by_role("article", name=SERUM)
    await expect(card).to_contain_text("34,50\u00a0€")
    await expect(card).to_contain_text("25 en stock")
    await expect(page.get_by_label("Choisissez un pseudo pour discuter et acheter")).to_be_visible()
    await expect(page.get_by_role("button", name="Envoyer")).to_be_hidden()  # only once the viewer has a name
    await expect(page.locator("#cart-button")).to_contain_text("Panier")
    await screenshots(page, "watch-fr")

    # Switching to English is remembered for the next pages.
    await page.get_by_label("Langue").select_option("en")
    await expect(page.locator("#status")).to_have_text("Live")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(card).to_contain_text("25 in stock")
    await expect(card).to_contain_text("€34.50")  # money and dates follow the page's language

    index = await page.context.new_page()
    await index.goto(f"{pages.base_url}/")
    await expect(index.locator("#live-heading")).to_have_text("Live now")


async def test_the_index_and_consoles_speak_french(demo: DemoSeed, pages: Pages) -> None:
    index = await pages.open("/", locale="fr-CA")
    await expect(index.locator("#live-heading")).to_have_text("En direct")
    await expect(index.locator("#upcoming-shows")).to_contain_text("Commence")
    console = await pages.open(f"/brand#token={demo.brand_token}", locale="fr-FR")
    await expect(console.locator("#brand-name")).to_contain_text("console de la marque")
    await expect(console.get_by_role("button", name=f"Enregistrer {SERUM}")).to_be_visible()
    studio = await pages.open(f"/studio/{demo.show_id}#token={demo.host_token}", locale="fr-FR")
    await expect(studio.get_by_role("button", name="Passer en direct")).to_be_visible()
    await expect(studio.get_by_text("Caméra et micro")).to_be_visible()


async def test_the_auction_deal_and_giveaway_cards_speak_french(
    client: TestClient[Any, Any], api: Api, demo: DemoSeed, pages: Pages
) -> None:
    pages.expect_http_error(409)  # the show is live without a publisher: the player's WHEP offer is refused
    await client.app[keys.SERVICES].store.set_show_status(demo.show_id, ShowStatus.LIVE)
    lipstick, serum = demo.product_ids[0], demo.product_ids[2]
    for product_id in (lipstick, serum):
        await api.call("POST", f"/api/shows/{demo.show_id}/pins", 201, token=demo.host_token,
                       json={"product_id": product_id})  # fmt: skip
    page = await pages.open(f"/watch/{demo.show_id}", viewport=PHONE, locale="fr-FR", who="French viewer")
    await page.get_by_label("Choisissez un pseudo pour discuter et acheter").fill("Sam Acheteur")
    await page.get_by_role("button", name="Rejoindre").click()
    await expect(page.locator("#signed-in")).to_contain_text("Sam Acheteur")
    base = f"/api/shows/{demo.show_id}"
    await api.call("POST", f"{base}/auctions", 201, token=demo.host_token, json={
        "product_id": lipstick, "start_cents": 1000, "increment_cents": 100, "duration_s": 300})  # fmt: skip
    await api.call("POST", f"{base}/deals", 201, token=demo.host_token, json={
        "product_id": serum, "price_cents": 2990, "quantity": 3, "duration_s": 300})  # fmt: skip
    await api.call("POST", f"{base}/giveaways", 201, token=demo.host_token, json={
        "product_id": serum, "winners": 2, "duration_s": 300, "keyword": "glow"})  # fmt: skip
    auction = page.locator(".auction-card")
    await expect(auction).to_contain_text("Enchère en direct")
    await expect(auction).to_contain_text("À partir de 10,00\u00a0€")
    await expect(auction).to_contain_text("0 enchère")
    await auction.locator("[data-action=bid]").click()
    await expect(auction.locator("[data-action=bid]")).to_have_text("Vous menez · enchérir 11,00\u00a0€")
    await expect(auction).to_contain_text("10,00\u00a0€ par Sam A.")

    reviews = page.get_by_role("button", name=f"Pas encore d’avis · Avis sur {SERUM}")
    await expect(reviews).to_have_text("Pas encore d’avis")
    badge = page.locator(".product-card .deal-badge")
    await expect(badge).to_contain_text("29,90\u00a0€")
    await expect(badge).to_contain_text("reste 3")
    await badge.get_by_role("button", name="J’en profite").click()
    await expect(badge).to_contain_text("✓ 1 dans votre panier")
    await expect(badge.locator("[data-action=grab-deal]")).to_have_text("Encore un")

    giveaway = page.locator(".giveaway-card")
    await expect(giveaway).to_contain_text("Tirage au sort")
    await expect(giveaway).to_contain_text("0 participant")
    await expect(giveaway).to_contain_text("ou tapez glow dans le chat")
    await giveaway.get_by_role("button", name="Participer").click()
    await expect(giveaway).to_contain_text("1 participant")
    await page.wait_for_timeout(300)  # the room's giveaway event redraws the card: it still says so
    await expect(giveaway.locator("[data-action=enter]")).to_have_text("Vous participez ✓")
    await expect(giveaway.locator("[data-action=enter]")).to_be_disabled()
    text = await page.locator("#formats, .format-card, .deal-badge, .review-badge").all_inner_texts()
    for english in ("Live auction", "Starting at", "bids", "Grab", "left", "Giveaway", "entered", "Enter", "review"):
        assert not any(english in part for part in text), (english, text)
    await screenshots(page, "watch-formats-fr")
