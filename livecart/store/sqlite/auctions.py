"""Auctions on SQLite: each step reads the auction, applies `domain.auctions` and writes, in one transaction.

One open auction per show is a partial unique index; the units leave stock when the auction opens and
move to the winner's order at settlement (an offer's order is listed in `auction_offers`, which keeps
it out of checkout recovery: the auction's pay window settles it).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from livecart.clock import Clock
from livecart.domain import auctions, errors
from livecart.domain.auctions import Auction, AuctionStatus, Bid
from livecart.domain.commerce import OrderStatus
from livecart.domain.ids import new_id
from livecart.store.base import StockLevels
from livecart.store.sqlite import rows
from livecart.store.sqlite.db import Database, Migration
from livecart.store.sqlite.orders import fetch_order, insert_order

MIGRATIONS: list[Migration] = [
    Migration(
        13,
        "auctions",
        """
        CREATE TABLE auctions (
            id TEXT PRIMARY KEY,
            show_id TEXT NOT NULL REFERENCES shows(id),
            host_id TEXT NOT NULL,
            product_id TEXT NOT NULL REFERENCES products(id),
            brand_id TEXT NOT NULL,
            currency TEXT NOT NULL,
            start_cents INTEGER NOT NULL,
            increment_cents INTEGER NOT NULL,
            reserve_cents INTEGER,
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            status TEXT NOT NULL CHECK (status IN ('open', 'sold', 'unsold', 'cancelled')),
            created_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            high_bid_cents INTEGER,
            leader_id TEXT,
            leader_name TEXT,
            bids INTEGER NOT NULL DEFAULT 0,
            winner_id TEXT,
            winner_name TEXT,
            price_cents INTEGER,
            order_id TEXT,
            pay_by TEXT,
            offers INTEGER NOT NULL DEFAULT 0,
            ended_at TEXT
        );
        CREATE UNIQUE INDEX auctions_one_open ON auctions (show_id) WHERE status = 'open';
        CREATE INDEX auctions_open_by_end ON auctions (ends_at) WHERE status = 'open';
        CREATE INDEX auctions_sold_by_pay ON auctions (pay_by) WHERE status = 'sold';
        CREATE TABLE auction_bids (
            auction_id TEXT NOT NULL REFERENCES auctions(id),
            seq INTEGER NOT NULL,
            bidder_id TEXT NOT NULL,
            bidder_name TEXT NOT NULL,
            amount_cents INTEGER NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (auction_id, seq)
        );
        CREATE TABLE auction_offers (
            order_id TEXT PRIMARY KEY,
            auction_id TEXT NOT NULL REFERENCES auctions(id)
        )
        """,
    ),
    Migration(
        25,
        "auction_signals",
        """
        CREATE INDEX auctions_show ON auctions (show_id, created_at);
        CREATE TABLE show_addresses (
            show_id TEXT NOT NULL,
            account_id TEXT NOT NULL,
            address TEXT NOT NULL,
            PRIMARY KEY (show_id, account_id, address)
        ) WITHOUT ROWID
        """,
    ),
]

_MUTABLE = (
    "status", "ends_at", "high_bid_cents", "leader_id", "leader_name", "bids", "winner_id", "winner_name",
    "price_cents", "order_id", "pay_by", "offers", "ended_at",
)  # fmt: skip


def _time(text: str) -> datetime:
    moment = rows.from_text(text)
    assert moment is not None
    return moment


def _auction(row: sqlite3.Row) -> Auction:
    return Auction(
        id=row["id"],
        show_id=row["show_id"],
        host_id=row["host_id"],
        product_id=row["product_id"],
        brand_id=row["brand_id"],
        currency=row["currency"],
        start_cents=row["start_cents"],
        increment_cents=row["increment_cents"],
        reserve_cents=row["reserve_cents"],
        quantity=row["quantity"],
        status=AuctionStatus(row["status"]),
        created_at=_time(row["created_at"]),
        ends_at=_time(row["ends_at"]),
        high_bid_cents=row["high_bid_cents"],
        leader_id=row["leader_id"],
        leader_name=row["leader_name"],
        bids=row["bids"],
        winner_id=row["winner_id"],
        winner_name=row["winner_name"],
        price_cents=row["price_cents"],
        order_id=row["order_id"],
        pay_by=rows.from_text(row["pay_by"]),
        offers=row["offers"],
        ended_at=rows.from_text(row["ended_at"]),
    )


def _values(auction: Auction, names: tuple[str, ...]) -> list[object]:
    values: list[object] = []
    for name in names:
        value = getattr(auction, name)
        if isinstance(value, datetime):
            value = rows.to_text(value)
        elif isinstance(value, AuctionStatus):
            value = value.value
        values.append(value)
    return values


def _fetch(conn: sqlite3.Connection, auction_id: str) -> Auction:
    row = conn.execute("SELECT * FROM auctions WHERE id = ?", (auction_id,)).fetchone()
    if row is None:
        raise auctions.no_such_auction(auction_id)
    return _auction(row)


def _save(conn: sqlite3.Connection, auction: Auction) -> Auction:
    assignments = ", ".join(f"{name} = ?" for name in _MUTABLE)
    conn.execute(f"UPDATE auctions SET {assignments} WHERE id = ?", (*_values(auction, _MUTABLE), auction.id))
    return auction


def _bids(conn: sqlite3.Connection, auction_id: str) -> list[Bid]:
    cursor = conn.execute("SELECT * FROM auction_bids WHERE auction_id = ? ORDER BY seq", (auction_id,))
    return [
        Bid(auction_id, row["bidder_id"], row["bidder_name"], row["amount_cents"], _time(row["at"])) for row in cursor
    ]


def _restock(conn: sqlite3.Connection, auction: Auction) -> None:
    conn.execute("UPDATE products SET stock = stock + ? WHERE id = ?", (auction.quantity, auction.product_id))


def _offer(conn: sqlite3.Connection, auction: Auction, platform_fee_bps: int, now: datetime) -> None:
    """Write the PENDING order of the auction's current offer (its units are the auction's; none taken)."""
    product = rows.product(conn.execute("SELECT * FROM products WHERE id = ?", (auction.product_id,)).fetchone())
    order = auctions.offer_order(auction, product, platform_fee_bps, now)
    insert_order(conn, order)
    conn.execute("INSERT INTO auction_offers (order_id, auction_id) VALUES (?, ?)", (order.id, auction.id))
    conn.execute(
        "INSERT INTO buyer_units (buyer_id, product_id, units) VALUES (?, ?, ?)"
        " ON CONFLICT (buyer_id, product_id) DO UPDATE SET units = units + excluded.units",
        (order.buyer_id, auction.product_id, auction.quantity),
    )


class SqliteAuctions:
    _db: Database
    _clock: Clock

    async def confirm_replicated(self) -> None:
        return None  # a commit is durable when it returns: nothing to wait for

    async def open_auction(self, auction: Auction) -> StockLevels:
        def open_(conn: sqlite3.Connection) -> StockLevels:
            if conn.execute(
                "SELECT 1 FROM auctions WHERE show_id = ? AND status = 'open'", (auction.show_id,)
            ).fetchone():
                raise auctions.auction_open(auction.show_id)
            row = conn.execute("SELECT stock FROM products WHERE id = ?", (auction.product_id,)).fetchone()
            if row is None:
                raise errors.no_such_product(auction.product_id)
            if row["stock"] < auction.quantity:
                raise errors.out_of_stock({auction.product_id: row["stock"]})
            conn.execute("UPDATE products SET stock = stock - ? WHERE id = ?", (auction.quantity, auction.product_id))
            names = tuple(Auction.__dataclass_fields__)
            conn.execute(
                f"INSERT INTO auctions ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                _values(auction, names),
            )
            return {auction.product_id: row["stock"] - auction.quantity}

        return await self._db.transaction(open_)

    async def get_auction(self, auction_id: str) -> Auction | None:
        def select(conn: sqlite3.Connection) -> Auction | None:
            row = conn.execute("SELECT * FROM auctions WHERE id = ?", (auction_id,)).fetchone()
            return None if row is None else _auction(row)

        return await self._db.read(select)

    async def show_auction(self, show_id: str) -> Auction | None:
        def select(conn: sqlite3.Connection) -> Auction | None:
            row = conn.execute("SELECT * FROM auctions WHERE show_id = ? AND status = 'open'", (show_id,)).fetchone()
            return None if row is None else _auction(row)

        return await self._db.read(select)

    async def place_bid(
        self, auction_id: str, bidder_id: str, bidder_name: str, amount_cents: int, extend_s: int
    ) -> Auction:
        def bid(conn: sqlite3.Connection) -> Auction:
            now = self._clock.now()
            current = _fetch(conn, auction_id)
            offer = Bid(auction_id, bidder_id, bidder_name, amount_cents, now)
            updated = _save(conn, auctions.accept_bid(current, offer, now, extend_s))
            conn.execute(
                "INSERT INTO auction_bids (auction_id, seq, bidder_id, bidder_name, amount_cents, at)"
                " VALUES (?,?,?,?,?,?)",
                (auction_id, updated.bids, bidder_id, bidder_name, amount_cents, rows.to_text(now)),
            )
            return updated

        return await self._db.transaction(bid)

    async def auction_bids(self, auction_id: str) -> list[Bid]:
        return await self._db.read(_bids, auction_id)

    async def settle_auction(self, auction_id: str, pay_s: int, platform_fee_bps: int) -> Auction:
        def settle(conn: sqlite3.Connection) -> Auction:
            now = self._clock.now()
            current = _fetch(conn, auction_id)
            if not auctions.is_due(current, now):
                return current
            settled = _save(conn, auctions.settle(current, now, pay_s, new_id("ord")))
            if settled.status is AuctionStatus.SOLD:
                _offer(conn, settled, platform_fee_bps, now)
            else:
                _restock(conn, settled)
            return settled

        return await self._db.transaction(settle)

    async def pass_auction_offer(self, auction_id: str, order_id: str, pay_s: int, platform_fee_bps: int) -> Auction:
        def pass_(conn: sqlite3.Connection) -> Auction:
            now = self._clock.now()
            current = _fetch(conn, auction_id)
            order = fetch_order(conn, order_id)
            if (
                current.status is not AuctionStatus.SOLD
                or current.order_id != order_id
                or order is None
                or order.status is not OrderStatus.PENDING
            ):
                return current
            conn.execute("UPDATE orders SET status = 'failed' WHERE id = ?", (order_id,))
            conn.execute(
                "UPDATE buyer_units SET units = units - ? WHERE buyer_id = ? AND product_id = ?",
                (current.quantity, order.buyer_id, current.product_id),
            )
            passed = _save(conn, auctions.pass_offer(current, _bids(conn, auction_id), now, pay_s, new_id("ord")))
            if passed.status is AuctionStatus.SOLD:
                _offer(conn, passed, platform_fee_bps, now)
            else:
                _restock(conn, passed)
            return passed

        return await self._db.transaction(pass_)

    async def cancel_auction(self, auction_id: str) -> tuple[Auction, StockLevels]:
        def cancel(conn: sqlite3.Connection) -> tuple[Auction, StockLevels]:
            cancelled = _save(conn, auctions.cancel(_fetch(conn, auction_id), self._clock.now()))
            _restock(conn, cancelled)
            stock = conn.execute("SELECT stock FROM products WHERE id = ?", (cancelled.product_id,)).fetchone()
            return cancelled, {cancelled.product_id: stock["stock"]}

        return await self._db.transaction(cancel)

    async def show_auctions(self, show_id: str) -> list[Auction]:
        def select(conn: sqlite3.Connection) -> list[Auction]:
            cursor = conn.execute("SELECT * FROM auctions WHERE show_id = ? ORDER BY created_at, rowid", (show_id,))
            return [_auction(row) for row in cursor]

        return await self._db.read(select)

    async def note_address(self, show_id: str, account_id: str, address: str) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR IGNORE INTO show_addresses (show_id, account_id, address) VALUES (?, ?, ?)",
                (show_id, account_id, address),
            )

        await self._db.transaction(insert)

    async def show_addresses(self, show_id: str) -> dict[str, set[str]]:
        def select(conn: sqlite3.Connection) -> dict[str, set[str]]:
            found: dict[str, set[str]] = {}
            for row in conn.execute("SELECT account_id, address FROM show_addresses WHERE show_id = ?", (show_id,)):
                found.setdefault(str(row[0]), set()).add(str(row[1]))
            return found

        return await self._db.read(select)

    async def due_auctions(self) -> list[Auction]:
        def select(conn: sqlite3.Connection) -> list[Auction]:
            now = rows.to_text(self._clock.now())
            cursor = conn.execute(
                "SELECT a.* FROM auctions a WHERE (a.status = 'open' AND a.ends_at <= ?)"
                " OR (a.status = 'sold' AND a.pay_by <= ?"
                "     AND EXISTS (SELECT 1 FROM orders o WHERE o.id = a.order_id AND o.status = 'pending'))"
                " ORDER BY a.ends_at",
                (now, now),
            )
            return [_auction(row) for row in cursor]

        return await self._db.read(select)
