"""Payouts without any server: pending → available after the return window, negative balances carried
to the next payout, and the ledger invariants over random sequences of sales, refunds, shares, clock
moves and payouts."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from livecart.domain import payouts, shares
from livecart.domain.cart import price_line
from livecart.domain.commerce import LedgerAccount, LedgerEntry, Order, OrderStatus
from livecart.domain.earnings import earnings_rows
from livecart.domain.ledger import refund_entries, sale_entries
from livecart.domain.models import Product
from livecart.domain.refunds import plan_refund
from livecart.domain.statement import statement, statement_csv

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
_ids = itertools.count()


def make_id() -> str:
    return f"led_{next(_ids)}"


def sold(order_id: str, host: str, price: int, qty: int, bps: int, currency: str = "EUR") -> Order:
    product = Product("prd_1", "brd_1", "SKU", "Thing", price, currency, 99, bps, None, None, T0, T0)
    return Order(
        order_id, f"shw_{host}", host, "vwr_1", "Sam", currency, (price_line(product, qty, 0),), {},
        OrderStatus.PAID, None, T0,
    )  # fmt: skip


def refund(order: Order, units: int, ledger: list[LedgerEntry], now: datetime) -> tuple[Order, list[LedgerEntry]]:
    parts = shares.sale_parts(e for e in ledger if e.order_id == order.id)
    planned = plan_refund(
        order, {"prd_1": units}, refund_id=make_id(), by="brd_1", brand_id=None, now=now, commission_parts=parts
    )
    line = order.lines[0]
    updated = replace(order, lines=(replace(line, refunded_qty=line.refunded_qty + units),))
    return updated, refund_entries(order, planned, now, make_id, commission_parts=parts)


def balance_of(ledger: list[LedgerEntry], host: str, now: datetime, window: int = 14) -> dict[str, int]:
    found = payouts.balances(ledger, host, now, window).get("EUR")
    return {} if found is None else found.public()


def test_commission_is_pending_for_the_return_window_then_available() -> None:
    ledger = sale_entries(sold("ord_1", "hst_1", 10_000, 1, 1000), T0, make_id)
    assert balance_of(ledger, "hst_1", T0) == {
        "currency": "EUR", "pending_cents": 1000, "available_cents": 0, "paid_cents": 0, "negative_cents": 0,
    }  # fmt: skip
    just_before = T0 + timedelta(days=14) - timedelta(seconds=1)
    assert balance_of(ledger, "hst_1", just_before)["pending_cents"] == 1000
    assert balance_of(ledger, "hst_1", T0 + timedelta(days=14))["available_cents"] == 1000
    assert balance_of(ledger, "hst_1", T0, window=0)["available_cents"] == 1000  # 0: available at once


def test_a_full_refund_inside_the_window_leaves_nothing_to_pay() -> None:
    order = sold("ord_1", "hst_1", 10_000, 2, 1000)
    ledger = sale_entries(order, T0, make_id)
    _, reversal = refund(order, 2, ledger, T0 + timedelta(days=3))
    ledger += reversal
    later = T0 + timedelta(days=30)
    assert balance_of(ledger, "hst_1", later) == {
        "currency": "EUR", "pending_cents": 0, "available_cents": 0, "paid_cents": 0, "negative_cents": 0,
    }  # fmt: skip
    assert payouts.plan_payout(ledger, "hst_1", "EUR", later, window_days=14, min_cents=0, payout_id="pay_1") is None


def test_a_refund_after_payout_is_carried_as_negative_and_taken_from_the_next_payout() -> None:
    first = sold("ord_1", "hst_1", 10_000, 2, 1000)  # commission 2000
    ledger = sale_entries(first, T0, make_id)
    day15 = T0 + timedelta(days=15)
    plan = payouts.plan_payout(ledger, "hst_1", "EUR", day15, window_days=14, min_cents=0, payout_id="pay_1")
    assert plan is not None
    assert plan.amount_cents == 2000
    assert sum(e.amount_cents for e in plan.entries) == 0
    ledger += plan.entries
    assert balance_of(ledger, "hst_1", day15)["paid_cents"] == 2000
    _, reversal = refund(first, 1, ledger, day15)  # after payout: 1000 back
    ledger += reversal
    assert balance_of(ledger, "hst_1", day15) == {
        "currency": "EUR", "pending_cents": 0, "available_cents": 0, "paid_cents": 2000, "negative_cents": 1000,
    }  # fmt: skip
    # nothing available: no payout; the negative waits
    assert payouts.plan_payout(ledger, "hst_1", "EUR", day15, window_days=14, min_cents=0, payout_id="p") is None
    ledger += sale_entries(sold("ord_2", "hst_1", 25_000, 1, 1000), day15, make_id)  # 2500, pending
    day30 = day15 + timedelta(days=15)
    assert balance_of(ledger, "hst_1", day30)["available_cents"] == 2500
    # under the minimum: waits
    assert payouts.plan_payout(ledger, "hst_1", "EUR", day30, window_days=14, min_cents=1501, payout_id="p") is None
    plan = payouts.plan_payout(ledger, "hst_1", "EUR", day30, window_days=14, min_cents=1500, payout_id="pay_2")
    assert plan is not None
    assert plan.amount_cents == 1500
    ledger += plan.entries
    assert balance_of(ledger, "hst_1", day30) == {
        "currency": "EUR", "pending_cents": 0, "available_cents": 0, "paid_cents": 3500, "negative_cents": 0,
    }  # fmt: skip


HOSTS = ("hst_a", "hst_b", "hst_c")
operations = st.one_of(
    st.tuples(
        st.just("sale"), st.sampled_from(HOSTS[:2]), st.sampled_from(("EUR", "USD")),
        st.integers(1, 50_000), st.integers(1, 6), st.integers(0, 10_000),
    ),
    st.tuples(st.just("refund"), st.integers(0, 50), st.integers(1, 6)),
    st.tuples(st.just("share"), st.sampled_from(HOSTS[:2]), st.sampled_from(HOSTS), st.integers(0, 10_000)),
    st.tuples(st.just("clock"), st.integers(0, 20 * 24)),
    st.tuples(st.just("payout"), st.integers(0, 3000)),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(ops=st.lists(operations, max_size=40), window=st.sampled_from((0, 1, 14)))
def test_ledger_invariants_hold_over_any_sequence(ops: list[tuple[object, ...]], window: int) -> None:
    now = T0
    ledger: list[LedgerEntry] = []
    orders: list[Order] = []
    cohosts: dict[str, dict[str, int]] = {host: {} for host in HOSTS[:2]}  # show host → co-host → bps
    for n, op in enumerate(ops):
        match op:
            case ("sale", str(host), str(currency), int(price), int(qty), int(bps)):
                order = sold(f"ord_{n}", host, price, qty, bps, currency)
                active = [shares.Share(h, b) for h, b in cohosts[host].items()]
                ledger += sale_entries(order, now, make_id, shares=active)
                orders.append(order)
            case ("refund", int(index), int(units)) if orders:
                order = orders[index % len(orders)]
                line = order.lines[0]
                units = min(units, line.qty - line.refunded_qty)
                if units:
                    updated, reversal = refund(order, units, ledger, now)
                    orders[orders.index(order)] = updated
                    ledger += reversal
            case ("share", str(host), str(cohost), int(bps)):
                try:
                    current = [shares.Share(h, b) for h, b in cohosts[host].items()]
                    shares.check_new_share(host, current, cohost, bps)
                    cohosts[host][cohost] = bps
                except Exception:
                    pass
            case ("clock", int(hours)):
                now += timedelta(hours=hours)
            case ("payout", int(min_cents)):
                for host in payouts.commission_hosts(ledger):
                    for currency in ("EUR", "USD"):
                        plan = payouts.plan_payout(
                            ledger, host, currency, now, window_days=window, min_cents=min_cents,
                            payout_id=f"pay_{n}_{host}", make_id=make_id,
                        )  # fmt: skip
                        if plan is None:
                            continue
                        assert plan.amount_cents >= max(min_cents, 1)
                        ledger += plan.entries
                        after = payouts.balances(ledger, host, now, window)[currency]
                        assert after.available_cents == after.negative_cents == 0
        check_invariants(ledger, orders, now, window)


def check_invariants(ledger: list[LedgerEntry], orders: list[Order], now: datetime, window: int) -> None:
    for currency in ("EUR", "USD"):
        assert sum(e.amount_cents for e in ledger if e.currency == currency) == 0
    for order in orders:
        assert sum(e.amount_cents for e in ledger if e.order_id == order.id) == 0
        commission = -sum(
            e.amount_cents
            for e in ledger
            if e.order_id == order.id and e.account is LedgerAccount.HOST_COMMISSION and e.payout_id is None
        )
        line = order.lines[0]
        if line.refunded_qty == line.qty:
            assert commission == 0
    for host in HOSTS:
        for balance in payouts.balances(ledger, host, now, window).values():
            assert min(balance.pending_cents, balance.available_cents, balance.paid_cents) >= 0
            assert balance.negative_cents >= 0
            assert (
                balance.paid_cents + balance.available_cents + balance.pending_cents - balance.negative_cents
                == balance.earned_cents - balance.reversed_cents
            )


def test_the_statement_lists_sales_shares_refunds_and_payouts_with_a_running_balance() -> None:
    order = sold("ord_1", "hst_1", 10_000, 2, 1000)  # 2000 commission: hst_1 1400, hst_2 600
    ledger = sale_entries(order, T0, make_id, shares=[shares.Share("hst_2", 3000)])
    _, reversal = refund(order, 1, ledger, T0 + timedelta(days=1))
    ledger += reversal
    later = T0 + timedelta(days=20)
    plan = payouts.plan_payout(ledger, "hst_2", "EUR", later, window_days=14, min_cents=0, payout_id="pay_1")
    assert plan is not None
    ledger += plan.entries
    show_hosts = {"shw_hst_1": "hst_1"}
    lines = statement(ledger, "hst_2", show_hosts)
    assert [(line.kind, line.amount_cents, line.balance_cents) for line in lines] == [
        ("share", 600, 600), ("refund", -300, 300), ("payout", -300, 0),
    ]  # fmt: skip
    assert [line.kind for line in statement(ledger, "hst_1", show_hosts)] == ["sale", "refund"]
    window = statement(ledger, "hst_2", show_hosts, since=T0 + timedelta(hours=1), until=later)
    assert [(line.kind, line.balance_cents) for line in window] == [("refund", 300)]  # opening balance counted
    text = statement_csv(lines)
    assert text.splitlines()[0] == (
        "created_at,kind,order_id,show_id,product_id,payout_id,currency,amount_cents,balance_cents"
    )
    assert text.splitlines()[3].endswith(",pay_1,EUR,-300,0")


def test_earnings_leave_payout_rows_out() -> None:
    ledger = sale_entries(sold("ord_1", "hst_1", 10_000, 1, 1000), T0, make_id)
    plan = payouts.plan_payout(ledger, "hst_1", "EUR", T0, window_days=0, min_cents=0, payout_id="pay_1")
    assert plan is not None
    (row,) = earnings_rows([*ledger, *plan.entries], "hst_1", {})
    assert (row.earned_cents, row.reversed_cents) == (1000, 0)
