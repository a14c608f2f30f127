"""Campaign rules without any server: status from the clock, joining, who may sell, units_cap."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livecart.domain import campaigns
from livecart.domain.campaigns import ApplicationStatus, Campaign, CampaignStatus, InvitationStatus
from livecart.domain.cart import price_line
from livecart.domain.errors import (
    BadRequest,
    CampaignFull,
    CampaignNotActive,
    Conflict,
    NotApproved,
    UnitsCapReached,
)
from livecart.domain.models import Product

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CAMPAIGN = Campaign(
    "cmp_1", "brd_1", "Winter", "Show the coat", ("prd_1", "prd_2"), 1500, T0, T0 + timedelta(days=30),
    False, 2, 100, T0 - timedelta(days=1),
)  # fmt: skip


def body(**changes: Any) -> dict[str, Any]:
    return {
        "title": "Winter", "product_ids": ["prd_1"], "commission_bps": 1500,
        "starts_at": T0, "ends_at": T0 + timedelta(days=3), **changes,
    }  # fmt: skip


def test_status_follows_the_dates_and_an_early_end() -> None:
    assert CAMPAIGN.status(T0 - timedelta(seconds=1)) is CampaignStatus.DRAFT
    assert CAMPAIGN.status(T0) is CampaignStatus.ACTIVE
    assert CAMPAIGN.status(T0 + timedelta(days=30)) is CampaignStatus.ENDED
    ended = replace(CAMPAIGN, ended_at=T0 + timedelta(days=2))
    assert ended.status(T0 + timedelta(days=3)) is CampaignStatus.ENDED
    assert CAMPAIGN.public(T0)["status"] == "active"


def test_fields_are_checked_and_named() -> None:
    assert campaigns.check_fields(body())["product_ids"] == ("prd_1",)
    for bad, field in [
        (body(commission_bps=10_001), "commission_bps"),
        (body(commission_bps=True), "commission_bps"),
        (body(title=" "), "title"),
        (body(product_ids=[]), "product_ids"),
        (body(product_ids=["prd_1", "prd_1"]), "product_ids"),
        (body(ends_at=T0), "ends_at"),
        (body(starts_at=T0.replace(tzinfo=None)), "starts_at"),
        (body(units_cap=0), "units_cap"),
        (body(open="yes"), "open"),
        (body(colour="red"), "colour"),
        ({"title": "x"}, "commission_bps"),
    ]:
        with pytest.raises(BadRequest) as refused:
            campaigns.check_fields(bad)
        assert list(refused.value.details["fields"]) == [field]
    assert campaigns.check_fields({"units_cap": None}, partial=True) == {"units_cap": None}


def test_applications_invitations_and_room() -> None:
    assert campaigns.first_status(CAMPAIGN) is ApplicationStatus.PENDING
    assert campaigns.first_status(replace(CAMPAIGN, open=True)) is ApplicationStatus.APPROVED
    assert campaigns.decide(ApplicationStatus.PENDING, approve=True) is ApplicationStatus.APPROVED
    assert campaigns.decide(ApplicationStatus.PENDING, approve=False) is ApplicationStatus.REJECTED
    for decided in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
        with pytest.raises(Conflict):
            campaigns.decide(decided, approve=True)
    assert campaigns.accept(InvitationStatus.PENDING) is InvitationStatus.ACCEPTED
    with pytest.raises(Conflict):
        campaigns.accept(InvitationStatus.ACCEPTED)
    campaigns.check_room(CAMPAIGN, approved_hosts=1)
    with pytest.raises(CampaignFull):
        campaigns.check_room(CAMPAIGN, approved_hosts=2)
    campaigns.check_room(replace(CAMPAIGN, max_hosts=None), approved_hosts=10_000)
    with pytest.raises(CampaignNotActive):
        campaigns.check_not_ended(CAMPAIGN, T0 + timedelta(days=31))


def test_only_approved_hosts_add_products_of_an_active_campaign() -> None:
    campaigns.check_lineup_add(CAMPAIGN, "prd_1", "hst_1", ApplicationStatus.APPROVED, T0)
    with pytest.raises(BadRequest):
        campaigns.check_lineup_add(CAMPAIGN, "prd_9", "hst_1", ApplicationStatus.APPROVED, T0)
    for status in (None, ApplicationStatus.PENDING, ApplicationStatus.REJECTED):
        with pytest.raises(NotApproved):
            campaigns.check_lineup_add(CAMPAIGN, "prd_1", "hst_1", status, T0)
    for when in (T0 - timedelta(hours=1), T0 + timedelta(days=30)):
        with pytest.raises(CampaignNotActive):
            campaigns.check_lineup_add(CAMPAIGN, "prd_1", "hst_1", ApplicationStatus.APPROVED, when)


@given(cap=st.none() | st.integers(1, 50), orders=st.lists(st.lists(st.integers(1, 5), max_size=3), max_size=30))
def test_units_cap_is_never_exceeded(cap: int | None, orders: list[list[int]]) -> None:
    sold = 0
    for wanted in orders:
        try:
            sold = campaigns.take_units(cap, sold, wanted)
        except UnitsCapReached:
            assert cap is not None
            assert sold + sum(wanted) > cap
        assert cap is None or sold <= cap
    assert sold <= (cap if cap is not None else sum(map(sum, orders)))


def test_a_host_sells_a_product_under_its_best_active_campaign() -> None:
    better = replace(CAMPAIGN, id="cmp_2", commission_bps=2000, product_ids=("prd_2",), created_at=T0)
    later = replace(CAMPAIGN, id="cmp_3", commission_bps=1500, product_ids=("prd_1",), created_at=T0)
    chosen = campaigns.rates([CAMPAIGN, better, later], {"cmp_1", "cmp_2", "cmp_3"}, T0)
    assert {product: found.id for product, found in chosen.items()} == {"prd_1": "cmp_1", "prd_2": "cmp_2"}
    assert campaigns.rates([CAMPAIGN], {"cmp_other"}, T0) == {}  # not approved
    assert campaigns.rates([CAMPAIGN], {"cmp_1"}, T0 - timedelta(hours=1)) == {}  # not active yet


def test_campaign_lines_carry_the_campaign_rate_and_count_toward_its_units() -> None:
    product = Product("prd_1", "brd_1", "SKU", "Coat", 10_000, "EUR", 9, 1000, None, None, T0, T0)
    line = price_line(product, 3, 0, ("cmp_1", 2500))
    assert (line.commission_bps, line.commission_cents, line.campaign_id) == (2500, 7500, "cmp_1")
    plain = price_line(product, 2, 0)
    assert (plain.commission_bps, plain.campaign_id) == (1000, None)
    assert campaigns.units_wanted([line, plain, replace(line, product_id="prd_2", qty=2)]) == {"cmp_1": 5}
