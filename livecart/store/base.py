"""The `Store` interface. Every implementation passes tests/store/test_contract.py.

Methods raise domain errors (`NotFound`, `Conflict`, ...) rather than returning sentinels when the
caller cannot go on; lookups that are expected to miss return None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from livecart.domain.live import Audience, ChatMessage, ChatSettings, Question, QuestionStatus
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


class LiveStore(Protocol):
    """The live room's state per show: bounded chat and question history, votes, mutes, audience."""

    async def add_chat(self, show_id: str, messages: Sequence[ChatMessage], keep: int) -> None:
        """Append messages (oldest first) to the show's history, keeping the newest `keep`; counts them."""

    async def recent_chat(self, show_id: str, limit: int) -> list[ChatMessage]:
        """The newest `limit` messages, oldest first."""

    async def delete_chat(self, show_id: str, message_id: str) -> bool:
        """Remove a message from the history; False when it is not there."""

    async def add_question(self, question: Question, keep: int) -> None:
        """Add a question (keeping the newest `keep` of the show); counts it."""

    async def get_question(self, show_id: str, question_id: str) -> Question | None: ...

    async def upvote(self, show_id: str, question_id: str, viewer_id: str) -> tuple[Question, bool]:
        """One vote per viewer per question: returns the question and whether this vote counted.

        Raises NotFound."""

    async def set_question_status(self, show_id: str, question_id: str, status: QuestionStatus) -> Question:
        """Raises NotFound."""

    async def top_questions(self, show_id: str, limit: int) -> list[Question]:
        """Featured first, then open by votes, then answered (`domain.live.question_rank`)."""

    async def mute(self, show_id: str, viewer_id: str, until: datetime) -> None: ...

    async def muted_until(self, show_id: str, viewer_id: str) -> datetime | None:
        """When the viewer's mute in this show ends; None when not muted (or the mute is over)."""

    async def set_chat_settings(self, show_id: str, settings: ChatSettings) -> None: ...

    async def chat_settings(self, show_id: str) -> ChatSettings:
        """The show's slow mode and blocked words (defaults when never set)."""

    async def count_viewers(self, show_id: str, delta: int) -> Audience:
        """Add `delta` (joins minus leaves) to the current viewers, never below zero; peak follows."""

    async def audience(self, show_id: str) -> Audience:
        """Current and peak viewers, chat messages and questions ever posted."""


class Store(AccountStore, CatalogStore, ShowStore, LiveStore, Protocol):
    async def close(self) -> None: ...
