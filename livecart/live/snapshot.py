"""What a viewer sees on joining: the show, pins on screen, stock, top questions, recent chat, viewers."""

from __future__ import annotations

from typing import Any

from livecart.domain.models import Show
from livecart.store.base import Store

CHAT_IN_SNAPSHOT = 50
QUESTIONS_IN_SNAPSHOT = 20


async def pins_and_stock(store: Store, show_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Pins on screen (`{product, pinned_at}`, oldest first) and `{product_id, stock}` of the show's lineup."""
    pins = await store.active_pins(show_id)
    lineup = await store.lineup(show_id)
    return [pin.public() for pin in pins], [{"product_id": product.id, "stock": product.stock} for product in lineup]


async def snapshot(store: Store, show: Show) -> dict[str, Any]:
    pins, stock = await pins_and_stock(store, show.id)
    questions = await store.top_questions(show.id, QUESTIONS_IN_SNAPSHOT)
    chat = await store.recent_chat(show.id, CHAT_IN_SNAPSHOT)
    audience = await store.audience(show.id)
    return {
        "show": show.public(),
        "pins": pins,
        "stock": stock,
        "questions": [q.public() for q in questions],
        "chat": [m.public() for m in chat],
        "viewers": audience.current_viewers,
    }
