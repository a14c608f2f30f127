"""The page modules on their own, in the browser: chat batching and scroll-follow, money and stock text.
They run inside a served page (so under its CSP) and import the modules as the pages do."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from livecart.demo import DemoSeed
from tests.browser.harness import Pages

pytestmark = pytest.mark.browser

# Builds a ChatList on a list and button of its own (the page's chat belongs to the live room).
CHAT_SETUP = """async () => {
  const { ChatList } = await import('/static/js/chat.js');
  const list = document.createElement('ul');
  list.id = 'test-chat';
  list.style.height = '300px';
  list.style.overflowY = 'auto';
  const jump = document.createElement('button');
  jump.id = 'test-jump';
  jump.textContent = 'Jump to new messages';
  document.body.prepend(list, jump);
  window.testChat = new ChatList(list, jump);
  window.frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  window.messages = (from, n) => Array.from({ length: n }, (_, i) =>
    ({ id: `m${from + i}`, viewer_id: 'v1', name: 'Sam', text: `message ${from + i}`, at: '' }));
}"""


async def chat_state(page: Any) -> dict[str, Any]:
    state: dict[str, Any] = await page.evaluate(
        """() => { const l = document.querySelector('#test-chat');
          return { count: l.children.length, top: l.scrollTop, bottom: l.scrollHeight - l.scrollTop - l.clientHeight,
                   jump: !document.querySelector('#test-jump').hidden, last: l.lastElementChild?.textContent }; }"""
    )
    return state


async def test_chat_draws_a_batch_in_one_frame_and_follows_only_at_the_bottom(demo: DemoSeed, pages: Pages) -> None:
    page = await pages.open(f"/watch/{demo.show_id}")
    await page.evaluate(CHAT_SETUP)

    drawn_at_once = await page.evaluate(
        "testChat.add(messages(0, 60)); document.querySelector('#test-chat').children.length"
    )
    assert drawn_at_once == 0  # queued, drawn on the next animation frame
    await page.evaluate("frame()")
    state = await chat_state(page)
    assert state["count"] == 60
    assert state["bottom"] < 2  # following: scrolled to the newest
    assert not state["jump"]

    await page.evaluate("document.querySelector('#test-chat').scrollTop = 0")  # the reader scrolls up
    await page.evaluate("frame()")
    await page.evaluate("testChat.add(messages(60, 5)); frame()")
    await page.evaluate("frame()")
    state = await chat_state(page)
    assert state["count"] == 65
    assert state["top"] == 0  # not pulled down while reading
    assert state["jump"]

    await page.get_by_role("button", name="Jump to new messages").click()
    state = await chat_state(page)
    assert state["bottom"] < 2
    assert not state["jump"]
    assert state["last"] == "Sammessage 64"


async def test_chat_keeps_the_newest_messages_drops_repeats_and_removes_deleted(demo: DemoSeed, pages: Pages) -> None:
    page = await pages.open(f"/watch/{demo.show_id}")
    await page.evaluate(CHAT_SETUP)
    await page.evaluate("testChat.add(messages(0, 250)); testChat.add(messages(245, 10))")
    await page.evaluate("frame()")
    ids = await page.evaluate("[...document.querySelectorAll('#test-chat li')].map((li) => li.dataset.id)")
    assert len(ids) == 200
    assert ids[0] == "m55"
    assert ids[-1] == "m254"
    await page.evaluate("testChat.remove('m100')")
    assert await page.locator('#test-chat li[data-id="m100"]').count() == 0
    await expect(page.locator("#test-chat li")).to_have_count(199)


async def test_money_uses_the_currency_minor_units_and_stock_reads_naturally(demo: DemoSeed, pages: Pages) -> None:
    page = await pages.open(f"/watch/{demo.show_id}")
    result = await page.evaluate(
        """async () => {
          const { formatMoney, stockText } = await import('/static/js/money.js');
          const expected = (amount, currency) =>
            new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);
          return {
            eur: [formatMoney(1900, 'EUR'), expected(19, 'EUR')],
            jpy: [formatMoney(500, 'JPY'), expected(500, 'JPY')],
            kwd: [formatMoney(12345, 'KWD'), expected(12.345, 'KWD')],
            stock: [stockText(25), stockText(3), stockText(1), stockText(0)],
          };
        }"""
    )
    for currency in ("eur", "jpy", "kwd"):
        assert result[currency][0] == result[currency][1], result
    assert result["stock"] == ["25 in stock", "only 3 left", "only 1 left", "Sold out"]
