"""The webhook service: endpoints (register, list, delete, deliveries, redeliver) and the delivery worker.

The worker runs on every node. Each round it (1) expands new outbox events into one delivery per
subscribed endpoint that may see them (a brand: events of its own orders — an order line of its — and
of shows featuring its products; the admin: everything), then (2) claims due deliveries from the store,
each with its endpoint leased (one delivery at a time per endpoint, and no two nodes send the same one
while the lease holds), and sends them. Delivery is **at least once**: a node that dies after the
receiver answered but before the store recorded it sends again once the lease expires, with the same
`livecart-delivery` id, by which receivers drop duplicates. Exactly once is impossible over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from livecart.clock import Clock
from livecart.domain import errors, webhooks
from livecart.domain.ids import new_id
from livecart.domain.models import Account, Role
from livecart.domain.webhooks import Attempt, Delivery, UrlRefused, Webhook, WebhookEvent
from livecart.store import STORE_UNAVAILABLE, Store
from livecart.webhooks.sender import send

log = logging.getLogger(__name__)

LEASE_MARGIN_S = 5.0
POLL_S = 0.5  # how often the worker looks for new events and due deliveries when idle
EXPAND_BATCH = 100
MAX_SENDING = 8  # deliveries in flight at once per node (each to a different endpoint)
HISTORY_LIMIT = 100

Sender = Callable[..., Awaitable[Attempt]]


class WebhookUrlRefused(errors.BadRequest):
    """The URL cannot be a webhook endpoint (not http(s), credentials in it, a private address)."""

    code = "url_not_allowed"


class Webhooks:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        allow_private: bool,
        first_retry_s: float,
        timeout_s: float,
        node_id: str | None = None,
        sender: Sender = send,
    ) -> None:
        self.store = store
        self.clock = clock
        self.allow_private = allow_private
        self.first_retry = timedelta(seconds=first_retry_s)
        self.timeout_s = timeout_s
        self.lease_s = timeout_s + LEASE_MARGIN_S
        self.node_id = node_id or new_id("node")
        self._send = sender
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._store_lost = False
        self.sent = 0  # attempts made by this node (metrics, tests)

    # -- endpoints -----------------------------------------------------------------------------------
    async def register(self, account: Account, url: str, events: Sequence[str]) -> Webhook:
        try:
            _scheme, host, _port = webhooks.check_url(url)
        except UrlRefused as refused:
            raise WebhookUrlRefused(str(refused), url=url[:200]) from None
        if not self.allow_private and _literal_private(host):
            raise WebhookUrlRefused("the URL's host is not a public address", url=url[:200])
        unknown = [event for event in events if event not in webhooks.EVENTS]
        if unknown or not events:
            raise errors.BadRequest(
                "events must be a non-empty list of " + ", ".join(webhooks.EVENTS), fields={"events": unknown}
            )
        owner_id = account.id
        if len(await self.store.list_webhooks(owner_id)) >= webhooks.MAX_ENDPOINTS_PER_OWNER:
            raise errors.Conflict(f"at most {webhooks.MAX_ENDPOINTS_PER_OWNER} webhook endpoints per account")
        hook = Webhook(
            id=new_id("whk"),
            owner_id=owner_id,
            owner_is_admin=account.role is Role.ADMIN,
            url=url,
            events=tuple(dict.fromkeys(events)),
            secret=webhooks.new_secret(),
            created_at=self.clock.now(),
        )
        await self.store.create_webhook(hook)
        return hook

    async def endpoints(self, account: Account) -> list[Webhook]:
        return await self.store.list_webhooks(None if account.role is Role.ADMIN else account.id)

    async def endpoint(self, account: Account, webhook_id: str) -> Webhook:
        """The endpoint if `account` owns it (the admin owns every one); NotFound otherwise."""
        hook = await self.store.get_webhook(webhook_id)
        if hook is None or (account.role is not Role.ADMIN and hook.owner_id != account.id):
            raise errors.no_such_webhook(webhook_id)
        return hook

    async def delete(self, account: Account, webhook_id: str) -> None:
        hook = await self.endpoint(account, webhook_id)
        await self.store.delete_webhook(hook.id)

    async def deliveries(self, account: Account, webhook_id: str) -> list[Delivery]:
        hook = await self.endpoint(account, webhook_id)
        return await self.store.webhook_deliveries(hook.id, HISTORY_LIMIT)

    async def redeliver(self, account: Account, webhook_id: str, delivery_id: str) -> Delivery:
        hook = await self.endpoint(account, webhook_id)
        delivery = await self.store.get_webhook_delivery(delivery_id)
        if delivery is None or delivery.webhook_id != hook.id:
            raise errors.no_such_delivery(delivery_id)
        again = await self.store.redeliver_webhook_delivery(delivery_id, self.clock.now())
        self._wake.set()
        return again

    # -- the worker -----------------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="webhook-worker")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for sending in list(self._sending):
            sending.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)

    async def _run(self) -> None:
        # asyncio.wait, not wait_for: on Python 3.11 wait_for can swallow a cancellation that arrives as
        # the wake-up does, and stop() would then wait for a worker that never ends (the flag is a
        # second guard).
        while not self._stopping:
            try:
                busy = await self.round()
            except asyncio.CancelledError:
                raise
            except STORE_UNAVAILABLE as unavailable:  # an outage: deliveries wait in the store, no traceback
                if not self._store_lost:
                    log.warning("webhook worker: store unreachable (%s); deliveries wait until it is back", unavailable)
                self._store_lost = True
                busy = False
            except Exception:
                log.warning("webhook worker: a round failed; trying again", exc_info=True)
                busy = False
            else:
                if self._store_lost:
                    log.warning("webhook worker: store reachable again")
                self._store_lost = False
            if not busy and not self._stopping:
                self._wake.clear()
                waiter = asyncio.ensure_future(self._wake.wait())
                try:
                    await asyncio.wait({waiter}, timeout=POLL_S)
                finally:
                    waiter.cancel()

    async def round(self) -> bool:
        """Expand new events, then start sending what is due; True when there was something to do."""
        events = await self.store.new_webhook_events(EXPAND_BATCH)
        for event in events:
            await self.expand(event)
        started = 0
        while len(self._sending) < MAX_SENDING:
            delivery = await self.store.claim_webhook_delivery(self.node_id, self.clock.now(), self.lease_s)
            if delivery is None:
                break
            task = asyncio.create_task(self._deliver(delivery))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
            started += 1
        return bool(events) or started > 0

    async def expand(self, event: WebhookEvent) -> None:
        brand_ids = await self._audience(event)
        hooks = await self.store.list_webhooks()
        await self.store.expand_webhook_event(event.id, webhooks.deliveries_for(event, hooks, brand_ids))

    async def _audience(self, event: WebhookEvent) -> set[str]:
        """The brands an event concerns: an order's line brands, a show's lineup brands, a payout's brand."""
        data = event.data
        if event.type.startswith("order."):
            return {str(line["brand_id"]) for line in data.get("lines", [])}
        if event.type.startswith("show."):
            return {product.brand_id for product in await self.store.lineup(event.subject_id)}
        brand_id = data.get("brand_id")
        return {str(brand_id)} if brand_id else set()

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            await self._attempt(delivery)
        except STORE_UNAVAILABLE as unavailable:  # sent again once the lease runs out (at least once)
            log.warning("webhook %s: store unreachable (%s); it is retried later", delivery.id, unavailable)
        except Exception:
            log.exception("webhook %s: delivery failed", delivery.id)

    async def _attempt(self, delivery: Delivery) -> None:
        hook = await self.store.get_webhook(delivery.webhook_id)
        if hook is None:
            return  # deleted meanwhile, with its deliveries
        attempt = await self._send(
            hook.url,
            delivery_id=delivery.id,
            event_type=delivery.event_type,
            body=delivery.body,
            secret=hook.secret,
            now=self.clock.now(),
            allow_private=self.allow_private,
            timeout_s=self.timeout_s,
        )
        self.sent += 1
        if not attempt.ok:
            log.info("webhook %s to %s: %s", delivery.id, hook.id, attempt.error or attempt.status)
        await self.store.finish_webhook_delivery(delivery.after(attempt, self.first_retry), self.node_id)
        self._wake.set()  # the endpoint is free again: its next delivery may go


def _literal_private(host: str) -> bool:
    """A host written as a private address or `localhost` (names are checked when sending)."""
    if host.lower() in ("localhost", "localhost.") or host.lower().endswith(".localhost"):
        return True
    try:
        return not webhooks.address_allowed(host.strip("[]"), allow_private=False)
    except ValueError:
        return False
