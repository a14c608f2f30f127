"""The selling formats' service: auctions, flash deals and giveaways between the API and the store.

It checks who may do what (roles, the show live, the product in its lineup), applies the pure rules
(`livecart/domain/auctions.py`, `deals.py`, `giveaways.py`), makes one atomic store call per step,
and publishes an event on the bus after each change has committed (`AuctionChanged`, `DealChanged`,
`GiveawayChanged`, `StockChanged`). Time comes only from the injected clock; `run()` is the timer that
settles auctions, passes unpaid offers on and draws giveaways when they are due, on every node (the
store makes each of those happen once) and at start-up (what ended while no node was up).

An auction's offer is paid through the ordinary order path: the provider charges the order id as its
idempotency reference and `Checkout.settle_paid` records it paid with its ledger entries (commission as
for any checkout). Declined, or unpaid at `pay_by`, the offer passes to the runner-up.

Money writes of selling (a deal's order, settling an auction, passing its offer on, a draw) raise
NotReplicated on Redis when LIVECART_REDIS_MIN_REPLICAS replicas did not confirm them: a request then
answers 503 (a deal checkout keeps its Idempotency-Key, as the show checkout does), and the timer
announces the step only once a later `confirm_replicated` shows the replicas have it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from livecart.bus import EventBus
from livecart.clock import Clock
from livecart.commerce.carts import Owners
from livecart.commerce.connect import may_host
from livecart.domain import auctions, deals, giveaways
from livecart.domain.auctions import Auction, AuctionStatus
from livecart.domain.commerce import Order, OrderStatus, StoredResponse
from livecart.domain.deals import Deal, DealHold, HoldStatus
from livecart.domain.errors import (
    Conflict,
    Forbidden,
    LivecartError,
    NotFound,
    NotInLineup,
    PaymentDeclined,
    PriceChanged,
    ShippingSet,
    ShowEnded,
    buyer_limit_exceeded,
)
from livecart.domain.events import AuctionChanged, DealChanged, GiveawayChanged, StockChanged
from livecart.domain.format_orders import format_order
from livecart.domain.giveaways import Giveaway
from livecart.domain.ids import new_id
from livecart.domain.models import Account, Product, Role, Show, ShowStatus, still_selling
from livecart.domain.signals import LABEL_SECRET, address_label
from livecart.store import STORE_UNAVAILABLE, Store
from livecart.store.base import NotReplicated

log = logging.getLogger(__name__)

TICK_S = 0.5  # how often the timer looks for due auctions and giveaways


class Charges(Protocol):
    """What this service needs of the payment provider (livecart/commerce/payments.py's PaymentProvider)."""

    async def charge(self, *, reference: str, amount_cents: int, currency: str, card_number: str) -> ChargeLike: ...

    async def find_charge(self, reference: str) -> ChargeLike | None: ...


class ChargeLike(Protocol):
    @property
    def id(self) -> str: ...


class PaidOrders(Protocol):
    """Records a charged order as paid with its ledger entries and announces the sale (Checkout)."""

    async def settle_paid(
        self, order: Order, payment_ref: str, paid_at: datetime, *, clear_cart: bool = True
    ) -> StoredResponse: ...


MediaTime = Callable[[str], int | None]  # show id → RTP timestamp of the frame on air on this node, if any
StatusOf = Callable[[LivecartError], int]  # HTTP status of a domain error (livecart/http/errors.py)


def _no_media_time(show_id: str) -> int | None:
    return None


def _error_response(error: LivecartError, status: int) -> StoredResponse:
    """The saved body of a refused request, as the show checkout saves it."""
    return StoredResponse(
        status=status, body=json.dumps({"error": {"code": error.code, "message": error.message, **error.details}})
    )


@dataclass(frozen=True)
class SellingRules:
    extend_s: int  # LIVECART_AUCTION_EXTEND_S
    pay_s: int  # LIVECART_AUCTION_PAY_S
    hold_s: int  # LIVECART_DEAL_HOLD_S
    max_qty_per_buyer: int  # LIVECART_MAX_QTY_PER_BUYER: also the units of one deal a viewer may hold
    platform_fee_bps: int = 0  # LIVECART_PLATFORM_FEE_BPS


class Selling:
    def __init__(
        self, store: Store, bus: EventBus, clock: Clock, rules: SellingRules, provider: Charges, paid: PaidOrders,
        *, media_time: MediaTime = _no_media_time, owners: Owners | None = None,
    ) -> None:  # fmt: skip
        self.store = store
        self.bus = bus
        self.clock = clock
        self.rules = rules
        self.provider = provider
        self.paid = paid
        self.media_time = media_time  # stamps the start events (docs/media.md "Media time")
        # Deleted hosts and brands stop their sales (issue 19, finding 6): the carts' Owners, so a deletion
        # on this node counts at once for bids, deal units and entries too.
        self.owners = owners if owners is not None else Owners(store)
        self._task: asyncio.Task[None] | None = None
        self._label_key: bytes | None = None
        # Steps written on the primary whose replication was not confirmed: announced once it is.
        self._unconfirmed_auctions: set[str] = set()
        self._unconfirmed_giveaways: set[str] = set()

    def start(self) -> None:
        """Run the timer (`run()`) in the background until `stop()`."""
        if self._task is None:
            self._task = asyncio.ensure_future(self.run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # -- who may ------------------------------------------------------------------------------------
    async def _sellable(self, show: Show, actor: Account, product_id: str, *, brand_may: bool = True) -> Product:
        """The lineup product the actor may sell in this live show: its host, the brand owning it (when
        `brand_may`), admin, an active co-host. Raises NotFound, Forbidden, ShowEnded (not live or paused),
        NotInLineup, NotForSale (the product's brand or the show's host was deleted: issue 19, finding 6)."""
        product = await self.store.get_product(product_id)
        if product is None:
            raise NotFound("no such product", product_id=product_id)
        allowed = actor.role is Role.ADMIN or actor.id == show.host_id or (brand_may and actor.id == product.brand_id)
        if not allowed and not await may_host(self.store, show, actor):  # an active co-host sells too
            raise Forbidden("only the show's host, the brand selling the product or admin may do this")
        if show.status not in (ShowStatus.LIVE, ShowStatus.PAUSED):  # a paused show keeps selling
            raise ShowEnded("the show is not live", show_id=show.id)
        if product_id not in {item.id for item in await self.store.lineup(show.id)}:
            raise NotInLineup("the product is not in the show's lineup", product_id=product_id)
        await Owners(self.store, recheck_s=0).check(show, {product.id: product.brand_id})
        return product

    async def _still_selling(self, show_id: str, brands: Mapping[str, str]) -> None:
        """Bids, deal units, deal checkouts and giveaway entries follow the live path's hardening rules: a
        paused show keeps selling, an ended one does not (ShowEnded), nor a deleted host's show or a
        deleted brand's product (NotForSale). `brands`: product id → brand id."""
        show = await self.store.get_show(show_id)
        if show is None:
            raise NotFound("no such show", show_id=show_id)
        if not still_selling(show):
            raise ShowEnded("the show has ended: nothing more is sold in it", show_id=show_id)
        await self.owners.check(show, brands)

    # -- auctions -----------------------------------------------------------------------------------
    async def open_auction(
        self, show: Show, actor: Account, product_id: str, *, start_cents: int, increment_cents: int,
        duration_s: int, reserve_cents: int | None = None, quantity: int = 1, address: str | None = None,
    ) -> Auction:  # fmt: skip
        """`address`: the seller's client address, noted for the shill-bid signals."""
        product = await self._sellable(show, actor, product_id)
        await self._note(show.id, actor, address)
        auction = auctions.new_auction(
            auction_id=new_id("auc"), show_id=show.id, host_id=show.host_id, product_id=product.id,
            brand_id=product.brand_id, currency=product.currency, start_cents=start_cents,
            increment_cents=increment_cents, duration_s=duration_s, reserve_cents=reserve_cents,
            quantity=quantity, now=self.clock.now(),
        )  # fmt: skip
        stock = await self.store.open_auction(auction)
        self._stock(show.id, stock)
        self._auction(auction, start=True)
        return auction

    async def bid(self, auction_id: str, bidder: Account, amount_cents: int, show_id: str | None = None) -> Auction:
        """Raises NotFound (also: not an auction of `show_id`), Forbidden (not a viewer), AuctionClosed,
        OwnAuction, BidTooLow (`min_cents`)."""
        found = await self._auction_or_404(auction_id)
        if show_id is not None and found.show_id != show_id:
            raise auctions.no_such_auction(auction_id)
        if bidder.role is not Role.VIEWER:
            if auctions.is_own(found, bidder.id):
                raise auctions.own_auction(auction_id)
            raise Forbidden("only viewers bid", role=bidder.role.value)
        if found.status is AuctionStatus.OPEN:  # a closed auction answers auction_closed from the store
            await self._still_selling(found.show_id, {found.product_id: found.brand_id})
        auction = await self.store.place_bid(auction_id, bidder.id, bidder.name, amount_cents, self.rules.extend_s)
        self._auction(auction)
        return auction

    async def cancel_auction(self, auction_id: str, actor: Account) -> Auction:
        auction = await self._auction_or_404(auction_id)
        if actor.role is not Role.ADMIN and actor.id not in (auction.host_id, auction.brand_id):
            raise Forbidden("only the show's host, the brand selling the product or admin may do this")
        cancelled, stock = await self.store.cancel_auction(auction_id)
        self._stock(cancelled.show_id, stock)
        self._auction(cancelled)
        return cancelled

    async def checkout_auction(
        self, auction_id: str, buyer: Account, key: str, request_hash: str, shipping: Mapping[str, str],
        card_number: str, status_of: StatusOf,
    ) -> tuple[StoredResponse, bool]:  # fmt: skip
        """`POST /api/auctions/{id}/checkout` with the show checkout's idempotency: the key is claimed
        first (a replay returns the saved response, True); the outcome — the paid order (201) or the
        error — is saved for the key. An unexpected exception releases the key and propagates."""
        claimed = await self.store.claim_idempotency_key(buyer.id, key, request_hash)
        if claimed is not None:
            return claimed, True
        try:
            order = await self.pay_auction(auction_id, buyer, card_number, shipping)
            response = StoredResponse(status=201, body=json.dumps(order.public()))
        except LivecartError as error:
            response = _error_response(error, status_of(error))
        except BaseException:
            await self.store.release_idempotency_key(buyer.id, key)
            raise
        await self.store.save_idempotent_response(buyer.id, key, response)
        return response, False

    async def pay_auction(
        self, auction_id: str, buyer: Account, card_number: str, shipping: Mapping[str, str] | None = None
    ) -> Order:
        """Charge the buyer's offer and record it paid. Raises NotFound, Forbidden (not the offer's buyer),
        Conflict (nothing to pay: paid, passed on, or past `pay_by`), PaymentDeclined (the offer passes
        to the runner-up). The charge is made with the order id as reference, so a retry never charges twice;
        once paid, paying again answers with the paid order.
        `shipping` is stored with the order first (kept when it already has an address).
        """
        auction = await self._auction_or_404(auction_id)
        if auction.status is not AuctionStatus.SOLD or auction.order_id is None or auction.pay_by is None:
            raise Conflict("this auction has nothing to pay", auction_id=auction_id, status=auction.status.value)
        if auction.winner_id != buyer.id:
            raise Forbidden("this auction's offer is someone else's")
        order = await self.store.get_order(auction.order_id)
        if order is not None and order.status is OrderStatus.PAID:
            return order  # paid already (an answer lost to a crash, a retry with a new key): the same order
        if order is None or order.status is not OrderStatus.PENDING or self.clock.now() >= auction.pay_by:
            raise Conflict("this offer can no longer be paid", auction_id=auction_id)
        if shipping:
            with contextlib.suppress(ShippingSet):  # a retry after an interrupted attempt: the first address stands
                order = await self.store.set_order_shipping(order.id, shipping)
        try:
            charge = await self.provider.charge(
                reference=order.id, amount_cents=order.total_cents, currency=order.currency, card_number=card_number
            )
        except PaymentDeclined:
            try:
                passed = await self.store.pass_auction_offer(auction_id, order.id, self.rules.pay_s,
                                                             self.rules.platform_fee_bps)  # fmt: skip
            except NotReplicated:
                self._unconfirmed_auctions.add(auction_id)  # the timer announces it once replicated
                raise
            self._auction(passed)
            raise
        await self.paid.settle_paid(order, charge.id, self.clock.now(), clear_cart=False)
        paid = await self.store.get_order(order.id)
        assert paid is not None
        return paid

    async def settle_due_auctions(self) -> int:
        """Settle every auction past its end and pass on every offer unpaid at `pay_by` (an offer charged
        before a crash is recorded paid instead). Returns how many auctions changed."""
        changed = 0
        for due in await self.store.due_auctions():
            try:
                if due.status is AuctionStatus.OPEN:
                    after = await self.store.settle_auction(due.id, self.rules.pay_s, self.rules.platform_fee_bps)
                    if after.status is AuctionStatus.UNSOLD:
                        self._stock(after.show_id, await self._levels(after.product_id))
                else:
                    after = await self._overdue_offer(due)
            except NotReplicated as unconfirmed:
                log.warning("selling timer: auction %s changed on the primary only (%s)", due.id, unconfirmed)
                self._unconfirmed_auctions.add(due.id)
                continue
            if after != due:
                changed += 1
                self._auction(after)
        return changed

    async def announce_confirmed(self) -> int:
        """Announce the auctions and giveaways whose step raised NotReplicated, once `confirm_replicated`
        shows the replicas have every write made before it (raises NotReplicated while they do not). A
        step lost to a fail-over reads as not done: the timer does it again. Returns how many were announced."""
        if not self._unconfirmed_auctions and not self._unconfirmed_giveaways:
            return 0
        await self.store.confirm_replicated()
        auction_ids, self._unconfirmed_auctions = self._unconfirmed_auctions, set()
        giveaway_ids, self._unconfirmed_giveaways = self._unconfirmed_giveaways, set()
        announced = 0
        for auction_id in sorted(auction_ids):
            auction = await self.store.get_auction(auction_id)
            if auction is not None:
                announced += 1
                self._auction(auction)
                if auction.status is AuctionStatus.UNSOLD:
                    self._stock(auction.show_id, await self._levels(auction.product_id))
        for giveaway_id in sorted(giveaway_ids):
            giveaway = await self.store.get_giveaway(giveaway_id)
            if giveaway is not None:
                announced += 1
                self._giveaway(giveaway)
                if len(giveaway.winner_ids) < giveaway.winners:
                    self._stock(giveaway.show_id, await self._levels(giveaway.product_id))
        return announced

    async def _overdue_offer(self, auction: Auction) -> Auction:
        assert auction.order_id is not None
        charge = await self.provider.find_charge(auction.order_id)
        order = await self.store.get_order(auction.order_id)
        if charge is not None and order is not None and order.status is OrderStatus.PENDING:
            await self.paid.settle_paid(order, charge.id, self.clock.now(), clear_cart=False)  # charged, then a crash
            return await self._auction_or_404(auction.id)
        after = await self.store.pass_auction_offer(
            auction.id, auction.order_id, self.rules.pay_s, self.rules.platform_fee_bps
        )
        if after.status is AuctionStatus.UNSOLD:
            self._stock(after.show_id, await self._levels(after.product_id))
        return after

    # -- deals ----------------------------------------------------------------------------------------
    async def create_deal(
        self, show: Show, actor: Account, product_id: str, *, price_cents: int, quantity: int, duration_s: int,
        address: str | None = None,
    ) -> Deal:  # fmt: skip
        product = await self._sellable(show, actor, product_id)
        await self._note(show.id, actor, address)
        deal = deals.new_deal(
            deal_id=new_id("del"), show_id=show.id, host_id=show.host_id, product_id=product.id,
            brand_id=product.brand_id, currency=product.currency, price_cents=price_cents, quantity=quantity,
            duration_s=duration_s, now=self.clock.now(),
        )  # fmt: skip
        await self.store.create_deal(deal)
        self._deal(deal, start=True)
        return deal

    async def end_deal(self, deal_id: str, actor: Account) -> Deal:
        deal = await self.store.get_deal(deal_id)
        if deal is None:
            raise deals.no_such_deal(deal_id)
        if actor.role is not Role.ADMIN and actor.id not in (deal.host_id, deal.brand_id):
            raise Forbidden("only the show's host, the brand selling the product or admin may do this")
        ended = await self.store.end_deal(deal_id)
        self._deal(ended)
        return ended

    async def reserve(self, deal_id: str, viewer: Account, show_id: str | None = None) -> DealHold:
        """Hold one unit for the viewer. Raises NotFound (also: not a deal of `show_id`), Forbidden (not a
        viewer), DealEnded, DealSoldOut, LimitExceeded (the product-wide per-buyer limit: units bought
        and held already count)."""
        if viewer.role is not Role.VIEWER:
            raise Forbidden("only viewers buy", role=viewer.role.value)
        found = await self.store.get_deal(deal_id)
        if found is None or (show_id is not None and found.show_id != show_id):
            raise deals.no_such_deal(deal_id)
        await self._still_selling(found.show_id, {found.product_id: found.brand_id})
        if show_id is not None:
            bought = (await self.store.units_bought(viewer.id, [found.product_id]))[found.product_id]
            held = [hold for hold in await self.viewer_holds(show_id, viewer.id) if hold.product_id == found.product_id]
            if bought + len(held) >= self.rules.max_qty_per_buyer:
                raise buyer_limit_exceeded([found.product_id], self.rules.max_qty_per_buyer)
        hold, deal, stock = await self.store.reserve_deal_unit(
            deal_id, viewer.id, self.rules.hold_s, self.rules.max_qty_per_buyer
        )
        self._stock(deal.show_id, {deal.product_id: stock})
        self._deal(deal)
        return hold

    async def show_state(self, show_id: str) -> dict[str, Any]:
        """What a joining viewer needs: the open auction, the open deals, the open giveaways (public forms)."""
        now = self.clock.now()
        auction = await self.store.show_auction(show_id)
        return {
            "auction": None if auction is None else auction.public(),
            "deals": [deal.public(now) for deal in await self.store.show_deals(show_id) if deal.is_open(now)],
            "giveaways": [giveaway.public() for giveaway in await self.store.open_giveaways(show_id)],
        }

    async def viewer_holds(self, show_id: str, viewer_id: str) -> list[DealHold]:
        """The viewer's units held in the show's deals and not expired, oldest first."""
        now = self.clock.now()
        held: list[DealHold] = []
        for deal in await self.store.show_deals(show_id):
            held.extend(
                hold for hold in await self.store.deal_holds(deal.id)
                if hold.viewer_id == viewer_id and hold.status is HoldStatus.HELD and now < hold.expires_at
            )  # fmt: skip
        return sorted(held, key=lambda hold: hold.reserved_at)

    async def checkout_deals(
        self, show: Show, buyer: Account, key: str, request_hash: str, shipping: Mapping[str, str],
        card_number: str, client_ip: str | None, status_of: StatusOf, expected_total_cents: int | None = None,
    ) -> tuple[StoredResponse, bool]:  # fmt: skip
        """The show checkout when the buyer holds deal units: one order of the held units at their deal
        prices (`format_orders.deal_order`), with the checkout's idempotency (claimed first, the outcome
        saved, a replay returned with True). The cart's list-price lines stay for the next checkout.
        As the show checkout: an ended show sells nothing (ShowEnded), nor a deleted host or brand
        (NotForSale); `expected_total_cents` (the total the buyer saw) must be the deal order's total or
        the whole cart's (deal lines and list-price lines, as the cart shows it), else PriceChanged."""
        claimed = await self.store.claim_idempotency_key(buyer.id, key, request_hash)
        if claimed is not None:
            return claimed, True
        try:
            holds = await self.viewer_holds(show.id, buyer.id)
            ids = sorted({hold.product_id for hold in holds})
            found = await asyncio.gather(*(self.store.get_product(pid) for pid in ids))
            products = {product.id: product for product in found if product is not None}
            order, used = deals.deal_order(
                order_id=new_id("ord"), show_id=show.id, host_id=show.host_id, buyer_id=buyer.id,
                buyer_name=buyer.name, holds=holds, products=products,
                bought=await self.store.units_bought(buyer.id, ids), max_qty_per_buyer=self.rules.max_qty_per_buyer,
                platform_fee_bps=self.rules.platform_fee_bps, now=self.clock.now(), shipping=shipping,
                idempotency_key=key, client_ip=client_ip,
            )  # fmt: skip
            if not still_selling(show):
                raise ShowEnded("the show has ended: nothing more is sold in it", show_id=show.id)
            await self.owners.check(show, {line.product_id: line.brand_id for line in order.lines})
            if expected_total_cents is not None and expected_total_cents != order.total_cents:
                cart = await self.store.cart(show.id, buyer.id)
                listed = {pid: await self.store.get_product(pid) for pid in {item.product_id for item in cart}}
                whole = order.total_cents + sum(
                    product.price_cents * item.qty for item in cart if (product := listed[item.product_id])
                )
                if expected_total_cents != whole:
                    raise PriceChanged(
                        "the total changed since the buyer saw it",
                        product_ids=[line.product_id for line in order.lines],
                        expected_total_cents=expected_total_cents, total_cents=order.total_cents,
                    )  # fmt: skip
            await self.store.place_deal_order(order, used)
        except LivecartError as error:
            response = _error_response(error, status_of(error))
            await self.store.save_idempotent_response(buyer.id, key, response)
            return response, False
        except NotReplicated:
            raise  # the order was placed (on the primary only so far): recovery settles it, the key stays
        except BaseException:
            await self.store.release_idempotency_key(buyer.id, key)
            raise
        try:
            charge = await self.provider.charge(
                reference=order.id, amount_cents=order.total_cents, currency=order.currency, card_number=card_number
            )
        except PaymentDeclined as declined:
            response = _error_response(declined, status_of(declined))
            stock = await self.store.fail_order(order.id, response)
            self._stock(show.id, stock)
            return response, False
        return await self.paid.settle_paid(order, charge.id, self.clock.now(), clear_cart=False), False

    async def expire_due_holds(self) -> int:
        """Give expired holds back to their deal and to stock (also of deals that ended); returns how many deals."""
        swept = 0
        for deal_id in await self.store.deals_with_expired_holds():
            before = await self.store.get_deal(deal_id)
            deal, stock = await self.store.expire_deal_holds(deal_id)
            if before is not None and deal.remaining != before.remaining:
                swept += 1
                self._stock(deal.show_id, {deal.product_id: stock})
                self._deal(deal)
        return swept

    def deal_order(self, show: Show, buyer: Account, product: Product, holds: list[DealHold], key: str | None) -> Order:
        """The PENDING order buying `holds` (one product's held units at their deal price)."""
        return format_order(
            order_id=new_id("ord"), show_id=show.id, host_id=show.host_id, buyer_id=buyer.id, buyer_name=buyer.name,
            product=product, unit_price_cents=holds[0].price_cents, qty=len(holds),
            platform_fee_bps=self.rules.platform_fee_bps, now=self.clock.now(), idempotency_key=key,
        )  # fmt: skip

    # -- giveaways ------------------------------------------------------------------------------------
    async def create_giveaway(
        self, show: Show, actor: Account, product_id: str, *, winners: int, duration_s: int, keyword: str | None
    ) -> Giveaway:
        product = await self._sellable(show, actor, product_id, brand_may=False)
        giveaway = giveaways.new_giveaway(
            giveaway_id=new_id("gvw"), show_id=show.id, host_id=show.host_id, product_id=product.id,
            brand_id=product.brand_id, winners=winners, duration_s=duration_s, keyword=keyword,
            now=self.clock.now(),
        )  # fmt: skip
        stock = await self.store.create_giveaway(giveaway)
        self._stock(show.id, stock)
        self._giveaway(giveaway, start=True)
        return giveaway

    async def enter(self, giveaway_id: str, account: Account, show_id: str | None = None) -> tuple[Giveaway, bool]:
        """One entry per viewer. Raises NotFound (also: not a giveaway of `show_id`), Forbidden (host,
        brands, admin), GiveawayClosed."""
        giveaway = await self.store.get_giveaway(giveaway_id)
        if giveaway is None or (show_id is not None and giveaway.show_id != show_id):
            raise giveaways.no_such_giveaway(giveaway_id)
        giveaways.check_entrant(giveaway, account.id, account.role)
        await self._still_selling(giveaway.show_id, {giveaway.product_id: giveaway.brand_id})
        entered, added = await self.store.enter_giveaway(giveaway_id, account.id)
        if added:
            self._giveaway(entered)
        return entered, added

    async def draw_due_giveaways(self) -> int:
        drawn = 0
        for due in await self.store.due_giveaways():
            try:
                after = await self.store.draw_giveaway(due.id)
            except NotReplicated as unconfirmed:
                log.warning("selling timer: giveaway %s drawn on the primary only (%s)", due.id, unconfirmed)
                self._unconfirmed_giveaways.add(due.id)
                continue
            if after != due:
                drawn += 1
                self._giveaway(after)
                if len(after.winner_ids) < after.winners:
                    self._stock(after.show_id, await self._levels(after.product_id))
        return drawn

    async def ship_to(self, order_id: str, buyer: Account, shipping: Mapping[str, str]) -> Order:
        """The buyer gives the shipping address of an order made without one (a giveaway prize, an auction
        win). Raises NotFound, Forbidden (someone else's order), ShippingSet (it has one already)."""
        order = await self.store.get_order(order_id)
        if order is None:
            raise NotFound("no such order", order_id=order_id)
        if order.buyer_id != buyer.id and buyer.role is not Role.ADMIN:
            raise Forbidden("only the order's buyer gives its shipping address")
        return await self.store.set_order_shipping(order_id, shipping)

    # -- the timer --------------------------------------------------------------------------------------
    async def tick(self) -> int:
        """One pass of the timer: what is due is settled, passed on or drawn; returns how many changed."""
        try:
            announced = await self.announce_confirmed()
        except NotReplicated as unconfirmed:  # still not on the replicas: kept for the next tick
            log.warning("selling timer: waiting for the replicas to confirm (%s)", unconfirmed)
            announced = 0
        return (
            announced + await self.settle_due_auctions() + await self.draw_due_giveaways()
            + await self.expire_due_holds()
        )  # fmt: skip

    async def run(self) -> None:
        """Until cancelled: a tick now (what ended while no node was up), then every TICK_S of the clock."""
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except STORE_UNAVAILABLE as unavailable:  # Redis down or hung: said once per tick, no traceback
                log.warning("selling timer: the store is unreachable (%s); trying again", unavailable)
            except Exception:
                log.exception("selling timer: a tick failed; trying again")
            await self.clock.sleep(TICK_S)

    # -- helpers ----------------------------------------------------------------------------------------
    async def _note(self, show_id: str, actor: Account, address: str | None) -> None:
        """Note a seller's client address (its keyed label) for the shill-bid signals."""
        if address is not None and actor.role is not Role.ADMIN:
            if self._label_key is None:
                self._label_key = await self.store.secret(LABEL_SECRET)
            await self.store.note_address(show_id, actor.id, address_label(address, self._label_key))

    async def _auction_or_404(self, auction_id: str) -> Auction:
        auction = await self.store.get_auction(auction_id)
        if auction is None:
            raise auctions.no_such_auction(auction_id)
        return auction

    async def _levels(self, product_id: str) -> dict[str, int]:
        product = await self.store.get_product(product_id)
        return {} if product is None else {product_id: product.stock}

    def _stock(self, show_id: str, stock: Mapping[str, int]) -> None:
        now = self.clock.now()
        for product_id, level in stock.items():
            self.bus.publish(StockChanged(show_id=show_id, product_id=product_id, stock=level, created=now))

    def _stamped(self, show_id: str, public: dict[str, Any], start: bool) -> dict[str, Any]:
        """A start event carries `media_time` (the RTP timestamp on air) when this node broadcasts the show."""
        if start:
            media_time = self.media_time(show_id)
            if media_time is not None:
                return {**public, "media_time": media_time}
        return public

    def _auction(self, auction: Auction, *, start: bool = False) -> None:
        public = self._stamped(auction.show_id, auction.public(), start)
        self.bus.publish(AuctionChanged(show_id=auction.show_id, auction=public, created=self.clock.now()))

    def _deal(self, deal: Deal, *, start: bool = False) -> None:
        now = self.clock.now()
        public = self._stamped(deal.show_id, deal.public(now), start)
        self.bus.publish(DealChanged(show_id=deal.show_id, deal=public, created=now))

    def _giveaway(self, giveaway: Giveaway, *, start: bool = False) -> None:
        public = self._stamped(giveaway.show_id, giveaway.public(), start)
        self.bus.publish(GiveawayChanged(show_id=giveaway.show_id, giveaway=public, created=self.clock.now()))
