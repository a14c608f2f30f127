"""The composition root: every service of a livecart process, built in one place, in order, with
explicit constructor arguments, and started and stopped in a clear order.

Build order (each step gets only what the steps before it made):
    Clock → Store → EventBus → Metrics → auth → payments → commerce (stock news, pins, carts, checkout, wallet,
    refunds, retention, connect, payouts, maintenance) → trust (reviews, signals) → show lifecycle → media hub
    (+ edge) → pins, replay timeline (both read the media clock) → selling (auctions, deals, giveaways: after
    checkout, which pays auction offers, and the media hub, whose clock stamps their start events) → cluster
    node → live service → webhooks (the delivery worker of the store's outbox).
The lifecycle comes before the media hub and the cluster node because both report to it (a publisher
appears or is lost; a dead node's shows end); the live service comes last because its viewer counts
feed the cluster node.

Adding a service (an auction engine, say):
1. write it with a constructor that takes what it needs (store, bus, clock, settings values, other
   services) — never the app;
2. add a field to `Services` and build it in `Services.open` after what it needs;
3. if it runs tasks or subscribes to the bus, start it in `start()` and stop it in `stop()`, in
   reverse order;
4. its HTTP handlers reach it as `request.app[keys.SERVICES].auctions`; add their route table in
   livecart/app.py (`ROUTES`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from livecart.bus import EventBus
from livecart.clock import Clock
from livecart.cluster import open_registry, warn_if_unreachable
from livecart.cluster.node import ClusterNode
from livecart.commerce.carts import Carts, Owners
from livecart.commerce.checkout import Checkout
from livecart.commerce.connect import Connect
from livecart.commerce.maintenance import Maintenance
from livecart.commerce.payments import PaymentProvider, TestPaymentProvider
from livecart.commerce.payouts import Payouts
from livecart.commerce.pins import Pins
from livecart.commerce.refunds import Refunds
from livecart.commerce.retention import Retention
from livecart.commerce.selling import Selling, SellingRules
from livecart.commerce.stock_news import StockNews
from livecart.commerce.wallet import Wallet
from livecart.config import Settings
from livecart.domain.cart import CartRules
from livecart.domain.events import Event, ShowStatusChanged
from livecart.domain.models import ShowStatus
from livecart.http.auth import Authenticator
from livecart.http.ratelimit import AddressLimit, RateLimits
from livecart.lifecycle import ShowLifecycle
from livecart.live import observe_live
from livecart.live.server import LiveSocketServer
from livecart.live.service import LiveService
from livecart.media import check_aiortc, check_rtp_path, observe_media
from livecart.media.edge import EdgeRelays
from livecart.media.hub import MediaHub
from livecart.media.ice import rtc_configuration
from livecart.media.recorder import Recordings, observe_recordings
from livecart.metrics import Metrics
from livecart.replay.service import Replays
from livecart.replay.timeline import Timeline
from livecart.store import Store, open_store
from livecart.trust.reviews import Reviews
from livecart.trust.signals import Signals
from livecart.webhooks.service import Webhooks

log = logging.getLogger(__name__)


def rtp_timestamp(media: MediaHub, show_id: str) -> int | None:
    """The RTP timestamp on air in the show on this node (docs/media.md "Media time"), if it is broadcast here."""
    clock = media.media_clock(show_id)
    return None if clock is None else clock.rtp_timestamp()


@dataclass
class Services:
    """Everything a livecart process runs. Build it with `Services.open`, then `start()`; `stop()` ends it."""

    settings: Settings
    clock: Clock
    store: Store
    bus: EventBus
    metrics: Metrics
    auth: Authenticator
    payments: PaymentProvider
    stock_news: StockNews
    pins: Pins
    carts: Carts
    checkout: Checkout
    wallet: Wallet
    refunds: Refunds
    connect: Connect
    payouts: Payouts
    maintenance: Maintenance
    reviews: Reviews
    signals: Signals
    lifecycle: ShowLifecycle
    media: MediaHub
    edge: EdgeRelays | None  # only with LIVECART_EDGE=1
    selling: Selling
    cluster: ClusterNode
    live: LiveService
    limits: RateLimits
    timeline: Timeline  # the replay's timeline (livecart/replay/timeline.py)
    replays: Replays  # the replay API's files and documents (livecart/replay/service.py)
    webhooks: Webhooks
    _unsubscribe_timeline: Callable[[], None] | None = None
    _unsubscribe_live: Callable[[], None] | None = None
    _unsubscribe_cluster: Callable[[], None] | None = None
    _unsubscribe_media: Callable[[], None] | None = None
    _retiring: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    async def open(
        cls, settings: Settings, *, clock: Clock, sio: LiveSocketServer, payments: PaymentProvider | None = None
    ) -> Services:
        """Build every service (the store is opened; nothing runs yet). `sio` is the Socket.IO server
        the app serves at /socket.io/; the live service handles its events. `payments` defaults to the
        built-in test provider (LIVECART_TEST_PAYMENTS_FILE)."""
        check_aiortc()
        store = await open_store(
            settings.store,
            clock=clock,
            redis_timeout_s=settings.redis_timeout_s,
            redis_min_replicas=settings.redis_min_replicas,
        )
        try:
            return await cls._build(settings, clock, store, sio, payments)
        except BaseException:
            await store.close()
            raise

    @classmethod
    async def _build(
        cls, settings: Settings, clock: Clock, store: Store, sio: LiveSocketServer, payments: PaymentProvider | None
    ) -> Services:
        bus = EventBus()
        metrics = Metrics()
        auth = Authenticator(store, admin_token=settings.admin_token)
        if payments is None:
            payments = TestPaymentProvider(
                path=Path(settings.test_payments_file) if settings.test_payments_file else None
            )

        rules = CartRules(max_qty_per_buyer=settings.max_qty_per_buyer, platform_fee_bps=settings.platform_fee_bps)
        stock_news = StockNews(store, bus)
        owners = Owners(store)
        carts = Carts(store, rules, owners)
        checkout = Checkout(store, payments, bus, rules, stock_news, clock, owners)
        wallet = Wallet(store, payments, clock)
        refunds = Refunds(store, payments, bus, stock_news, clock)
        retention = Retention(
            timedelta(hours=settings.idempotency_retention_h),
            timedelta(days=settings.client_ip_retention_days),
            clock,
            idle_viewers=timedelta(days=settings.anonymous_expiry_days),
        )
        connect = Connect(store, clock, attribution_days=settings.attribution_days)
        payouts = Payouts(
            store, payments, clock, return_window_days=settings.return_window_days, min_cents=settings.payout_min_cents
        )
        maintenance = Maintenance(
            checkout,
            retention,
            clock,
            grace=timedelta(seconds=settings.recovery_grace_s),
            embedded=settings.store.startswith("sqlite:"),
            payouts=payouts,
        )

        reviews = Reviews(store, clock, review_after=timedelta(hours=settings.review_after_h))
        signals = Signals(store, settings.signal_thresholds)

        lifecycle = ShowLifecycle(
            store, bus, clock, grace_s=settings.publisher_grace_seconds, pause_end_s=settings.pause_end_s
        )
        recordings = None if settings.recordings_dir is None else Recordings(settings.recordings_dir)
        media = MediaHub(
            rtc_configuration(settings),
            max_viewers=settings.max_viewers,
            grace_seconds=settings.publisher_grace_seconds,
            viewer_connect_s=settings.whep_connect_s,
            on_live=lifecycle.went_live,
            on_paused=lifecycle.publisher_gone,
            recordings=recordings,
            fastpath=settings.media_fastpath,
        )
        pins = Pins(store, bus, media_time=media.rtp_time)  # pin / unpin carry the frame on air
        timeline = Timeline(store, clock, media.recording_ms)
        replays = Replays(store, recordings)
        check_rtp_path(settings.media_fastpath)
        observe_media(metrics, media)
        if recordings is not None:
            observe_recordings(metrics, recordings)
        edge = (
            EdgeRelays(
                rtc_configuration(settings),
                max_viewers=settings.max_viewers,
                viewer_connect_s=settings.whep_connect_s,
                fastpath=settings.media_fastpath,
            )
            if settings.edge
            else None
        )

        selling = Selling(
            store, bus, clock,
            SellingRules(
                extend_s=settings.auction_extend_s, pay_s=settings.auction_pay_s, hold_s=settings.deal_hold_s,
                max_qty_per_buyer=settings.max_qty_per_buyer, platform_fee_bps=settings.platform_fee_bps,
            ),
            payments, checkout, media_time=lambda show_id: rtp_timestamp(media, show_id), owners=owners,
        )  # fmt: skip

        registry = await open_registry(settings, clock)
        cluster = ClusterNode(
            registry,
            store,
            ttl_s=settings.node_ttl_s,
            end_show=lifecycle.publisher_gone,
            shows_lost=media.end_shows,
        )

        rate_messages, rate_seconds = settings.chat_rate
        live = LiveService(
            sio,
            store,
            clock,
            authenticate=auth.account_for_token,
            viewers_counted=cluster.viewers_counted,
            rate_messages=rate_messages,
            rate_seconds=rate_seconds,
            frame_interval_s=settings.chat_frame_ms / 1000,
            selling=selling,
            trusted_proxies=settings.trusted_proxies,
            publish=bus.publish,  # kept chat and answered questions reach the replay timeline
        )
        observe_live(metrics, live)

        webhooks = Webhooks(
            store,
            clock,
            allow_private=settings.webhook_allow_private,
            first_retry_s=settings.webhook_retry_s,
            timeout_s=settings.webhook_timeout_s,
        )

        return cls(
            settings=settings,
            clock=clock,
            store=store,
            bus=bus,
            metrics=metrics,
            auth=auth,
            payments=payments,
            stock_news=stock_news,
            pins=pins,
            carts=carts,
            checkout=checkout,
            wallet=wallet,
            refunds=refunds,
            maintenance=maintenance,
            connect=connect,
            payouts=payouts,
            reviews=reviews,
            signals=signals,
            lifecycle=lifecycle,
            media=media,
            edge=edge,
            selling=selling,
            cluster=cluster,
            live=live,
            timeline=timeline,
            replays=replays,
            webhooks=webhooks,
            limits=RateLimits(
                whep_offers=AddressLimit("WHEP offers", *settings.whep_offer_rate),
                anonymous_accounts=AddressLimit("new accounts", *settings.account_rate),
                cart_adds=AddressLimit("cart adds", *settings.cart_add_rate),
            ),
        )

    async def start(self) -> None:
        """Commerce recovers interrupted checkouts, then the live rooms, media and cluster node run."""
        await self.maintenance.start()
        self.timeline.start()
        self._unsubscribe_timeline = self.bus.subscribe(self.timeline.on_bus_event)
        self._unsubscribe_live = self.bus.subscribe(self.live.on_bus_event)
        self.live.start()
        self.media.start()
        if self.edge is not None:
            self.edge.start()
        self._unsubscribe_cluster = self.bus.subscribe(self.cluster.on_bus_event)
        await self.cluster.start()
        if self.cluster.registry is not None:
            warn_if_unreachable(self.settings, self.cluster.registry)
        self._unsubscribe_media = self.bus.subscribe(self._retire_ended)
        self.lifecycle.start(
            lambda show_id: self.media.broadcast(show_id) is not None,
            self.cluster.origin_elsewhere,
            self.media.show_ids,
            self.media.retire,
        )
        self.selling.start()  # settles at once what ended while no node ran, then every TICK_S
        self.webhooks.start()

    def _retire_ended(self, event: Event) -> None:
        """A show ended here (its host, admin, an account deletion, the pause limit): close its
        publisher's and viewers' peers on this node at once. Other nodes' sweeps catch it too."""
        if isinstance(event, ShowStatusChanged) and event.status == ShowStatus.ENDED.value:
            task = asyncio.ensure_future(self.media.retire(event.show_id))
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)

    async def close_connections(self) -> None:
        """On shutdown, before `stop()`: close websockets, then the viewers' and publishers' peers."""
        await self.live.close_connections()
        if self.edge is not None:
            await self.edge.close()
        await self.media.close()

    async def stop(self) -> None:
        """The reverse of `start()`; the store is closed last."""
        try:
            await self.webhooks.stop()
            if self._unsubscribe_cluster is not None:
                self._unsubscribe_cluster()
                self._unsubscribe_cluster = None
            await self.selling.stop()
            if self._unsubscribe_media is not None:
                self._unsubscribe_media()
                self._unsubscribe_media = None
            await asyncio.gather(*self._retiring, return_exceptions=True)
            await self.lifecycle.stop()
            await self.cluster.stop()
            if self.cluster.registry is not None:
                await self.cluster.registry.close()
            if self.edge is not None:
                await self.edge.close()
            await self.media.close()
            if self._unsubscribe_live is not None:
                self._unsubscribe_live()
                self._unsubscribe_live = None
            await self.live.stop()
            if self._unsubscribe_timeline is not None:
                self._unsubscribe_timeline()
                self._unsubscribe_timeline = None
            await self.timeline.stop()
            await self.maintenance.stop()
            await self.stock_news.close()
        finally:
            await self.store.close()
