"""`checkout_inputs` on SQLite: every read a checkout prices with, in one call on the database thread
(one queue hop and one wake-up of the event loop instead of six)."""

from __future__ import annotations

import sqlite3

from livecart.store.base import CheckoutInputs
from livecart.store.sqlite.campaigns import _application
from livecart.store.sqlite.catalog import fetch_product
from livecart.store.sqlite.cohosts import _cohost
from livecart.store.sqlite.commerce import _cart, units_bought_in
from livecart.store.sqlite.db import Database


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


class SqliteCheckoutReads:
    _db: Database

    async def checkout_inputs(self, show_id: str, buyer_id: str, host_id: str) -> CheckoutInputs:
        return await self._db.read(checkout_inputs_in, show_id, buyer_id, host_id)
