"""The replay timeline service: every timed event of a show (pins and unpins, chat, answered
questions, sales, auctions, deals, giveaways) stored with its recording time `at_ms`.

It subscribes to the event bus. `at_ms` is read from the show's media clock at the moment the event
is published (`recording_ms(show_id)`, MediaHub.recording_ms): what the recording was at, on the node
that records the show. Events are queued and written by one task, in order, a batch at a time; a
store outage loses the batch with a warning (the show goes on). Sales from a replay (`source:
"replay"`) are not part of the show's timeline.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from livecart.clock import Clock
from livecart.domain import events, replay
from livecart.domain.replay import TimelineEvent
from livecart.store import Store

log = logging.getLogger(__name__)

RecordingMs = Callable[[str], int | None]  # show id → the recording's time now on this node, if recorded here
MAX_BATCH = 500
STOP_TIMEOUT_S = 5.0
STAMPED_KEPT = 64  # per show, for placing chat between them (a chat frame is at most 200 ms old)


def timeline_entry(event: events.Event) -> tuple[str, dict[str, Any]] | None:
    """The timeline type and payload of a bus event; None for events that are not on the timeline."""
    if isinstance(event, events.Pinned):
        return replay.PIN, {"product": event.product}
    if isinstance(event, events.Unpinned):
        return replay.UNPIN, {"product_id": event.product_id}
    if isinstance(event, events.Sold):
        if event.source != "live":
            return None
        return replay.SALE, {
            "product_id": event.product_id,
            "title": event.title,
            "qty": event.qty,
            "buyer": event.buyer,
        }
    if isinstance(event, events.ChatRemoved):
        return replay.REMOVED, {"message_id": event.message_id}
    if isinstance(event, events.QuestionAnswered):
        return replay.ANSWER, {"question": event.question}
    if isinstance(event, events.AuctionChanged):
        return replay.AUCTION, {"auction": event.auction}
    if isinstance(event, events.DealChanged):
        return replay.DEAL, {"deal": event.deal}
    if isinstance(event, events.GiveawayChanged):
        return replay.GIVEAWAY, {"giveaway": event.giveaway}
    return None


class Timeline:
    def __init__(self, store: Store, clock: Clock, recording_ms: RecordingMs) -> None:
        self.store = store
        self.clock = clock
        self.recording_ms = recording_ms
        self._queue: asyncio.Queue[TimelineEvent | None] = asyncio.Queue()  # None: stop
        self._task: asyncio.Task[None] | None = None
        self.lost = 0  # events not kept because the store failed
        # per show: store time and recording time of the latest events stamped on this node
        self._stamped: dict[str, deque[tuple[datetime, int]]] = {}

    def on_bus_event(self, event: events.Event) -> None:
        """Event bus subscriber: stamp the event with the recording's time now, and queue it."""
        if isinstance(event, events.ChatPosted):  # a room frame: each message placed when it was said
            now, at_ms = self.clock.now(), self.recording_ms(event.show_id)
            stamped = self._stamped.get(event.show_id, ())
            for message in event.messages:
                said = datetime.fromisoformat(message["at"])
                said_ms = None
                if at_ms is not None:
                    said_ms = max(0, at_ms - round((now - said).total_seconds() * 1000))
                    # The media clock moves a frame at a time: keep the message between the events
                    # stamped just before and just after it was said, so the replay keeps their order.
                    before = [ms for at, ms in stamped if at <= said]
                    after = [ms for at, ms in stamped if at > said]
                    if before:
                        said_ms = max(said_ms, max(before))
                    if after:
                        said_ms = min(said_ms, min(after))
                self._queue.put_nowait(
                    TimelineEvent(
                        show_id=event.show_id, type=replay.CHAT, at=said, at_ms=said_ms, data={"message": message}
                    )
                )
            return
        entry = timeline_entry(event)
        if entry is not None:
            now, at_ms = self.clock.now(), self.recording_ms(event.show_id)
            if at_ms is not None:
                self._stamped.setdefault(event.show_id, deque(maxlen=STAMPED_KEPT)).append((now, at_ms))
            self._queue.put_nowait(
                TimelineEvent(show_id=event.show_id, type=entry[0], at=now, at_ms=at_ms, data=entry[1])
            )

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._write_forever())

    async def stop(self) -> None:
        """Write what is queued, then stop (cancelled after STOP_TIMEOUT_S)."""
        task, self._task = self._task, None
        if task is not None:
            self._queue.put_nowait(None)
            try:
                await asyncio.wait_for(task, STOP_TIMEOUT_S)
            except TimeoutError:
                log.warning("replay timeline: events still queued at stop were not kept")

    async def flush(self) -> None:
        """Wait until every event queued so far is written (tests)."""
        await self._queue.join()

    async def _write_forever(self) -> None:
        while True:
            items = [await self._queue.get()]
            while not self._queue.empty() and len(items) < MAX_BATCH:
                items.append(self._queue.get_nowait())
            batch = [item for item in items if item is not None]
            try:
                if batch:
                    await self._write(batch)
            finally:
                for _ in items:
                    self._queue.task_done()
            if None in items:
                return

    async def _write(self, batch: list[TimelineEvent]) -> None:
        try:
            await self.store.add_timeline_events(batch)
        except Exception as error:
            self.lost += len(batch)
            log.warning("replay timeline: %d events of show %s not kept: %s", len(batch), batch[0].show_id, error)
