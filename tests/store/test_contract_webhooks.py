"""Contract: webhooks — the outbox event is written with the change it reports (and only then),
deliveries are made once per endpoint, leased one at a time per endpoint, and kept with their attempts
(both stores)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from livecart.domain import webhooks
from livecart.domain.errors import Conflict, NotFound
from livecart.domain.ids import new_id
from livecart.domain.models import ShowStatus, utcnow
from livecart.domain.webhooks import Attempt, DeliveryStatus, Webhook
from livecart.store import Store
from tests.store import factories

LIMIT = 10


def hook(owner_id: str, *events: str, admin: bool = False) -> Webhook:
    return Webhook(
        id=new_id("whk"),
        owner_id=owner_id,
        owner_is_admin=admin,
        url="https://shop.example/hooks",
        events=events or webhooks.EVENTS,
        secret=webhooks.new_secret(),
        created_at=utcnow() - timedelta(minutes=1),
    )


async def test_paying_refunding_and_show_changes_write_their_events_once(store: Store) -> None:
    brand, host, buyer = await factories.brand(store), await factories.host(store), await factories.viewer(store)
    show = await factories.show(store, host.id)
    lipstick = await factories.product(store, brand.id, sku="LIP", stock=10, price_cents=1900)
    order = factories.order(show, buyer, (lipstick, 2))
    await store.place_order(order, LIMIT)
    assert await store.new_webhook_events(10) == []  # placing an order reports nothing

    await store.set_show_status(show.id, ShowStatus.LIVE)
    await store.set_show_status(show.id, ShowStatus.PAUSED)  # a pause and the return report nothing
    await store.set_show_status(show.id, ShowStatus.LIVE)
    paid = await store.mark_order_paid(order.id, "pay_1", utcnow(), factories.sale_entries(order), None)
    with pytest.raises(Conflict):  # a second settle changes nothing and writes no event
        await store.mark_order_paid(order.id, "pay_2", utcnow(), factories.sale_entries(order), None)
    refund = factories.refund(paid, brand.id, (lipstick.id, 1, 0))
    await store.record_refund(refund, factories.refund_entries(paid, refund))
    await store.set_show_status(show.id, ShowStatus.ENDED)
    await store.set_show_status(show.id, ShowStatus.ENDED)  # no change, no event

    events = await store.new_webhook_events(10)
    assert [(e.type, e.subject_id) for e in events] == [
        ("show.live", show.id),
        ("order.paid", order.id),
        ("order.refunded", order.id),
        ("show.ended", show.id),
    ]
    assert events[1].data["total_cents"] == 2 * 1900
    assert events[1].data["source"] == "live"
    assert events[1].data["lines"][0]["brand_id"] == brand.id
    assert events[2].data["refund"] == {
        "id": refund.id,
        "amount_cents": 1900,
        "lines": [{"product_id": lipstick.id, "qty": 1}],
    }
    assert events[2].data["lines"][0]["refunded_qty"] == 1
    assert events[3].data["status"] == "ended"
    assert events[3].data["started_at"] == events[0].data["started_at"]  # the first live's time, kept


async def test_a_refused_refund_writes_no_event(store: Store) -> None:
    brand, host, buyer = await factories.brand(store), await factories.host(store), await factories.viewer(store)
    show = await factories.show(store, host.id)
    lipstick = await factories.product(store, brand.id, sku="LIP", stock=10)
    order = factories.order(show, buyer, (lipstick, 1))
    await store.place_order(order, LIMIT)
    refund = factories.refund(order, brand.id, (lipstick.id, 1, 0))
    with pytest.raises(Conflict):  # not paid
        await store.record_refund(refund, factories.refund_entries(order, refund))
    assert await store.new_webhook_events(10) == []


async def test_events_expand_into_one_delivery_per_endpoint_and_twice_is_once(store: Store) -> None:
    brand, other = await factories.brand(store), await factories.brand(store, "Other")
    mine, theirs = hook(brand.id, "show.live"), hook(other.id, "show.live")
    everything = hook("adm_1", admin=True)
    for endpoint in (mine, theirs, everything):
        await store.create_webhook(endpoint)
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    await store.set_show_status(show.id, ShowStatus.LIVE)
    [event] = await store.new_webhook_events(10)

    deliveries = webhooks.deliveries_for(event, await store.list_webhooks(), [brand.id])
    assert {d.webhook_id for d in deliveries} == {mine.id, everything.id}
    await store.expand_webhook_event(event.id, deliveries)
    await store.expand_webhook_event(event.id, deliveries)  # a node that crashed half-way does it again
    assert await store.new_webhook_events(10) == []
    [stored] = await store.webhook_deliveries(mine.id, 10)
    assert stored == deliveries[[d.webhook_id for d in deliveries].index(mine.id)]
    assert stored.body == event.body()
    assert await store.webhook_deliveries(theirs.id, 10) == []
    assert [h.id for h in await store.list_webhooks(brand.id)] == [mine.id]


async def test_one_delivery_at_a_time_per_endpoint_and_the_lease_keeps_others_off(store: Store) -> None:
    endpoint, other = hook("brd_1"), hook("brd_2")
    await store.create_webhook(endpoint)
    await store.create_webhook(other)
    now = utcnow()
    events = [
        webhooks.WebhookEvent(new_id("evt"), "order.paid", f"ord_{n}", {"n": n}, now - timedelta(seconds=10 - n))
        for n in range(3)
    ]
    for event in events:
        await store.expand_webhook_event(event.id, webhooks.deliveries_for(event, [endpoint], ["brd_1"]))
    late = webhooks.WebhookEvent(new_id("evt"), "order.paid", "ord_x", {}, now - timedelta(seconds=1))
    await store.expand_webhook_event(late.id, webhooks.deliveries_for(late, [other], ["brd_2"]))

    first = await store.claim_webhook_delivery("node-a", now, 30)
    assert first is not None
    assert first.event_id == events[0].id  # the oldest due first
    second = await store.claim_webhook_delivery("node-b", now, 30)
    assert second is not None
    assert second.webhook_id == other.id  # the first endpoint is leased: node-b gets another endpoint's
    assert await store.claim_webhook_delivery("node-b", now, 30) is None

    attempt = Attempt(now, 500, None, 12)
    failed = first.after(attempt, timedelta(seconds=10))
    await store.finish_webhook_delivery(failed, "node-a")
    assert failed.status is DeliveryStatus.PENDING
    assert failed.next_attempt_at == now + timedelta(seconds=10)
    after = await store.claim_webhook_delivery("node-b", now, 30)
    assert after is not None
    assert after.event_id == events[1].id  # the failed one is not due yet; the next one is
    assert await store.get_webhook_delivery(first.id) == failed

    delivered = after.after(Attempt(now, 204, None, 5), timedelta(seconds=10))
    await store.finish_webhook_delivery(delivered, "node-b")
    again = await store.redeliver_webhook_delivery(delivered.id, now)
    assert again.status is DeliveryStatus.PENDING
    assert again.attempts == delivered.attempts
    third = await store.claim_webhook_delivery("node-c", now, 30)
    assert third is not None
    assert third.event_id == events[2].id  # due since before the redelivery
    await store.finish_webhook_delivery(third.after(Attempt(now, 200, None, 5), timedelta(seconds=10)), "node-c")
    claimed = await store.claim_webhook_delivery("node-c", now, 30)
    assert claimed is not None
    assert claimed.id == delivered.id  # the redelivery, due now
    with pytest.raises(NotFound):
        await store.redeliver_webhook_delivery("dlv_nope", now)


async def test_deleting_an_endpoint_deletes_its_deliveries(store: Store) -> None:
    endpoint = hook("brd_1")
    await store.create_webhook(endpoint)
    event = webhooks.WebhookEvent(new_id("evt"), "order.paid", "ord_1", {}, utcnow() - timedelta(seconds=1))
    [delivery] = webhooks.deliveries_for(event, [endpoint], ["brd_1"])
    await store.expand_webhook_event(event.id, [delivery])
    assert await store.delete_webhook(endpoint.id) is True
    assert await store.delete_webhook(endpoint.id) is False
    assert await store.get_webhook(endpoint.id) is None
    assert await store.get_webhook_delivery(delivery.id) is None
    assert await store.claim_webhook_delivery("node-a", utcnow(), 30) is None
    # an event made for an endpoint deleted meanwhile makes no delivery
    await store.expand_webhook_event(event.id, [delivery])
    assert await store.get_webhook_delivery(delivery.id) is None
