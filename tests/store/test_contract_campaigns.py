"""Contract: campaigns, applications, invitations, units_cap and share links — one application per host,
max_hosts and units_cap held under concurrency (both stores)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from livecart.domain import campaigns as rules
from livecart.domain.campaigns import Application, ApplicationStatus, Campaign, Invitation, InvitationStatus
from livecart.domain.cart import price_line
from livecart.domain.commerce import Order
from livecart.domain.errors import CampaignFull, Conflict, NotFound, PriceChanged, UnitsCapReached
from livecart.domain.ids import new_id
from livecart.domain.models import Account, Product, Show, utcnow
from livecart.store import Store
from tests.store import factories


async def campaign(store: Store, brand: Account, **fields: Any) -> Campaign:
    now = utcnow()
    body = {
        "title": "Winter coats", "brief": "Show them outdoors", "product_ids": ["prd_1", "prd_2"],
        "commission_bps": 1500, "starts_at": now, "ends_at": now + timedelta(days=30), **fields,
    }  # fmt: skip
    return await store.create_campaign(brand.id, rules.check_fields(body))


def application(found: Campaign, host: Account, status: ApplicationStatus | None = None) -> Application:
    return Application(new_id("app"), found.id, host.id, "I sell coats", status or rules.first_status(found), utcnow())


async def test_a_campaign_is_created_listed_changed_and_ended(store: Store) -> None:
    aurora, nord = await factories.brand(store), await factories.brand(store, "Nord")
    first = await campaign(store, aurora, units_cap=100, max_hosts=5, open=True)
    assert (first.title, first.product_ids, first.commission_bps, first.open) == (
        "Winter coats", ("prd_1", "prd_2"), 1500, True,
    )  # fmt: skip
    assert (first.units_cap, first.max_hosts, first.units_sold, first.ended_at) == (100, 5, 0, None)
    assert await store.get_campaign(first.id) == first
    second = await campaign(store, nord, title="Boots")
    assert [c.id for c in await store.list_campaigns()] == [second.id, first.id]
    assert [c.id for c in await store.list_campaigns(aurora.id)] == [first.id]
    changed = await store.update_campaign(
        first.id, rules.check_fields({"title": "Coats", "units_cap": None}, partial=True)
    )
    assert (changed.title, changed.units_cap, changed.max_hosts) == ("Coats", None, 5)
    ended = await store.end_campaign(first.id)
    assert ended.ended_at is not None
    assert (await store.end_campaign(first.id)).ended_at == ended.ended_at
    assert await store.get_campaign("cmp_missing") is None
    for missing in (store.end_campaign("cmp_missing"), store.update_campaign("cmp_missing", {"title": "x"})):
        with pytest.raises(NotFound):
            await missing


async def test_applications_wait_for_the_brand_unless_the_campaign_is_open(store: Store) -> None:
    brand = await factories.brand(store)
    mia, leo = await factories.host(store, "Mia"), await factories.host(store, "Leo")
    closed = await campaign(store, brand)
    pending = await store.apply_to_campaign(application(closed, mia), None)
    assert pending.status is ApplicationStatus.PENDING
    with pytest.raises(Conflict):
        await store.apply_to_campaign(application(closed, mia), None)
    approved = await store.decide_application(pending.id, True, None)
    assert approved.status is ApplicationStatus.APPROVED
    assert approved.decided_at is not None
    with pytest.raises(Conflict):
        await store.decide_application(pending.id, False, None)
    rejected = await store.decide_application(
        (await store.apply_to_campaign(application(closed, leo), None)).id, False, None
    )
    assert rejected.status is ApplicationStatus.REJECTED
    assert [a.host_id for a in await store.campaign_applications(closed.id)] == [mia.id, leo.id]
    assert await store.application_of(closed.id, mia.id) == approved
    assert await store.application_of(closed.id, "hst_nobody") is None
    opened = await campaign(store, brand, open=True)
    at_once = await store.apply_to_campaign(application(opened, mia), None)
    assert at_once.status is ApplicationStatus.APPROVED
    assert [a.id for a in await store.host_applications(mia.id)] == [at_once.id, pending.id]
    with pytest.raises(NotFound):
        await store.decide_application("app_missing", True, None)
    with pytest.raises(NotFound):
        await store.apply_to_campaign(
            Application("app_x", "cmp_missing", mia.id, "", ApplicationStatus.PENDING, utcnow()), None
        )


async def test_an_invited_host_accepts_and_is_approved(store: Store) -> None:
    brand, mia = await factories.brand(store), await factories.host(store, "Mia")
    found = await campaign(store, brand)
    invitation = await store.invite_to_campaign(
        Invitation(new_id("inv"), found.id, mia.id, InvitationStatus.PENDING, utcnow())
    )
    assert await store.get_invitation(invitation.id) == invitation
    with pytest.raises(Conflict):  # invited: no second invitation, no application of its own
        await store.invite_to_campaign(Invitation(new_id("inv"), found.id, mia.id, InvitationStatus.PENDING, utcnow()))
    with pytest.raises(Conflict):
        await store.apply_to_campaign(application(found, mia), None)
    joined = await store.accept_invitation(invitation.id, None)
    assert (joined.host_id, joined.status, joined.invited) == (mia.id, ApplicationStatus.APPROVED, True)
    assert await store.application_of(found.id, mia.id) == joined
    assert (await store.get_invitation(invitation.id) or invitation).status is InvitationStatus.ACCEPTED
    with pytest.raises(Conflict):
        await store.accept_invitation(invitation.id, None)
    with pytest.raises(NotFound):
        await store.accept_invitation("inv_missing", None)


async def test_a_host_lists_its_invitations_newest_first(store: Store) -> None:
    brand = await factories.brand(store)
    mia, leo = await factories.host(store, "Mia"), await factories.host(store, "Leo")
    first, second = await campaign(store, brand), await campaign(store, brand, title="Boots")
    older = await store.invite_to_campaign(
        Invitation(new_id("inv"), first.id, mia.id, InvitationStatus.PENDING, utcnow() - timedelta(hours=1))
    )
    newer = await store.invite_to_campaign(
        Invitation(new_id("inv"), second.id, mia.id, InvitationStatus.PENDING, utcnow())
    )
    assert [one.id for one in await store.host_invitations(mia.id)] == [newer.id, older.id]
    assert await store.host_invitations(leo.id) == []
    await store.accept_invitation(older.id, None)
    assert [one.status for one in await store.host_invitations(mia.id)] == [
        InvitationStatus.PENDING, InvitationStatus.ACCEPTED,
    ]  # fmt: skip


async def test_max_hosts_holds_under_concurrent_approvals(store: Store) -> None:
    brand = await factories.brand(store)
    found = await campaign(store, brand, max_hosts=3)
    hosts = [await factories.host(store, f"Host {n}") for n in range(8)]
    pending = [await store.apply_to_campaign(application(found, host), 3) for host in hosts]
    results = await asyncio.gather(
        *(store.decide_application(one.id, True, 3) for one in pending), return_exceptions=True
    )
    assert sum(isinstance(r, Application) for r in results) == 3
    assert all(isinstance(r, CampaignFull) for r in results if not isinstance(r, Application))
    opened = await campaign(store, brand, open=True, max_hosts=2)
    results = await asyncio.gather(
        *(store.apply_to_campaign(application(opened, host), 2) for host in hosts), return_exceptions=True
    )
    assert sum(isinstance(r, Application) for r in results) == 2
    approved = [a for a in await store.campaign_applications(opened.id) if a.status is ApplicationStatus.APPROVED]
    assert len(approved) == 2


async def test_units_cap_is_never_exceeded_by_concurrent_sales(store: Store) -> None:
    brand = await factories.brand(store)
    found = await campaign(store, brand, units_cap=10)
    results = await asyncio.gather(
        *(store.take_campaign_units(found.id, 1 + n % 3) for n in range(15)), return_exceptions=True
    )
    taken = [n for n, r in enumerate(results) if isinstance(r, int)]
    assert sum(1 + n % 3 for n in taken) == (await store.get_campaign(found.id) or found).units_sold
    assert (await store.get_campaign(found.id) or found).units_sold <= 10
    refused = [r for r in results if isinstance(r, BaseException)]
    assert refused
    assert all(isinstance(r, UnitsCapReached) for r in refused)
    with pytest.raises(UnitsCapReached) as full:
        await store.take_campaign_units(found.id, 11)
    sold = (await store.get_campaign(found.id) or found).units_sold
    assert full.value.details["units_left"] == 10 - sold
    assert await store.release_campaign_units(found.id, 2) == sold - 2
    assert await store.release_campaign_units(found.id, 100) == 0
    uncapped = await campaign(store, brand)
    assert await store.take_campaign_units(uncapped.id, 1000) == 1000
    with pytest.raises(NotFound):
        await store.take_campaign_units("cmp_missing", 1)


async def test_each_host_has_one_share_link_per_campaign(store: Store) -> None:
    brand, mia, leo = (
        await factories.brand(store),
        await factories.host(store, "Mia"),
        await factories.host(store, "Leo"),
    )
    found = await campaign(store, brand)
    link = await store.share_link(found.id, mia.id, "abcd2345")
    assert (link.code, link.campaign_id, link.host_id) == ("abcd2345", found.id, mia.id)
    assert await store.share_link(found.id, mia.id, "zzzz2345") == link  # the existing link, not a new one
    with pytest.raises(Conflict):
        await store.share_link(found.id, leo.id, "abcd2345")
    assert await store.link_by_code("abcd2345") == link
    assert await store.link_by_code("zzzz2345") is None


async def test_a_link_counts_clicks_and_viewers_and_the_latest_link_a_viewer_followed_wins(store: Store) -> None:
    brand, mia, leo = (
        await factories.brand(store),
        await factories.host(store, "Mia"),
        await factories.host(store, "Leo"),
    )
    sam, ana = await factories.viewer(store, "Sam"), await factories.viewer(store, "Ana")
    found = await campaign(store, brand)
    mine, theirs = (
        await store.share_link(found.id, mia.id, "abcd2345"),
        await store.share_link(found.id, leo.id, "efgh2345"),
    )
    assert [link.code for link in await store.host_links(mia.id)] == ["abcd2345"]
    assert await store.link_figures("abcd2345") == (0, 0)
    assert [await store.record_link_click("abcd2345") for _ in range(3)] == [1, 2, 3]
    with pytest.raises(NotFound):
        await store.record_link_click("zzzz2345")
    assert await store.attribution_of(sam.id) is None
    kept = await store.keep_attribution(sam.id, mine.code)
    assert (kept.code, kept.campaign_id, kept.host_id) == (mine.code, found.id, mia.id)
    await store.keep_attribution(sam.id, mine.code)  # the same viewer again: counted once
    await store.keep_attribution(ana.id, mine.code)
    assert await store.link_figures(mine.code) == (3, 2)
    await store.keep_attribution(sam.id, theirs.code)  # Sam followed Leo's link later: Leo's now
    held = await store.attribution_of(sam.id)
    assert held is not None
    assert (held.code, held.host_id) == (theirs.code, leo.id)
    assert await store.link_figures(theirs.code) == (0, 1)
    with pytest.raises(NotFound):
        await store.keep_attribution(sam.id, "zzzz2345")
    assert await store.link_figures("zzzz2345") == (0, 0)


def campaign_order(show: Show, buyer: Account, product: Product, qty: int, campaign: Campaign, bps: int) -> Order:
    """An order of `qty` units priced as checkout prices a line sold under `campaign` at `bps`."""
    plain = factories.order(show, buyer, (product, qty))
    return replace(plain, lines=(price_line(product, qty, 0, (campaign.id, bps)),))


async def test_an_order_sold_under_a_campaign_carries_its_rate_and_takes_its_units(store: Store) -> None:
    brand, host = await factories.brand(store), await factories.host(store)
    coat = await factories.product(store, brand.id, sku="COAT", stock=20, commission_bps=1000)
    found = await campaign(store, brand, product_ids=[coat.id], commission_bps=2500, units_cap=3)
    show = await factories.show(store, host.id)
    first = campaign_order(show, await factories.viewer(store), coat, 2, found, 2500)
    assert await store.place_order(first, 10) == {coat.id: 18}
    stored = await store.get_order(first.id)
    assert stored is not None
    assert (stored.lines[0].campaign_id, stored.lines[0].commission_bps) == (found.id, 2500)
    assert stored.lines[0].public()["campaign_id"] == found.id
    assert (await store.get_campaign(found.id) or found).units_sold == 2
    with pytest.raises(UnitsCapReached) as capped:
        await store.place_order(campaign_order(show, await factories.viewer(store), coat, 2, found, 2500), 10)
    assert capped.value.details["units_left"] == 1
    with pytest.raises(PriceChanged):  # a campaign line at the product's rate, not the campaign's
        await store.place_order(campaign_order(show, await factories.viewer(store), coat, 1, found, 1000), 10)
    gone = replace(found, id="cmp_missing")
    with pytest.raises(NotFound):
        await store.place_order(campaign_order(show, await factories.viewer(store), coat, 1, gone, 2500), 10)
    assert (await store.get_product(coat.id) or coat).stock == 18  # refused orders took nothing
    assert await store.fail_order(first.id, None) == {coat.id: 20}
    assert (await store.get_campaign(found.id) or found).units_sold == 0  # a failed order gives its units back


async def test_concurrent_campaign_orders_stop_at_units_cap(store: Store) -> None:
    brand, host = await factories.brand(store), await factories.host(store)
    coat = await factories.product(store, brand.id, sku="COAT", stock=50, commission_bps=1000)
    found = await campaign(store, brand, product_ids=[coat.id], commission_bps=1500, units_cap=5)
    show = await factories.show(store, host.id)
    orders = [campaign_order(show, await factories.viewer(store, f"B{n}"), coat, 1, found, 1500) for n in range(12)]
    results = await asyncio.gather(*(store.place_order(order, 10) for order in orders), return_exceptions=True)
    assert sum(not isinstance(result, BaseException) for result in results) == 5
    assert all(isinstance(r, UnitsCapReached) for r in results if isinstance(r, BaseException))
    assert (await store.get_campaign(found.id) or found).units_sold == 5
    assert (await store.get_product(coat.id) or coat).stock == 45


async def test_a_link_has_one_unlisted_storefront_where_its_buyers_buy(store: Store) -> None:
    brand, mia = await factories.brand(store), await factories.host(store, "Mia")
    found = await campaign(store, brand)
    link = await store.share_link(found.id, mia.id, "abcd2345")
    assert link.storefront_show_id is None
    assert await store.storefront_link("lnk_nothing") is None
    opened = await asyncio.gather(*(store.storefront("abcd2345", "Winter coats · Mia") for _ in range(5)))
    assert len({show.id for show in opened}) == 1  # concurrent first calls: one storefront
    show = opened[0]
    assert (show.host_id, show.title, show.status.value) == (mia.id, "Winter coats · Mia", "scheduled")
    assert show.id.startswith("lnk_")
    assert await store.get_show(show.id) == show
    assert show.id not in [listed.id for listed in await store.list_shows()]
    assert await store.storefront_link(show.id) == await store.link_by_code("abcd2345")
    relinked = await store.link_by_code("abcd2345")
    assert relinked is not None
    assert relinked.storefront_show_id == show.id
    with pytest.raises(NotFound):
        await store.storefront("zzzz2345", "none")
