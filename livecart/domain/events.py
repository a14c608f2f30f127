"""Domain events: what happened, published on the in-process event bus.

Commerce and media publish them; the live room turns them into Socket.IO messages. Event types are
defined once here and shared by the bus, the socket layer and the docs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from livecart.domain.models import utcnow


@dataclass(frozen=True, kw_only=True)
class Event:
    name: ClassVar[str] = "event"
    show_id: str
    created: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, kw_only=True)
class ShowStatusChanged(Event):
    name: ClassVar[str] = "show"
    status: str


@dataclass(frozen=True, kw_only=True)
class Pinned(Event):
    name: ClassVar[str] = "pinned"
    product: dict[str, Any]
    pinned_at: str
    media_time: int | None = None  # RTP timestamp of the video frame on air (docs/media.md "Media time")


@dataclass(frozen=True, kw_only=True)
class Unpinned(Event):
    name: ClassVar[str] = "unpinned"
    product_id: str
    media_time: int | None = None


@dataclass(frozen=True, kw_only=True)
class StockChanged(Event):
    name: ClassVar[str] = "stock_changed"
    product_id: str
    stock: int


@dataclass(frozen=True, kw_only=True)
class Sold(Event):
    name: ClassVar[str] = "sold"
    order_id: str
    product_id: str
    title: str
    qty: int
    buyer: str
    source: str = "live"  # "live" or "replay": where the order was placed (docs/protocol.md)


@dataclass(frozen=True, kw_only=True)
class ChatPosted(Event):
    """Chat messages kept in a show's history (one per room frame); for the replay's timeline."""

    name: ClassVar[str] = "chat_posted"
    messages: tuple[dict[str, Any], ...]  # ChatMessage.public()


@dataclass(frozen=True, kw_only=True)
class ChatRemoved(Event):
    """A moderator deleted a chat message: the replay leaves it out too."""

    name: ClassVar[str] = "chat_removed"
    message_id: str


@dataclass(frozen=True, kw_only=True)
class QuestionAnswered(Event):
    """The host answered a question; for the replay's timeline."""

    name: ClassVar[str] = "question_answered"
    question: dict[str, Any]  # Question.public()


@dataclass(frozen=True, kw_only=True)
class Refunded(Event):
    name: ClassVar[str] = "refunded"
    order_id: str
    items: tuple[tuple[str, int], ...]


# -- selling formats (docs/selling.md): the room gets each format's public state on every change ------


@dataclass(frozen=True, kw_only=True)
class AuctionChanged(Event):
    name: ClassVar[str] = "auction"
    auction: dict[str, Any]  # Auction.public()


@dataclass(frozen=True, kw_only=True)
class DealChanged(Event):
    name: ClassVar[str] = "deal"
    deal: dict[str, Any]  # Deal.public(now)


@dataclass(frozen=True, kw_only=True)
class GiveawayChanged(Event):
    name: ClassVar[str] = "giveaway"
    giveaway: dict[str, Any]  # Giveaway.public(): the seed and winners once drawn
