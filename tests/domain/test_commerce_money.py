"""Money rules without any server: commission per line, the ledger balances, refunds reverse exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livecart.domain import money
from livecart.domain.buyers import public_buyer_name
from livecart.domain.cart import CartRules, check_add, price_line, price_order
from livecart.domain.commerce import CartActivity, CartItem, LedgerAccount, Order, OrderStatus, PinSpan
from livecart.domain.earnings import earnings_csv, earnings_rows, earnings_summary
from livecart.domain.errors import (
    CartEmpty,
    CurrencyMismatch,
    LimitExceeded,
    NotPinned,
    RefundExceedsPurchase,
)
from livecart.domain.ledger import balance, refund_entries, sale_entries
from livecart.domain.models import Account, Product, Role, Show, ShowStatus
from livecart.domain.refunds import plan_refund
from livecart.domain.stats import pinned_seconds, product_stats

NOW = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
RULES = CartRules(max_qty_per_buyer=5)
SHOW = Show("shw_1", "hst_1", "Show", ShowStatus.LIVE, None, NOW, None, NOW)
BUYER = Account("vwr_1", Role.VIEWER, "Sam Lee", NOW)


def product(pid: str = "prd_1", price: int = 1999, bps: int = 1000, currency: str = "EUR") -> Product:
    return Product(pid, "brd_1", pid.upper(), "Thing", price, currency, 10, bps, None, None, NOW, NOW)


def order_of(*lines: tuple[Product, int], fee_bps: int = 0) -> Order:
    return Order(
        id="ord_1",
        show_id="shw_1",
        host_id="hst_1",
        buyer_id="vwr_1",
        buyer_name="Sam",
        currency="EUR",
        lines=tuple(price_line(p, qty, fee_bps) for p, qty in lines),
        shipping={},
        status=OrderStatus.PAID,
        idempotency_key=None,
        created_at=NOW,
    )


def test_commission_is_floored_per_line_at_the_rate_in_force() -> None:
    assert money.share_of(1999 * 3, 1250) == 749  # 749.625
    assert money.share_of(99, 10_000) == 99
    assert money.share_of(0, 5000) == 0
    line = price_line(product(price=333, bps=333), 3, 0)
    assert (line.line_total_cents, line.commission_cents) == (999, 33)
    with pytest.raises(ValueError, match="bps"):
        money.share_of(100, 10_001)


@given(
    prices=st.lists(
        st.tuples(st.integers(0, 10**8), st.integers(1, 50), st.integers(0, 10_000)), min_size=1, max_size=5
    ),
    fee_bps=st.integers(0, 10_000),
)
def test_every_order_balances_and_pays_in_what_the_buyer_paid(prices: list[tuple[int, int, int]], fee_bps: int) -> None:
    lines = [(product(f"prd_{n}", price, bps), qty) for n, (price, qty, bps) in enumerate(prices)]
    order = order_of(*lines, fee_bps=fee_bps)
    entries = sale_entries(order, NOW)
    assert balance(entries) == 0
    paid = sum(e.amount_cents for e in entries if e.account is LedgerAccount.PAYMENTS)
    assert paid == order.total_cents
    commission = -sum(e.amount_cents for e in entries if e.account is LedgerAccount.HOST_COMMISSION)
    assert commission == order.commission_cents
    assert all(e.amount_cents <= 0 for e in entries if e.account is not LedgerAccount.PAYMENTS)
    assert any(e.account is LedgerAccount.PLATFORM_FEE for e in entries) == (fee_bps > 0)


@given(qty=st.integers(1, 40), price=st.integers(1, 10**6), bps=st.integers(0, 10_000), data=st.data())
def test_refunds_in_parts_reverse_exactly_what_the_sale_recorded(
    qty: int, price: int, bps: int, data: st.DataObject
) -> None:
    order = order_of((product(price=price, bps=bps), qty), fee_bps=250)
    all_entries = sale_entries(order, NOW)
    refunded = 0
    while refunded < qty:
        part = data.draw(st.integers(1, qty - refunded))
        refund = plan_refund(order, {"prd_1": part}, refund_id=f"rfd_{refunded}", by="brd_1", brand_id="brd_1", now=NOW)
        entries = refund_entries(order, refund, NOW)
        assert balance(entries) == 0
        all_entries += entries
        refunded += part
        line = order.lines[0]
        order = Order(**{**vars(order), "lines": (type(line)(**{**vars(line), "refunded_qty": refunded}),)})
    by_account: dict[LedgerAccount, int] = {}
    for entry in all_entries:
        by_account[entry.account] = by_account.get(entry.account, 0) + entry.amount_cents
    assert set(by_account.values()) == {0}


def test_refund_plans_refuse_more_than_was_bought() -> None:
    order = order_of((product(), 2))
    with pytest.raises(RefundExceedsPurchase):
        plan_refund(order, {"prd_1": 3}, refund_id="r", by="a", brand_id=None, now=NOW)
    with pytest.raises(RefundExceedsPurchase):
        plan_refund(order, {"prd_x": 1}, refund_id="r", by="a", brand_id=None, now=NOW)
    with pytest.raises(RefundExceedsPurchase):
        plan_refund(order, {"prd_1": 1}, refund_id="r", by="b", brand_id="brd_other", now=NOW)
    full = plan_refund(order, None, refund_id="r", by="a", brand_id=None, now=NOW)
    assert [(line.product_id, line.qty, line.amount_cents) for line in full.lines] == [("prd_1", 2, 3998)]


def test_cart_rules() -> None:
    eur, usd = product("prd_e"), product("prd_u", currency="USD")
    with pytest.raises(NotPinned):
        check_add(eur, 1, pinned=set(), cart=[], cart_products={}, bought=0, rules=RULES)
    cart = [CartItem("prd_e", 2, NOW)]
    with pytest.raises(CurrencyMismatch):
        check_add(usd, 1, pinned={"prd_e", "prd_u"}, cart=cart, cart_products={"prd_e": eur}, bought=0, rules=RULES)
    with pytest.raises(LimitExceeded):
        check_add(eur, 2, pinned={"prd_e"}, cart=cart, cart_products={"prd_e": eur}, bought=2, rules=RULES)
    assert check_add(eur, 1, pinned={"prd_e"}, cart=cart, cart_products={"prd_e": eur}, bought=2, rules=RULES) == 3


def test_pricing_an_order_checks_every_line() -> None:
    eur, usd = product("prd_e"), product("prd_u", currency="USD")

    def price(cart: list[CartItem], products: dict[str, Product], bought: dict[str, int]) -> Order:
        return price_order(
            order_id="ord_1",
            show=SHOW,
            buyer=BUYER,
            cart=cart,
            products=products,
            pinned={"prd_e", "prd_u"},
            bought=bought,
            rules=RULES,
            shipping={},
            idempotency_key="k",
            now=NOW,
        )

    with pytest.raises(CartEmpty):
        price([], {}, {})
    mixed = [CartItem("prd_e", 1, NOW), CartItem("prd_u", 1, NOW)]
    with pytest.raises(CurrencyMismatch) as error:
        price(mixed, {"prd_e": eur, "prd_u": usd}, {})
    assert error.value.details["currencies"] == ["EUR", "USD"]
    with pytest.raises(NotPinned):
        price([CartItem("prd_x", 1, NOW)], {"prd_x": product("prd_x")}, {})
    with pytest.raises(LimitExceeded):
        price(mixed[:1], {"prd_e": eur}, {"prd_e": 5})
    order = price(mixed[:1], {"prd_e": eur}, {})
    assert (order.status, order.total_cents, order.host_id) == (OrderStatus.PENDING, 1999, "hst_1")


def test_public_buyer_names() -> None:
    assert public_buyer_name("Sam Lee Carter") == "Sam C."
    assert public_buyer_name("  sam  ") == "sam"
    assert public_buyer_name("") == "Someone"


def test_pinned_seconds_count_open_spans_until_the_end() -> None:
    spans = [
        PinSpan("shw_1", "prd_1", NOW, NOW + timedelta(seconds=30)),
        PinSpan("shw_1", "prd_1", NOW + timedelta(seconds=60), None),
    ]
    assert pinned_seconds(spans, NOW + timedelta(seconds=100)) == 70.0
    rows = product_stats(
        [product()],
        spans,
        {"prd_1": CartActivity(4, 2)},
        [order_of((product(), 2))],
        NOW + timedelta(seconds=100),
    )
    assert (rows[0].pins, rows[0].units, rows[0].gross_cents, rows[0].conversion) == (2, 2, 3998, 0.5)


def test_earnings_from_host_commission_entries() -> None:
    order = order_of((product(price=1000, bps=1500), 2))
    entries = sale_entries(order, NOW)
    refund = plan_refund(order, {"prd_1": 1}, refund_id="rfd_1", by="brd_1", brand_id="brd_1", now=NOW)
    entries += refund_entries(order, refund, NOW)
    rows = earnings_rows(entries, "hst_1", {"shw_1": "Show"})
    summary = earnings_summary("hst_1", rows)
    assert (
        summary["currency"],
        summary["earned_cents"],
        summary["reversed_cents"],
        summary["pending_cents"],
    ) == ("EUR", 300, 150, 150)
    assert earnings_csv(rows).splitlines()[1] == "shw_1,Show,EUR,1,300,150,150"
    assert earnings_rows(entries, "hst_other", {}) == []
