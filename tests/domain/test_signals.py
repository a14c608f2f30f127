"""Signals without I/O: client-address labels (stable, opaque, one per IPv4 address or IPv6 /64), and the
fake-review and fake-order signals with their thresholds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from livecart.domain.commerce import LedgerAccount, LedgerEntry, Order, OrderLine, OrderStatus
from livecart.domain.reviews import Review
from livecart.domain.signals import (
    Thresholds,
    address_group,
    address_label,
    last_refund_at,
    quick_full_refunds,
    review_bursts,
    reviews_by_new_accounts,
    shared_client_addresses,
    shared_shipping_addresses,
    shipping_label,
    trust_signals,
)

KEY = b"k" * 32


def test_labels_are_stable_per_client_and_differ_between_clients_and_keys() -> None:
    label = address_label("203.0.113.7", KEY)
    assert label == address_label("203.0.113.7", KEY)
    assert label.startswith("ip-")
    assert len(label) == 19
    assert "203.0.113" not in label
    assert label != address_label("203.0.113.8", KEY)
    assert label != address_label("203.0.113.7", b"another deployment's key")


def test_ipv6_addresses_of_one_slash_64_are_one_client() -> None:
    assert address_group("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_label("2001:db8:1:2::1", KEY) == address_label("2001:db8:1:2:ffff::9", KEY)
    assert address_label("2001:db8:1:2::1", KEY) != address_label("2001:db8:1:3::1", KEY)


# --- fake-review and fake-order signals (issue 20) -------------------------------------------------

T0 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
SHIPPING = {"name": "Ann Lee", "line1": "1 Main St", "city": "Lyon", "postal_code": "69001", "country": "FR"}


def paid_order(
    order_id: str,
    buyer_id: str,
    *,
    ip: str | None = None,
    shipping: dict[str, str] | None = None,
    refunded: bool = False,
    brand_id: str = "brd_a",
    host_id: str = "hst_1",
) -> Order:
    line = OrderLine("prd_1", brand_id, "Serum", 1000, 1, 1000, 0, 1000, 100, 0, 1 if refunded else 0)
    return Order(
        id=order_id,
        show_id="shw_1",
        host_id=host_id,
        buyer_id=buyer_id,
        buyer_name="B",
        currency="EUR",
        lines=(line,),
        shipping=shipping or {**SHIPPING, "line1": f"{order_id} Road"},
        status=OrderStatus.PAID,
        idempotency_key=order_id,
        created_at=T0,
        paid_at=T0,
        client_ip=ip,
    )


def review(
    review_id: str,
    buyer_id: str,
    at: datetime,
    *,
    ip: str | None = None,
    product_id: str = "prd_1",
    ordered_at: datetime = T0,
    brand_id: str = "brd_a",
) -> Review:
    return Review(
        id=review_id,
        product_id=product_id,
        brand_id=brand_id,
        order_id=f"ord_{review_id}",
        show_id="shw_1",
        host_id="hst_1",
        buyer_id=buyer_id,
        buyer_name="B",
        rating=5,
        text="",
        created_at=at,
        ordered_at=ordered_at,
        client_ip=ip,
    )


def test_reviews_by_accounts_created_less_than_the_threshold_before_their_order_are_listed() -> None:
    created = {"vwr_new": T0 - timedelta(hours=23, minutes=30), "vwr_old": T0 - timedelta(days=40)}
    reviews = [
        review("r1", "vwr_new", T0 + timedelta(days=2)),
        review("r2", "vwr_old", T0),
        review("r3", "vwr_gone", T0),
    ]
    assert reviews_by_new_accounts(reviews, created, 24.0) == [
        {"review_id": "r1", "product_id": "prd_1", "buyer_id": "vwr_new", "account_age_hours": 23.5}
    ]
    assert reviews_by_new_accounts(reviews, created, 23.0) == []  # the threshold is the setting's


def test_a_burst_is_more_than_n_reviews_of_one_product_within_an_hour() -> None:
    spaced = [review(f"r{n}", f"vwr_{n}", T0 + timedelta(minutes=15 * n)) for n in range(8)]  # 4 per hour at most
    assert review_bursts(spaced, 4) == []
    assert review_bursts(spaced, 3) == [
        {"product_id": "prd_1", "reviews": 4, "first_at": "2026-11-20T18:00:00Z", "last_at": "2026-11-20T18:45:00Z"}
    ]
    ring = [review(f"q{n}", f"vwr_q{n}", T0 + timedelta(minutes=n), product_id="prd_2") for n in range(6)]
    assert [(row["product_id"], row["reviews"]) for row in review_bursts(spaced + ring, 4)] == [("prd_2", 6)]


def test_accounts_sharing_a_client_address_count_buyers_and_reviewers_under_a_label() -> None:
    orders = [
        paid_order("o1", "vwr_1", ip="198.51.100.7"),
        paid_order("o2", "vwr_2", ip="198.51.100.7"),
        paid_order("o3", "vwr_3", ip="192.0.2.1"),
    ]
    reviews = [review("r1", "vwr_1", T0, ip="198.51.100.7"), review("r9", "vwr_9", T0, ip="198.51.100.7")]
    rows = shared_client_addresses(orders, reviews, KEY, 3)
    assert rows == [{"label": address_label("198.51.100.7", KEY), "accounts": 3, "buyers": 2, "reviewers": 2}]
    assert "198.51" not in str(rows)
    assert shared_client_addresses(orders, reviews, KEY, 4) == []


def test_buyers_shipping_to_one_address_are_found_whatever_the_spelling_and_name() -> None:
    one = [
        paid_order("o1", "vwr_1", shipping=SHIPPING),
        paid_order("o2", "vwr_2", shipping={**SHIPPING, "name": "Bo Kim", "line1": "1, MAIN  st."}),
        paid_order("o3", "vwr_3", shipping={**SHIPPING, "name": "Cy", "country": "fr"}),
        paid_order("o4", "vwr_3", shipping=SHIPPING),
    ]
    elsewhere = paid_order("o5", "vwr_4", shipping={**SHIPPING, "postal_code": "69002"})
    rows = shared_shipping_addresses([*one, elsewhere], KEY, 3)
    assert rows == [{"label": shipping_label(SHIPPING, KEY), "buyers": 3, "orders": 4}]
    assert rows[0]["label"].startswith("ship-")
    assert "Main" not in rows[0]["label"]
    assert shipping_label(SHIPPING, KEY) != shipping_label(SHIPPING, b"another key")
    assert shared_shipping_addresses([*one, elsewhere], KEY, 4) == []


def test_orders_refunded_in_full_soon_after_payment_are_counted_per_host() -> None:
    thresholds = Thresholds(quick_refund_h=24, quick_refunds=2)
    orders = [
        paid_order("o1", "vwr_1", refunded=True),
        paid_order("o2", "vwr_2", refunded=True),
        paid_order("o3", "vwr_3", refunded=True),
        paid_order("o4", "vwr_4"),
        paid_order("o5", "vwr_5", refunded=True, host_id="hst_2"),
    ]
    refunded_at = {
        "o1": T0 + timedelta(hours=2),
        "o2": T0 + timedelta(hours=23),
        "o3": T0 + timedelta(days=5),
        "o5": T0 + timedelta(hours=1),
    }
    assert quick_full_refunds(orders, refunded_at, thresholds) == [
        {"host_id": "hst_1", "orders": 2, "order_ids": ["o1", "o2"]}
    ]
    assert quick_full_refunds(orders, refunded_at, replace(thresholds, quick_refunds=1))[1] == {
        "host_id": "hst_2",
        "orders": 1,
        "order_ids": ["o5"],
    }
    assert quick_full_refunds(orders, refunded_at, thresholds, brand_id="brd_other") == []


def test_the_last_refund_time_comes_from_the_ledgers_refund_rows() -> None:
    def entry(order_id: str, refund_id: str | None, at: datetime) -> LedgerEntry:
        return LedgerEntry("led", order_id, refund_id, "shw_1", "prd_1", LedgerAccount.PAYMENTS, None, 1, "EUR", at)

    entries = [
        entry("o1", None, T0),
        entry("o1", "rfd_1", T0 + timedelta(hours=1)),
        entry("o1", "rfd_2", T0 + timedelta(hours=3)),
        entry("o2", None, T0),
    ]
    assert last_refund_at(entries) == {"o1": T0 + timedelta(hours=3)}


def test_a_brand_sees_signals_of_its_own_orders_and_reviews_only() -> None:
    orders = [paid_order(f"o{n}", f"vwr_{n}", ip="198.51.100.7", brand_id="brd_b") for n in range(3)]
    reviews = [
        review(f"r{n}", f"vwr_{n}", T0 + timedelta(minutes=n), ip="198.51.100.7", brand_id="brd_b") for n in range(5)
    ]
    created = {f"vwr_{n}": T0 - timedelta(minutes=5) for n in range(5)}
    for_b = trust_signals(orders, reviews, created, {}, KEY, Thresholds(), brand_id="brd_b")
    for_a = trust_signals(orders, reviews, created, {}, KEY, Thresholds(), brand_id="brd_a")
    assert len(for_b["reviews_by_new_accounts"]) == 5
    assert for_b["review_bursts"][0]["reviews"] == 5
    assert for_b["shared_client_addresses"][0]["accounts"] == 5
    assert for_a == {
        "paid_orders": 0,
        "refunded_orders": 0,
        "buyers_with_many_orders": [],
        "addresses_with_many_orders": [],
        "reviews_by_new_accounts": [],
        "review_bursts": [],
        "shared_client_addresses": [],
        "shared_shipping_addresses": [],
        "quick_full_refunds": [],
    }
