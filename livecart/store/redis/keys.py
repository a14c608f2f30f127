"""Key names: every livecart key starts with `lc:` so a Redis database can be shared and inspected.

One place builds them, so the layout is readable top to bottom (docs/stores.md describes it).
"""

from __future__ import annotations

PREFIX = "lc:"


def account(account_id: str) -> str:
    """Hash: id, role, name, token_hash, created_at[, deleted_at]."""
    return f"{PREFIX}account:{account_id}"


def token(token_hash: str) -> str:
    """String: the id of the live account whose token has this SHA-256 digest (deleted on deletion)."""
    return f"{PREFIX}token:{token_hash}"


def product(product_id: str) -> str:
    """Hash: the product's fields; `stock` is changed only by Lua scripts and HSET of a whole update."""
    return f"{PREFIX}product:{product_id}"


def products() -> str:
    """Sorted set of every product id, scored by creation time in microseconds (ties: by id)."""
    return f"{PREFIX}products"


def brand_products(brand_id: str) -> str:
    """Sorted set of one brand's product ids, scored like `products()`."""
    return f"{PREFIX}brand:{brand_id}:products"


def brand_skus(brand_id: str) -> str:
    """Hash: SKU → product id, the per-brand uniqueness index (claimed with HSETNX)."""
    return f"{PREFIX}brand:{brand_id}:skus"


def show(show_id: str) -> str:
    """Hash: id, host_id, title, status, created_at[, scheduled_at, started_at, ended_at]."""
    return f"{PREFIX}show:{show_id}"


def shows() -> str:
    """Sorted set of every show id, scored by creation time in microseconds."""
    return f"{PREFIX}shows"


def lineup(show_id: str) -> str:
    """Sorted set of the product ids featured in a show, scored by when they were added."""
    return f"{PREFIX}show:{show_id}:lineup"
