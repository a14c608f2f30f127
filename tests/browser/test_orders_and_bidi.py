"""The brand console's Orders panel (live list, refund with a confirm step, a refused refund said clearly)
and bidirectional isolation of every piece of user text on every page, in a real Chromium."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Page, expect

from tests.api.commerce_scene import checkout_body, new_key
from tests.browser.harness import PHONE, Pages, screenshots, wait_until
from tests.live.clients import LiveClient
from tests.support import ADMIN_TOKEN, Api

pytestmark = pytest.mark.browser

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: unisolated, it reverses the text that follows it on the line

# Every text node holding an RLO must be the whole content of a <bdi> or of an element with dir="auto".
UNISOLATED = f"""(() => {{
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const bad = [];
  let seen = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {{
    if (!node.data.includes("{RLO}")) continue;
    seen += 1;
    const parent = node.parentElement;
    const isolating = parent && (parent.localName === "bdi" || parent.getAttribute("dir") === "auto");
    if (!isolating || parent.textContent !== node.data) bad.push(parent ? parent.outerHTML.slice(0, 160) : node.data);
  }}
  return {{ seen, bad }};
}})()"""


@dataclass
class Shop:
    api: Api
    brand: dict[str, Any]
    host: dict[str, Any]
    show: dict[str, Any]
    product: dict[str, Any]

    async def buy(self, viewer: dict[str, Any], qty: int = 1) -> dict[str, Any]:
        show_id = self.show["id"]
        await self.api.call(
            "POST",
            f"/api/shows/{show_id}/cart/items",
            201,
            token=viewer["token"],
            json={"product_id": self.product["id"], "qty": qty},
        )
        order: dict[str, Any] = await self.api.call(
            "POST",
            f"/api/shows/{show_id}/checkout",
            201,
            token=viewer["token"],
            json=checkout_body(name=viewer["name"]),
            headers={"Idempotency-Key": new_key()},
        )
        return order


async def open_shop(api: Api, *, brand: str, title: str, show: str) -> Shop:
    brand_account = await api.create_account("brand", brand)
    host = await api.create_account("host", "Mia Live")
    product = await api.create_product(brand_account["token"], title=title, price_cents=2500, stock=20)
    created = await api.create_show(host["token"], show)
    for step in ("lineup", "pins"):
        await api.call(
            "POST", f"/api/shows/{created['id']}/{step}", 201, token=host["token"], json={"product_id": product["id"]}
        )
    return Shop(api, brand_account, host, created, product)


async def open_console(pages: Pages, shop: Shop, **kw: Any) -> Page:
    console = await pages.open(f"/brand#token={shop.brand['token']}", who="brand", **kw)
    await console.get_by_role("button", name=f"Open {shop.show['title']}").click()
    await expect(console.locator("#live-title")).to_have_text(shop.show["title"])
    return console


async def assert_isolated(page: Page, at_least: int) -> None:
    found = await page.evaluate(UNISOLATED)
    assert found["bad"] == [], found["bad"]
    assert found["seen"] >= at_least, found


async def test_user_text_is_isolated_on_every_page(client: TestClient[Any, Any], api: Api, pages: Pages) -> None:
    shop = await open_shop(api, brand=f"Nova {RLO}Shoes", title=f"Sneakers {RLO}XL", show=f"Drop {RLO}Live")
    ada = await api.create_account("viewer", f"{RLO}Ada Lovelace")

    index = await pages.open("/")
    watch = await pages.open(f"/watch/{shop.show['id']}", viewport=PHONE, who="viewer")
    studio = await pages.open(f"/studio/{shop.show['id']}#token={shop.host['token']}", who="host")
    console = await open_console(pages, shop)
    await watch.get_by_label("Pick a display name to chat and shop").fill(f"Zed {RLO}Zero")
    await watch.get_by_role("button", name="Join").click()
    await expect(watch.get_by_role("article", name=shop.product["title"])).to_be_visible()

    live = await LiveClient(str(client.make_url("/"))).connect()
    try:
        await live.join(shop.show["id"], ada["token"])
        assert (await live.call("chat", {"text": f"hello {RLO}world"}))["ok"]
        assert (await live.call("ask", {"text": f"in {RLO}blue?"}))["ok"]
    finally:
        await live.close()
    await shop.buy(ada)

    await expect(watch.locator("#ticker")).to_contain_text(f"{RLO}Ada L. bought 1 × Sneakers {RLO}XL")
    await expect(watch.locator("#chat")).to_contain_text(f"hello {RLO}world")
    await expect(studio.locator("#chat")).to_contain_text(f"hello {RLO}world")
    await expect(studio.locator("#questions")).to_contain_text(f"in {RLO}blue?")
    await expect(console.locator("#orders")).to_contain_text(f"{RLO}Ada Lovelace")
    await expect(console.locator("#recent-sales")).to_contain_text(f"{RLO}Ada L. bought")
    await watch.get_by_role("tab", name="Questions").click()
    await expect(watch.locator("#questions")).to_contain_text(f"in {RLO}blue?")

    await assert_isolated(index, 1)  # the show title
    await assert_isolated(watch, 6)  # title, product, name, chat (name + text), question (text + name), ticker
    await assert_isolated(studio, 5)  # title, lineup, chat (name + text), question (text + name)
    await assert_isolated(console, 7)  # brand, catalog (+ labels), show, pins, sales, orders (buyer, item)
    await screenshots(watch, "watch-bidi")


async def test_the_console_lists_orders_live_and_says_why_a_refund_is_refused(api: Api, pages: Pages) -> None:
    pages.expect_http_error(401)  # the refund after the brand's token was revoked, on purpose
    shop = await open_shop(api, brand="Aurora Beauty", title="Ruby Lipstick", show="Lipstick Live")
    sam = await api.create_account("viewer", "Sam Baker")
    first = await shop.buy(sam, qty=2)
    console = await open_console(pages, shop, viewport=PHONE)
    rows = console.locator("#orders > li")
    await expect(rows).to_have_count(1)

    ada = await api.create_account("viewer", "Ada Lovelace")
    second = await shop.buy(ada)  # arrives live: no reload
    await expect(rows).to_have_count(2)
    newest = rows.first
    assert await newest.get_attribute("data-order-id") == second["id"]
    await expect(newest).to_contain_text("Buyer: Ada Lovelace")
    await expect(newest.locator(".order-items")).to_have_text("1 × Ruby Lipstick")
    await expect(newest.locator(".order-amount")).to_have_text("€25.00")
    await expect(newest.locator(".order-status")).to_have_text("paid")
    await screenshots(console, "brand-orders")

    # Keyboard: the Refund button opens a confirm step; Escape cancels it and gives the focus back.
    refund_first = console.get_by_role("button", name=f"Refund order {first['id']}")
    await refund_first.focus()
    await console.keyboard.press("Enter")
    confirm = console.get_by_role("group", name=f"Confirm the refund of order {first['id']}")
    await expect(confirm).to_contain_text("Refund €50.00 to Sam Baker?")
    await expect(confirm.get_by_role("button", name="Yes, refund")).to_be_focused()
    await console.keyboard.press("Escape")
    await expect(confirm).to_have_count(0)
    await expect(refund_first).to_be_focused()

    # Refused: the brand's token was revoked meanwhile; the row says why and stays paid.
    await refund_first.click()
    await api.call("DELETE", f"/api/accounts/{shop.brand['id']}", 204, token=ADMIN_TOKEN)
    await confirm.get_by_role("button", name="Yes, refund").click()
    row = console.locator(f'#orders > li[data-order-id="{first["id"]}"]')
    await expect(console.locator("#orders-error")).to_contain_text(f"Could not refund order {first['id']}")
    await expect(row.locator(".field-error")).to_contain_text("your brand token is no longer valid")
    await expect(row.locator(".order-status")).to_have_text("paid")
    await wait_until(console, "document.querySelector('#orders').children.length === 2")
    await screenshots(console, "brand-orders-refused")
