"""Flash-deal rules without any store: reservations, holds and their expiry, ordering held units."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from livecart.domain import deals
from livecart.domain.commerce import Order, OrderStatus
from livecart.domain.deals import DealEnded, DealHold, DealSoldOut, HoldExpired, HoldStatus
from livecart.domain.errors import BadRequest
from livecart.domain.format_orders import format_order
from livecart.domain.models import Product

NOW = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
DEAL = deals.new_deal(
    deal_id="del_1", show_id="shw_1", host_id="hst_1", product_id="prd_1", brand_id="brd_1", currency="EUR",
    price_cents=2990, quantity=3, duration_s=60, now=NOW,
)  # fmt: skip
PRODUCT = Product("prd_1", "brd_1", "BAG", "Bag", 5000, "EUR", 10, 1000, None, None, NOW, NOW)


def order_for(holds: list[DealHold], buyer: str = "vwr_1", price: int = 2990) -> Order:
    return format_order(
        order_id="ord_1", show_id="shw_1", host_id="hst_1", buyer_id=buyer, buyer_name="Sam",
        product=PRODUCT, unit_price_cents=price, qty=len(holds), platform_fee_bps=0, now=NOW,
    )  # fmt: skip


def test_invalid_deal_settings_name_every_field() -> None:
    with pytest.raises(BadRequest) as raised:
        deals.new_deal(
            deal_id="d", show_id="s", host_id="h", product_id="p", brand_id="b", currency="EUR", price_cents=-1,
            quantity=0, duration_s=301, now=NOW,
        )  # fmt: skip
    assert set(raised.value.details["fields"]) == {"price_cents", "quantity", "duration_s"}


def test_a_unit_may_be_reserved_while_the_deal_is_open_and_has_units_in_the_deal_and_in_stock() -> None:
    deals.check_reserve(DEAL, NOW, stock=1, viewer_holds=0, max_per_viewer=1)
    with pytest.raises(DealEnded):
        deals.check_reserve(DEAL, DEAL.ends_at, stock=1, viewer_holds=0, max_per_viewer=1)
    with pytest.raises(DealEnded):
        deals.check_reserve(deals.end(DEAL, NOW), NOW, stock=1, viewer_holds=0, max_per_viewer=1)
    with pytest.raises(DealSoldOut):
        deals.check_reserve(replace(DEAL, remaining=0), NOW, stock=5, viewer_holds=0, max_per_viewer=1)
    with pytest.raises(DealSoldOut):
        deals.check_reserve(DEAL, NOW, stock=0, viewer_holds=0, max_per_viewer=1)
    with pytest.raises(DealSoldOut):
        deals.check_reserve(DEAL, NOW, stock=5, viewer_holds=1, max_per_viewer=1)


def test_a_hold_expires_after_its_hold_time_and_is_public_as_open_only_before_the_end() -> None:
    hold = deals.new_hold(DEAL, "hld_1", "vwr_1", NOW, 120)
    assert not deals.is_expired(hold, NOW + timedelta(seconds=119))
    assert deals.is_expired(hold, NOW + timedelta(seconds=120))
    assert not deals.is_expired(replace(hold, status=HoldStatus.ORDERED), NOW + timedelta(days=1))
    assert DEAL.public(NOW)["status"] == "open"
    assert DEAL.public(DEAL.ends_at)["status"] == "ended"


def test_held_units_buy_at_the_deal_price_only_by_their_holder_and_in_time() -> None:
    holds = [deals.new_hold(DEAL, f"hld_{i}", "vwr_1", NOW, 120) for i in range(2)]
    order = order_for(holds)
    deals.check_holds(order, holds, NOW)
    assert (order.status, order.total_cents, order.commission_cents) == (OrderStatus.PENDING, 5980, 598)

    with pytest.raises(HoldExpired) as late:
        deals.check_holds(order, holds, NOW + timedelta(seconds=120))
    assert late.value.details["hold_ids"] == ["hld_0", "hld_1"]
    with pytest.raises(HoldExpired):
        deals.check_holds(order_for(holds, buyer="vwr_2"), holds, NOW)
    with pytest.raises(ValueError, match="held units"):
        deals.check_holds(order_for(holds, price=5000), holds, NOW)
    with pytest.raises(ValueError, match="held units"):
        deals.check_holds(order_for(holds[:1]), holds, NOW)
