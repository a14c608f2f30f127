"""Contract: long random sequences of orders, payments, failures and refunds keep the books right.

A small model in this file predicts every outcome (placed or which error, stock after it); the store
must agree after each step, and at the end stock + units held by orders add up to the starting stock,
no stock is negative and every order's ledger rows sum to zero. Seeded, so a failure replays exactly.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable
from dataclasses import dataclass, field

import pytest

from livecart.domain.commerce import Order, OrderStatus
from livecart.domain.errors import Conflict, LimitExceeded, OutOfStock, RefundExceedsPurchase
from livecart.domain.models import Account, Product, utcnow
from livecart.store import Store
from tests.store import factories

STEPS = 80
START_STOCK = 6
LIMIT = 4


@dataclass
class Model:
    stock: dict[str, int]
    bought: dict[tuple[str, str], int] = field(default_factory=dict)  # (buyer, product) → units
    orders: dict[str, Order] = field(default_factory=dict)
    status: dict[str, OrderStatus] = field(default_factory=dict)
    refunded: dict[tuple[str, str], int] = field(default_factory=dict)  # (order, product) → units

    def place(self, order: Order) -> type[Exception] | None:
        if any(self.bought.get((order.buyer_id, line.product_id), 0) + line.qty > LIMIT for line in order.lines):
            return LimitExceeded
        if any(self.stock[line.product_id] < line.qty for line in order.lines):
            return OutOfStock
        for line in order.lines:
            self.stock[line.product_id] -= line.qty
            self.bought[order.buyer_id, line.product_id] = (
                self.bought.get((order.buyer_id, line.product_id), 0) + line.qty
            )
        self.orders[order.id] = order
        self.status[order.id] = OrderStatus.PENDING
        return None

    def settle(self, order_id: str, paid: bool) -> type[Exception] | None:
        if self.status[order_id] is not OrderStatus.PENDING:
            return Conflict
        self.status[order_id] = OrderStatus.PAID if paid else OrderStatus.FAILED
        if not paid:
            order = self.orders[order_id]
            for line in order.lines:
                self.stock[line.product_id] += line.qty
                self.bought[order.buyer_id, line.product_id] -= line.qty
        return None

    def refund(self, order_id: str, product_id: str, qty: int) -> type[Exception] | None:
        if self.status[order_id] is not OrderStatus.PAID:
            return Conflict
        line = self.orders[order_id].line(product_id)
        already = self.refunded.get((order_id, product_id), 0)
        if line is None or already + qty > line.qty:
            return RefundExceedsPurchase
        self.refunded[order_id, product_id] = already + qty
        self.stock[product_id] += qty
        return None


async def outcome(call: Awaitable[object]) -> type[Exception] | None:
    """None when the call succeeded, else the domain error it raised (its most specific kind)."""
    try:
        await call
    except (LimitExceeded, OutOfStock, RefundExceedsPurchase) as error:
        return type(error)
    except Conflict:
        return Conflict
    return None


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_sequences_agree_with_the_model_and_keep_the_books(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    brand = await factories.brand(store)
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    products: list[Product] = [
        await factories.product(store, brand.id, sku=f"P{i}", stock=START_STOCK, price_cents=rng.randint(1, 99_999),
                                commission_bps=rng.randint(0, 10_000))
        for i in range(3)
    ]  # fmt: skip
    buyers: list[Account] = [await factories.viewer(store, f"Buyer {i}") for i in range(3)]
    model = Model(stock={product.id: START_STOCK for product in products})

    for _ in range(STEPS):
        action = rng.choice(["place", "place", "pay", "fail", "refund"])
        if action == "place" or not model.orders:
            chosen = rng.sample(products, rng.randint(1, 2))
            order = factories.order(show, rng.choice(buyers), *((p, rng.randint(1, 3)) for p in chosen))
            expected = model.place(order)
            assert await outcome(store.place_order(order, LIMIT)) is expected
        elif action in ("pay", "fail"):
            order = model.orders[rng.choice(list(model.orders))]
            expected = model.settle(order.id, paid=action == "pay")
            call: Awaitable[object] = (
                store.mark_order_paid(order.id, "pay", utcnow(), factories.sale_entries(order), None)
                if action == "pay"
                else store.fail_order(order.id, None)
            )
            assert await outcome(call) is expected
        else:
            paid = [order_id for order_id, status in model.status.items() if status is OrderStatus.PAID]
            current = await store.get_order(rng.choice(paid if paid and rng.random() < 0.8 else list(model.orders)))
            assert current is not None
            line = rng.choice(current.lines)
            qty = rng.randint(1, 2)
            expected = model.refund(current.id, line.product_id, qty)
            refund = factories.refund(current, brand.id, (line.product_id, qty, line.refunded_qty))
            assert await outcome(store.record_refund(refund, factories.refund_entries(current, refund))) is expected
        for product in products:
            stored = await store.get_product(product.id)
            assert stored is not None
            assert stored.stock == model.stock[product.id] >= 0

    orders = {order.id: order for order in await store.show_orders(show.id)}
    assert {order_id: order.status for order_id, order in orders.items()} == model.status
    for product in products:
        held = sum(
            line.qty - line.refunded_qty
            for order in orders.values()
            if order.status is not OrderStatus.FAILED
            for line in order.lines
            if line.product_id == product.id
        )
        assert model.stock[product.id] + held == START_STOCK
    for order_id in orders:
        assert sum(entry.amount_cents for entry in await store.ledger_entries(order_id=order_id)) == 0
