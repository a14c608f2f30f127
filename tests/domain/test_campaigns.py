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
from livecart.domain.errors import (
    BadRequest,
    CampaignFull,
    CampaignNotActive,
    Conflict,
    NotApproved,
    UnitsCapReached,
)

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
