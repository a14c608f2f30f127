"""Cart rules: what may go in a show's cart, and how a cart becomes a priced order.

Only products pinned at some time during the show may be bought in it; each buyer may hold at most
`max_qty_per_buyer` units of a product (cart plus units already bought); one order has one currency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from livecart.domain import errors, money
from livecart.domain.commerce import CartItem, Order, OrderLine, OrderSource, OrderStatus
from livecart.domain.errors import CartEmpty, CurrencyMismatch, LimitExceeded, NotFound, NotPinned, NotReplayable
from livecart.domain.models import Account, Product, Show


@dataclass(frozen=True)
class CartRules:
    max_qty_per_buyer: int
    platform_fee_bps: int = 0


def room_for(limit: int, bought: int) -> int:
    """How many units of a product a buyer may still hold in a cart."""
    return max(0, limit - bought)


def check_add(
    product: Product,
    qty: int,
    *,
    pinned: set[str],
    cart: Sequence[CartItem],
    cart_products: Mapping[str, Product],
    bought: int,
    rules: CartRules,
) -> int:
    """Validate adding `qty` units of `product`; returns the most units the cart line may hold.

    Raises NotPinned, CurrencyMismatch (the cart already holds another currency) or LimitExceeded.
    """
    if product.id not in pinned:
        raise NotPinned("only products pinned during this show can be added", product_id=product.id)
    currencies = {cart_products[item.product_id].currency for item in cart if item.product_id in cart_products}
    if currencies and product.currency not in currencies:
        raise CurrencyMismatch(
            f"the cart holds {', '.join(sorted(currencies))} products; one order has one currency",
            product_id=product.id,
            currency=product.currency,
            cart_currency=sorted(currencies)[0],
        )
    max_qty = room_for(rules.max_qty_per_buyer, bought)
    in_cart = next((item.qty for item in cart if item.product_id == product.id), 0)
    if in_cart + qty > max_qty:
        raise LimitExceeded(
            f"at most {rules.max_qty_per_buyer} units of this product per buyer",
            product_ids=[product.id],
            limit=rules.max_qty_per_buyer,
            bought=bought,
            in_cart=in_cart,
        )
    return max_qty


def check_source(show: Show, source: OrderSource) -> None:
    """The replay purchase path (docs/protocol.md, "Buying from a replay"): `source: "replay"` is a
    deliberate way to buy in a show that is live or has ended — only a show that went live has a
    replay. Whether the product was pinned during the show is checked as for live buying. A `live`
    purchase is left to the live rules. Raises NotReplayable."""
    if source is OrderSource.REPLAY and show.started_at is None:
        raise NotReplayable("the show was never broadcast: it has no replay to buy from", show_id=show.id)


def price_order(
    *,
    order_id: str,
    show: Show,
    buyer: Account,
    cart: Sequence[CartItem],
    products: Mapping[str, Product],
    pinned: set[str],
    bought: Mapping[str, int],
    rules: CartRules,
    shipping: Mapping[str, str],
    idempotency_key: str | None,
    now: datetime,
    client_ip: str | None = None,
    source: OrderSource = OrderSource.LIVE,
    campaigns: Mapping[str, tuple[str, int]] | None = None,
) -> Order:
    """Turn a cart into a PENDING order priced with the products' current prices and rates.

    `campaigns`: product id → (campaign id, commission bps) for products the show's host sells under
    a campaign (domain/campaigns.rates): those lines carry the campaign's rate and id.

    Raises CartEmpty, NotFound (a product vanished), NotPinned, CurrencyMismatch (mixed currencies,
    all named) or LimitExceeded (every line over the per-buyer limit named). Stock is not checked
    here: the store takes it atomically.
    """
    check_source(show, source)
    if not cart:
        raise CartEmpty("the cart is empty")
    missing = [item.product_id for item in cart if item.product_id not in products]
    if missing:
        raise NotFound("a product in the cart no longer exists", product_ids=missing)
    not_pinned = [item.product_id for item in cart if item.product_id not in pinned]
    if not_pinned:
        raise NotPinned("only products pinned during this show can be bought in it", product_ids=not_pinned)
    currencies = sorted({products[item.product_id].currency for item in cart})
    if len(currencies) > 1:
        raise CurrencyMismatch(
            f"the cart mixes currencies ({', '.join(currencies)}); one order has one currency",
            currencies=currencies,
        )
    over = [item.product_id for item in cart if bought.get(item.product_id, 0) + item.qty > rules.max_qty_per_buyer]
    if over:
        raise errors.buyer_limit_exceeded(over, rules.max_qty_per_buyer)
    return Order(
        id=order_id,
        show_id=show.id,
        host_id=show.host_id,
        buyer_id=buyer.id,
        buyer_name=buyer.name,
        currency=currencies[0],
        lines=tuple(
            price_line(
                products[item.product_id], item.qty, rules.platform_fee_bps, (campaigns or {}).get(item.product_id)
            )
            for item in cart
        ),
        shipping=dict(shipping),
        status=OrderStatus.PENDING,
        idempotency_key=idempotency_key,
        created_at=now,
        client_ip=client_ip,
        source=source,
    )


def price_line(product: Product, qty: int, platform_fee_bps: int, campaign: tuple[str, int] | None = None) -> OrderLine:
    """One line at the product's price and rate, or at `campaign`'s rate ((campaign id, bps))."""
    campaign_id, bps = campaign if campaign is not None else (None, product.commission_bps)
    total = money.line_total(product.price_cents, qty)
    commission = money.share_of(total, bps)
    fee = min(money.share_of(total, platform_fee_bps), total - commission)
    return OrderLine(
        product_id=product.id,
        brand_id=product.brand_id,
        title=product.title,
        unit_price_cents=product.price_cents,
        qty=qty,
        commission_bps=bps,
        platform_fee_bps=platform_fee_bps,
        line_total_cents=total,
        commission_cents=commission,
        platform_fee_cents=fee,
        campaign_id=campaign_id,
    )
