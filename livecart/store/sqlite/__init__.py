"""The embedded store: one SQLite file (WAL, synchronous=FULL), migrated on open."""

from __future__ import annotations

from livecart.clock import Clock
from livecart.store.pending import PendingOrders
from livecart.store.sqlite.accounts import SqliteAccounts
from livecart.store.sqlite.auctions import SqliteAuctions
from livecart.store.sqlite.campaigns import SqliteCampaigns
from livecart.store.sqlite.catalog import SqliteCatalog
from livecart.store.sqlite.checkout_reads import SqliteCheckoutReads
from livecart.store.sqlite.cohosts import SqliteCohosts
from livecart.store.sqlite.commerce import SqliteCommerce
from livecart.store.sqlite.db import Database
from livecart.store.sqlite.deals import SqliteDeals
from livecart.store.sqlite.giveaways import SqliteGiveaways
from livecart.store.sqlite.live import SqliteLive
from livecart.store.sqlite.migrations import MIGRATIONS
from livecart.store.sqlite.orders import SqliteOrders
from livecart.store.sqlite.payouts import SqlitePayouts
from livecart.store.sqlite.profiles import SqliteProfiles
from livecart.store.sqlite.reviews import SqliteReviews
from livecart.store.sqlite.secrets import SqliteSecrets
from livecart.store.sqlite.shows import SqliteShows
from livecart.store.sqlite.timeline import SqliteTimeline
from livecart.store.sqlite.webhooks import SqliteWebhooks


class SqliteStore(
    SqliteAccounts, SqliteCatalog, SqliteShows, SqliteCommerce, SqliteOrders, SqliteLive, SqliteSecrets,
    SqliteAuctions, SqliteDeals, SqliteGiveaways, SqliteCampaigns, SqliteCohosts, SqlitePayouts, SqliteReviews,
    SqliteTimeline, SqliteProfiles, SqliteCheckoutReads, SqliteWebhooks,
):  # fmt: skip
    def __init__(self, db: Database, *, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._pending = PendingOrders()

    @classmethod
    async def open(cls, path: str, *, clock: Clock) -> SqliteStore:
        """Open (creating if needed) and migrate the database file at `path`; `clock` stamps every record."""
        db = Database(path)
        await db.open(MIGRATIONS)
        return cls(db, clock=clock)

    async def ping(self) -> None:
        await self._db.read(lambda conn: conn.execute("SELECT 1").fetchone())

    async def close(self) -> None:
        await self._db.close()


__all__ = ["MIGRATIONS", "SqliteStore"]
