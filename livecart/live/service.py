"""The live room service: Socket.IO event handlers, the frame ticker and the bridge from the event bus.

Payloads are validated by the pydantic models of livecart/live/payloads.py.

Every client event is answered with an ack `{ok: true, ...}` or `{ok: false, error: {code, message}}`;
handlers run one at a time per connection (`async_handlers=False`), so a sender's messages keep their
order. Chat is batched into at most one `chat` frame per room per tick, reactions are summed per tick,
the viewer count goes out at most once a second and only when it changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Protocol

import socketio

from livecart.clock import Clock
from livecart.commerce.connect import active_cohosts
from livecart.domain import events
from livecart.domain.chat import ChatRules, clean_text, mute_seconds
from livecart.domain.client_ip import IPNetwork, client_ip
from livecart.domain.errors import BadRequest, Forbidden, LivecartError, NotFound, RateLimited, Unauthorized
from livecart.domain.ids import new_id
from livecart.domain.live import ChatMessage, Question, QuestionStatus
from livecart.domain.models import Account, Role, Show
from livecart.domain.signals import LABEL_SECRET, address_label
from livecart.live.engine import PEER, LiveEngineServer
from livecart.live.manager import FastRedisManager
from livecart.live.payloads import (
    Bid,
    BlockedWords,
    DeleteMessage,
    Enter,
    Join,
    Mute,
    QuestionRef,
    React,
    Said,
    SlowMode,
    parse_payload,
)
from livecart.live.rooms import Room
from livecart.live.snapshot import snapshot
from livecart.store import STORE_UNAVAILABLE
from livecart.store.base import Store

log = logging.getLogger(__name__)

CHAT_HISTORY = 200
QUESTION_HISTORY = 500
STOP_TIMEOUT_S = 5.0  # how long shutdown waits for the room loops
# A joined member's account is read again before an event at most this often: a deleted account's open
# connection loses its rights within this time, on every node, for one store read per member per period.
ACCOUNT_RECHECK_S = 2.0

Ack = dict[str, Any]
EventHandler = Callable[[str, Any], Awaitable[dict[str, Any]]]
SELLING_EVENTS = (events.AuctionChanged, events.DealChanged, events.GiveawayChanged)
BID_RATE = (10, 1.0)  # at most 10 bids per account per show per second on a node (`rate_limited` beyond)


class Public(Protocol):
    def public(self) -> dict[str, Any]: ...


class SellingPort(Protocol):
    """What the room needs of the selling service (livecart/commerce/selling.py)."""

    async def bid(self, auction_id: str, bidder: Account, amount_cents: int, show_id: str | None = None) -> Public: ...

    async def enter(self, giveaway_id: str, account: Account, show_id: str | None = None) -> tuple[Public, bool]: ...

    async def show_state(self, show_id: str) -> dict[str, Any]: ...


class NotJoined(LivecartError):
    code = "not_joined"


class UnknownEvent(LivecartError):
    code = "unknown_event"


@dataclass(slots=True)
class Member:  # one per joined connection: slots (issue 21, memory per viewer)
    show: Show
    account: Account | None
    account_checked_at: float  # Clock.monotonic()
    counted: bool = True  # in the show's viewer count: not its host, a brand of its lineup or an admin
    address: str | None = None  # the client's address (livecart/domain/client_ip.py), for the shill-bid signals
    address_noted: bool = False  # written to the store once per join, with the first bid

    @property
    def can_moderate(self) -> bool:
        return self.account is not None and self.show.hosted_by(self.account)


def error_ack(error: LivecartError) -> Ack:
    return {"ok": False, "error": {"code": error.code, "message": error.message, **error.details}}


class LiveService:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        store: Store,
        clock: Clock,
        *,
        authenticate: Callable[[str], Awaitable[Account | None]],
        viewers_counted: Callable[[str, int], Awaitable[None]] | None = None,
        rate_messages: int = 5,
        rate_seconds: float = 10.0,
        frame_interval_s: float = 0.2,
        selling: SellingPort | None = None,
        trusted_proxies: Sequence[IPNetwork] = (),
        publish: Callable[[events.Event], None] | None = None,
    ) -> None:
        self.sio = sio
        self.store = store
        self.clock = clock
        self._authenticate = authenticate
        self.rate_messages = rate_messages
        self.rate_seconds = rate_seconds
        self.frame_interval_s = frame_interval_s
        self.selling = selling
        self.trusted_proxies = tuple(trusted_proxies)
        self._label_key: bytes | None = None  # keys the address labels noted for the shill-bid signals
        self._bids: dict[str, deque[float]] = {}  # "show id account id" → monotonic times of recent bids
        # The event bus's publish: kept chat and answered questions go to the replay timeline.
        self._publish = publish
        self.members: dict[str, Member] = {}
        self.rooms: dict[str, Room] = {}
        self._events: asyncio.Queue[events.Event | None] = asyncio.Queue()  # None: stop
        self._running = False
        self._tasks: list[asyncio.Task[None]] = []
        self._outage_logged_at = -1.0
        self._flushes: set[asyncio.Task[None]] = set()  # chat frames sent between ticks (_chat_added)
        # Called after a tick added this node's joins and leaves to a show's count, with the viewers this
        # node has counted in it so far (the cluster registry keeps them, to uncount a dead node's).
        self.on_viewers_counted = viewers_counted
        handlers: dict[str, EventHandler] = {
            "join": self.join,
            "leave": self.leave,
            "chat": self.chat,
            "ask": self.ask,
            "upvote": self.upvote,
            "react": self.react,
            "answer": self.answer,
            "feature": self.feature,
            "delete_message": self.delete_message,
            "mute": self.mute,
            "slow_mode": self.slow_mode,
            "blocked_words": self.blocked_words,
            "bid": self.bid,
            "enter": self.enter,
        }
        for name, handler in handlers.items():
            sio.on(name, self._acked(handler))
        sio.on("*", self._unknown)
        sio.on("disconnect", self._disconnect)

    @property
    def fanout_health(self) -> str:
        """`local` (one process), or whether the Redis fan-out is `ok` or `unreachable`."""
        manager = self.sio.manager
        if isinstance(manager, FastRedisManager):
            return "ok" if manager.healthy else "unreachable"
        return "local"

    # -- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> None:
        if not self.sio.manager_initialized:  # subscribe to the fan-out now, not on the first connection
            self.sio.manager_initialized = True
            self.sio.manager.initialize()
        self._running = True
        self._tasks = [
            asyncio.ensure_future(self._tick_forever()),
            asyncio.ensure_future(self._bridge_forever()),
        ]

    async def stop(self) -> None:
        # The loops also stop on their own (flag + sentinel): a library below `sio.emit` that swallows
        # a CancelledError must not leave a loop waiting forever and the shutdown with it.
        self._running = False
        self._events.put_nowait(None)
        for task in self._tasks:
            task.cancel()
        _, stuck = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT_S) if self._tasks else (set(), set())
        if stuck:
            log.error("%d live room loops did not stop within %.0f s", len(stuck), STOP_TIMEOUT_S)
        self._tasks = []
        if self._flushes:
            await asyncio.wait(self._flushes, timeout=STOP_TIMEOUT_S)
        try:
            await self.tick(self.clock.monotonic(), final=True)  # keep the last chat and viewer changes
        except Exception:
            log.exception("the last live room tick failed")
        await self.sio.shutdown()
        if isinstance(self.sio.manager, FastRedisManager):
            await self.sio.manager.close()

    async def close_connections(self) -> None:
        """On shutdown: close every websocket (1001 going away) so the server can stop."""
        engine = self.sio.eio
        if isinstance(engine, LiveEngineServer):
            await engine.close_websockets()

    def on_bus_event(self, event: events.Event) -> None:
        """Event bus subscriber: queue the event; one task emits them in publishing order."""
        self._events.put_nowait(event)

    # -- plumbing ------------------------------------------------------------------------------------
    def _acked(self, handler: EventHandler) -> Callable[..., Awaitable[Ack]]:
        async def handle(sid: str, *args: Any) -> Ack:
            try:
                if len(args) > 1:
                    raise BadRequest("send one payload object")
                result = await handler(sid, args[0] if args else None)
            except LivecartError as error:
                return error_ack(error)
            except STORE_UNAVAILABLE as unavailable:
                log.warning("live event %s: store unreachable (%s)", handler.__name__, unavailable)
                return {
                    "ok": False,
                    "error": {
                        "code": "unavailable",
                        "retry_after": 1,
                        "message": "the store is unreachable; try again shortly",
                    },
                }
            except Exception:
                log.exception("live event handler %s failed", handler.__name__)
                return {"ok": False, "error": {"code": "internal", "message": "internal server error"}}
            return {"ok": True, **result}

        return handle

    async def _unknown(self, event: str, sid: str, *args: Any) -> Ack:
        return error_ack(UnknownEvent(f"unknown event {event!r}"))

    def _member(self, sid: str) -> Member:
        member = self.members.get(sid)
        if member is None:
            raise NotJoined("join a show first")
        return member

    async def _recheck_account(self, member: Member) -> None:
        """Drop the member's account (it becomes anonymous) once the store no longer has it: a deleted
        account's connection loses its rights within ACCOUNT_RECHECK_S. The admin is not a stored account."""
        account, now = member.account, self.clock.monotonic()
        if account is None or account.role is Role.ADMIN or now - member.account_checked_at < ACCOUNT_RECHECK_S:
            return
        member.account_checked_at = now  # also when the store is unreachable: no retry on every event
        try:
            current = await self.store.get_account(account.id)
        except STORE_UNAVAILABLE:
            self._store_unreachable("account check")
            return
        if current is None:
            member.account = None
            raise Unauthorized("the account no longer exists")

    async def _speaker(self, sid: str) -> tuple[Member, Account]:
        member = self._member(sid)
        await self._recheck_account(member)
        if member.account is None:
            raise Unauthorized("join with a viewer token to take part")
        return member, member.account

    async def _moderator(self, sid: str) -> Member:
        member = self._member(sid)
        await self._recheck_account(member)
        if member.account is None:
            raise Unauthorized("join with the host's token to moderate")
        if not member.can_moderate and not (
            member.account.role is Role.HOST
            and member.show.hosted_by(member.account, await active_cohosts(self.store, member.show.id))
        ):  # an active co-host moderates too (read now: one who accepted after joining counts)
            raise Forbidden("only the show's host, a co-host or an admin may moderate", role=member.account.role.value)
        return member

    def _room(self, show_id: str) -> Room:
        room = self.rooms.get(show_id)
        if room is None:
            room = Room(show_id, ChatRules(rate_messages=self.rate_messages, rate_seconds=self.rate_seconds))
            self.rooms[show_id] = room
        return room

    # -- joining ---------------------------------------------------------------------------------------
    async def join(self, sid: str, data: Any) -> dict[str, Any]:
        payload = parse_payload(Join, data)
        show_id, token = payload.show_id, payload.token
        account: Account | None = None
        if token is not None:
            account = await self._authenticate(token)
            if account is None:
                raise Unauthorized("the token is not valid")
        show = await self.store.get_show(show_id)
        if show is None:
            raise NotFound("no such show", show_id=show_id)
        if sid in self.members:
            await self._leave(sid)
        counted = await self._counts_as_viewer(show, account)
        self.members[sid] = Member(
            show=show,
            account=account,
            account_checked_at=self.clock.monotonic(),
            counted=counted,
            address=self._address(sid),
        )
        if account is not None and account.role in (Role.HOST, Role.BRAND):
            await self._note_address(self.members[sid], account)  # a seller's address, against shill bids
        room = self._room(show_id)
        room.members.add(sid)
        if counted:
            room.viewers.add(sid)
            room.viewer_delta += 1
        await self.sio.enter_room(sid, show_id)
        state = await snapshot(self.store, show)
        state["viewers"] = max(0, state["viewers"] + room.viewer_delta)
        if self.selling is not None:
            state["selling"] = await self.selling.show_state(show_id)
        you = None if account is None else {"id": account.id, "name": account.name, "role": account.role.value}
        return {**state, "you": you}

    async def _counts_as_viewer(self, show: Show, account: Account | None) -> bool:
        """Whether a member is part of the show's audience: the show's host, an admin and a brand with a
        product in the lineup are the show's own people, watching their studio or console."""
        if account is None or account.role is Role.VIEWER:
            return True
        if account.role is Role.ADMIN or show.hosted_by(account):
            return False
        if account.role is Role.BRAND:
            return all(product.brand_id != account.id for product in await self.store.lineup(show.id))
        return True

    async def leave(self, sid: str, data: Any) -> dict[str, Any]:
        self._member(sid)
        await self._leave(sid)
        return {}

    async def _leave(self, sid: str) -> None:
        member = self.members.pop(sid, None)
        if member is None:
            return
        room = self._room(member.show.id)
        room.members.discard(sid)
        if member.counted:
            room.viewers.discard(sid)
            room.viewer_delta -= 1
        await self.sio.leave_room(sid, member.show.id)

    async def _disconnect(self, sid: str, reason: Any = None) -> None:
        try:
            await self._leave(sid)
        except Exception:
            log.exception("leaving the room on disconnect failed")

    # -- viewers' events -------------------------------------------------------------------------------
    async def _admit(self, member: Member, account: Account, text: Any) -> str:
        """Run the chat rules. While the store is unreachable, chat goes on in this node's room with
        the last mute and settings this node read (a mute cannot be set meanwhile either)."""
        room = self._room(member.show.id)
        try:
            until = await self.store.muted_until(member.show.id, account.id)
            room.known_mutes[account.id] = None if until is None else until.timestamp()
            if room.settings_stale(self.clock.monotonic()):
                room.apply_settings(await self.store.chat_settings(member.show.id), self.clock.monotonic())
        except STORE_UNAVAILABLE:
            self._store_unreachable("chat rules")
        return room.rules.admit(account.id, text, self.clock.now().timestamp(), room.known_mutes.get(account.id))

    def _store_unreachable(self, what: str) -> None:
        """Log an outage once a second at most (the room keeps going on what it has)."""
        now = self.clock.monotonic()
        if now - self._outage_logged_at >= 1.0:
            self._outage_logged_at = now
            log.warning("live room: store unreachable (%s); local rooms carry on", what)

    async def chat(self, sid: str, data: Any) -> dict[str, Any]:
        member, account = await self._speaker(sid)
        text = await self._admit(member, account, parse_payload(Said, data).text)
        message = ChatMessage(
            id=new_id("msg"),
            show_id=member.show.id,
            viewer_id=account.id,
            name=account.name,
            text=text,
            at=self.clock.now(),
        )
        room = self._room(member.show.id)
        room.pending_chat.append(message)
        self._chat_added(member.show.id, room)
        await self._enter_by_keyword(member, account, text)
        return {"message": message.public()}

    async def ask(self, sid: str, data: Any) -> dict[str, Any]:
        member, account = await self._speaker(sid)
        text = await self._admit(member, account, parse_payload(Said, data).text)
        question = Question(
            id=new_id("qst"),
            show_id=member.show.id,
            viewer_id=account.id,
            name=account.name,
            text=text,
            votes=0,
            status=QuestionStatus.OPEN,
            at=self.clock.now(),
        )
        await self.store.add_question(question, keep=QUESTION_HISTORY)
        await self.sio.emit("questions", [question.public()], to=member.show.id)
        return {"question": question.public()}

    async def upvote(self, sid: str, data: Any) -> dict[str, Any]:
        member, account = await self._speaker(sid)
        question_id = parse_payload(QuestionRef, data).question_id
        question, counted = await self.store.upvote(member.show.id, question_id, account.id)
        if counted:
            await self.sio.emit("questions", [question.public()], to=member.show.id)
        return {"question": question.public(), "counted": counted}

    async def react(self, sid: str, data: Any) -> dict[str, Any]:
        member, _account = await self._speaker(sid)
        kind = parse_payload(React, data).kind
        self._room(member.show.id).reactions[kind] += 1
        return {}

    # -- selling formats (docs/selling.md) ---------------------------------------------------------------
    def _selling(self) -> SellingPort:
        if self.selling is None:
            raise NotFound("selling formats are not available here")
        return self.selling

    def _address(self, sid: str) -> str | None:
        environ = self.sio.get_environ(sid) or {}
        peer = environ.get(PEER)  # (address, X-Forwarded-For values), kept by the engine at the handshake
        if peer is None:
            return None
        remote, forwarded_for = peer
        return client_ip(remote, forwarded_for, self.trusted_proxies)

    async def _note_address(self, member: Member, account: Account) -> None:
        if member.address is None or member.address_noted:
            return
        try:
            if self._label_key is None:
                self._label_key = await self.store.secret(LABEL_SECRET)
            await self.store.note_address(member.show.id, account.id, address_label(member.address, self._label_key))
            member.address_noted = True
        except STORE_UNAVAILABLE:
            self._store_unreachable("bidder address")

    async def bid(self, sid: str, data: Any) -> dict[str, Any]:
        member, account = await self._speaker(sid)
        payload = parse_payload(Bid, data)
        await self._note_address(member, account)
        times = self._bids.setdefault(f"{member.show.id} {account.id}", deque())
        now = self.clock.monotonic()
        limit, window = BID_RATE
        while times and now - times[0] >= window:
            times.popleft()
        if len(times) >= limit:
            raise RateLimited("too many bids; wait a moment", retry_after=window - (now - times[0]))
        times.append(now)
        auction = await self._selling().bid(payload.auction_id, account, payload.amount_cents, member.show.id)
        return {"auction": auction.public()}

    async def enter(self, sid: str, data: Any) -> dict[str, Any]:
        member, account = await self._speaker(sid)
        payload = parse_payload(Enter, data)
        giveaway, entered = await self._selling().enter(payload.giveaway_id, account, member.show.id)
        return {"giveaway": giveaway.public(), "entered": entered}

    async def _enter_by_keyword(self, member: Member, account: Account, text: str) -> None:
        """A chat message that is an open giveaway's keyword enters its author (refusals stay silent)."""
        if self.selling is None:
            return
        room, now = self._room(member.show.id), self.clock.monotonic()
        try:
            if room.giveaways_stale(now):
                room.giveaways = [
                    (giveaway.id, giveaway.keyword)
                    for giveaway in await self.store.open_giveaways(member.show.id)
                    if giveaway.keyword is not None
                ]
                room.giveaways_at = now
            said = text.strip().casefold()
            for giveaway_id, keyword in room.giveaways:
                if said == keyword.casefold():
                    await self.selling.enter(giveaway_id, account, member.show.id)
        except LivecartError:
            pass  # closed meanwhile, or the host chatting the keyword: the message is still chat
        except STORE_UNAVAILABLE:
            self._store_unreachable("giveaway keyword")

    # -- moderation ------------------------------------------------------------------------------------
    async def _set_status(self, sid: str, data: Any, status: QuestionStatus) -> dict[str, Any]:
        member = await self._moderator(sid)
        question_id = parse_payload(QuestionRef, data).question_id
        question = await self.store.set_question_status(member.show.id, question_id, status)
        await self.sio.emit("questions", [question.public()], to=member.show.id)
        if status is QuestionStatus.ANSWERED and self._publish is not None:
            self._publish(events.QuestionAnswered(show_id=member.show.id, question=question.public()))
        return {"question": question.public()}

    async def answer(self, sid: str, data: Any) -> dict[str, Any]:
        return await self._set_status(sid, data, QuestionStatus.ANSWERED)

    async def feature(self, sid: str, data: Any) -> dict[str, Any]:
        return await self._set_status(sid, data, QuestionStatus.FEATURED)

    async def delete_message(self, sid: str, data: Any) -> dict[str, Any]:
        member = await self._moderator(sid)
        message_id = parse_payload(DeleteMessage, data).message_id
        room = self._room(member.show.id)
        async with room.lock:
            pending = room.discard_pending(message_id)
            deleted = await self.store.delete_chat(member.show.id, message_id)
        if not (deleted or pending):
            raise NotFound("no such message", message_id=message_id)
        await self.sio.emit("removed", {"message_id": message_id}, to=member.show.id)
        if self._publish is not None:
            self._publish(events.ChatRemoved(show_id=member.show.id, message_id=message_id))
        return {"message_id": message_id}

    async def mute(self, sid: str, data: Any) -> dict[str, Any]:
        member = await self._moderator(sid)
        payload = parse_payload(Mute, data)
        viewer_id, seconds = payload.viewer_id, mute_seconds(payload.seconds)
        until = self.clock.now() + timedelta(seconds=seconds)
        await self.store.mute(member.show.id, viewer_id, until)
        return {"viewer_id": viewer_id, "until": until.isoformat().replace("+00:00", "Z")}

    async def slow_mode(self, sid: str, data: Any) -> dict[str, Any]:
        member = await self._moderator(sid)
        seconds = parse_payload(SlowMode, data).seconds
        settings = replace(await self.store.chat_settings(member.show.id), slow_mode_s=float(seconds))
        await self.store.set_chat_settings(member.show.id, settings)
        self._room(member.show.id).apply_settings(settings, self.clock.monotonic())
        return {"seconds": seconds}

    async def blocked_words(self, sid: str, data: Any) -> dict[str, Any]:
        member = await self._moderator(sid)
        words = parse_payload(BlockedWords, data).words
        cleaned = tuple(dict.fromkeys(clean_text(w, max_chars=100).casefold() for w in words if w.strip()))
        settings = replace(await self.store.chat_settings(member.show.id), blocked_words=cleaned)
        await self.store.set_chat_settings(member.show.id, settings)
        self._room(member.show.id).apply_settings(settings, self.clock.monotonic())
        return {"words": list(cleaned)}

    # -- frames ----------------------------------------------------------------------------------------
    async def _tick_forever(self) -> None:
        """A tick every `frame_interval_s` at a fixed rate (a tick that takes long — a large room's
        fan-out — does not push the next ones later)."""
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while self._running:
            next_at += self.frame_interval_s
            delay = next_at - loop.time()
            if delay < 0:  # ticks missed: start again from now
                next_at, delay = loop.time(), 0.0
            await asyncio.sleep(delay)
            try:
                await self.tick(self.clock.monotonic())
            except STORE_UNAVAILABLE:
                self._store_unreachable("viewer count")
            except Exception:
                log.exception("live room tick failed")

    def _chat_added(self, show_id: str, room: Room) -> None:
        """Chat goes out as soon as the room may have its next chat frame: at once when its last one
        is at least `frame_interval_s` old (a quiet room gets a message without waiting for a tick),
        else when it is (messages arriving meanwhile share that frame). At most one chat frame per
        room per interval, as before; the tick sends what these flushes did not."""
        if room.chat_flush_due or not self._running:
            return
        room.chat_flush_due = True
        wait = room.chat_sent_at + self.frame_interval_s - self.clock.monotonic()
        if wait <= 0:
            self._start_flush(show_id)
        else:
            asyncio.get_running_loop().call_later(wait, self._start_flush, show_id)

    def _start_flush(self, show_id: str) -> None:
        if not self._running:
            return
        task = asyncio.ensure_future(self._flush_chat(show_id))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _flush_chat(self, show_id: str) -> None:
        room = self.rooms.get(show_id)
        if room is None:
            return
        room.chat_flush_due = False
        try:
            await self._send_chat(show_id, room)
        except Exception:
            log.exception("sending the chat frame of show %s failed", show_id)

    async def _send_chat(self, show_id: str, room: Room) -> None:
        async with room.lock:
            batch = room.take_chat()
            if not batch:
                return
            room.chat_sent_at = self.clock.monotonic()
            try:
                await self.store.add_chat(show_id, batch, keep=CHAT_HISTORY)
            except STORE_UNAVAILABLE:
                self._store_unreachable("chat history not kept")
            except Exception:
                log.exception("keeping %d chat messages of show %s failed", len(batch), show_id)
            await self.sio.emit("chat", [m.public() for m in batch], to=show_id)
            if self._publish is not None:
                self._publish(events.ChatPosted(show_id=show_id, messages=tuple(m.public() for m in batch)))

    async def tick(self, now: float, *, final: bool = False) -> None:
        """One frame: pending chat (unless the room had its chat frame less than an interval ago; `final`:
        everything, on shutdown), viewer counts, selling events, reactions."""
        window = BID_RATE[1]
        for key in [key for key, times in self._bids.items() if not times or now - times[-1] >= window]:
            del self._bids[key]  # forget bidders quiet for a whole window
        for show_id, room in list(self.rooms.items()):
            if room.pending_chat and (final or now - room.chat_sent_at >= self.frame_interval_s):
                await self._send_chat(show_id, room)
            delta = room.take_viewer_delta()
            if delta:
                try:
                    await self.store.count_viewers(show_id, delta)
                except Exception:
                    room.viewer_delta += delta  # counted on the next tick
                    raise
                if self.on_viewers_counted is not None:
                    await self.on_viewers_counted(show_id, len(room.viewers) - room.viewer_delta)
            for name, payload in room.take_selling():
                await self.sio.emit(name, payload, to=show_id)
            reactions = room.take_reactions()
            if reactions:
                await self.sio.emit("reactions", reactions, to=show_id)
            if room.members and room.viewers_due(now):
                count = (await self.store.audience(show_id)).current_viewers
                if room.viewers_changed(count, now):
                    # every node tells its own members: no duplicates across nodes
                    await self.sio.emit("viewers", {"count": count}, to=show_id, ignore_queue=True)
            if room.idle:
                room.rules.forget_idle(self.clock.now().timestamp())
                if not room.rules.active_senders:
                    del self.rooms[show_id]

    # -- commerce and media events -------------------------------------------------------------------
    async def _bridge_forever(self) -> None:
        while self._running:
            event = await self._events.get()
            if event is None:
                return
            try:
                if isinstance(event, SELLING_EVENTS):  # coalesced into the room's next frame
                    name, payload = selling_message(event)
                    self._room(event.show_id).add_selling(name, payload)
                    continue
                message = room_message(event)
                if message is not None:
                    await self.sio.emit(message[0], message[1], to=event.show_id)
            except Exception:
                log.exception("emitting %s for show %s failed", event.name, event.show_id)


def selling_message(
    event: events.AuctionChanged | events.DealChanged | events.GiveawayChanged,
) -> tuple[str, dict[str, Any]]:
    """The room event of a selling format's change (docs/protocol.md `auction`, `deal`, `giveaway`)."""
    if isinstance(event, events.AuctionChanged):
        return "auction", event.auction
    if isinstance(event, events.DealChanged):
        return "deal", event.deal
    return "giveaway", event.giveaway


def room_message(event: events.Event) -> tuple[str, dict[str, Any]] | None:
    """The room event a domain event becomes (None for events viewers do not see)."""
    if isinstance(event, events.Pinned):
        return "pin", {"product": event.product, "pinned_at": event.pinned_at, "media_time": event.media_time}
    if isinstance(event, events.Unpinned):
        return "unpin", {"product_id": event.product_id, "media_time": event.media_time}
    if isinstance(event, events.StockChanged):
        return "stock", {"product_id": event.product_id, "stock": event.stock}
    if isinstance(event, events.Sold):
        return "sale", {
            "product_id": event.product_id,
            "title": event.title,
            "qty": event.qty,
            "buyer": event.buyer,
        }
    if isinstance(event, events.ShowStatusChanged):
        return "show", {"status": event.status}
    return None
