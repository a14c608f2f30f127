"""Checkout: cart → pending order (stock taken) → charge → paid order with its ledger entries.

The steps, each atomic in the store (docs/commerce.md has the crash analysis):
1. `claim_checkout`: the key claimed with the reads that price the cart — replays, mismatches and
   in-progress retries stop there;
2. `place_order`: the PENDING order is stored and every line's stock taken, all or none;
3. the provider charges the card with the order id as its idempotency reference;
4. `mark_order_paid`: PAID + ledger entries + the response for replays, in one transaction;
   a declined card instead `fail_order`s: stock back, the 402 saved for replays.
Events are published only after the store call that made them true has committed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from livecart.bus import EventBus
from livecart.clock import Clock
from livecart.commerce.carts import Owners
from livecart.commerce.connect import rates_of
from livecart.commerce.payments import PaymentProvider
from livecart.commerce.stock_news import StockNews
from livecart.domain import errors
from livecart.domain.attribution import is_storefront
from livecart.domain.buyers import public_buyer_name
from livecart.domain.cart import CartRules, price_order
from livecart.domain.commerce import Order, OrderSource, OrderStatus, StoredResponse
from livecart.domain.errors import CartEmpty, Conflict, LivecartError, PaymentDeclined, PriceChanged, ShowEnded
from livecart.domain.events import Sold
from livecart.domain.ids import new_id
from livecart.domain.ledger import sale_entries
from livecart.domain.models import Account, Show, still_selling
from livecart.domain.shares import Cohost, active_shares
from livecart.store import Store
from livecart.store.base import CheckoutInputs, NotReplicated

log = logging.getLogger(__name__)

# The provider must answer within this; a slower charge leaves the order pending for recovery, whose
# grace period (LIVECART_RECOVERY_GRACE_S, 2 minutes by default) should be longer.
CHARGE_TIMEOUT_S = 30.0

StatusOf = Callable[[LivecartError], int]  # HTTP status of a domain error (livecart/http/errors.py)


def error_response(error: LivecartError, status: int) -> StoredResponse:
    body = {"error": {"code": error.code, "message": error.message, **error.details}}
    return StoredResponse(status=status, body=json.dumps(body))


def order_response(order: Order) -> StoredResponse:
    return StoredResponse(status=201, body=json.dumps(order.public()))


@dataclass(frozen=True)
class CheckoutRequest:
    shipping: Mapping[str, str]
    card_number: str
    client_ip: str | None = None  # recorded with the order (livecart/domain/client_ip.py)
    expected_total_cents: int | None = None  # the total the buyer saw; None: accept the current one
    source: OrderSource = OrderSource.LIVE  # REPLAY: bought from the show's replay


class Checkout:
    def __init__(
        self,
        store: Store,
        provider: PaymentProvider,
        bus: EventBus,
        rules: CartRules,
        news: StockNews,
        clock: Clock,
        owners: Owners | None = None,
    ) -> None:
        self.store = store
        self.owners = owners or Owners(store)
        self.provider = provider
        self.bus = bus
        self.rules = rules
        self.news = news
        self.clock = clock

    async def run(
        self,
        show: Show,
        buyer: Account,
        key: str,
        request_hash: str,
        request: CheckoutRequest,
        status_of: StatusOf,
    ) -> tuple[StoredResponse, bool]:
        """Claim the idempotency key and run the checkout; returns the response and whether it is a replay.

        The key is claimed with the reads that price the cart (`claim_checkout`: one store call), and
        the cart is priced only once the claim succeeded. Raises IdempotencyMismatch or
        IdempotencyInProgress from the claim. `status_of(error)` maps a domain error to its HTTP
        status. An unexpected exception releases the key (a retry runs again) and propagates.
        """
        claimed = await self.store.claim_checkout(buyer.id, key, request_hash, show.id, show.host_id)
        if isinstance(claimed, StoredResponse):
            return claimed, True
        try:
            if request.source is OrderSource.LIVE and not still_selling(show):  # replay: its own explicit path
                raise ShowEnded("the show has ended: nothing more is sold in it", show_id=show.id)
            order, cohosts = await self._price(show, buyer, key, request, claimed)
            await self.owners.check(show, {line.product_id: line.brand_id for line in order.lines})
            expected = request.expected_total_cents
            if expected is not None and expected != order.total_cents:
                raise PriceChanged(
                    "the cart's total changed since the buyer saw it",
                    product_ids=[line.product_id for line in order.lines],
                    expected_total_cents=expected,
                    total_cents=order.total_cents,
                )
            sold_out = {
                line.product_id: available
                for line in order.lines
                if (available := claimed.products[line.product_id].stock) < line.qty
            }
            if sold_out:  # short when the cart was read with the claim: place_order would refuse it as well
                raise errors.out_of_stock(sold_out)
            stock = await self.store.place_order(order, self.rules.max_qty_per_buyer, from_cart=True)
        except CartEmpty as error:
            # Nothing was bought and nothing changed: keep no record of the key (issue 19, finding 12), so
            # empty-cart checkouts with fresh keys grow no stored state; a retry simply runs again.
            await self.store.release_idempotency_key(buyer.id, key)
            return error_response(error, status_of(error)), False
        except LivecartError as error:
            response = error_response(error, status_of(error))
            await self.store.save_idempotent_response(buyer.id, key, response)
            return response, False
        except NotReplicated:
            raise  # the order was placed (on the primary only so far): recovery settles it, the key stays
        except BaseException:
            await self.store.release_idempotency_key(buyer.id, key)
            raise
        self._publish_stock(show.id, stock)
        return await self._charge(order, request.card_number, status_of, cohosts), False

    async def _price(
        self, show: Show, buyer: Account, key: str, request: CheckoutRequest, inputs: CheckoutInputs
    ) -> tuple[Order, list[Cohost]]:
        """The priced order and the show's co-hosts (for the commission split once paid), from the
        inputs read with the claim instead of a read per cart line, pin set, limit and campaign."""
        sold_under = await rates_of(self.store, inputs.applications, self.clock.now())
        order = price_order(
            order_id=new_id("ord"),
            show=show,
            buyer=buyer,
            cart=inputs.cart,
            products=inputs.products,
            pinned=inputs.pinned,
            bought=inputs.bought,
            rules=self.rules,
            shipping=request.shipping,
            idempotency_key=key,
            now=self.clock.now(),
            client_ip=request.client_ip,
            # a share link's storefront: bought through the link, outside any show
            source=OrderSource.LINK if is_storefront(show.id) else request.source,
            campaigns=sold_under,
        )
        return order, inputs.cohosts

    async def _charge(
        self, order: Order, card_number: str, status_of: StatusOf, cohosts: list[Cohost]
    ) -> StoredResponse:
        try:
            async with asyncio.timeout(CHARGE_TIMEOUT_S):
                charge = await self.provider.charge(
                    reference=order.id,
                    amount_cents=order.total_cents,
                    currency=order.currency,
                    card_number=card_number,
                )
        except PaymentDeclined as declined:
            response = error_response(declined, status_of(declined))
            stock = await self.store.fail_order(order.id, response)
            self._publish_stock(order.show_id, stock)
            return response
        except BaseException:
            # Outcome unknown (provider unreachable, cancelled): leave the order pending for recovery.
            log.exception("charge for order %s failed; it stays pending until recovery", order.id)
            raise
        try:
            return await self.settle_paid(order, charge.id, self.clock.now(), cohosts)
        except Conflict:
            # Recovery already failed this order (the provider answered after the grace period):
            # the stock is back on sale, so the money goes back too.
            log.error("order %s was settled by recovery while being charged; refunding %s", order.id, charge.id)
            await self.provider.refund(charge_id=charge.id, amount_cents=order.total_cents)
            raise

    async def settle_paid(
        self,
        order: Order,
        payment_ref: str,
        paid_at: datetime,
        cohosts: list[Cohost] | None = None,
        *,
        clear_cart: bool = True,
    ) -> StoredResponse:
        """Record a charged order as paid with its ledger entries, then announce the sales. `cohosts`:
        the show's co-hosts as read when the order was priced (read now when not given, e.g. by recovery).
        `clear_cart`: the order's products leave the buyer's cart (False for an auction's or a deal's order)."""
        paid = replace(order, status=OrderStatus.PAID, paid_at=paid_at, payment_ref=payment_ref)
        response = order_response(paid)
        if cohosts is None:
            cohosts = await self.store.cohosts(order.show_id)
        shares = active_shares(cohosts)  # one commission entry per share
        await self.store.mark_order_paid(
            order.id,
            payment_ref,
            paid_at,
            sale_entries(paid, paid_at, shares=shares),
            response,
            clear_cart=clear_cart,
        )
        buyer = public_buyer_name(order.buyer_name)
        for line in order.lines:
            self.bus.publish(
                Sold(
                    show_id=order.show_id,
                    order_id=order.id,
                    product_id=line.product_id,
                    title=line.title,
                    qty=line.qty,
                    buyer=buyer,
                    source=order.source.value,
                )
            )
        return response

    def _publish_stock(self, show_id: str, stock: Mapping[str, int]) -> None:
        """The show where it happened at once; the other shows featuring the product shortly after."""
        self.news.sold(show_id, stock)

    async def recover(self, older_than: datetime) -> tuple[int, int]:
        """Settle checkouts interrupted by a crash; returns (orders paid, orders failed).

        A pending order whose charge the provider knows is recorded as paid (ledger and replayable
        response included); one without a charge is failed, its stock given back and its idempotency
        key released so the buyer's retry runs again. Claimed keys without an order are released.
        """
        paid = failed = 0
        for order in await self.store.pending_orders(older_than):
            charge = await self.provider.find_charge(order.id)
            if charge is not None:
                await self.settle_paid(order, charge.id, self.clock.now())
                paid += 1
            else:
                stock = await self.store.fail_order(order.id, None)
                self._publish_stock(order.show_id, stock)
                failed += 1
        released = await self.store.release_stale_idempotency_keys(older_than)
        if paid or failed or released:
            log.warning(
                "checkout recovery: %d interrupted orders paid, %d failed, %d idempotency keys released",
                paid,
                failed,
                released,
            )
        return paid, failed
