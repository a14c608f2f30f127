"""Per-show room state on this node: pending chat, reaction counts, viewer-count changes and
throttle, chat rules.

Bookkeeping only; `LiveService` (service.py) ticks it: once per frame it writes the pending chat and
the viewer-count change to the store (one transaction each, not one per message or per join) and
emits the frame. `lock` keeps a moderator's delete from slipping between "taken for the frame" and
"written to the store".
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from livecart.domain.chat import ChatRules
from livecart.domain.live import ChatMessage, ChatSettings

REACTION_KINDS = frozenset({"heart", "fire", "clap", "laugh", "wow", "cart"})
VIEWERS_INTERVAL_S = 1.0
SETTINGS_MAX_AGE_S = 1.0  # a host's slow mode / blocked words reach other nodes within this


@dataclass
class Room:
    show_id: str
    rules: ChatRules
    members: set[str] = field(default_factory=set)  # Socket.IO sids on this node
    viewers: set[str] = field(default_factory=set)  # the members counted as viewers (not the show's own people)
    pending_chat: list[ChatMessage] = field(default_factory=list)
    viewer_delta: int = 0  # joins minus leaves on this node not yet counted in the store
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    reactions: Counter[str] = field(default_factory=Counter)
    viewers_sent: int | None = None
    viewers_at: float = float("-inf")
    settings_at: float = float("-inf")
    known_mutes: dict[str, float | None] = field(default_factory=dict)  # last read per viewer (outages)
    # Selling events of this frame, latest state per (event, id): `auction`, `deal`, `giveaway` (never dropped).
    pending_selling: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    giveaways: list[tuple[str, str]] = field(default_factory=list)  # open giveaways' (id, keyword), as last read
    giveaways_at: float = float("-inf")
    chat_sent_at: float = float("-inf")  # Clock.monotonic() of the last chat frame
    chat_flush_due: bool = False  # a chat frame is scheduled (LiveService._chat_added)

    def add_selling(self, event: str, payload: dict[str, Any]) -> None:
        """Coalesce: a newer state of the same auction, deal or giveaway replaces the pending one (a start
        event's `media_time` is kept)."""
        key = (event, str(payload["id"]))
        earlier = self.pending_selling.pop(key, None)
        if earlier is not None and "media_time" in earlier and "media_time" not in payload:
            payload = {**payload, "media_time": earlier["media_time"]}
        self.pending_selling[key] = payload

    def take_selling(self) -> list[tuple[str, dict[str, Any]]]:
        taken = [(event, payload) for (event, _), payload in self.pending_selling.items()]
        self.pending_selling = {}
        return taken

    def giveaways_stale(self, now: float) -> bool:
        return now - self.giveaways_at >= SETTINGS_MAX_AGE_S

    def settings_stale(self, now: float) -> bool:
        return now - self.settings_at >= SETTINGS_MAX_AGE_S

    def apply_settings(self, settings: ChatSettings, now: float) -> None:
        self.rules.apply(settings)
        self.settings_at = now

    def take_chat(self) -> list[ChatMessage]:
        batch, self.pending_chat = self.pending_chat, []
        return batch

    def take_viewer_delta(self) -> int:
        delta, self.viewer_delta = self.viewer_delta, 0
        return delta

    def take_reactions(self) -> dict[str, int]:
        counts = dict(self.reactions)
        self.reactions.clear()
        return counts

    def discard_pending(self, message_id: str) -> bool:
        """Drop a message not yet sent; True when it was pending."""
        kept = [m for m in self.pending_chat if m.id != message_id]
        found = len(kept) != len(self.pending_chat)
        self.pending_chat = kept
        return found

    def viewers_due(self, now: float) -> bool:
        """At most one viewer count a second."""
        return now - self.viewers_at >= VIEWERS_INTERVAL_S

    def viewers_changed(self, count: int, now: float) -> bool:
        self.viewers_at = now
        if count == self.viewers_sent:
            return False
        self.viewers_sent = count
        return True

    @property
    def idle(self) -> bool:
        return (
            not self.members and not self.pending_chat and not self.reactions and not self.viewer_delta
            and not self.pending_selling
        )  # fmt: skip
