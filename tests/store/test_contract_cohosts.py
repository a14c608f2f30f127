"""Contract: a show's co-hosts — invitations, acceptance, the 10,000 bps limit under concurrency, and a
sale that writes one commission entry per share, reversed in proportion by a refund (both stores)."""

from __future__ import annotations

import asyncio

import pytest

from livecart.domain import shares
from livecart.domain.commerce import LedgerAccount, LedgerEntry
from livecart.domain.errors import Conflict, NotFound, SharesExceedTotal
from livecart.domain.ledger import refund_entries, sale_entries
from livecart.domain.models import utcnow
from livecart.domain.refunds import plan_refund
from livecart.domain.shares import CohostStatus
from livecart.store import Store
from tests.store import factories


async def test_a_co_host_is_invited_then_accepts(store: Store) -> None:
    host, mia, leo = [await factories.host(store, name) for name in ("Ava", "Mia", "Leo")]
    show = await factories.show(store, host.id)
    invited = await store.invite_cohost(show.id, mia.id, 3000)
    assert (invited.status, invited.share_bps, invited.accepted_at) == (CohostStatus.INVITED, 3000, None)
    await store.invite_cohost(show.id, leo.id, 1000)
    assert [(c.host_id, c.status) for c in await store.cohosts(show.id)] == [
        (mia.id, CohostStatus.INVITED),
        (leo.id, CohostStatus.INVITED),
    ]
    accepted = await store.accept_cohost(show.id, mia.id)
    assert accepted.status is CohostStatus.ACTIVE
    assert accepted.accepted_at is not None
    assert await store.accept_cohost(show.id, mia.id) == accepted  # accepting again changes nothing
    assert shares.active_shares(await store.cohosts(show.id)) == [shares.Share(mia.id, 3000)]
    with pytest.raises(NotFound):
        await store.accept_cohost(show.id, host.id)
    with pytest.raises(Conflict):
        await store.invite_cohost(show.id, mia.id, 500)
    assert await store.cohosts("shw_missing") == []


async def test_shares_of_a_show_never_sum_above_10000(store: Store) -> None:
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    first = await factories.host(store, "First")
    await store.invite_cohost(show.id, first.id, 6000)
    second = await factories.host(store, "Second")
    with pytest.raises(SharesExceedTotal) as refused:
        await store.invite_cohost(show.id, second.id, 4001)
    assert refused.value.details["available_bps"] == 4000
    await store.invite_cohost(show.id, second.id, 4000)
    assert sum(c.share_bps for c in await store.cohosts(show.id)) == 10_000


async def test_concurrent_invitations_stay_within_the_total(store: Store) -> None:
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    cohosts = [await factories.host(store, f"Co {n}") for n in range(10)]
    results = await asyncio.gather(
        *(store.invite_cohost(show.id, cohost.id, 2000) for cohost in cohosts), return_exceptions=True
    )
    assert sum(not isinstance(result, BaseException) for result in results) == 5
    assert all(isinstance(r, SharesExceedTotal) for r in results if isinstance(r, BaseException))
    assert sum(c.share_bps for c in await store.cohosts(show.id)) == 10_000


async def test_a_sale_credits_each_share_and_a_refund_reverses_each_in_proportion(store: Store) -> None:
    brand = await factories.brand(store)
    host, cohost = await factories.host(store, "Ava"), await factories.host(store, "Mia")
    show = await factories.show(store, host.id)
    await store.invite_cohost(show.id, cohost.id, 3000)
    await store.accept_cohost(show.id, cohost.id)
    coat = await factories.product(store, brand.id, sku="COAT", price_cents=3333, commission_bps=1000, stock=9)
    buyer = await factories.viewer(store)
    order = factories.order(show, buyer, (coat, 3))  # total 9999, commission 999
    await store.place_order(order, 10)
    now = utcnow()
    active = shares.active_shares(await store.cohosts(show.id))
    paid = await store.mark_order_paid(order.id, "ch_1", now, sale_entries(order, now, shares=active), None)

    def commission(party: str, entries: list[LedgerEntry]) -> int:
        commission_rows = [e for e in entries if e.account is LedgerAccount.HOST_COMMISSION]
        return -sum(e.amount_cents for e in commission_rows if e.party_id == party)

    ledger = await store.ledger_entries(order_id=order.id)
    assert (commission(host.id, ledger), commission(cohost.id, ledger)) == (699, 300)  # 699.3 / 299.7
    parts = shares.sale_parts(ledger)
    planned = plan_refund(
        paid, {coat.id: 1}, refund_id="rfd_1", by=brand.id, brand_id=brand.id, now=now, commission_parts=parts
    )
    refunded, _ = await store.record_refund(planned, refund_entries(paid, planned, now, commission_parts=parts))
    ledger = await store.ledger_entries(order_id=order.id)
    assert (commission(host.id, ledger), commission(cohost.id, ledger)) == (466, 200)  # 699 − 233, 300 − 100
    rest = plan_refund(refunded, None, refund_id="rfd_2", by=brand.id, brand_id=None, now=now, commission_parts=parts)
    await store.record_refund(rest, refund_entries(refunded, rest, now, commission_parts=parts))
    ledger = await store.ledger_entries(order_id=order.id)
    assert (commission(host.id, ledger), commission(cohost.id, ledger)) == (0, 0)
    assert sum(e.amount_cents for e in ledger) == 0
    assert [e.party_id for e in await store.ledger_entries(party_id=cohost.id)] == [cohost.id] * 3
