"""`checkout_caller`, `checkout_inputs` and `claim_checkout` on SQLite: the reads (and the claim) a
checkout starts with, each in one call on the database thread (one queue hop and one wake-up of the
event loop instead of one per read)."""

from __future__ import annotations

import sqlite3

from livecart.clock import Clock
from livecart.domain.commerce import StoredResponse
from livecart.store.base import CheckoutCaller, CheckoutInputs
from livecart.store.sqlite.accounts import account_by_token_in
from livecart.store.sqlite.campaigns import _application
from livecart.store.sqlite.catalog import fetch_product
from livecart.store.sqlite.cohosts import _cohost
from livecart.store.sqlite.commerce import _cart, claim_in, units_bought_in
from livecart.store.sqlite.db import Database
from livecart.store.sqlite.shows import fetch_show


def checkout_inputs_in(conn: sqlite3.Connection, show_id: str, buyer_id: str, host_id: str) -> CheckoutInputs:
    cart = _cart(conn, show_id, viewer_id=buyer_id)
    ids = [item.product_id for item in cart]
    products = {product.id: product for product in map(lambda one: fetch_product(conn, one), ids) if product}
    pinned = {row[0] for row in conn.execute("SELECT DISTINCT product_id FROM pins WHERE show_id = ?", (show_id,))}
    applications = [
        _application(row)
        for row in conn.execute("SELECT * FROM campaign_applications WHERE host_id = ? ORDER BY seq DESC", (host_id,))
    ]
    cohosts = [_cohost(row) for row in conn.execute("SELECT * FROM cohosts WHERE show_id = ? ORDER BY seq", (show_id,))]
    return CheckoutInputs(
        cart=cart,
        products=products,
        pinned=pinned,
        bought=units_bought_in(conn, buyer_id, ids),
        applications=applications,
        cohosts=cohosts,
    )


def checkout_caller_in(conn: sqlite3.Connection, token: str, show_id: str) -> CheckoutCaller:
    return CheckoutCaller(
        account=account_by_token_in(conn, token),
        show=fetch_show(conn, show_id),
        has_deals=conn.execute("SELECT 1 FROM deals WHERE show_id = ? LIMIT 1", (show_id,)).fetchone() is not None,
    )


class SqliteCheckoutReads:
    _db: Database
    _clock: Clock

    async def checkout_inputs(self, show_id: str, buyer_id: str, host_id: str) -> CheckoutInputs:
        return await self._db.read(checkout_inputs_in, show_id, buyer_id, host_id)

    async def checkout_caller(self, token: str, show_id: str) -> CheckoutCaller:
        return await self._db.read(checkout_caller_in, token, show_id)

    async def claim_checkout(
        self, viewer_id: str, key: str, request_hash: str, show_id: str, host_id: str
    ) -> StoredResponse | CheckoutInputs:
        def claim(conn: sqlite3.Connection) -> StoredResponse | CheckoutInputs:
            replayed = claim_in(conn, viewer_id, key, request_hash, self._clock.now())
            return replayed if replayed is not None else checkout_inputs_in(conn, show_id, viewer_id, host_id)

        return await self._db.transaction(claim)
