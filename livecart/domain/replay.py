"""A show's replay timeline: its timed events placed on the recording's clock (`at_ms`), and the
chapters (one per pin) the replay page lists. Pure rules; the events come from the store.

An event is stamped with `at_ms` (ms from the recording's start, from the show's media clock) when
it happened on the node that records the show. An event from another node (chat on a second node)
has only its store time `at`; it is placed with the offset between store time and recording time
that the stamped events of the same show agree on (their median), so it lands within a frame
interval or so of where it belongs. Events that cannot be placed (no stamped event at all), or fall
before the recording started, are left out.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Event types of the replay timeline (docs/protocol.md, "Replay").
PIN, UNPIN, CHAT, ANSWER, SALE, AUCTION, DEAL, GIVEAWAY = (
    "pin", "unpin", "chat", "answer", "sale", "auction", "deal", "giveaway",
)  # fmt: skip
REMOVED = "removed"  # stored only: a chat message a moderator deleted is left out of the replay
TIMELINE_TYPES = frozenset({PIN, UNPIN, CHAT, ANSWER, SALE, AUCTION, DEAL, GIVEAWAY})


@dataclass(frozen=True)
class TimelineEvent:
    """One timed event of a show as stored: its type, its store time, its recording time if known
    and its payload (JSON-able; e.g. `{"product": {...}}` for a pin)."""

    show_id: str
    type: str
    at: datetime
    at_ms: int | None
    data: Mapping[str, Any]


def _wall_ms(at: datetime) -> int:
    return round(at.timestamp() * 1000)


def place(events: Sequence[TimelineEvent], started_at: datetime | None = None) -> list[dict[str, Any]]:
    """The events as the replay API gives them, `{at_ms, type, ...data}`, ordered by `at_ms`, then by
    when they happened (store time), then in the order they were stored.

    `started_at` (when the show went live, about when its recording started) places events only when
    none was stamped. A pin or unpin from before the recording started is placed at 0 (the product
    was on screen when it started); anything else from before then is left out.
    """
    removed = {event.data["message_id"] for event in events if event.type == REMOVED}
    events = [
        event
        for event in events
        if event.type != REMOVED and not (event.type == CHAT and event.data["message"]["id"] in removed)
    ]
    offsets = [_wall_ms(event.at) - event.at_ms for event in events if event.at_ms is not None]
    offset = round(statistics.median(offsets)) if offsets else None
    if offset is None and started_at is not None:
        offset = _wall_ms(started_at)
    placed: list[tuple[int, datetime, int, dict[str, Any]]] = []
    for index, event in enumerate(events):
        at_ms = event.at_ms
        if at_ms is None and offset is not None:
            at_ms = _wall_ms(event.at) - offset
        if at_ms is not None and at_ms < 0 and event.type in (PIN, UNPIN):
            at_ms = 0
        if at_ms is None or at_ms < 0:
            continue
        placed.append((at_ms, event.at, index, {"at_ms": at_ms, "type": event.type, **event.data}))
    placed.sort(key=lambda item: item[:3])
    return [item[3] for item in placed]


def chapters(events: Sequence[Mapping[str, Any]], duration_ms: int | None) -> list[dict[str, Any]]:
    """One chapter per pin of the placed `events`: `{at_ms, until_ms, product}`, from the pin to that
    product's next unpin (or the end of the recording: `duration_ms`, None while it is still growing),
    in the order they were pinned."""
    found: list[dict[str, Any]] = []
    open_by_product: dict[str, dict[str, Any]] = {}
    for event in events:
        if event["type"] == PIN:
            product = event["product"]
            if product["id"] in open_by_product:  # pinned again without an unpin in between
                continue
            chapter = {"at_ms": event["at_ms"], "until_ms": duration_ms, "product": product}
            open_by_product[product["id"]] = chapter
            found.append(chapter)
        elif event["type"] == UNPIN and event["product_id"] in open_by_product:
            open_by_product.pop(event["product_id"])["until_ms"] = event["at_ms"]
    if duration_ms is not None:
        for chapter in found:
            chapter["until_ms"] = min(chapter["until_ms"], duration_ms)
    return found
