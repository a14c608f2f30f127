"""In-process event bus: commerce and media publish domain events, the live room subscribes.

Publishing never fails the publisher: money has already moved when `sold` is published, so a broken
subscriber is logged, not raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from livecart.domain.events import Event

log = logging.getLogger(__name__)

Subscriber = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber(event)` for every event published; returns a function that unsubscribes."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(self, event: Event) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:
                log.exception("event subscriber failed on %s for show %s", event.name, event.show_id)
