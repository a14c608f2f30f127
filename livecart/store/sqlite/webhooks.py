"""Webhooks on SQLite: endpoints, the event outbox (written inside the transactions of orders and shows,
`write_event`), deliveries with their attempts, and per-endpoint delivery leases."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from livecart.domain import errors
from livecart.domain.webhooks import (
    Delivery,
    DeliveryStatus,
    Webhook,
    WebhookEvent,
    delivery_from_json,
    delivery_to_json,
    event_from_json,
    event_to_json,
)
from livecart.store.sqlite import rows
from livecart.store.sqlite.db import Database, Migration

MIGRATIONS: list[Migration] = [
    Migration(
        26,
        "webhooks",
        """
        CREATE TABLE webhooks (
            id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, owner_is_admin INTEGER NOT NULL, url TEXT NOT NULL,
            events TEXT NOT NULL, secret TEXT NOT NULL, created_at TEXT NOT NULL
        );
        CREATE INDEX webhooks_by_owner ON webhooks (owner_id, created_at);
        CREATE TABLE webhook_events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, record TEXT NOT NULL,
            expanded INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX webhook_events_new ON webhook_events (expanded, seq);
        CREATE TABLE webhook_deliveries (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, webhook_id TEXT NOT NULL,
            status TEXT NOT NULL, next_attempt_at TEXT, record TEXT NOT NULL
        );
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
        CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (webhook_id, seq);
        CREATE TABLE webhook_leases (webhook_id TEXT PRIMARY KEY, holder TEXT NOT NULL, until TEXT NOT NULL)
        """,
    ),
]


def write_event(conn: sqlite3.Connection, event: WebhookEvent | None) -> None:
    """Add an event to the outbox, inside the caller's transaction (an order paid, a show ended, …)."""
    if event is not None:
        conn.execute("INSERT INTO webhook_events (id, record) VALUES (?, ?)", (event.id, event_to_json(event)))


def _hook(row: sqlite3.Row | tuple[object, ...]) -> Webhook:
    hook_id, owner_id, owner_is_admin, url, events, secret, created_at = row
    created = rows.from_text(str(created_at))
    assert created is not None
    return Webhook(
        id=str(hook_id),
        owner_id=str(owner_id),
        owner_is_admin=bool(owner_is_admin),
        url=str(url),
        events=tuple(json.loads(str(events))),
        secret=str(secret),
        created_at=created,
    )


HOOK_COLUMNS = "id, owner_id, owner_is_admin, url, events, secret, created_at"


def _store_delivery(conn: sqlite3.Connection, delivery: Delivery) -> None:
    conn.execute(
        "UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, record = ? WHERE id = ?",
        (delivery.status.value, rows.to_text(delivery.next_attempt_at), delivery_to_json(delivery), delivery.id),
    )


class SqliteWebhooks:
    _db: Database

    async def create_webhook(self, hook: Webhook) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT INTO webhooks ({HOOK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    hook.id,
                    hook.owner_id,
                    int(hook.owner_is_admin),
                    hook.url,
                    json.dumps(list(hook.events)),
                    hook.secret,
                    rows.to_text(hook.created_at),
                ),
            )

        await self._db.transaction(insert)

    async def get_webhook(self, webhook_id: str) -> Webhook | None:
        def read(conn: sqlite3.Connection) -> Webhook | None:
            row = conn.execute(f"SELECT {HOOK_COLUMNS} FROM webhooks WHERE id = ?", (webhook_id,)).fetchone()
            return None if row is None else _hook(row)

        return await self._db.read(read)

    async def list_webhooks(self, owner_id: str | None = None) -> list[Webhook]:
        def read(conn: sqlite3.Connection) -> list[Webhook]:
            if owner_id is None:
                found = conn.execute(f"SELECT {HOOK_COLUMNS} FROM webhooks ORDER BY created_at, id")
            else:
                found = conn.execute(
                    f"SELECT {HOOK_COLUMNS} FROM webhooks WHERE owner_id = ? ORDER BY created_at, id", (owner_id,)
                )
            return [_hook(row) for row in found]

        return await self._db.read(read)

    async def delete_webhook(self, webhook_id: str) -> bool:
        def delete(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM webhook_deliveries WHERE webhook_id = ?", (webhook_id,))
            conn.execute("DELETE FROM webhook_leases WHERE webhook_id = ?", (webhook_id,))
            return conn.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount == 1

        return await self._db.transaction(delete)

    async def new_webhook_events(self, limit: int) -> list[WebhookEvent]:
        def read(conn: sqlite3.Connection) -> list[WebhookEvent]:
            found = conn.execute("SELECT record FROM webhook_events WHERE expanded = 0 ORDER BY seq LIMIT ?", (limit,))
            return [event_from_json(str(row[0])) for row in found]

        return await self._db.read(read)

    async def expand_webhook_event(self, event_id: str, deliveries: Sequence[Delivery]) -> None:
        def expand(conn: sqlite3.Connection) -> None:
            for delivery in deliveries:
                conn.execute(
                    "INSERT OR IGNORE INTO webhook_deliveries (id, webhook_id, status, next_attempt_at, record)"
                    " SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?)",
                    (
                        delivery.id,
                        delivery.webhook_id,
                        delivery.status.value,
                        rows.to_text(delivery.next_attempt_at),
                        delivery_to_json(delivery),
                        delivery.webhook_id,
                    ),
                )
            conn.execute("UPDATE webhook_events SET expanded = 1 WHERE id = ?", (event_id,))

        await self._db.transaction(expand)

    async def claim_webhook_delivery(self, holder: str, now: datetime, lease_s: float) -> Delivery | None:
        def claim(conn: sqlite3.Connection) -> Delivery | None:
            at = rows.to_text(now)
            row = conn.execute(
                "SELECT d.record FROM webhook_deliveries d"
                " LEFT JOIN webhook_leases l ON l.webhook_id = d.webhook_id AND l.until > ?"
                " WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND l.webhook_id IS NULL"
                " ORDER BY d.next_attempt_at, d.seq LIMIT 1",
                (at, at),
            ).fetchone()
            if row is None:
                return None
            delivery = delivery_from_json(str(row[0]))
            conn.execute(
                "INSERT INTO webhook_leases (webhook_id, holder, until) VALUES (?, ?, ?)"
                " ON CONFLICT (webhook_id) DO UPDATE SET holder = excluded.holder, until = excluded.until",
                (delivery.webhook_id, holder, rows.to_text(now + timedelta(seconds=lease_s))),
            )
            return delivery

        return await self._db.transaction(claim)

    async def finish_webhook_delivery(self, delivery: Delivery, holder: str) -> None:
        def finish(conn: sqlite3.Connection) -> None:
            _store_delivery(conn, delivery)
            conn.execute(
                "DELETE FROM webhook_leases WHERE webhook_id = ? AND holder = ?", (delivery.webhook_id, holder)
            )

        await self._db.transaction(finish)

    async def webhook_deliveries(self, webhook_id: str, limit: int) -> list[Delivery]:
        def read(conn: sqlite3.Connection) -> list[Delivery]:
            found = conn.execute(
                "SELECT record FROM webhook_deliveries WHERE webhook_id = ? ORDER BY seq DESC LIMIT ?",
                (webhook_id, limit),
            )
            return [delivery_from_json(str(row[0])) for row in found]

        return await self._db.read(read)

    async def get_webhook_delivery(self, delivery_id: str) -> Delivery | None:
        def read(conn: sqlite3.Connection) -> Delivery | None:
            row = conn.execute("SELECT record FROM webhook_deliveries WHERE id = ?", (delivery_id,)).fetchone()
            return None if row is None else delivery_from_json(str(row[0]))

        return await self._db.read(read)

    async def redeliver_webhook_delivery(self, delivery_id: str, now: datetime) -> Delivery:
        def redeliver(conn: sqlite3.Connection) -> Delivery:
            row = conn.execute("SELECT record FROM webhook_deliveries WHERE id = ?", (delivery_id,)).fetchone()
            if row is None:
                raise errors.no_such_delivery(delivery_id)
            delivery = delivery_from_json(str(row[0]))
            again = replace(delivery, status=DeliveryStatus.PENDING, next_attempt_at=now)
            _store_delivery(conn, again)
            return again

        return await self._db.transaction(redeliver)
