"""Commerce and media events published on the event bus reach the show's room, in order."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from livecart import keys
from livecart.domain import events
from tests.live.clients import LiveClient
from tests.support import Api


async def test_bus_events_become_room_events(app: web.Application, client: TestClient[Any, Any], api: Api) -> None:
    host = await api.create_account("host", "Mia")
    show, other = await api.create_show(host["token"]), await api.create_show(host["token"], "Other")
    watcher = await LiveClient(str(client.make_url("/"))).connect()
    bystander = await LiveClient(str(client.make_url("/"))).connect()
    await watcher.join(show["id"])
    await bystander.join(other["id"])
    bus = app[keys.SERVICES].bus
    product = {"id": "prd_1", "title": "Glow serum", "price_cents": 2900, "currency": "EUR", "stock": 3}
    bus.publish(events.ShowStatusChanged(show_id=show["id"], status="live"))
    bus.publish(
        events.Pinned(show_id=show["id"], product=product, pinned_at="2026-11-23T20:00:00Z", media_time=4_294_967_000)
    )
    bus.publish(
        events.Sold(
            show_id=show["id"],
            order_id="ord_1",
            product_id="prd_1",
            title="Glow serum",
            qty=2,
            buyer="Sam K.",
        )
    )
    bus.publish(events.StockChanged(show_id=show["id"], product_id="prd_1", stock=1))
    bus.publish(events.Refunded(show_id=show["id"], order_id="ord_1", items=(("prd_1", 1),)))
    bus.publish(events.Unpinned(show_id=show["id"], product_id="prd_1"))
    await watcher.wait_for(lambda: bool(watcher.events("unpin")))
    assert [(e, d) for e, d in watcher.received if e != "viewers"] == [
        ("show", {"status": "live"}),
        ("pin", {"product": product, "pinned_at": "2026-11-23T20:00:00Z", "media_time": 4_294_967_000}),
        ("sale", {"product_id": "prd_1", "title": "Glow serum", "qty": 2, "buyer": "Sam K."}),
        ("stock", {"product_id": "prd_1", "stock": 1}),
        ("unpin", {"product_id": "prd_1", "media_time": None}),  # no video on air: no media time
    ]
    assert [e for e, _ in bystander.received if e != "viewers"] == []
    await watcher.close()
    await bystander.close()
