"""Webhooks, the pure part: events and their payloads, endpoints, deliveries, the signature, the retry
schedule and the address rule (SSRF). I/O (the store's outbox, HTTP sending) is in livecart/webhooks/.

An event is written to the store's outbox in the same transaction as what it reports (an order paid or
refunded, a show going live or ending); the delivery worker turns it into one delivery per subscribed
endpoint and sends it, at least once, with the delivery's stable id in a header.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from livecart.domain.commerce import Order, Refund
from livecart.domain.ids import new_id
from livecart.domain.models import Show, ShowStatus, rfc3339
from livecart.domain.payouts import Payout

ORDER_PAID = "order.paid"
ORDER_REFUNDED = "order.refunded"
SHOW_LIVE = "show.live"
SHOW_ENDED = "show.ended"
PAYOUT_PAID = "payout.paid"
EVENTS = (ORDER_PAID, ORDER_REFUNDED, SHOW_LIVE, SHOW_ENDED, PAYOUT_PAID)

SIGNATURE_HEADER = "livecart-signature"
DELIVERY_HEADER = "livecart-delivery"
EVENT_HEADER = "livecart-event"
RETRY_FOR = timedelta(hours=24)  # a delivery is retried until this long after it was first due
RETRY_CAP = timedelta(hours=1)  # never wait longer than this between two attempts
MAX_URL_LENGTH = 2000
MAX_ENDPOINTS_PER_OWNER = 20


@dataclass(frozen=True)
class WebhookEvent:
    """Something that happened, as the outbox keeps it: `data` is the event's payload."""

    id: str
    type: str
    subject_id: str  # the order (order.*), the show (show.*) or the payout (payout.*)
    data: Mapping[str, Any]
    created_at: datetime

    def body(self) -> str:
        """The JSON body every endpoint gets for this event (the same bytes on every retry)."""
        return json.dumps(
            {"id": self.id, "type": self.type, "created_at": rfc3339(self.created_at), "data": self.data},
            separators=(",", ":"),
            sort_keys=True,
        )


@dataclass(frozen=True)
class Webhook:
    """An endpoint a brand (its own orders and shows) or the admin (everything) registered."""

    id: str
    owner_id: str
    owner_is_admin: bool
    url: str
    events: tuple[str, ...]
    secret: str
    created_at: datetime

    def public(self) -> dict[str, Any]:
        """What GET /api/webhooks shows: never the secret (it is shown once, at creation)."""
        return {"id": self.id, "url": self.url, "events": list(self.events), "created_at": rfc3339(self.created_at)}

    def wants(self, event_type: str, brand_ids: Iterable[str]) -> bool:
        return event_type in self.events and (self.owner_is_admin or self.owner_id in set(brand_ids))


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (or its first)
    DELIVERED = "delivered"  # an attempt got a 2xx
    FAILED = "failed"  # gave up: retried for RETRY_FOR without a 2xx


@dataclass(frozen=True)
class Attempt:
    at: datetime
    status: int | None  # the HTTP status, None when no answer (refused address, timeout, connection error)
    error: str | None
    duration_ms: int

    def public(self) -> dict[str, Any]:
        return {"at": rfc3339(self.at), "status": self.status, "error": self.error, "duration_ms": self.duration_ms}

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Delivery:
    """One event for one endpoint; `body` is fixed when it is made, so every attempt is signed over the
    same bytes (a fresh timestamp each time)."""

    id: str
    webhook_id: str
    event_id: str
    event_type: str
    body: str
    status: DeliveryStatus
    next_attempt_at: datetime | None
    created_at: datetime
    attempts: tuple[Attempt, ...] = field(default=())

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event_id": self.event_id,
            "event": self.event_type,
            "status": self.status.value,
            "next_attempt_at": rfc3339(self.next_attempt_at),
            "created_at": rfc3339(self.created_at),
            "attempts": [attempt.public() for attempt in self.attempts],
        }

    def after(self, attempt: Attempt, first_retry: timedelta) -> Delivery:
        """The delivery once `attempt` is recorded: delivered, due again later, or failed for good."""
        attempts = (*self.attempts, attempt)
        if attempt.ok:
            return replace(self, attempts=attempts, status=DeliveryStatus.DELIVERED, next_attempt_at=None)
        retry_at = next_attempt_at(self.created_at, len(attempts), attempt.at, first_retry)
        status = DeliveryStatus.PENDING if retry_at is not None else DeliveryStatus.FAILED
        return replace(self, attempts=attempts, status=status, next_attempt_at=retry_at)


def next_attempt_at(created_at: datetime, failures: int, now: datetime, first_retry: timedelta) -> datetime | None:
    """Exponential backoff: first_retry, then twice as long each time (at most RETRY_CAP), until RETRY_FOR
    after the delivery was made; None when the next attempt would be past that (give up)."""
    wait = min(first_retry * (2 ** max(0, failures - 1)), RETRY_CAP)
    due = now + wait
    return due if due <= created_at + RETRY_FOR else None


def deliveries_for(event: WebhookEvent, hooks: Sequence[Webhook], brand_ids: Iterable[str]) -> list[Delivery]:
    """One delivery per endpoint that subscribed to the event and may see it; the id is derived from the
    event and the endpoint, so making them twice (a node that crashed half-way) makes the same ones."""
    brands = set(brand_ids)
    return [
        Delivery(
            id="dlv_" + hashlib.sha256(f"{event.id}:{hook.id}".encode()).hexdigest()[:16],
            webhook_id=hook.id,
            event_id=event.id,
            event_type=event.type,
            body=event.body(),
            status=DeliveryStatus.PENDING,
            next_attempt_at=event.created_at,
            created_at=event.created_at,
        )
        for hook in hooks
        if hook.wants(event.type, brands) and hook.created_at <= event.created_at
    ]


# -- events -----------------------------------------------------------------------------------------
def _order_data(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "show_id": order.show_id,
        "source": order.source.value,
        "currency": order.currency,
        "total_cents": order.total_cents,
        "refunded_cents": order.refunded_cents,
        "paid_at": rfc3339(order.paid_at),
        "lines": [
            {
                "product_id": line.product_id,
                "brand_id": line.brand_id,
                "title": line.title,
                "qty": line.qty,
                "unit_price_cents": line.unit_price_cents,
                "line_total_cents": line.line_total_cents,
                "refunded_qty": line.refunded_qty,
            }
            for line in order.lines
        ],
    }


def order_paid(order: Order, at: datetime) -> WebhookEvent:
    return WebhookEvent(new_id("evt"), ORDER_PAID, order.id, _order_data(order), at)


def order_refunded(order: Order, refund: Refund) -> WebhookEvent:
    data = {
        **_order_data(order),
        "refund": {
            "id": refund.id,
            "amount_cents": refund.amount_cents,
            "lines": [{"product_id": line.product_id, "qty": line.qty} for line in refund.lines],
        },
    }
    return WebhookEvent(new_id("evt"), ORDER_REFUNDED, order.id, data, refund.created_at)


SHOW_EVENTS = {ShowStatus.LIVE: SHOW_LIVE, ShowStatus.ENDED: SHOW_ENDED}


def show_changed(before: ShowStatus, show: Show, at: datetime) -> WebhookEvent | None:
    """show.live / show.ended for a show that has just moved from `before` to its status: show.live only
    when it first goes live (a paused show going live again sends nothing, nor does a pause), show.ended
    when it ends (from live, paused or scheduled). None for any other move."""
    event_type = SHOW_EVENTS.get(show.status)
    if event_type is None or before is show.status:
        return None
    if show.status is ShowStatus.LIVE and before is ShowStatus.PAUSED:
        return None
    data = {
        "show_id": show.id,
        "host_id": show.host_id,
        "title": show.title,
        "status": show.status.value,
        "started_at": rfc3339(show.started_at),
        "ended_at": rfc3339(show.ended_at),
    }
    return WebhookEvent(new_id("evt"), event_type, show.id, data, at)


def payout_paid(payout: Payout, at: datetime) -> WebhookEvent:
    """payout.paid: a host was paid (payouts go to hosts, so only the admin's endpoints get it)."""
    data = {
        "payout_id": payout.id,
        "host_id": payout.host_id,
        "currency": payout.currency,
        "amount_cents": payout.amount_cents,
        "paid_at": rfc3339(payout.paid_at or at),
    }
    return WebhookEvent(new_id("evt"), PAYOUT_PAID, payout.id, data, at)


def event_to_json(event: WebhookEvent) -> str:
    """How the stores keep an event (the SQLite row's and the Redis hash's value)."""
    return json.dumps(
        {
            "id": event.id,
            "type": event.type,
            "subject_id": event.subject_id,
            "data": event.data,
            "created_at": event.created_at.isoformat(),
        },
        separators=(",", ":"),
    )


def event_from_json(text: str | bytes) -> WebhookEvent:
    raw = json.loads(text)
    created_at = datetime.fromisoformat(raw["created_at"])
    return WebhookEvent(raw["id"], raw["type"], raw["subject_id"], raw["data"], created_at)


def delivery_to_json(delivery: Delivery) -> str:
    return json.dumps(
        {
            "id": delivery.id,
            "webhook_id": delivery.webhook_id,
            "event_id": delivery.event_id,
            "event_type": delivery.event_type,
            "body": delivery.body,
            "status": delivery.status.value,
            "next_attempt_at": delivery.next_attempt_at.isoformat() if delivery.next_attempt_at else None,
            "created_at": delivery.created_at.isoformat(),
            "attempts": [[a.at.isoformat(), a.status, a.error, a.duration_ms] for a in delivery.attempts],
        },
        separators=(",", ":"),
    )


def delivery_from_json(text: str | bytes) -> Delivery:
    raw = json.loads(text)
    return Delivery(
        id=raw["id"],
        webhook_id=raw["webhook_id"],
        event_id=raw["event_id"],
        event_type=raw["event_type"],
        body=raw["body"],
        status=DeliveryStatus(raw["status"]),
        next_attempt_at=datetime.fromisoformat(raw["next_attempt_at"]) if raw["next_attempt_at"] else None,
        created_at=datetime.fromisoformat(raw["created_at"]),
        attempts=tuple(Attempt(datetime.fromisoformat(a[0]), a[1], a[2], a[3]) for a in raw["attempts"]),
    )


# -- signature --------------------------------------------------------------------------------------
def signature(secret: str, timestamp: int, body: str) -> str:
    """`livecart-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def new_secret() -> str:
    return "whsec_" + new_id("x")[2:] + new_id("x")[2:]


# -- where deliveries may go (SSRF) ----------------------------------------------------------------
class UrlRefused(ValueError):
    """A webhook URL that livecart will not send to; the text says why."""


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL without credentials, or UrlRefused."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UrlRefused(f"not a URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlRefused("the URL must be http:// or https:// with a host")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("the URL must not carry credentials")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def address_allowed(address: str, allow_private: bool) -> bool:
    """May a delivery connect to this IP address? Only public unicast addresses, unless private ones
    (loopback, RFC 1918, link-local, unique-local, …) are allowed by LIVECART_WEBHOOK_ALLOW_PRIVATE."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_multicast or ip.is_unspecified:
        return False
    if allow_private:
        return True
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved)
