"""The `Store` interface. Every implementation passes tests/store/test_contract.py.

Methods raise domain errors (`NotFound`, `Conflict`, ...) rather than returning sentinels when the
caller cannot go on; lookups that are expected to miss return None.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from livecart.domain.models import Account, Product, ProductDraft, Role, Show, ShowStatus


class AccountStore(Protocol):
    async def create_account(self, role: Role, name: str) -> tuple[Account, str]:
        """Create an account; returns it with its bearer token (only the token's hash is kept)."""

    async def account_by_token(self, token: str) -> Account | None: ...

    async def get_account(self, account_id: str) -> Account | None: ...

    async def delete_account(self, account_id: str) -> None:
        """Delete an account: its token stops working at once. Raises NotFound."""


class CatalogStore(Protocol):
    async def create_product(self, brand_id: str, draft: ProductDraft) -> Product:
        """Raises Conflict when the brand already has a product with that SKU."""

    async def get_product(self, product_id: str) -> Product | None: ...

    async def list_products(self, brand_id: str | None = None) -> list[Product]: ...

    async def update_product(self, product_id: str, changes: Mapping[str, Any]) -> Product:
        """Apply changes to PRODUCT_MUTABLE_FIELDS. Raises NotFound."""


class ShowStore(Protocol):
    async def create_show(self, host_id: str, title: str, scheduled_at: datetime | None) -> Show: ...

    async def get_show(self, show_id: str) -> Show | None: ...

    async def list_shows(self) -> list[Show]:
        """Live shows first, then scheduled (soonest first), then ended (latest first)."""

    async def set_show_status(self, show_id: str, status: ShowStatus) -> Show:
        """Move a show along scheduled → live → ended, stamping started_at / ended_at.

        Raises NotFound, or Conflict when the transition is not allowed.
        """

    async def add_to_lineup(self, show_id: str, product_id: str) -> bool:
        """Feature a product in a show; returns False when it was already in the lineup."""

    async def lineup(self, show_id: str) -> list[Product]: ...


class Store(AccountStore, CatalogStore, ShowStore, Protocol):
    async def close(self) -> None: ...
