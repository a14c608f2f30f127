"""The Connect service on real stores (both) with a manual clock: a brand publishes a campaign, hosts
find it, apply or are invited, sell its products only while approved and active, share links that
attribute buyers for the window, and invite co-hosts within 10,000 bps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from livecart.clock import ManualClock
from livecart.commerce.connect import Connect
from livecart.domain.attribution import Source
from livecart.domain.campaigns import ApplicationStatus, CampaignStatus
from livecart.domain.errors import (
    BadRequest,
    CampaignNotActive,
    Forbidden,
    NotApproved,
    NotFound,
    SharesExceedTotal,
)
from livecart.domain.models import Account, Product
from livecart.store import Store, open_store
from tests.store import factories

HOUR = 3600


@dataclass
class World:
    store: Store
    clock: ManualClock
    connect: Connect
    brand: Account
    mia: Account
    leo: Account
    coat: Product


@pytest.fixture
async def world(store_url: str) -> AsyncIterator[World]:
    clock = ManualClock()
    store = await open_store(store_url, clock=clock)
    brand = await factories.brand(store)
    mia, leo = await factories.host(store, "Mia"), await factories.host(store, "Leo")
    coat = await factories.product(store, brand.id, sku="COAT")
    yield World(store, clock, Connect(store, clock, attribution_days=7), brand, mia, leo, coat)
    await store.close()


def body(w: World, **changes: Any) -> dict[str, Any]:
    start = w.clock.now() + timedelta(hours=1)
    return {
        "title": "Winter coats", "brief": "Outdoor looks", "product_ids": [w.coat.id], "commission_bps": 1800,
        "starts_at": start, "ends_at": start + timedelta(days=10), **changes,
    }  # fmt: skip


async def test_a_host_finds_applies_is_approved_and_sells_while_active(world: World) -> None:
    w = world
    campaign = await w.connect.create_campaign(w.brand, body(w))
    assert campaign.status(w.clock.now()) is CampaignStatus.DRAFT
    other = await w.connect.create_campaign(w.brand, body(w, title="Boots", brief="Rain"))
    page, after = await w.connect.browse(status=CampaignStatus.DRAFT, limit=1)
    assert ([one.id for one in page], after) == ([other.id], other.id)
    page, after = await w.connect.browse(status=CampaignStatus.DRAFT, limit=1, before=after)
    assert ([one.id for one in page], after) == ([campaign.id], None)
    assert [one.id for one in (await w.connect.browse(q="OUTDOOR coats"))[0]] == [campaign.id]
    assert (await w.connect.browse(status=CampaignStatus.ACTIVE))[0] == []

    application = await w.connect.apply(w.mia, campaign.id, "My fans love coats")
    assert application.status is ApplicationStatus.PENDING
    show = await factories.show(w.store, w.mia.id)
    with pytest.raises(NotApproved):
        await w.connect.add_to_lineup(w.mia, show, w.coat, campaign.id)
    other_brand = await factories.brand(w.store, "Nord")
    with pytest.raises(Forbidden):
        await w.connect.decide(other_brand, application.id, approve=True)
    await w.connect.decide(w.brand, application.id, approve=True)
    with pytest.raises(CampaignNotActive):  # approved, but the campaign has not started
        await w.connect.add_to_lineup(w.mia, show, w.coat, campaign.id)
    await w.clock.advance(HOUR)
    assert await w.connect.add_to_lineup(w.mia, show, w.coat, campaign.id) is True
    assert [p.id for p in await w.store.lineup(show.id)] == [w.coat.id]
    with pytest.raises(Forbidden):
        await w.connect.add_to_lineup(w.leo, show, w.coat, campaign.id)
    await w.connect.end_campaign(w.brand, campaign.id)
    with pytest.raises(CampaignNotActive):
        await w.connect.add_to_lineup(w.mia, await factories.show(w.store, w.mia.id), w.coat, campaign.id)
    with pytest.raises(CampaignNotActive):
        await w.connect.apply(w.leo, campaign.id, "late")


async def test_campaigns_are_checked_and_only_their_brand_changes_them(world: World) -> None:
    w = world
    stranger = await factories.brand(w.store, "Nord")
    foreign = await factories.product(w.store, stranger.id, sku="X")
    with pytest.raises(BadRequest):
        await w.connect.create_campaign(w.brand, body(w, product_ids=[foreign.id]))
    campaign = await w.connect.create_campaign(w.brand, body(w))
    with pytest.raises(Forbidden):
        await w.connect.update_campaign(stranger, campaign.id, {"title": "Mine"})
    with pytest.raises(BadRequest):
        await w.connect.update_campaign(w.brand, campaign.id, {"ends_at": campaign.starts_at})
    changed = await w.connect.update_campaign(w.brand, campaign.id, {"commission_bps": 2000})
    assert changed.commission_bps == 2000
    with pytest.raises(NotFound):
        await w.connect.end_campaign(w.brand, "cmp_missing")


async def test_an_invited_host_gets_a_link_that_attributes_buyers_for_the_window(world: World) -> None:
    w = world
    campaign = await w.connect.create_campaign(w.brand, body(w))
    invitation = await w.connect.invite(w.brand, campaign.id, w.leo.id)
    with pytest.raises(NotFound):  # somebody else's invitation
        await w.connect.accept(w.mia, invitation.id)
    with pytest.raises(NotApproved):
        await w.connect.link(w.leo, campaign.id)
    joined = await w.connect.accept(w.leo, invitation.id)
    assert joined.status is ApplicationStatus.APPROVED
    link = await w.connect.link(w.leo, campaign.id)
    assert await w.connect.link(w.leo, campaign.id) == link
    assert await w.connect.follow("not-a-code") is None
    held = await w.connect.follow(link.code)
    assert held is not None
    assert held.host_id == w.leo.id
    await w.clock.advance(6 * 24 * HOUR)
    bought = await w.connect.credit(held, w.coat.id, show_host_id=None)
    assert (bought.host_id, bought.source, bought.campaign_id) == (w.leo.id, Source.LINK, campaign.id)
    assert (await w.connect.credit(held, w.coat.id, show_host_id=w.mia.id)).source is Source.SHOW
    await w.clock.advance(24 * HOUR)
    assert (await w.connect.credit(held, w.coat.id, show_host_id=None)).source is Source.DIRECT
    with pytest.raises(BadRequest):
        await w.connect.invite(w.brand, campaign.id, w.brand.id)


async def test_co_hosts_are_hosts_and_their_shares_fit_in_the_commission(world: World) -> None:
    w = world
    show = await factories.show(w.store, w.mia.id)
    with pytest.raises(Forbidden):
        await w.connect.invite_cohost(w.leo, show, w.leo.id, 3000)
    with pytest.raises(BadRequest):
        await w.connect.invite_cohost(w.mia, show, w.brand.id, 3000)
    with pytest.raises(BadRequest):
        await w.connect.invite_cohost(w.mia, show, w.mia.id, 3000)
    invited = await w.connect.invite_cohost(w.mia, show, w.leo.id, 7000)
    assert invited.status.value == "invited"
    third = await factories.host(w.store, "Ana")
    with pytest.raises(SharesExceedTotal):
        await w.connect.invite_cohost(w.mia, show, third.id, 3001)
    assert (await w.connect.accept_cohost(w.leo, show)).status.value == "active"
    with pytest.raises(NotFound):
        await w.connect.accept_cohost(third, show)
