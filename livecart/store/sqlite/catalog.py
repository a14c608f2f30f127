"""Brands' products: the catalog."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from livecart.clock import Clock
from livecart.domain import errors, store_checks
from livecart.domain.ids import new_id
from livecart.domain.models import PRODUCT_MUTABLE_FIELDS, Product, ProductDraft
from livecart.store.sqlite import rows
from livecart.store.sqlite.db import Constraint, Database, Migration
from livecart.store.sqlite.rows import live_account_exists

MIGRATIONS: list[Migration] = [
    Migration(
        2,
        "0002_products",
        """
        CREATE TABLE products (
            id TEXT PRIMARY KEY,
            brand_id TEXT NOT NULL REFERENCES accounts(id),
            sku TEXT NOT NULL,
            title TEXT NOT NULL,
            price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
            currency TEXT NOT NULL,
            stock INTEGER NOT NULL CHECK (stock >= 0),
            commission_bps INTEGER NOT NULL CHECK (commission_bps BETWEEN 0 AND 10000),
            image_url TEXT,
            description TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (brand_id, sku)
        );
        CREATE INDEX products_brand ON products (brand_id)
        """,
    ),
]


SKU_TAKEN = Constraint.unique("products", "brand_id", "sku")


def fetch_product(conn: sqlite3.Connection, product_id: str) -> Product | None:
    row = conn.execute("SELECT * FROM products WHERE id = ?", (product_id,)).fetchone()
    return None if row is None else rows.product(row)


class SqliteCatalog:
    _db: Database
    _clock: Clock

    async def create_product(self, brand_id: str, draft: ProductDraft) -> Product:
        store_checks.product_values(vars(draft))
        now = self._clock.now()
        product = Product(id=new_id("prd"), brand_id=brand_id, created_at=now, updated_at=now, **vars(draft))

        def insert(conn: sqlite3.Connection) -> None:
            if not live_account_exists(conn, brand_id):
                raise errors.no_such_account(brand_id)
            conn.execute(
                "INSERT INTO products (id, brand_id, sku, title, price_cents, currency, stock, commission_bps,"
                " image_url, description, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    product.id,
                    brand_id,
                    product.sku,
                    product.title,
                    product.price_cents,
                    product.currency,
                    product.stock,
                    product.commission_bps,
                    product.image_url,
                    product.description,
                    rows.to_text(now),
                    rows.to_text(now),
                ),
            )

        await self._db.transaction(insert, on_constraint={SKU_TAKEN: lambda: errors.duplicate_sku(draft.sku)})
        return product

    async def get_product(self, product_id: str) -> Product | None:
        return await self._db.read(fetch_product, product_id)

    async def list_products(self, brand_id: str | None = None) -> list[Product]:
        def select(conn: sqlite3.Connection) -> list[Product]:
            if brand_id is None:
                cursor = conn.execute("SELECT * FROM products ORDER BY created_at, id")
            else:
                cursor = conn.execute("SELECT * FROM products WHERE brand_id = ? ORDER BY created_at, id", (brand_id,))
            return [rows.product(row) for row in cursor]

        return await self._db.read(select)

    async def update_product(self, product_id: str, changes: Mapping[str, Any]) -> Product:
        fields = [name for name in PRODUCT_MUTABLE_FIELDS if name in changes]
        store_checks.product_values({name: changes[name] for name in fields})

        def update(conn: sqlite3.Connection) -> Product:
            if fields:
                assignments = ", ".join(f"{name} = ?" for name in fields)
                values = [changes[name] for name in fields]
                conn.execute(
                    f"UPDATE products SET {assignments}, updated_at = ? WHERE id = ?",
                    (*values, rows.to_text(self._clock.now()), product_id),
                )
            product = fetch_product(conn, product_id)
            if product is None:
                raise errors.no_such_product(product_id)
            return product

        return await self._db.transaction(update)
