"""Contract: a checkout interrupted by a crash is settled by `Checkout.recover` on the next start, on
either store (the store reopened on the same data, as after a restart)."""

from __future__ import annotations

import json

from livecart.bus import EventBus
from livecart.clock import SystemClock
from livecart.commerce.checkout import Checkout
from livecart.commerce.payments import TEST_CARD_OK, TestPaymentProvider
from livecart.commerce.stock_news import StockNews
from livecart.domain.cart import CartRules, price_order
from livecart.domain.commerce import CartItem, Order, OrderStatus
from livecart.domain.events import Event, Sold
from livecart.domain.models import ProductDraft, Role, utcnow
from livecart.store import Store
from tests.store.conftest import OpenStore

RULES = CartRules(max_qty_per_buyer=5)


async def pending_order(store: Store, key: str) -> Order:
    """A checkout interrupted after place_order: stock taken (3 → 1), key claimed, nothing paid yet."""
    brand, _ = await store.create_account(Role.BRAND, "Brand")
    host, _ = await store.create_account(Role.HOST, "Host")
    buyer, _ = await store.create_account(Role.VIEWER, "Sam Lee")
    product = await store.create_product(brand.id, ProductDraft("SKU", "Thing", 1500, "EUR", 3, 1000))
    show = await store.create_show(host.id, "Show", None)
    await store.add_to_lineup(show.id, product.id)
    await store.pin_product(show.id, product.id)
    assert await store.claim_idempotency_key(buyer.id, key, "hash") is None
    order = price_order(
        order_id="ord_crash",
        show=show,
        buyer=buyer,
        cart=[CartItem(product.id, 2, utcnow())],
        products={product.id: product},
        pinned={product.id},
        bought={},
        rules=RULES,
        shipping={},
        idempotency_key=key,
        now=utcnow(),
    )
    assert await store.place_order(order, RULES.max_qty_per_buyer) == {product.id: 1}
    return order


async def test_a_charged_order_interrupted_before_it_was_marked_paid_is_paid_on_restart(
    store: Store, open_stores: OpenStore
) -> None:
    provider = TestPaymentProvider()  # the provider outlives our process, as a real one does
    order = await pending_order(store, "k1")
    await provider.charge(reference=order.id, amount_cents=order.total_cents, currency="EUR", card_number=TEST_CARD_OK)
    await store.close()  # crash: the charge happened, mark_order_paid never ran

    restarted = await open_stores()
    events: list[Event] = []
    bus = EventBus()
    bus.subscribe(events.append)
    checkout = Checkout(restarted, provider, bus, RULES, StockNews(restarted, bus), SystemClock())
    assert await checkout.recover(utcnow()) == (1, 0)

    paid = await restarted.get_order(order.id)
    assert paid is not None
    assert paid.status is OrderStatus.PAID
    entries = await restarted.ledger_entries(order_id=order.id)
    assert len(entries) == 3
    assert sum(entry.amount_cents for entry in entries) == 0
    replay = await restarted.claim_idempotency_key(order.buyer_id, "k1", "hash")
    assert replay is not None
    assert replay.status == 201
    assert json.loads(replay.body)["id"] == order.id
    assert [type(event) for event in events] == [Sold]


async def test_an_uncharged_interrupted_order_gives_its_stock_and_keys_back_on_restart(
    store: Store, open_stores: OpenStore
) -> None:
    order = await pending_order(store, "k1")
    other, _ = await store.create_account(Role.VIEWER, "Lea")
    assert await store.claim_idempotency_key(other.id, "orphan", "hash") is None  # crashed before place_order
    await store.close()

    restarted = await open_stores()
    bus = EventBus()
    news = StockNews(restarted, bus)
    checkout = Checkout(restarted, TestPaymentProvider(), bus, RULES, news, SystemClock())
    assert await checkout.recover(utcnow()) == (0, 1)
    await news.close()

    failed = await restarted.get_order(order.id)
    assert failed is not None
    assert failed.status is OrderStatus.FAILED
    product = await restarted.get_product(order.lines[0].product_id)
    assert product is not None
    assert product.stock == 3
    assert await restarted.ledger_entries(order_id=order.id) == []
    assert await restarted.claim_idempotency_key(order.buyer_id, "k1", "hash") is None
    assert await restarted.claim_idempotency_key(other.id, "orphan", "hash") is None
    assert await restarted.units_bought(order.buyer_id, [product.id]) == {product.id: 0}
