"""Co-host shares without any server: the split loses no cent, refunds reverse each part in proportion."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livecart.domain import shares
from livecart.domain.cart import price_line
from livecart.domain.commerce import LedgerAccount, Order, OrderStatus
from livecart.domain.errors import BadRequest, SharesExceedTotal
from livecart.domain.ledger import balance, refund_entries, sale_entries
from livecart.domain.models import Product
from livecart.domain.refunds import plan_refund
from livecart.domain.shares import Share

NOW = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


def order_of(price: int, qty: int, bps: int) -> Order:
    product = Product("prd_1", "brd_1", "SKU", "Thing", price, "EUR", 10, bps, None, None, NOW, NOW)
    return Order(
        "ord_1", "shw_1", "hst_1", "vwr_1", "Sam", "EUR", (price_line(product, qty, 0),), {},
        OrderStatus.PAID, None, NOW,
    )  # fmt: skip


def test_the_host_keeps_what_the_co_hosts_do_not_hold() -> None:
    assert shares.split(1000, "hst_1", [Share("hst_2", 3000)]) == [("hst_1", 700), ("hst_2", 300)]
    assert shares.split(1000, "hst_1", []) == [("hst_1", 1000)]
    # 1 cent between two co-hosts at 50 % each and a host at 0 %: the first largest remainder gets it
    assert shares.split(1, "hst_1", [Share("hst_2", 5000), Share("hst_3", 5000)]) == [
        ("hst_1", 0),
        ("hst_2", 1),
        ("hst_3", 0),
    ]
    # 10 cents at 1/3 each (3333, 3333, host 3334): 3.334 → 3 + 1 leftover cent to the host
    assert shares.split(10, "hst_1", [Share("hst_2", 3333), Share("hst_3", 3333)]) == [
        ("hst_1", 4),
        ("hst_2", 3),
        ("hst_3", 3),
    ]


@given(
    commission=st.integers(0, 10**9),
    bps=st.lists(st.integers(1, 10_000), max_size=4).filter(lambda values: sum(values) <= 10_000),
)
def test_a_split_adds_up_and_each_part_is_within_a_cent_of_its_share(commission: int, bps: list[int]) -> None:
    cohosts = [Share(f"hst_{n + 2}", value) for n, value in enumerate(bps)]
    parts = shares.split(commission, "hst_1", cohosts)
    assert sum(cents for _, cents in parts) == commission
    weights = [10_000 - sum(bps), *bps]
    for (_, cents), weight in zip(parts, weights, strict=True):
        exact = commission * weight / 10_000
        assert exact - 1 < cents < exact + 1


def test_share_rules() -> None:
    shares.check_new_share("hst_1", [Share("hst_2", 6000)], "hst_3", 4000)
    shares.check_new_share("hst_1", [Share("hst_2", 6000)], "hst_2", 10_000)  # replacing its own share
    with pytest.raises(SharesExceedTotal) as exceeded:
        shares.check_new_share("hst_1", [Share("hst_2", 6000)], "hst_3", 4001)
    assert exceeded.value.details["available_bps"] == 4000
    for bad in (0, 10_001, -5):
        with pytest.raises(BadRequest):
            shares.check_new_share("hst_1", [], "hst_2", bad)
    with pytest.raises(BadRequest):
        shares.check_new_share("hst_1", [], "hst_1", 100)


def test_a_sale_writes_one_commission_entry_per_share_and_balances() -> None:
    order = order_of(price=999, qty=3, bps=1000)  # commission 299
    entries = sale_entries(order, NOW, shares=[Share("hst_2", 3000)])
    commission = [(e.party_id, -e.amount_cents) for e in entries if e.account is LedgerAccount.HOST_COMMISSION]
    assert commission == [("hst_1", 209), ("hst_2", 90)]  # 209.3 / 89.7 → the leftover cent to hst_2
    assert balance(entries) == 0
    assert shares.sale_parts(entries) == {"prd_1": [("hst_1", 209), ("hst_2", 90)]}


@given(
    price=st.integers(1, 10**6),
    qty=st.integers(1, 12),
    bps=st.integers(0, 10_000),
    cohost_bps=st.lists(st.integers(1, 5000), max_size=3).filter(lambda values: sum(values) <= 10_000),
    steps=st.lists(st.integers(1, 12), min_size=1, max_size=12),
)
def test_refunds_in_any_parts_reverse_each_share_exactly_and_never_the_wrong_way(
    price: int, qty: int, bps: int, cohost_bps: list[int], steps: list[int]
) -> None:
    order = order_of(price, qty, bps)
    cohosts = [Share(f"hst_{n + 2}", value) for n, value in enumerate(cohost_bps)]
    ledger = sale_entries(order, NOW, shares=cohosts)
    parts = shares.sale_parts(ledger)
    refunded = 0
    for step in [*steps, qty]:  # whatever the steps, the last one refunds everything left
        units = min(step, qty - refunded)
        if units == 0:
            break
        refund = plan_refund(
            order, {"prd_1": units}, refund_id=f"rfd_{refunded}", by="brd_1", brand_id=None, now=NOW,
            commission_parts=parts,
        )  # fmt: skip
        written = refund_entries(order, refund, NOW, commission_parts=parts)
        assert balance(written) == 0
        assert all(e.amount_cents >= 0 for e in written if e.account is LedgerAccount.HOST_COMMISSION)
        ledger += written
        refunded += units
        order = replace(order, lines=(replace(order.lines[0], refunded_qty=refunded),))
    for party in ["hst_1", *(share.host_id for share in cohosts)]:
        assert sum(e.amount_cents for e in ledger if e.party_id == party) == 0
    assert balance(ledger) == 0
