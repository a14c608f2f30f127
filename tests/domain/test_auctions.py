"""Auction rules without any store: bid validation, anti-sniping, settlement, the runner-up offer."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livecart.domain import auctions
from livecart.domain.auctions import Auction, AuctionClosed, AuctionStatus, Bid, BidTooLow, OwnAuction
from livecart.domain.errors import BadRequest

NOW = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
EXTEND_S = 10


def auction(**changes: object) -> Auction:
    made = auctions.new_auction(
        auction_id="auc_1", show_id="shw_1", host_id="hst_1", product_id="prd_1", brand_id="brd_1",
        currency="EUR", start_cents=1000, increment_cents=100, duration_s=30, reserve_cents=None, quantity=1,
        now=NOW,
    )  # fmt: skip
    return replace(made, **changes)  # type: ignore[arg-type]


def bid(bidder: str, amount: int, at: datetime = NOW) -> Bid:
    return Bid("auc_1", bidder, f"{bidder} Lee", amount, at)


def test_a_new_auction_is_open_until_its_duration_has_passed() -> None:
    made = auction()
    assert (made.status, made.ends_at, made.bids, made.min_bid_cents) == (
        AuctionStatus.OPEN, NOW + timedelta(seconds=30), 0, 1000)  # fmt: skip


def test_invalid_auction_settings_name_every_field() -> None:
    with pytest.raises(BadRequest) as raised:
        auctions.new_auction(
            auction_id="a", show_id="s", host_id="h", product_id="p", brand_id="b", currency="EUR",
            start_cents=0, increment_cents=0, duration_s=4, reserve_cents=-1, quantity=0, now=NOW,
        )  # fmt: skip
    assert set(raised.value.details["fields"]) == {
        "start_cents", "increment_cents", "duration_s", "reserve_cents", "quantity"}  # fmt: skip


def test_the_first_bid_needs_the_start_price_and_later_ones_the_increment() -> None:
    with pytest.raises(BidTooLow) as first:
        auctions.accept_bid(auction(), bid("vwr_a", 999), NOW, EXTEND_S)
    opened = auctions.accept_bid(auction(), bid("vwr_a", 1000), NOW, EXTEND_S)
    with pytest.raises(BidTooLow) as second:
        auctions.accept_bid(opened, bid("vwr_b", 1099), NOW, EXTEND_S)

    assert first.value.details["min_cents"] == 1000
    assert second.value.details["min_cents"] == 1100
    assert (opened.high_bid_cents, opened.leader_id, opened.bids) == (1000, "vwr_a", 1)


def test_the_host_and_the_owning_brand_may_not_bid() -> None:
    for account in ("hst_1", "brd_1"):
        with pytest.raises(OwnAuction):
            auctions.accept_bid(auction(), bid(account, 5000), NOW, EXTEND_S)


def test_no_bid_is_taken_at_or_after_the_end_or_once_ended() -> None:
    with pytest.raises(AuctionClosed):
        auctions.accept_bid(auction(), bid("vwr_a", 5000), NOW + timedelta(seconds=30), EXTEND_S)
    with pytest.raises(AuctionClosed):
        auctions.accept_bid(auction(status=AuctionStatus.CANCELLED), bid("vwr_a", 5000), NOW, EXTEND_S)


@given(st.lists(st.tuples(st.sampled_from(["vwr_a", "vwr_b", "vwr_c"]), st.integers(0, 5000)), max_size=40))
def test_accepted_bids_rise_by_at_least_the_increment_and_refusals_name_the_minimum(
    offers: list[tuple[str, int]],
) -> None:
    current = auction()
    accepted: list[int] = []
    for bidder, amount in offers:
        minimum = current.min_bid_cents
        if amount < minimum:
            with pytest.raises(BidTooLow) as refused:
                auctions.accept_bid(current, bid(bidder, amount), NOW, EXTEND_S)
            assert refused.value.details["min_cents"] == minimum
            continue
        current = auctions.accept_bid(current, bid(bidder, amount), NOW, EXTEND_S)
        accepted.append(amount)
        assert (current.high_bid_cents, current.leader_id) == (amount, bidder)
    assert current.bids == len(accepted)
    assert all(later >= earlier + 100 for earlier, later in itertools.pairwise(accepted))


@given(st.lists(st.floats(0, 29.99), min_size=1, max_size=20))
def test_a_bid_with_less_than_extend_s_left_leaves_extend_s_and_the_end_never_moves_back(
    offsets: list[float],
) -> None:
    current = auction()
    at = NOW
    for step, offset in enumerate(sorted(offsets)):
        at = max(at, NOW + timedelta(seconds=offset))
        if at >= current.ends_at:
            break
        before = current.ends_at
        current = auctions.accept_bid(current, bid("vwr_a", 1000 + 100 * step), at, EXTEND_S)
        left = before - at
        expected = at + timedelta(seconds=EXTEND_S) if left < timedelta(seconds=EXTEND_S) else before
        assert current.ends_at == expected
        assert current.ends_at >= before


def test_settlement_sells_to_the_leader_only_when_the_reserve_is_met() -> None:
    reserved = auction(reserve_cents=1500)
    below = auctions.accept_bid(reserved, bid("vwr_a", 1400), NOW, EXTEND_S)
    met = auctions.accept_bid(below, bid("vwr_b", 1500), NOW, EXTEND_S)
    end = NOW + timedelta(seconds=30)

    assert auctions.settle(met, end - timedelta(seconds=1), 600, "ord_1") == met  # not yet due
    assert auctions.settle(below, end, 600, "ord_1").status is AuctionStatus.UNSOLD
    assert auctions.settle(auction(), end, 600, "ord_1").status is AuctionStatus.UNSOLD
    sold = auctions.settle(met, end, 600, "ord_1")
    assert (sold.status, sold.winner_id, sold.price_cents, sold.order_id, sold.offers) == (
        AuctionStatus.SOLD, "vwr_b", 1500, "ord_1", 1)  # fmt: skip
    assert sold.pay_by == end + timedelta(seconds=600)


def test_an_unpaid_offer_goes_to_the_runner_up_at_their_highest_bid_then_the_auction_is_unsold() -> None:
    history = [bid("vwr_a", 1000), bid("vwr_b", 1100), bid("vwr_a", 1300), bid("vwr_c", 1200), bid("vwr_b", 1400)]
    current = auction()
    for each in history[:3] + history[4:]:
        current = auctions.accept_bid(current, each, NOW, EXTEND_S)
    end = NOW + timedelta(seconds=30)
    sold = auctions.settle(current, end, 600, "ord_1")

    second = auctions.pass_offer(sold, history, end, 600, "ord_2")
    final = auctions.pass_offer(second, history, end, 600, "ord_3")

    assert (second.winner_id, second.price_cents, second.order_id, second.offers) == ("vwr_a", 1300, "ord_2", 2)
    assert final.status is AuctionStatus.UNSOLD
    with pytest.raises(AuctionClosed):
        auctions.cancel(final, end)


def test_the_public_view_hides_the_reserve_amount() -> None:
    view = auction(reserve_cents=99_999).public()
    assert "reserve_cents" not in view
    assert (view["has_reserve"], view["reserve_met"], view["min_bid_cents"]) == (True, False, 1000)
