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
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from livecart.bus import EventBus
from livecart.clock import Clock
from livecart.commerce.carts import Owners
from livecart.commerce.connect import may_host
from livecart.domain import auctions, deals, giveaways
from livecart.domain.auctions import Auction, AuctionStatus
from livecart.domain.commerce import Order, OrderStatus, StoredResponse
from livecart.domain.deals import Deal, DealHold
from livecart.domain.errors import Conflict, Forbidden, NotFound, NotInLineup, PaymentDeclined, ShowEnded
from livecart.domain.events import AuctionChanged, DealChanged, GiveawayChanged, StockChanged
from livecart.domain.format_orders import format_order
from livecart.domain.giveaways import Giveaway
from livecart.domain.ids import new_id
from livecart.domain.models import Account, Product, Role, Show, ShowStatus
from livecart.store import Store

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

    async def settle_paid(self, order: Order, payment_ref: str, paid_at: datetime) -> StoredResponse: ...


@dataclass(frozen=True)
class SellingRules:
    extend_s: int  # LIVECART_AUCTION_EXTEND_S
    pay_s: int  # LIVECART_AUCTION_PAY_S
    hold_s: int  # LIVECART_DEAL_HOLD_S
    max_qty_per_buyer: int  # LIVECART_MAX_QTY_PER_BUYER: also the units of one deal a viewer may hold
    platform_fee_bps: int = 0  # LIVECART_PLATFORM_FEE_BPS


class Selling:
    def __init__(
        self, store: Store, bus: EventBus, clock: Clock, rules: SellingRules, provider: Charges, paid: PaidOrders
    ) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.rules = rules
        self.provider = provider
        self.paid = paid

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

    # -- auctions -----------------------------------------------------------------------------------
    async def open_auction(
        self, show: Show, actor: Account, product_id: str, *, start_cents: int, increment_cents: int,
        duration_s: int, reserve_cents: int | None = None, quantity: int = 1,
    ) -> Auction:  # fmt: skip
        product = await self._sellable(show, actor, product_id)
        auction = auctions.new_auction(
            auction_id=new_id("auc"), show_id=show.id, host_id=show.host_id, product_id=product.id,
            brand_id=product.brand_id, currency=product.currency, start_cents=start_cents,
            increment_cents=increment_cents, duration_s=duration_s, reserve_cents=reserve_cents,
            quantity=quantity, now=self.clock.now(),
        )  # fmt: skip
        stock = await self.store.open_auction(auction)
        self._stock(show.id, stock)
        self._auction(auction)
        return auction

    async def bid(self, auction_id: str, bidder: Account, amount_cents: int) -> Auction:
        """Raises NotFound, Forbidden (not a viewer), AuctionClosed, OwnAuction, BidTooLow (`min_cents`)."""
        if bidder.role is not Role.VIEWER:
            auction = await self._auction_or_404(auction_id)
            if auctions.is_own(auction, bidder.id):
                raise auctions.own_auction(auction_id)
            raise Forbidden("only viewers bid", role=bidder.role.value)
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

    async def pay_auction(self, auction_id: str, buyer: Account, card_number: str) -> Order:
        """Charge the buyer's offer and record it paid. Raises NotFound, Forbidden (not the offer's buyer),
        Conflict (nothing to pay: paid, passed on, or past `pay_by`), PaymentDeclined (the offer passes
        to the runner-up). The charge is made with the order id as reference, so a retry never charges twice.
        """
        auction = await self._auction_or_404(auction_id)
        if auction.status is not AuctionStatus.SOLD or auction.order_id is None or auction.pay_by is None:
            raise Conflict("this auction has nothing to pay", auction_id=auction_id, status=auction.status.value)
        if auction.winner_id != buyer.id:
            raise Forbidden("this auction's offer is someone else's")
        order = await self.store.get_order(auction.order_id)
        if order is None or order.status is not OrderStatus.PENDING or self.clock.now() >= auction.pay_by:
            raise Conflict("this offer can no longer be paid", auction_id=auction_id)
        try:
            charge = await self.provider.charge(
                reference=order.id, amount_cents=order.total_cents, currency=order.currency, card_number=card_number
            )
        except PaymentDeclined:
            self._auction(await self.store.pass_auction_offer(auction_id, order.id, self.rules.pay_s,
                                                              self.rules.platform_fee_bps))  # fmt: skip
            raise
        await self.paid.settle_paid(order, charge.id, self.clock.now())
        paid = await self.store.get_order(order.id)
        assert paid is not None
        return paid

    async def settle_due_auctions(self) -> int:
        """Settle every auction past its end and pass on every offer unpaid at `pay_by` (an offer charged
        before a crash is recorded paid instead). Returns how many auctions changed."""
        changed = 0
        for due in await self.store.due_auctions():
            if due.status is AuctionStatus.OPEN:
                after = await self.store.settle_auction(due.id, self.rules.pay_s, self.rules.platform_fee_bps)
                if after.status is AuctionStatus.UNSOLD:
                    self._stock(after.show_id, await self._levels(after.product_id))
            else:
                after = await self._overdue_offer(due)
            if after != due:
                changed += 1
                self._auction(after)
        return changed

    async def _overdue_offer(self, auction: Auction) -> Auction:
        assert auction.order_id is not None
        charge = await self.provider.find_charge(auction.order_id)
        order = await self.store.get_order(auction.order_id)
        if charge is not None and order is not None and order.status is OrderStatus.PENDING:
            await self.paid.settle_paid(order, charge.id, self.clock.now())  # charged before a crash
            return await self._auction_or_404(auction.id)
        after = await self.store.pass_auction_offer(
            auction.id, auction.order_id, self.rules.pay_s, self.rules.platform_fee_bps
        )
        if after.status is AuctionStatus.UNSOLD:
            self._stock(after.show_id, await self._levels(after.product_id))
        return after

    # -- deals ----------------------------------------------------------------------------------------
    async def create_deal(
        self, show: Show, actor: Account, product_id: str, *, price_cents: int, quantity: int, duration_s: int
    ) -> Deal:
        product = await self._sellable(show, actor, product_id)
        deal = deals.new_deal(
            deal_id=new_id("del"), show_id=show.id, host_id=show.host_id, product_id=product.id,
            brand_id=product.brand_id, currency=product.currency, price_cents=price_cents, quantity=quantity,
            duration_s=duration_s, now=self.clock.now(),
        )  # fmt: skip
        await self.store.create_deal(deal)
        self._deal(deal)
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

    async def reserve(self, deal_id: str, viewer: Account) -> DealHold:
        """Hold one unit for the viewer. Raises NotFound, Forbidden (not a viewer), DealEnded, DealSoldOut."""
        if viewer.role is not Role.VIEWER:
            raise Forbidden("only viewers buy", role=viewer.role.value)
        hold, deal, stock = await self.store.reserve_deal_unit(
            deal_id, viewer.id, self.rules.hold_s, self.rules.max_qty_per_buyer
        )
        self._stock(deal.show_id, {deal.product_id: stock})
        self._deal(deal)
        return hold

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
        self._giveaway(giveaway)
        return giveaway

    async def enter(self, giveaway_id: str, account: Account) -> tuple[Giveaway, bool]:
        """One entry per viewer. Raises NotFound, Forbidden (host, brands, admin), GiveawayClosed."""
        giveaway = await self.store.get_giveaway(giveaway_id)
        if giveaway is None:
            raise giveaways.no_such_giveaway(giveaway_id)
        giveaways.check_entrant(giveaway, account.id, account.role)
        entered, added = await self.store.enter_giveaway(giveaway_id, account.id)
        if added:
            self._giveaway(entered)
        return entered, added

    async def draw_due_giveaways(self) -> int:
        drawn = 0
        for due in await self.store.due_giveaways():
            after = await self.store.draw_giveaway(due.id)
            if after != due:
                drawn += 1
                self._giveaway(after)
                if len(after.winner_ids) < after.winners:
                    self._stock(after.show_id, await self._levels(after.product_id))
        return drawn

    # -- the timer --------------------------------------------------------------------------------------
    async def tick(self) -> int:
        """One pass of the timer: what is due is settled, passed on or drawn; returns how many changed."""
        return await self.settle_due_auctions() + await self.draw_due_giveaways()

    async def run(self) -> None:
        """Until cancelled: a tick now (what ended while no node was up), then every TICK_S of the clock."""
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("selling timer: a tick failed; trying again")
            await self.clock.sleep(TICK_S)

    # -- helpers ----------------------------------------------------------------------------------------
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

    def _auction(self, auction: Auction) -> None:
        self.bus.publish(AuctionChanged(show_id=auction.show_id, auction=auction.public(), created=self.clock.now()))

    def _deal(self, deal: Deal) -> None:
        now = self.clock.now()
        self.bus.publish(DealChanged(show_id=deal.show_id, deal=deal.public(now), created=now))

    def _giveaway(self, giveaway: Giveaway) -> None:
        self.bus.publish(
            GiveawayChanged(show_id=giveaway.show_id, giveaway=giveaway.public(), created=self.clock.now())
        )
